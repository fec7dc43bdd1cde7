//! Registering a family: `GET /families/new` and `POST /families/new`. The form becomes
//! the API's `FamilyInput` and goes through `parse_family`; possible duplicates are asked
//! about before saving; the save runs once per form token (`web::once`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::families::{self, FamilySummary};
use crate::store::reference::{self, NeighborhoodView};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::families::form::RegisterForm;
use crate::web::fields::Problems;
use crate::web::input::Checked;
use crate::web::kept;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

const ROUTE: &str = "POST /families/new";

/// A page answer: a redirect with a flash, or a page with its status.
pub type Answer = Either<Flash<Redirect>, (Status, Template)>;

/// The empty registration form (`q`: the check-in search that found nobody, to start
/// with: `prefill_from_search`), or the one this person was filling in when their session
/// ended (`web::kept`), as they typed it.
#[get("/families/new?<q>")]
pub async fn new_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    q: Option<&str>,
) -> PageResult<Template> {
    let who = user.0;
    forbidden_unless(who.works_with_families())?;
    let by = Caller { who: &who, ip: &addr.0 };
    let kept: Option<RegisterForm> = kept::restore(db.inner(), cookies, by, &[ROUTE_PATH.to_string()]).await;
    let restored = kept.is_some();
    let form = kept.unwrap_or_else(|| {
        let mut form = RegisterForm::blank(FormToken::fresh());
        let typed = crate::domain::checkin::prefill_from_search(q.unwrap_or(""));
        form.caregiver.first_name = typed.first_name;
        form.caregiver.last_name = typed.last_name;
        form.caregiver.phone = typed.phone;
        form
    });
    let mut ctx = form_context(db.inner(), &who, cookies, &form, &Problems::default()).await?;
    if restored {
        kept::say_restored(&mut ctx);
    }
    Ok(Template::render("families/new", ctx))
}

/// Where the registration form is sent.
const ROUTE_PATH: &str = "/families/new";

/// Narrow the neighborhood list, ask about duplicates, or save.
#[post("/families/new", data = "<form>")]
pub async fn submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<RegisterForm>,
) -> PageResult<Answer> {
    let form = form.into_inner();
    csrf::verify(cookies, &form.csrf_token)?;
    let who = user.0;
    forbidden_unless(who.works_with_families())?;
    let db = db.inner();
    if form.action == "narrow" || form.action == "edit" {
        let ctx = form_context(db, &who, cookies, &form, &Problems::default()).await?;
        return Ok(Either::Right((Status::Ok, Template::render("families/new", ctx))));
    }
    let read = form.read();
    let new = match read.parse(crate::clock::today()) {
        Ok(new) => new,
        Err(problems) => return refused(db, &who, cookies, form, &problems).await,
    };
    let body = serde_json::to_value(&read.input).map_err(|e| AppError::Internal(e.to_string()))?;
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), ROUTE, &body);
    let by = Caller { who: &who, ip: &addr.0 };
    match families::register(db, by, mode, &new, form.confirmed()).await {
        Ok(ran) if ran.replayed => {
            Ok(Either::Left(to_family(ran.value.id, "This form was already saved: here is the family it registered.")))
        }
        Ok(ran) => Ok(Either::Left(to_family(ran.value.id, "The family is registered. Next: check eligibility."))),
        Err(AppError::PossibleDuplicates(found)) => {
            let duplicates: Vec<FamilySummary> = serde_json::from_value(found).unwrap_or_default();
            let ctx = duplicates_context(&who, cookies, &form, &duplicates);
            Ok(Either::Right((Status::Ok, Template::render("families/duplicates", ctx))))
        }
        Err(AppError::Validation(fields)) => {
            let problems: Vec<(String, String)> =
                fields.into_iter().flat_map(|(f, list)| list.into_iter().map(move |m| (f.clone(), m))).collect();
            refused(db, &who, cookies, form, &problems).await
        }
        Err(AppError::IdempotencyConflict) => Err(AppError::Conflict(
            "This form was already used to register a family. Start a new registration from the check-in page.".into(),
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

fn to_family(id: i64, message: &str) -> Flash<Redirect> {
    Flash::success(Redirect::to(format!("/families/{id}")), message)
}
/// The form again, 422, with the typed values and each problem next to its field.
async fn refused(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    mut form: RegisterForm,
    problems: &[(String, String)],
) -> PageResult<Answer> {
    // A refused form was not remembered: it keeps its token (or gets a fresh one).
    form.form_token = form.form_token.kept();
    let ctx = form_context(db, who, cookies, &form, &Problems::new(problems)).await?;
    Ok(Either::Right((Status::UnprocessableEntity, Template::render("families/new", ctx))))
}

/// The neighborhoods to offer: narrowed by the typed name and ZIP, always keeping the chosen one.
pub(crate) async fn neighborhood_choices(
    db: &Db,
    form: &RegisterForm,
) -> Result<(Vec<NeighborhoodView>, Option<String>), AppError> {
    let name = Some(form.hood_name.trim()).filter(|s| !s.is_empty());
    let zip = form.zip5();
    let all = || reference::neighborhoods(db, None, None);
    if name.is_none() && zip.is_none() {
        return Ok((all().await?, None));
    }
    let mut narrowed = reference::neighborhoods(db, name, zip.as_deref()).await?;
    let filter = match (name, &zip) {
        (Some(n), Some(z)) => format!("ZIP {z} and \u{201c}{n}\u{201d}"),
        (Some(n), None) => format!("\u{201c}{n}\u{201d}"),
        (None, Some(z)) => format!("ZIP {z}"),
        (None, None) => String::new(),
    };
    if narrowed.is_empty() {
        let note = format!("No city neighborhood matches {filter}: the whole list is shown.");
        return Ok((all().await?, Some(note)));
    }
    if let Ok(chosen) = form.address.neighborhood_id.trim().parse::<i64>() {
        if !narrowed.iter().any(|n| n.id == chosen) {
            if let Some(n) = reference::neighborhood(db, chosen).await? {
                narrowed.push(n);
            }
        }
    }
    let note = format!("{} neighborhoods match {filter}.", narrowed.len());
    Ok((narrowed, Some(note)))
}

async fn form_context(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    form: &RegisterForm,
    problems: &Problems,
) -> Result<Value, AppError> {
    let (hoods, narrow_note) = neighborhood_choices(db, form).await?;
    Ok(page(
        "Register a family",
        Some(who),
        cookies,
        None,
        json!({"form": form.view(problems, &hoods), "problems": problems.summary(), "narrow_note": narrow_note}),
    ))
}

fn duplicates_context(who: &Actor, cookies: &CookieJar<'_>, form: &RegisterForm, dups: &[FamilySummary]) -> Value {
    let duplicates: Vec<Value> = dups
        .iter()
        .map(|d| {
            json!({
                "id": d.id, "first_name": d.first_name, "last_name": d.last_name,
                "date_of_birth": d.date_of_birth, "phone": d.phone,
                "registered_on": crate::clock::date_in_new_york(d.created_at),
            })
        })
        .collect();
    let hidden: Vec<Value> =
        form.hidden_fields().into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect();
    page(
        "Is this family already registered?",
        Some(who),
        cookies,
        None,
        json!({
            "duplicates": duplicates, "hidden": hidden,
            "first_name": form.caregiver.first_name.trim(), "last_name": form.caregiver.last_name.trim(),
        }),
    )
}
