//! The staff session cookie: a private (encrypted, signed) cookie holding a random session
//! token, and nothing else. Whose session it is, and whether it is still open, is the
//! server's record (`store::sessions`): signing out, deactivation and a password change end
//! it there, so a copied cookie stops working at once. The cookie itself lives only as long
//! as the browser session (no expiry date), so a closed browser forgets it.

use rocket::http::{Cookie, CookieJar, SameSite};

const COOKIE: &str = "cribs_session";

/// Hand the browser a session's token.
pub fn set(cookies: &CookieJar<'_>, token: &str, secure: bool) {
    cookies.add_private(
        Cookie::build((COOKIE, token.to_string()))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .path("/")
            // NOTE: Rocket gives a private cookie without an expiry one week; a session
            // cookie (no Expires, no Max-Age) is what a shared computer needs.
            .expires(None::<rocket::time::OffsetDateTime>),
    );
}

/// The session token the browser sent, if any.
pub fn token(cookies: &CookieJar<'_>) -> Option<String> {
    cookies.get_private(COOKIE).map(|c| c.value().to_string()).filter(|t| !t.is_empty() && t.len() <= 100)
}

/// Whether the browser sent a session cookie at all, readable or not (a key that changed
/// makes it unreadable): a session that ended, as opposed to never signing in.
pub fn sent(cookies: &CookieJar<'_>) -> bool {
    cookies.get(COOKIE).is_some()
}

/// Forget the cookie in the browser.
pub fn clear(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(COOKIE).path("/"));
}
