//! Eligibility policy for program managers: `GET /policy` (the version in force in plain
//! words, and every version), `GET /policy/new` and `POST /policy/new` (publish a new
//! version: a copy of the current parameters, edited, with an effective date; preview it on
//! a sample family first). A published version is never edited (`store::policy::publish`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::eligibility::{evaluate, Evaluation};
use crate::domain::family::ENROLLMENTS;
use crate::domain::outcomes::rule_label;
use crate::domain::policy::{region_label, PolicyDraft, PolicyParams};
use crate::domain::policy_sample::SampleInput;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::policy::{self, PolicyVersion};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::fields::{field, Problems};
use crate::web::input::Checked;
use chrono::{Datelike, Months, NaiveDate};
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

const ROUTE: &str = "POST /policy/new";

/// The version in force, its parameters in plain words, and the history.
#[get("/policy")]
pub async fn index(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let who = user.0;
    let db = db.inner();
    let today = crate::clock::today();
    let current = policy::in_force(db, today).await?;
    let history = policy::history(db).await?;
    let names = policy::publisher_names(db, &history).await?;
    let rows: Vec<Value> = history
        .iter()
        .map(|v| {
            let state = if v.row.id == current.row.id {
                "In force"
            } else if v.row.effective_from > today {
                "Scheduled"
            } else {
                "Replaced"
            };
            json!({
                "id": v.row.id, "name": v.row.name, "version": v.row.version, "effective_from": v.row.effective_from,
                "published_on": crate::clock::date_in_new_york(v.row.published_at),
                "published_by": v.row.published_by.and_then(|u| names.get(&u)).map_or("the seed file", String::as_str),
                "notes": v.row.notes, "state": state, "in_force": v.row.id == current.row.id,
                "words": v.params.describe(),
            })
        })
        .collect();
    let ctx = page(
        "Eligibility policy",
        Some(&who),
        cookies,
        flash,
        json!({"current": version_view(&current), "history": rows, "today": today}),
    );
    Ok(Template::render("policy/index", ctx))
}

fn version_view(v: &PolicyVersion) -> Value {
    json!({
        "name": v.row.name, "version": v.row.version, "effective_from": v.row.effective_from,
        "notes": v.row.notes, "words": v.params.describe(),
    })
}

/// The publish form as typed (the domain's `PolicyDraft`, plus the sample and the buttons).
#[derive(Debug, Clone, Default, FromForm)]
pub struct PolicyForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    /// "publish" (the default) or "preview".
    #[field(default = String::new())]
    pub action: String,
    #[field(default = String::new())]
    pub require_city_residency: String,
    #[field(default = String::new())]
    pub max_infant_age_months: String,
    #[field(default = String::new())]
    pub min_weeks_pregnant: String,
    #[field(default = String::new())]
    pub full_term_weeks: String,
    #[field(default = String::new())]
    pub overdue_due_date_days: String,
    #[field(default = String::new())]
    pub max_infant_weight_lb: String,
    #[field(default = String::new())]
    pub income_limit_percent: String,
    #[field(default = String::new())]
    pub poverty_region: String,
    pub qualifying_enrollments: Vec<String>,
    #[field(default = String::new())]
    pub require_no_safe_sleep_space: String,
    #[field(default = String::new())]
    pub eligibility_valid_days: String,
    #[field(default = String::new())]
    pub education_valid_days: String,
    #[field(default = String::new())]
    pub follow_up_days: String,
    #[field(default = String::new())]
    pub reservation_days_after_discharge: String,
    #[field(default = String::new())]
    pub effective_from: String,
    #[field(default = String::new())]
    pub notes: String,
    #[field(default = String::new())]
    pub sample_household_size: String,
    #[field(default = String::new())]
    pub sample_annual_income: String,
    #[field(default = String::new())]
    pub sample_days_old: String,
}

impl PolicyForm {
    fn from_draft(d: PolicyDraft, sample: SampleInput, form_token: FormToken) -> PolicyForm {
        PolicyForm {
            form_token,
            require_city_residency: d.require_city_residency,
            max_infant_age_months: d.max_infant_age_months,
            min_weeks_pregnant: d.min_weeks_pregnant,
            full_term_weeks: d.full_term_weeks,
            overdue_due_date_days: d.overdue_due_date_days,
            max_infant_weight_lb: d.max_infant_weight_lb,
            income_limit_percent: d.income_limit_percent,
            poverty_region: d.poverty_region,
            qualifying_enrollments: d.qualifying_enrollments,
            require_no_safe_sleep_space: d.require_no_safe_sleep_space,
            eligibility_valid_days: d.eligibility_valid_days,
            education_valid_days: d.education_valid_days,
            follow_up_days: d.follow_up_days,
            reservation_days_after_discharge: d.reservation_days_after_discharge,
            effective_from: d.effective_from,
            notes: d.notes,
            sample_household_size: sample.household_size,
            sample_annual_income: sample.annual_income,
            sample_days_old: sample.days_old,
            ..Default::default()
        }
    }

    fn draft(&self) -> PolicyDraft {
        PolicyDraft {
            require_city_residency: self.require_city_residency.clone(),
            max_infant_age_months: self.max_infant_age_months.clone(),
            min_weeks_pregnant: self.min_weeks_pregnant.clone(),
            full_term_weeks: self.full_term_weeks.clone(),
            overdue_due_date_days: self.overdue_due_date_days.clone(),
            max_infant_weight_lb: self.max_infant_weight_lb.clone(),
            income_limit_percent: self.income_limit_percent.clone(),
            poverty_region: self.poverty_region.clone(),
            qualifying_enrollments: self.qualifying_enrollments.clone(),
            require_no_safe_sleep_space: self.require_no_safe_sleep_space.clone(),
            eligibility_valid_days: self.eligibility_valid_days.clone(),
            education_valid_days: self.education_valid_days.clone(),
            follow_up_days: self.follow_up_days.clone(),
            reservation_days_after_discharge: self.reservation_days_after_discharge.clone(),
            effective_from: self.effective_from.clone(),
            notes: self.notes.clone(),
        }
    }

    fn sample(&self) -> SampleInput {
        SampleInput {
            household_size: self.sample_household_size.clone(),
            annual_income: self.sample_annual_income.clone(),
            days_old: self.sample_days_old.clone(),
        }
    }

    fn view(&self, problems: &Problems, regions: &[String]) -> Value {
        let f = |path: &str, value: &str| field(path, value, problems);
        let mut regions: Vec<&String> = regions.iter().collect();
        if !self.poverty_region.is_empty() && !regions.contains(&&self.poverty_region) {
            regions.push(&self.poverty_region);
        }
        json!({
            "form_token": self.form_token,
            "require_city_residency": f("require_city_residency", &self.require_city_residency),
            "max_infant_age_months": f("max_infant_age_months", &self.max_infant_age_months),
            "min_weeks_pregnant": f("min_weeks_pregnant", &self.min_weeks_pregnant),
            "full_term_weeks": f("full_term_weeks", &self.full_term_weeks),
            "overdue_due_date_days": f("overdue_due_date_days", &self.overdue_due_date_days),
            "max_infant_weight_lb": f("max_infant_weight_lb", &self.max_infant_weight_lb),
            "income_limit_percent": f("income_limit_percent", &self.income_limit_percent),
            "poverty_region": f("poverty_region", &self.poverty_region),
            "region_choices": regions.iter().map(|r| json!({
                "value": r, "label": region_label(r), "selected": **r == self.poverty_region,
            })).collect::<Vec<_>>(),
            "qualifying_enrollments": f("qualifying_enrollments", ""),
            "enrollment_choices": ENROLLMENTS.iter().map(|e| json!({
                "value": e, "id": format!("qualifying-{e}"),
                "checked": self.qualifying_enrollments.iter().any(|x| x == e),
            })).collect::<Vec<_>>(),
            "require_no_safe_sleep_space": f("require_no_safe_sleep_space", &self.require_no_safe_sleep_space),
            "eligibility_valid_days": f("eligibility_valid_days", &self.eligibility_valid_days),
            "education_valid_days": f("education_valid_days", &self.education_valid_days),
            "follow_up_days": f("follow_up_days", &self.follow_up_days),
            "reservation_days_after_discharge": f("reservation_days_after_discharge", &self.reservation_days_after_discharge),
            "effective_from": f("effective_from", &self.effective_from),
            "notes": f("notes", &self.notes),
            "sample_household_size": f("sample_household_size", &self.sample_household_size),
            "sample_annual_income": f("sample_annual_income", &self.sample_annual_income),
            "sample_days_old": f("sample_days_old", &self.sample_days_old),
        })
    }
}

/// The sample's answers under the new and the current parameters, rule by rule.
fn preview_view(on: NaiveDate, born: Option<NaiveDate>, new: &Evaluation, current: &Evaluation) -> Value {
    let rules: Vec<Value> = new
        .rules
        .iter()
        .map(|r| {
            let before = current.rule(&r.rule);
            json!({
                "rule": r.rule, "label": rule_label(&r.rule),
                "new_passed": r.passed, "new_explanation": r.explanation,
                "current_passed": before.map(|b| b.passed), "current_explanation": before.map(|b| b.explanation.clone()),
            })
        })
        .collect();
    json!({"on": on, "born": born, "new_result": new.result, "current_result": current.result, "rules": rules})
}

/// The first day of next month: the default date a new version takes effect.
fn first_of_next_month(today: NaiveDate) -> NaiveDate {
    today.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).unwrap_or(today)
}

/// The publish form, copying the version in force today.
#[get("/policy/new")]
pub async fn new_page(user: PageManager, db: &State<Db>, cookies: &CookieJar<'_>) -> PageResult<Template> {
    let who = user.0;
    let today = crate::clock::today();
    let current = policy::in_force(db.inner(), today).await?;
    let draft = PolicyDraft::copy_of(&current.params, first_of_next_month(today));
    let form = PolicyForm::from_draft(draft, SampleInput::default(), FormToken::fresh());
    let ctx = form_context(db.inner(), &who, cookies, &form, &Problems::default(), &current, None).await?;
    Ok(Template::render("policy/new", ctx))
}

/// Preview the draft on the sample family, or publish it.
#[post("/policy/new", data = "<form>")]
pub async fn submit(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<PolicyForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    let mut form = form.into_inner();
    csrf::verify(cookies, &form.csrf_token)?;
    let who = user.0;
    let db = db.inner();
    let today = crate::clock::today();
    let current = policy::in_force(db, today).await?;
    let draft = form.draft();
    if form.action == "preview" {
        let mut problems = Vec::new();
        let params = draft.params().map_err(|p| problems.extend(p)).ok();
        let sample = form.sample().parse().map_err(|p| problems.extend(p)).ok();
        // The sample is checked as on the effective date when it is a good one.
        let on = draft.parse(today).map(|v| v.effective_from).unwrap_or(today);
        let preview = match (params, sample) {
            (Some(params), Some(sample)) => {
                let (family, infant) = sample.snapshots(on);
                let run = |p: &PolicyParams| {
                    let p = p.clone();
                    let (family, infant) = (family.clone(), infant.clone());
                    async move {
                        let g = policy::guidelines(db, &p.poverty_region).await?;
                        Ok::<Evaluation, AppError>(evaluate(&family, &infant, on, &p, &g))
                    }
                };
                Some(preview_view(on, infant.date_of_birth, &run(&params).await?, &run(&current.params).await?))
            }
            _ => None,
        };
        let status = if problems.is_empty() { Status::Ok } else { Status::UnprocessableEntity };
        let ctx = form_context(db, &who, cookies, &form, &Problems::new(&problems), &current, preview).await?;
        return Ok(Either::Right((status, Template::render("policy/new", ctx))));
    }
    let new = match draft.parse(today) {
        Ok(new) => new,
        Err(problems) => {
            form.form_token = form.form_token.kept();
            let ctx = form_context(db, &who, cookies, &form, &Problems::new(&problems), &current, None).await?;
            return Ok(Either::Right((Status::UnprocessableEntity, Template::render("policy/new", ctx))));
        }
    };
    let body = json!({"params": new.params, "effective_from": new.effective_from, "notes": new.notes});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), ROUTE, &body);
    let ran = policy::publish_once(db, Caller { who: &who, ip: &addr.0 }, mode, &new).await?;
    let message = if ran.replayed {
        format!("This form already published version {}.", ran.value.version)
    } else {
        format!(
            "Version {} is published. It takes effect on {}; until then the version in force stays.",
            ran.value.version, ran.value.effective_from
        )
    };
    Ok(Either::Left(Flash::success(Redirect::to("/policy"), message)))
}

async fn form_context(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    form: &PolicyForm,
    problems: &Problems,
    current: &PolicyVersion,
    preview: Option<Value>,
) -> Result<Value, AppError> {
    let regions = policy::regions(db).await?;
    Ok(page(
        "Publish a new policy version",
        Some(who),
        cookies,
        None,
        json!({
            "form": form.view(problems, &regions),
            "problems": problems.summary(),
            "current": version_view(current),
            "next_version": policy::history(db).await?.iter()
                .filter(|v| v.row.name == current.row.name).map(|v| v.row.version).max().unwrap_or(0) + 1,
            "preview": preview,
            "today": crate::clock::today(),
        }),
    ))
}
