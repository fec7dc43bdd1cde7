//! One's own account (with its notices, saved by `web::messages::notices`), and the pages
//! that finish a sign-in: the second factor's code (`/login/code`), setting up two-step
//! sign-in (`/account/two-step`: a QR code made on the server, the secret to type instead,
//! then ten recovery codes shown once), and changing the password (`/account/password`:
//! with the current one; every other session and token ends). A half-finished sign-in
//! opens only the page for its stage (`HalfSignedIn`); each action is one store write
//! (`store::account_security`).

use crate::auth::guards::{ClientAddr, HalfSignedIn, PageUser};
use crate::auth::{csrf, session, totp};
use crate::db::Db;
use crate::domain::states::SessionStage;
use crate::error::AppError;
use crate::store::account_security::{self, CodeChecked};
use crate::store::audit::Caller;
use crate::store::sessions;
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use crate::web::RequestTls;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// Where a session at this stage goes next.
pub fn page_for(stage: SessionStage) -> &'static str {
    match stage {
        SessionStage::Full => "/",
        SessionStage::Code => "/login/code",
        SessionStage::Enrol => "/account/two-step",
        SessionStage::Password => "/account/password",
    }
}

/// A code typed (the second factor, or the first code of a new one).
#[derive(FromForm)]
pub struct CodeForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    #[field(default = String::new())]
    pub code: String,
}

/// A password change.
#[derive(FromForm)]
pub struct PasswordForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    #[field(default = String::new())]
    pub current_password: String,
    #[field(default = String::new())]
    pub new_password: String,
    #[field(default = String::new())]
    pub repeat_password: String,
}

/// One's own account: name, role, two-step sign-in, password, and the notices one's role
/// can receive (`web::messages::notices`; administrators receive none).
#[get("/account")]
pub async fn account_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let summary = account_security::summary(db.inner(), user.0.id).await?;
    let list = crate::store::outbox::notices::of_user(db.inner(), Caller { who: &user.0, ip: &addr.0 }).await?;
    let notices = crate::web::messages::notices::fieldset(&list);
    let ctx = page("Your account", Some(&user.0), cookies, flash, json!({"account": summary, "notices": notices}));
    Ok(Template::render("account/index", ctx))
}

/// The second factor's code, after the password.
#[get("/login/code")]
pub fn code_page(half: HalfSignedIn, cookies: &CookieJar<'_>) -> Either<Redirect, Template> {
    if half.stage != SessionStage::Code {
        return Either::Left(Redirect::to(page_for(half.stage)));
    }
    Either::Right(Template::render("account/code", page("Two-step sign-in", None, cookies, None, json!({}))))
}

/// Check the code: on to the next stage, the form again, or signed out after five wrong.
#[post("/login/code", data = "<form>")]
pub async fn code_submit(
    half: HalfSignedIn,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<CodeForm>,
) -> PageResult<Either<Redirect, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    if half.stage != SessionStage::Code {
        return Ok(Either::Left(Redirect::to(page_for(half.stage))));
    }
    let by = Caller { who: &half.who, ip: &addr.0 };
    let said = match account_security::check_code_once(db.inner(), by, &half.token, &form.code).await? {
        CodeChecked::Right(SessionStage::Full) => {
            // Back to the form this person was filling in when their session ended, if any.
            let kept = crate::web::kept::resume_after_sign_in(db.inner(), cookies, &half.who).await;
            return Ok(Either::Left(Redirect::to(kept.unwrap_or_else(|| page_for(SessionStage::Full).to_string()))));
        }
        CodeChecked::Right(next) => return Ok(Either::Left(Redirect::to(page_for(next)))),
        CodeChecked::Wrong => "That code is not right. Type the code the app shows now, or one of your recovery codes.",
        CodeChecked::SignedOut => {
            session::clear(cookies);
            "Too many wrong codes: you are signed out. Sign in again with your password."
        }
    };
    let ctx = page("Two-step sign-in", None, cookies, None, json!({"error": said}));
    Ok(Either::Right((Status::UnprocessableEntity, Template::render("account/code", ctx))))
}

/// Setting up two-step sign-in: the QR code and the secret, then the first code.
#[get("/account/two-step")]
pub async fn two_step_page(
    half: HalfSignedIn,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Either<Flash<Redirect>, Template>> {
    if !matches!(half.stage, SessionStage::Full | SessionStage::Enrol) {
        return Ok(Either::Left(Flash::error(Redirect::to(page_for(half.stage)), "Finish signing in first.")));
    }
    match account_security::enrolment_secret(db.inner(), &half.who).await {
        Ok(secret) => Ok(Either::Right(two_step_template(&half, &secret, cookies, flash, None))),
        Err(e @ AppError::Conflict(_)) => Ok(Either::Left(Flash::error(Redirect::to("/account"), e.sentence()))),
        Err(e) => Err(e.into()),
    }
}

fn two_step_template(
    half: &HalfSignedIn,
    secret: &str,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    error: Option<String>,
) -> Template {
    let uri = totp::otpauth_uri(secret, &half.who.email);
    let qr = totp::qr_svg(&uri).unwrap_or_default();
    // The secret in groups of four, as people type it.
    let grouped: Vec<String> = secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let signed_in = half.stage == SessionStage::Full;
    let ctx = page(
        "Set up two-step sign-in",
        signed_in.then_some(&half.who),
        cookies,
        flash,
        json!({"qr_svg": qr, "secret": grouped.join(" "), "required": !signed_in, "error": error}),
    );
    Template::render("account/two_step", ctx)
}

/// The first code from the app turns two-step sign-in on; the recovery codes are shown once.
#[post("/account/two-step", data = "<form>")]
pub async fn two_step_submit(
    half: HalfSignedIn,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<CodeForm>,
) -> PageResult<Either<Redirect, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    if !matches!(half.stage, SessionStage::Full | SessionStage::Enrol) {
        return Ok(Either::Left(Redirect::to(page_for(half.stage))));
    }
    let by = Caller { who: &half.who, ip: &addr.0 };
    match account_security::confirm_enrolment_once(db.inner(), by, &half.token, &form.code).await {
        Ok(codes) => {
            let next = match sessions::lookup(db.inner(), &half.token).await? {
                Some((_, stage)) => stage,
                None => SessionStage::Full,
            };
            let ctx = page(
                "Your recovery codes",
                (next == SessionStage::Full).then_some(&half.who),
                cookies,
                None,
                json!({"codes": codes, "next": page_for(next)}),
            );
            Ok(Either::Right((Status::Ok, Template::render("account/recovery_codes", ctx))))
        }
        Err(e @ AppError::Validation(_)) => {
            let secret = account_security::enrolment_secret(db.inner(), &half.who).await?;
            let t = two_step_template(&half, &secret, cookies, None, Some(e.sentence()));
            Ok(Either::Right((Status::UnprocessableEntity, t)))
        }
        Err(AppError::Conflict(_)) => Ok(Either::Left(Redirect::to("/account"))),
        Err(e) => Err(e.into()),
    }
}

/// Changing the password (also the page a reset password leads to).
#[get("/account/password")]
pub fn password_page(
    half: HalfSignedIn,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> Either<Redirect, Template> {
    if !matches!(half.stage, SessionStage::Full | SessionStage::Password) {
        return Either::Left(Redirect::to(page_for(half.stage)));
    }
    Either::Right(password_template(&half, cookies, flash, None))
}

fn password_template(
    half: &HalfSignedIn,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    errors: Option<serde_json::Value>,
) -> Template {
    let signed_in = half.stage == SessionStage::Full;
    let ctx = page(
        "Change your password",
        signed_in.then_some(&half.who),
        cookies,
        flash,
        json!({"forced": !signed_in, "errors": errors.unwrap_or_else(|| json!({}))}),
    );
    Template::render("account/password", ctx)
}

/// Change the password: every session and token of the person ends, and this browser
/// gets a new session.
#[post("/account/password", data = "<form>")]
pub async fn password_submit(
    half: HalfSignedIn,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    tls: RequestTls,
    form: Checked<PasswordForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    if !matches!(half.stage, SessionStage::Full | SessionStage::Password) {
        return Ok(Either::Left(Flash::error(Redirect::to(page_for(half.stage)), "Finish signing in first.")));
    }
    if form.new_password != form.repeat_password {
        let errors = json!({"repeat_password": "The two new passwords are not the same."});
        return Ok(Either::Right((Status::UnprocessableEntity, password_template(&half, cookies, None, Some(errors)))));
    }
    let by = Caller { who: &half.who, ip: &addr.0 };
    match account_security::change_password_once(db.inner(), by, &form.current_password, &form.new_password).await {
        Ok(()) => {
            let token = sessions::start(db.inner(), by, SessionStage::Full).await?;
            session::set(cookies, &token, tls.0);
            Ok(Either::Left(Flash::success(
                Redirect::to("/"),
                "Your password is changed. Every other session and API token of yours was signed out.",
            )))
        }
        Err(AppError::Validation(fields)) => {
            let errors: serde_json::Map<String, serde_json::Value> =
                fields.iter().filter_map(|(k, v)| v.first().map(|m| (k.clone(), json!(m)))).collect();
            let t = password_template(&half, cookies, None, Some(serde_json::Value::Object(errors)));
            Ok(Either::Right((Status::UnprocessableEntity, t)))
        }
        Err(e) => Err(e.into()),
    }
}
