//! The staff session: a private (encrypted, signed) cookie holding the user id and the
//! time of the last request; it ends after 12 hours idle, at logout, or at once when the
//! account is deactivated (the guard re-reads the user on every request).

use rocket::http::{Cookie, CookieJar, SameSite};

const COOKIE: &str = "cribs_session";
/// A session ends after this many seconds without a request.
pub const IDLE_SECONDS: i64 = 12 * 3600;
/// The last-seen time is rewritten at most this often.
const REFRESH_SECONDS: i64 = 300;

/// Start a session for the user.
pub fn start(cookies: &CookieJar<'_>, user_id: i64, secure: bool) {
    write(cookies, user_id, chrono::Utc::now().timestamp(), secure);
}

fn write(cookies: &CookieJar<'_>, user_id: i64, at: i64, secure: bool) {
    cookies.add_private(
        Cookie::build((COOKIE, format!("{user_id}:{at}")))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .path("/"),
    );
}

/// End the session.
pub fn end(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(COOKIE).path("/"));
}

/// The signed-in user id, if the session is present and not idle too long; refreshes it.
pub fn current_user_id(cookies: &CookieJar<'_>, secure: bool) -> Option<i64> {
    let cookie = cookies.get_private(COOKIE)?;
    let (uid, at) = cookie.value().split_once(':')?;
    let (uid, at) = (uid.parse::<i64>().ok()?, at.parse::<i64>().ok()?);
    let now = chrono::Utc::now().timestamp();
    if now - at > IDLE_SECONDS || at > now + 60 {
        end(cookies);
        return None;
    }
    if now - at > REFRESH_SECONDS {
        write(cookies, uid, now, secure);
    }
    Some(uid)
}
