//! An administrator's two steps for someone locked out: a temporary password they must
//! change at their next sign-in, and turning off a second factor whose phone is lost.
//! Both end the person's sessions and API tokens (`store::account_security`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageAdmin};
use crate::db::Db;
use crate::error::AppError;
use crate::store::account_security;
use crate::store::audit::Caller;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::fields::TokenOnly;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::response::{Flash, Redirect};
use rocket::{post, State};
use serde_json::json;

/// A temporary password.
#[derive(FromForm)]
pub struct ResetForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub password: String,
}

/// Give someone a temporary password (checked like any chosen one).
#[post("/admin/users/<id>/password", data = "<form>")]
pub async fn reset_password(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<ResetForm>,
) -> Result<Flash<Redirect>, crate::web::error_page::PageError> {
    csrf::verify(cookies, &form.csrf_token)?;
    let back = Redirect::to(format!("/admin/users/{id}"));
    let route = format!("POST /admin/users/{id}/password");
    // NOTE: the password is not part of what the one-time token is kept against.
    let body = json!({"reset": id});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &admin.0, ip: &addr.0 };
    match account_security::reset_password_once(db.inner(), by, mode, id, &form.password).await {
        Ok(()) => Ok(Flash::success(
            back,
            "The password is reset and every session of that person ended. Give them the temporary password \
             in person or by phone: they must choose a new one when they sign in.",
        )),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => Ok(Flash::error(back, e.sentence())),
        Err(e) => Err(e.into()),
    }
}

/// Turn off someone's two-step sign-in (a lost phone and no recovery code).
#[post("/admin/users/<id>/two-step-off", data = "<form>")]
pub async fn two_step_off(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>, crate::web::error_page::PageError> {
    csrf::verify(cookies, &form.csrf_token)?;
    let route = format!("POST /admin/users/{id}/two-step-off");
    let body = json!({"off": id});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &admin.0, ip: &addr.0 };
    account_security::reset_second_factor_once(db.inner(), by, mode, id).await?;
    Ok(Flash::success(
        Redirect::to(format!("/admin/users/{id}")),
        "Two-step sign-in is off for that person and their sessions ended. If their role needs it, they set it up again when they sign in.",
    ))
}
