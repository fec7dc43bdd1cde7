//! CSRF protection for forms: a random token in a private (encrypted) SameSite cookie,
//! echoed in a hidden `csrf_token` field; every state-changing form handler calls `verify`.
//! JSON API calls authenticated by bearer token are exempt.

use crate::auth::token::{constant_time_eq, random_token};
use crate::error::AppError;
use rocket::http::{Cookie, CookieJar, SameSite};

const COOKIE: &str = "cribs_csrf";

/// The token for this browser, created on first use.
pub fn token(cookies: &CookieJar<'_>) -> String {
    if let Some(c) = cookies.get_private(COOKIE) {
        return c.value().to_string();
    }
    let t = random_token();
    cookies.add_private(Cookie::build((COOKIE, t.clone())).http_only(true).same_site(SameSite::Strict).path("/"));
    t
}

/// Refuse the request unless the submitted token matches this browser's.
pub fn verify(cookies: &CookieJar<'_>, submitted: &str) -> Result<(), AppError> {
    match cookies.get_private(COOKIE) {
        Some(c) if !submitted.is_empty() && constant_time_eq(c.value(), submitted) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}
