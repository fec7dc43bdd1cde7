//! The outbox page, `GET /messages` (administrators and program managers; anyone else
//! 403, as the other managers' pages): every message, failed ones first, filtered by
//! status, with what it is about, to whom, its status in words, when it was sent or is due,
//! its tries and why it was not sent; "Send again" on a failed, suppressed or cancelled
//! one (`POST /messages/<id>/retry`, `store::outbox::views::retry_once`). Without a mail
//! server the page says so above the table.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::messages::Status as MessageStatus;
use crate::error::AppError;
use crate::mail::Mailer;
use crate::store::audit::Caller;
use crate::store::outbox::views;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};
use std::sync::Arc;

/// What the page says when no mail server is configured.
pub const NO_SERVER_BANNER: &str = "No mail server is configured: messages wait here, marked not sent.";

/// The status filter's choices: every status, by its words.
fn choices(chosen: &str) -> Vec<Value> {
    MessageStatus::ALL
        .iter()
        .map(|s| json!({"value": s.as_str(), "label": s.words(), "selected": s.as_str() == chosen}))
        .collect()
}

/// The outbox, newest first (failed first when no status is chosen).
#[get("/messages?<status>")]
pub async fn outbox_page(
    user: PageManager,
    db: &State<Db>,
    mailer: &State<Arc<Mailer>>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
    status: Option<&str>,
) -> PageResult<(Status, Template)> {
    let who = &user.0;
    let chosen = status.map(str::trim).unwrap_or("");
    let (code, rows, error) = match views::list(db.inner(), Caller { who, ip: &addr.0 }, Some(chosen)).await {
        Ok(list) => (Status::Ok, list.iter().map(|m| super::row(m, true)).collect::<Vec<_>>(), None),
        Err(e @ AppError::Validation(_)) => (Status::UnprocessableEntity, Vec::new(), Some(e.sentence())),
        Err(e) => return Err(e.into()),
    };
    let ctx = page(
        "Messages",
        Some(who),
        cookies,
        flash,
        json!({
            "rows": rows,
            "status": chosen,
            "status_words": MessageStatus::parse(chosen).map(MessageStatus::words),
            "choices": choices(chosen),
            "error": error,
            "limit": views::LIST_LIMIT,
            "no_server": (!mailer.configured()).then_some(NO_SERVER_BANNER),
        }),
    );
    Ok((code, Template::render("messages/outbox", ctx)))
}

/// "Send again": the one-time token, and the filter to go back to.
#[derive(FromForm)]
pub struct RetryForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub back_status: String,
}

/// Send a failed, suppressed or cancelled message again, now; back to the outbox.
// NOTE: rank 2: `/messages/unsubscribe/<token>` also fits `/messages/<id>/retry` when the
// token is "retry"; the unsubscribe link goes first.
#[post("/messages/<id>/retry", data = "<form>", rank = 2)]
pub async fn retry(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<RetryForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let back = match MessageStatus::parse(form.back_status.trim()) {
        Some(s) => format!("/messages?status={}", s.as_str()),
        None => "/messages".to_string(),
    };
    let route = format!("POST /messages/{id}/retry");
    let body = Value::Null;
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    match views::retry_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id).await {
        Ok(ran) => Ok(Flash::success(
            Redirect::to(back),
            format!(
                "“{}” will be sent again: it waits for the sender, now {}.",
                ran.value.about, ran.value.status_words
            ),
        )),
        Err(e @ (AppError::Conflict(_) | AppError::BadRequest(_) | AppError::Validation(_))) => {
            Ok(Flash::error(Redirect::to(back), e.sentence()))
        }
        Err(e) => Err(e.into()),
    }
}
