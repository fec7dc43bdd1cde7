//! Follow-ups due: a list with phone numbers and a short outcome form per call.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry};
use crate::store::follow_ups::{self, CallOutcome};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use rocket::form::{Form, FromForm};
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use sea_orm::DatabaseConnection;
use serde_json::json;

/// One call's outcome as submitted.
#[derive(FromForm)]
pub struct CallForm {
    #[field(default = String::new())]
    pub csrf_token: String,
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
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    crate::api::families::require_family_worker(&user.0)?;
    let scope = if user.0.is_manager() { None } else { Some(user.0.site_ids.clone()) };
    let due = follow_ups::due(db.inner(), scope.as_deref(), crate::clock::today()).await?;
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
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Form<CallForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    crate::api::families::require_family_worker(&user.0)?;
    let due = crate::store::follow_ups::site_of(db.inner(), id).await?;
    if !user.0.can_act_at(due) {
        return Err(AppError::NotFound.into());
    }
    let reached = match form.reached.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Ok(Flash::error(Redirect::to("/follow-ups"), "Say whether the family was reached.")),
    };
    let note = Some(form.note.trim().chars().take(500).collect::<String>()).filter(|s| !s.is_empty());
    let outcome = CallOutcome {
        reached,
        crib_in_use: reached.then_some(form.crib_in_use),
        sleeps_alone: reached.then_some(form.sleeps_alone),
        sleeps_on_back: reached.then_some(form.sleeps_on_back),
        sleeps_in_crib: reached.then_some(form.sleeps_in_crib),
        note,
    };
    let txn = crate::db::begin_write(db.inner()).await?;
    let v = follow_ups::record_call(&txn, &user.0, id, &outcome).await?;
    audit::record(
        &txn,
        Some(&user.0),
        Some(&addr.0),
        AuditEntry {
            action: "follow_up.call",
            entity: "follow_up",
            entity_id: Some(id),
            detail: Some(v.status.clone()),
        },
    )
    .await?;
    txn.commit().await?;
    let msg = match v.status.as_str() {
        "completed" => "Call recorded: follow-up complete.".to_string(),
        "lost_to_follow_up" => "Call recorded: no answer three times, closed as lost to follow-up.".to_string(),
        _ => format!("Call recorded: attempt {} of {}.", v.attempts, follow_ups::MAX_ATTEMPTS),
    };
    Ok(Flash::success(Redirect::to("/follow-ups"), msg))
}
