//! Correcting the record from the pages (issue 19): the family's details
//! (`/families/<id>/correct`, the registration form's fields filled with what is on record),
//! a baby's details or its birth (`/families/<id>/infants/<infant>/correct`), a new baby
//! (`/families/<id>/infants/new`), and "these are different babies" for a possible same
//! baby on another record. Each asks why; a correction that changes what a stored check
//! used asks again before it saves. The store keeps each as a version (`store::corrections`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::corrections::{self, InfantChange};
use crate::store::family_view::FamilyDetail;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{families, infant_matches};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::families::form::{AddressFields, CaregiverFields, RegisterForm, OUTSIDE_CITY};
use crate::web::families::register::neighborhood_choices;
use crate::web::fields::{field, Problems};
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

/// A page answer: a redirect with a flash, or a page with its status.
type Answer = Either<Flash<Redirect>, (Status, Template)>;

/// What a correction's answer means for its page: saved (the sentence to flash), or the
/// form again with the problems to mend or a warning to confirm.
enum Outcome {
    Saved(String),
    Again(Vec<(String, String)>, Option<String>),
}

/// A correction's answer for its page (the family's and the baby's forms alike); any
/// other error is the page's error.
fn outcome(result: Result<String, AppError>) -> Result<Outcome, AppError> {
    match result {
        Ok(said) => Ok(Outcome::Saved(said)),
        Err(AppError::Validation(fields)) => Ok(Outcome::Again(
            fields.into_iter().flat_map(|(f, list)| list.into_iter().map(move |m| (f.clone(), m))).collect(),
            None,
        )),
        Err(AppError::Conflict(said)) => Ok(Outcome::Again(Vec::new(), Some(said))),
        Err(e) => Err(e),
    }
}

/// The status of a form shown again: 409 when a warning asks for confirmation, else 422.
fn again_status(warning: &Option<String>) -> Status {
    if warning.is_some() {
        Status::Conflict
    } else {
        Status::UnprocessableEntity
    }
}

/// A corrected field in words (the store names fields as the API does).
pub fn field_words(key: &str) -> &str {
    match key {
        "caregiver.first_name" => "first name",
        "caregiver.last_name" => "last name",
        "caregiver.date_of_birth" => "caregiver's date of birth",
        "caregiver.phone" => "phone",
        "address.line1" => "street address",
        "address.city" => "city",
        "address.state" => "state",
        "address.zip" => "ZIP",
        "address.neighborhood_id" => "neighborhood",
        "household_size" => "people in the home",
        "annual_income" => "yearly income",
        "enrollments" => "enrollments",
        "has_safe_sleep_space" => "safe place to sleep",
        "race_ethnicity" => "race or ethnicity",
        "preferred_language" => "language",
        "name" => "name",
        "date_of_birth" => "date of birth",
        "expected_due_date" => "due date",
        "weight_lb" => "weight",
        other => other,
    }
}

/// "phone and date of birth corrected" for a flash message.
fn saved(keys: impl Iterator<Item = String>) -> String {
    let words: Vec<String> = keys.map(|k| field_words(&k).to_string()).collect();
    format!("Saved: {} corrected. The change is kept in the record's history.", words.join(", "))
}

/// The registration form filled with what is on record.
fn form_of(d: &FamilyDetail) -> RegisterForm {
    RegisterForm {
        form_token: FormToken::fresh(),
        caregiver: CaregiverFields {
            first_name: d.caregiver.first_name.clone(),
            last_name: d.caregiver.last_name.clone(),
            date_of_birth: d.caregiver.date_of_birth.map(|x| x.to_string()).unwrap_or_default(),
            phone: d.caregiver.phone.clone().unwrap_or_default(),
        },
        address: AddressFields {
            line1: d.address.line1.clone(),
            city: d.address.city.clone(),
            state: d.address.state.clone(),
            zip: d.address.zip.clone(),
            neighborhood_id: d.address.neighborhood_id.map_or_else(|| OUTSIDE_CITY.to_string(), |n| n.to_string()),
        },
        household_size: d.household_size.to_string(),
        annual_income: d.annual_income.clone().unwrap_or_default(),
        enrollments: d.enrollments.clone(),
        has_safe_sleep_space: match d.has_safe_sleep_space {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        race_ethnicity: d.race_ethnicity.clone().unwrap_or_default(),
        preferred_language: d.preferred_language.clone(),
        ..Default::default()
    }
}

async fn family_page(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    id: i64,
    form: &RegisterForm,
    problems: &Problems,
    warning: Option<String>,
) -> Result<Template, AppError> {
    let (hoods, narrow_note) = neighborhood_choices(db, form).await?;
    let ctx = page(
        "Correct the family's details",
        Some(who),
        cookies,
        None,
        json!({"family_id": id, "form": form.view(problems, &hoods), "problems": problems.summary(),
            "narrow_note": narrow_note, "warning": warning}),
    );
    Ok(Template::render("families/correct", ctx))
}

/// The family's details, ready to correct.
#[get("/families/<id>/correct")]
pub async fn family_form(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    let d = families::view(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    Ok(family_page(db.inner(), &user.0, cookies, d.id, &form_of(&d), &Problems::default(), None).await?)
}

/// Save a correction (or narrow the neighborhood list).
#[post("/families/<id>/correct", data = "<form>")]
pub async fn family_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<RegisterForm>,
) -> PageResult<Answer> {
    let mut form = form.into_inner();
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (&user.0, db.inner());
    forbidden_unless(who.works_with_families())?;
    families::ensure_visible(db, who, families::live_id(db, id).await?).await?;
    if form.action == "narrow" {
        let t = family_page(db, who, cookies, id, &form, &Problems::default(), None).await?;
        return Ok(Either::Right((Status::Ok, t)));
    }
    let read = form.read();
    let mut problems: Vec<(String, String)> = Vec::new();
    let input = serde_json::to_value(&read.input).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut patch = input.as_object().cloned().unwrap_or_default();
    patch.remove("infants");
    patch.remove("confirm_not_duplicate");
    patch.insert("reason".into(), json!(form.reason));
    patch.insert("confirm_past_decisions".into(), json!(form.confirm_past_decisions == "1"));
    // The neighborhood select left unchosen is the form's own problem.
    problems.extend(read.parse_problems_of_form());
    let result = if problems.is_empty() {
        let route = format!("POST /families/{id}/correct");
        let body = Value::Object(patch.clone());
        let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
        Some(corrections::correct_family_once(db, Caller { who, ip: &addr.0 }, mode, id, &patch).await)
    } else {
        None
    };
    let warning = match result.map(|r| r.map(|ran| saved(ran.value.after.keys().cloned()))).map(outcome) {
        Some(Ok(Outcome::Saved(said))) => {
            return Ok(Either::Left(Flash::success(Redirect::to(format!("/families/{id}")), said)));
        }
        Some(Ok(Outcome::Again(more, warning))) => {
            problems.extend(more);
            warning
        }
        Some(Err(e)) => return Err(e.into()),
        None => None,
    };
    form.form_token = form.form_token.kept();
    let status = again_status(&warning);
    let t = family_page(db, who, cookies, id, &form, &Problems::new(&problems), warning).await?;
    Ok(Either::Right((status, t)))
}

/// A baby's inputs (correcting, recording a birth, or adding a baby).
#[derive(Debug, Clone, Default, FromForm)]
pub struct InfantForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub date_of_birth: String,
    #[field(default = String::new())]
    pub expected_due_date: String,
    #[field(default = String::new())]
    pub weight_lb: String,
    #[field(default = String::new())]
    pub reason: String,
    #[field(default = String::new())]
    pub confirm_past_decisions: String,
}

impl InfantForm {
    fn change(&self) -> InfantChange {
        let text = |s: &str| Some(s.trim().to_string());
        InfantChange {
            reason: Some(self.reason.trim().to_string()).filter(|r| !r.is_empty()),
            name: text(&self.name),
            date_of_birth: text(&self.date_of_birth),
            expected_due_date: text(&self.expected_due_date),
            weight_lb: Some(Value::String(self.weight_lb.trim().to_string())),
            confirm_past_decisions: self.confirm_past_decisions == "1",
        }
    }
}

fn infant_page(
    who: &Actor,
    cookies: &CookieJar<'_>,
    family_id: i64,
    infant_id: Option<i64>,
    form: &InfantForm,
    problems: &Problems,
    warning: Option<String>,
) -> Template {
    let f = |path: &str, value: &str| field(path, value, problems);
    let title = if infant_id.is_some() { "Correct the baby's details" } else { "Add a baby" };
    let ctx = page(
        title,
        Some(who),
        cookies,
        None,
        json!({"family_id": family_id, "infant_id": infant_id, "form_token": form.form_token,
            "problems": problems.summary(), "warning": warning,
            "name": f("name", &form.name), "date_of_birth": f("date_of_birth", &form.date_of_birth),
            "expected_due_date": f("expected_due_date", &form.expected_due_date),
            "weight_lb": f("weight_lb", &form.weight_lb), "reason": f("reason", &form.reason)}),
    );
    Template::render("families/infant_form", ctx)
}

/// A baby's details, ready to correct (or to record its birth).
#[get("/families/<id>/infants/<infant>/correct")]
pub async fn infant_form(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    infant: i64,
) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    let d = families::view(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let baby = d.infants.iter().find(|i| i.id == infant).ok_or(AppError::NotFound)?;
    let form = InfantForm {
        form_token: FormToken::fresh(),
        name: baby.name.clone().unwrap_or_default(),
        date_of_birth: baby.date_of_birth.map(|x| x.to_string()).unwrap_or_default(),
        expected_due_date: baby.expected_due_date.map(|x| x.to_string()).unwrap_or_default(),
        weight_lb: baby.weight_lb.clone().unwrap_or_default(),
        ..Default::default()
    };
    Ok(infant_page(&user.0, cookies, d.id, Some(infant), &form, &Problems::default(), None))
}

/// An empty baby form for the family.
#[get("/families/<id>/infants/new")]
pub async fn new_infant_form(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    families::open_for(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id, "add a baby").await?;
    let form = InfantForm { form_token: FormToken::fresh(), reason: "A new baby".into(), ..Default::default() };
    Ok(infant_page(&user.0, cookies, id, None, &form, &Problems::default(), None))
}

/// Save a baby's correction or birth.
#[post("/families/<id>/infants/<infant>/correct", data = "<form>")]
pub async fn infant_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    infant: i64,
    form: Checked<InfantForm>,
) -> PageResult<Answer> {
    csrf::verify(cookies, &form.csrf_token)?;
    let change = form.change();
    let route = format!("POST /families/{id}/infants/{infant}/correct");
    let body = json!({"infant": infant, "reason": form.reason, "date_of_birth": form.date_of_birth, "due": form.expected_due_date,
        "name": form.name, "weight": form.weight_lb, "confirm": form.confirm_past_decisions});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let result =
        corrections::correct_infant_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, infant, &change)
            .await
            .map(|ran| saved(ran.value.after.keys().cloned()));
    answer_infant(&user.0, cookies, id, Some(infant), form.into_inner(), result)
}

/// Add the baby.
#[post("/families/<id>/infants/new", data = "<form>")]
pub async fn new_infant_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<InfantForm>,
) -> PageResult<Answer> {
    csrf::verify(cookies, &form.csrf_token)?;
    let change = form.change();
    let route = format!("POST /families/{id}/infants/new");
    let body = json!({"reason": form.reason, "date_of_birth": form.date_of_birth, "due": form.expected_due_date,
        "name": form.name, "weight": form.weight_lb});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let result = corrections::add_infant_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id, &change)
        .await
        .map(|_| "The baby is added to the family. Next: check eligibility.".to_string());
    answer_infant(&user.0, cookies, id, None, form.into_inner(), result)
}

fn answer_infant(
    who: &Actor,
    cookies: &CookieJar<'_>,
    family_id: i64,
    infant_id: Option<i64>,
    mut form: InfantForm,
    result: Result<String, AppError>,
) -> PageResult<Answer> {
    let (problems, warning) = match outcome(result)? {
        Outcome::Saved(said) => {
            return Ok(Either::Left(Flash::success(Redirect::to(format!("/families/{family_id}")), said)))
        }
        Outcome::Again(problems, warning) => (problems, warning),
    };
    form.form_token = form.form_token.kept();
    let status = again_status(&warning);
    Ok(Either::Right((
        status,
        infant_page(who, cookies, family_id, infant_id, &form, &Problems::new(&problems), warning),
    )))
}

/// "These are different babies", from the family page.
#[derive(Debug, Clone, FromForm)]
pub struct NotSameForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = 0)]
    pub other_infant_id: i64,
    #[field(default = String::new())]
    pub reason: String,
}

/// Say a baby is not the one on another record that looked like it.
#[post("/families/<id>/infants/<infant>/not-same", data = "<form>")]
pub async fn not_same(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    infant: i64,
    form: Checked<NotSameForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let back = Redirect::to(format!("/families/{id}"));
    let route = format!("POST /families/{id}/infants/{infant}/not-same");
    let body = json!({"other": form.other_infant_id, "reason": form.reason});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    match infant_matches::not_same_once(db.inner(), by, mode, infant, form.other_infant_id, &form.reason).await {
        Ok(_) => Ok(Flash::success(back, "Noted: they are different babies. The crib can be handed out.")),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => Ok(Flash::error(back, e.sentence())),
        Err(e) => Err(e.into()),
    }
}
