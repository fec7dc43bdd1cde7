//! Follow-ups due: a list with phone numbers and a short outcome form per call.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::states::FollowUpStatus;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::follow_ups::{self, CallOutcome};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// One call's outcome as submitted.
#[derive(FromForm)]
pub struct CallForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub reached: String,
    #[field(default = false)]
    pub crib_in_use: bool,
    #[field(default = false)]
    pub sleeps_alone: bool,
    #[field(default = false)]
    pub sleeps_on_back: bool,
    #[field(default = false)]
    pub sleeps_in_crib: bool,
    #[field(default = String::new())]
    pub note: String,
}

/// Follow-ups due today or earlier at the user's sites (managers: all).
#[get("/follow-ups")]
pub async fn follow_ups_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let due = follow_ups::read_due(db.inner(), Caller { who: &user.0, ip: &addr.0 }).await?;
    // Each call's form carries its own one-time token: a resent form records one call.
    let due: Vec<serde_json::Value> = due
        .into_iter()
        .map(|f| {
            let mut v = serde_json::to_value(&f).unwrap_or_default();
            v["form_token"] = json!(FormToken::fresh());
            v
        })
        .collect();
    let ctx = page(
        "Follow-ups due",
        Some(&user.0),
        cookies,
        flash,
        json!({"due": due, "max_attempts": follow_ups::MAX_ATTEMPTS}),
    );
    Ok(Template::render("handouts/follow_ups", ctx))
}

/// Record one call and go back to the list.
#[post("/follow-ups/<id>/call", data = "<form>")]
pub async fn follow_up_call(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<CallForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let reached = match form.reached.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Ok(Flash::error(Redirect::to("/follow-ups"), "Say whether the family was reached.")),
    };
    let note = Some(form.note.trim().to_string()).filter(|s| !s.is_empty());
    let outcome = CallOutcome {
        reached,
        crib_in_use: reached.then_some(form.crib_in_use),
        sleeps_alone: reached.then_some(form.sleeps_alone),
        sleeps_on_back: reached.then_some(form.sleeps_on_back),
        sleeps_in_crib: reached.then_some(form.sleeps_in_crib),
        note,
    };
    let body = json!({"reached": reached, "crib_in_use": outcome.crib_in_use, "sleeps_alone": outcome.sleeps_alone,
        "sleeps_on_back": outcome.sleeps_on_back, "sleeps_in_crib": outcome.sleeps_in_crib, "note": outcome.note});
    let route = format!("POST /follow-ups/{id}/call");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let v = match follow_ups::call(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id, &outcome).await {
        Ok(ran) if ran.replayed => {
            return Ok(Flash::success(Redirect::to("/follow-ups"), "That call was already recorded."));
        }
        Ok(ran) => ran.value,
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::BadRequest(_))) => {
            return Ok(Flash::error(Redirect::to("/follow-ups"), e.sentence()));
        }
        Err(e) => return Err(e.into()),
    };
    let msg = match FollowUpStatus::parse(&v.status) {
        Some(FollowUpStatus::Completed) => "Call recorded: follow-up complete.".to_string(),
        Some(FollowUpStatus::LostToFollowUp) => {
            "Call recorded: no answer three times, closed as lost to follow-up.".to_string()
        }
        _ => format!("Call recorded: attempt {} of {}.", v.attempts, follow_ups::MAX_ATTEMPTS),
    };
    Ok(Flash::success(Redirect::to("/follow-ups"), msg))
}
