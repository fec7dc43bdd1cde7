//! "Hold the crib until", on the page of a request whose crib is held (program managers):
//! `POST /requests/<id>/hold` moves the hold's last day (`store::referrals::move_hold_once`),
//! and with it the reminders scheduled for the day before (the outbox moves them by their
//! keys in the same transaction). A refused date shows the request page again with the
//! date as typed and the reason beside it (`web::referrals::nurse::render_request`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::referrals;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use chrono::NaiveDate;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

/// The hold form as typed.
#[derive(FromForm)]
pub struct HoldForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub until: String,
}

/// A refused hold form, to show again: the date as typed, its token, the reason.
pub struct HoldTyped {
    pub until: String,
    pub form_token: FormToken,
    pub error: String,
}

/// The form's values for `templates/referrals/show.html.tera`: the date (as typed, or the
/// hold's last day), the days it may be, its one-time token and any reason it was refused.
pub fn form_values(reserved_until: Option<NaiveDate>, typed: Option<&HoldTyped>) -> Value {
    let today = crate::clock::today();
    let latest = today + chrono::Duration::days(referrals::HOLD_MAX_DAYS);
    match typed {
        Some(t) => json!({"until": t.until, "form_token": t.form_token.or_fresh(), "error": t.error,
            "min": today, "max": latest}),
        None => json!({"until": reserved_until.map(|d| d.to_string()).unwrap_or_default(),
            "form_token": FormToken::fresh(), "error": null, "min": today, "max": latest}),
    }
}

/// Move the end of the hold; back to the request, saying until when.
#[post("/requests/<id>/hold", data = "<form>")]
pub async fn move_hold(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<HoldForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (&user.0, db.inner());
    let typed = form.until.trim();
    let (status, error) = match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
        Err(_) => {
            (Status::UnprocessableEntity, "Give the last day the crib is held, as a date like 2026-12-31.".into())
        }
        Ok(until) => {
            let route = format!("POST /requests/{id}/hold");
            let body = json!({"until": until});
            let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
            match referrals::move_hold_once(db, Caller { who, ip: &addr.0 }, mode, id, until).await {
                Ok(ran) => {
                    let day = ran.value.reserved_until.unwrap_or(until);
                    let said = format!("The crib is now held until {day}; the reminders moved with it.");
                    return Ok(Either::Left(Flash::success(Redirect::to(format!("/requests/{id}")), said)));
                }
                Err(e @ AppError::Validation(_)) => (Status::UnprocessableEntity, e.sentence()),
                Err(e @ (AppError::Conflict(_) | AppError::BadRequest(_))) => (e.status(), e.sentence()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let again = HoldTyped { until: typed.to_string(), form_token: form.form_token.kept(), error };
    let page = crate::web::referrals::nurse::render_request(db, who, cookies, &addr.0, None, id, Some(&again)).await?;
    Ok(Either::Right((status, page)))
}
