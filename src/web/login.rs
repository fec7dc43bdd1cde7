//! Signing in and out: `GET/POST /login`, `POST /logout`.

use crate::auth::guards::{load_actor, ClientAddr, HalfSignedIn, PageUser};
use crate::auth::{csrf, session};
use crate::db::Db;
use crate::domain::states::SessionStage;
use crate::error::AppError;
use crate::store::account_security::{self, SecondFactorRule};
use crate::store::audit::Caller;
use crate::store::{accounts, sessions};
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// Shown for an unknown email, a wrong password and a deactivated account alike.
pub const NO_MATCH: &str = "That email and password do not match an active account.";
/// Shown while sign-in is throttled (429).
pub const THROTTLED: &str = "Too many failed sign-in attempts for this account from this device or \
network. Wait 15 minutes (longer after repeated failures), then try again, or ask an administrator.";

/// The sign-in form.
#[derive(FromForm)]
pub struct LoginForm {
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub password: String,
    #[field(default = String::new())]
    pub csrf_token: String,
}

/// The logout form (CSRF only).
#[derive(FromForm)]
pub struct CsrfOnly {
    #[field(default = String::new())]
    pub csrf_token: String,
}

/// The sign-in page; a signed-in user goes home, a half-signed-in one to the page that
/// finishes signing in.
#[get("/login")]
pub fn login_page(
    half: Option<HalfSignedIn>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> Either<Redirect, Template> {
    // Signed in, or half way (a code or a password change due): on to that page.
    if let Some(half) = half {
        return Either::Left(Redirect::to(crate::web::account::page_for(half.stage)));
    }
    Either::Right(Template::render("login", page("Sign in", None, cookies, flash, json!({"email": ""}))))
}

/// Check the credentials; 303 home on success, the form again with the reason otherwise.
#[post("/login", data = "<form>")]
pub async fn login_submit(
    db: &State<Db>,
    rule: &State<SecondFactorRule>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    req_tls: crate::web::RequestTls,
    form: Checked<LoginForm>,
) -> PageResult<Either<Redirect, (Status, Template)>> {
    let form = form.into_inner();
    if csrf::verify(cookies, &form.csrf_token).is_err() {
        let ctx = page(
            "Sign in",
            None,
            cookies,
            None,
            json!({"email": form.email,
            "error": "This page had expired. Please sign in again."}),
        );
        return Ok(Either::Right((Status::Forbidden, Template::render("login", ctx))));
    }
    match accounts::sign_in(db.inner(), &form.email, &form.password, &addr.0).await {
        Ok(user) => {
            let who = load_actor(db.inner(), user.id).await.ok_or(AppError::Busy)?;
            let stage = account_security::stage_after_password(&user, &who, *rule.inner());
            let token = sessions::start(db.inner(), Caller { who: &who, ip: &addr.0 }, stage).await?;
            session::set(cookies, &token, req_tls.0);
            // Back to the form this person was filling in when their session ended, if any.
            let kept = match stage {
                SessionStage::Full => crate::web::kept::resume_after_sign_in(db.inner(), cookies, &who).await,
                _ => None,
            };
            Ok(Either::Left(Redirect::to(kept.unwrap_or_else(|| crate::web::account::page_for(stage).to_string()))))
        }
        Err(e @ (AppError::Unauthorized | AppError::TooManyRequests)) => {
            // NOTE: one sentence for an unknown email, a wrong password and a deactivated
            // account, so the page does not tell which emails have accounts.
            let (status, message) = match e {
                AppError::TooManyRequests => (Status::TooManyRequests, THROTTLED),
                _ => (Status::Unauthorized, NO_MATCH),
            };
            let ctx = page("Sign in", None, cookies, None, json!({"email": form.email, "error": message}));
            Ok(Either::Right((status, Template::render("login", ctx))))
        }
        Err(e) => Err(PageError(e)),
    }
}

/// Sign out (CSRF field required).
#[post("/logout", data = "<form>")]
pub async fn logout(
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    user: Option<PageUser>,
    form: Checked<CsrfOnly>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    if let Some(token) = session::token(cookies) {
        let by = user.as_ref().map(|PageUser(who)| Caller { who, ip: &addr.0 });
        sessions::end(db.inner(), &token, by).await?;
    }
    session::clear(cookies);
    Ok(Flash::success(Redirect::to("/login"), "You are signed out."))
}
