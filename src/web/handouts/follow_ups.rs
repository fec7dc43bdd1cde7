//! The follow-up calls (issue 23's staff fallback): the list of rounds a week past due that
//! the family has not answered on its link (`/follow-ups`), and one round's call page
//! (`/follow-ups/<id>`): reached or not, and when reached the survey's questions — the
//! same instrument as the family's link — in English with the family's own words beneath
//! for a family who reads another language, every question skippable. Three unanswered
//! calls close the round as lost.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::catalog::catalog;
use crate::db::Db;
use crate::domain::states::FollowUpStatus;
use crate::domain::survey;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::follow_ups::{self, CallOutcome, FollowUpView};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One call as submitted: reached, the answers (item code → option code), a note.
#[derive(FromForm)]
pub struct CallForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub reached: String,
    #[field(default = String::new())]
    pub note: String,
    /// The survey's answers, `answers[<item>]`.
    #[field(default = BTreeMap::new())]
    pub answers: BTreeMap<String, String>,
}

/// The rounds owed a call at the user's sites (managers: all).
#[get("/follow-ups")]
pub async fn follow_ups_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let due = follow_ups::read_due(db.inner(), Caller { who: &user.0, ip: &addr.0 }).await?;
    let ctx = page(
        "Follow-up calls",
        Some(&user.0),
        cookies,
        flash,
        json!({"due": due, "max_attempts": follow_ups::MAX_ATTEMPTS, "call_after_days": survey::CALL_AFTER_DAYS}),
    );
    Ok(Template::render("handouts/follow_ups", ctx))
}

/// The survey's questions for the call page: each item's question and options in English,
/// and in the family's language when that is another one.
fn questions(lang: &str) -> Vec<Value> {
    let c = catalog();
    let lang = c.supported(lang);
    let other = (lang != "en").then_some(lang);
    survey::ITEMS
        .iter()
        .map(|item| {
            let q = format!("survey-{}", item.code);
            let options: Vec<Value> = item
                .options
                .iter()
                .copied()
                .map(|o| {
                    let k = format!("survey-{}-{o}", item.code);
                    json!({"value": o, "label": c.text("en", &k), "theirs": other.map(|l| c.text(l, &k))})
                })
                .chain(std::iter::once(json!({
                    "value": survey::PREFER_NOT,
                    "label": c.text("en", "survey-prefer_not"),
                    "theirs": other.map(|l| c.text(l, "survey-prefer_not")),
                })))
                .collect();
            json!({
                "code": item.code,
                "question": c.text("en", &q),
                "theirs": other.map(|l| c.text(l, &q)),
                "options": options,
                "why_of": survey::ITEMS.iter().find(|i| i.follow_up.is_some_and(|(_, why)| why == item.code)).map(|i| i.code),
            })
        })
        .collect()
}

fn call_page(
    user: &PageUser,
    cookies: &CookieJar<'_>,
    f: &FollowUpView,
    form: Value,
    errors: BTreeMap<String, Vec<String>>,
) -> Template {
    let lang_name = if f.preferred_language == "es" { "Spanish" } else { "English" };
    let ctx = page(
        "Record a follow-up call",
        Some(&user.0),
        cookies,
        None,
        json!({
            "f": f,
            "language_name": lang_name,
            "questions": questions(&f.preferred_language),
            "form": form,
            "errors": errors.into_iter().map(|(k, v)| (k, v.join(" "))).collect::<BTreeMap<_, _>>(),
            "max_attempts": follow_ups::MAX_ATTEMPTS,
        }),
    );
    Template::render("handouts/follow_up_call", ctx)
}

/// One round's call page.
#[get("/follow-ups/<id>")]
pub async fn follow_up_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
) -> PageResult<Template> {
    let f = follow_ups::read_one(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let form = json!({"form_token": FormToken::fresh(), "reached": "", "note": "", "answers": {}});
    Ok(call_page(&user, cookies, &f, form, BTreeMap::new()))
}

/// The call page again, with what was typed and what to fix.
async fn again(
    db: &Db,
    user: &PageUser,
    cookies: &CookieJar<'_>,
    ip: &str,
    id: i64,
    form: &CallForm,
    e: AppError,
) -> Result<Either<Flash<Redirect>, (Status, Template)>, AppError> {
    let f = follow_ups::read_one(db, Caller { who: &user.0, ip }, id).await?;
    let errors = match e {
        AppError::Validation(fields) => fields,
        other => BTreeMap::from([("form".to_string(), vec![other.sentence()])]),
    };
    let kept = json!({"form_token": form.form_token.or_fresh(), "reached": form.reached, "note": form.note,
        "answers": form.answers});
    Ok(Either::Right((Status::UnprocessableEntity, call_page(user, cookies, &f, kept, errors))))
}

/// Record one call and go back to the list (or show the form again with what to fix).
#[post("/follow-ups/<id>/call", data = "<form>")]
pub async fn follow_up_call(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<CallForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let by = Caller { who: &user.0, ip: &addr.0 };
    let reached = match form.reached.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Ok(again(
                db.inner(),
                &user,
                cookies,
                &addr.0,
                id,
                &form,
                AppError::validation("reached", "Say whether the family was reached."),
            )
            .await?)
        }
    };
    let answers = if reached {
        match follow_ups::answers_of(form.answers.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(a) => a,
            Err(e) => return Ok(again(db.inner(), &user, cookies, &addr.0, id, &form, e).await?),
        }
    } else {
        Default::default()
    };
    let note = Some(form.note.trim().to_string()).filter(|s| !s.is_empty());
    let body = json!({"reached": reached, "answers": answers, "note": note});
    let outcome = CallOutcome { reached, answers, note };
    let route = format!("POST /follow-ups/{id}/call");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let v = match follow_ups::call(db.inner(), by, mode, id, &outcome).await {
        Ok(ran) if ran.replayed => {
            return Ok(Either::Left(Flash::success(Redirect::to("/follow-ups"), "That call was already recorded.")));
        }
        Ok(ran) => ran.value,
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::BadRequest(_))) => {
            return Ok(again(db.inner(), &user, cookies, &addr.0, id, &form, e).await?)
        }
        Err(e) => return Err(e.into()),
    };
    let who = &v.caregiver;
    let msg = match FollowUpStatus::parse(&v.status) {
        Some(FollowUpStatus::Completed) => {
            format!("Call with {who} recorded: the {}-month round is complete.", v.round_months)
        }
        Some(FollowUpStatus::LostToFollowUp) => {
            format!(
                "No answer from {who} three times: the {}-month round is closed as lost to follow-up.",
                v.round_months
            )
        }
        _ => format!("No answer from {who}: attempt {} of {}.", v.attempts, follow_ups::MAX_ATTEMPTS),
    };
    Ok(Either::Left(Flash::success(Redirect::to("/follow-ups"), msg)))
}
