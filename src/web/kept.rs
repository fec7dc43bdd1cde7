//! A session that ends mid-form (decision 0020). A page form sent without an open session
//! is not lost: the `PageUser` guard forwards such a POST (instead of failing it) to
//! `session_ended`, the last route tried for any POST, which keeps the fields for the
//! person whose session it was (`store::kept_forms`: never the CSRF token, small,
//! 30 minutes, only for that person), puts the kept form's random id in a private cookie
//! and sends the browser to the sign-in page with a sentence saying why. Signing in again
//! as that person leads back to the form (`resume_after_sign_in`), which shows what was
//! typed (`restore`), to be checked and sent again: never sent by itself. Someone else
//! signing in on that browser never sees it: the kept form goes.
//!
//! The forms that come back filled in are those `form_page` names (registering a family,
//! the hand-out, the safe-sleep education, the nurse's request); any other form sent
//! without a session goes to the sign-in page saying that what was typed could not be kept.

use crate::auth::guards::{ClientAddr, NoSessionOnPagePost};
use crate::auth::session;
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::store::audit::Caller;
use crate::store::kept_forms;
use crate::web::RequestTls;
use rocket::data::{Data, ToByteUnit};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, Method, RawStr, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::response::{Flash, Redirect};
use rocket::{post, Either, State};
use serde_json::{json, Value};

/// The private cookie holding a kept form's random id.
pub const COOKIE: &str = "cribs_kept";

/// What the sign-in page says when the form was kept.
pub const ENDED_KEPT: &str =
    "Your session ended, sign in again to continue — what you typed is kept (only for you, for 30 minutes).";
/// What it says when the form could not be kept.
pub const ENDED_NOT_KEPT: &str =
    "Your session ended, sign in again to continue. What you typed on that form could not be kept: please enter it again.";
/// What the form says when it comes back filled in.
pub const RESTORED: &str =
    "Your session ended before this was sent. What you typed is below: check it and send it again.";

/// Whether a request is a page form sent to the server (not the API, not FHIR): the
/// requests the `PageUser` guard forwards here when there is no open session.
pub fn is_page_form_post(req: &Request<'_>) -> bool {
    let path = req.uri().path();
    req.method() == Method::Post
        && !path.starts_with("/api/")
        && !path.starts_with("/fhir/")
        && req.content_type().is_some_and(|c| c.is_form())
}

/// The page that shows a kept form again, for the path it was sent to (None: that form does
/// not come back filled in).
pub fn form_page(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let id = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
    match parts.as_slice() {
        ["families", "new"] => Some("/families/new".into()),
        ["requests", "new"] => Some("/requests/new".into()),
        ["families", f, "handout"] | ["families", f, "handout", "confirm"] => {
            id(f).map(|f| format!("/families/{f}/handout"))
        }
        ["families", f, "education"] => id(f).map(|f| format!("/families/{f}/education")),
        _ => None,
    }
}

/// Lets `session_ended` run only for a page form the `PageUser` guard forwarded for want
/// of a session. Any other POST that every route passed on goes on to its catcher as it
/// would without this route: 422 when some route's path matched (a parameter that did not
/// parse), else 404.
pub struct EndedMidForm;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for EndedMidForm {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        if req.local_cache(|| NoSessionOnPagePost(false)).0 {
            return Outcome::Success(EndedMidForm);
        }
        let path = req.uri().path();
        let matched = req.rocket().routes().any(|r| {
            r.method == Method::Post
                && r.name.as_deref() != Some("session_ended")
                && path_matches(r.uri.path(), path.as_str())
        });
        Outcome::Forward(if matched { Status::UnprocessableEntity } else { Status::NotFound })
    }
}

/// Whether a route's path template (`/families/<id>/check`, `/<_..>`) matches a path.
fn path_matches(template: &str, path: &str) -> bool {
    let mut t = template.trim_start_matches('/').split('/').filter(|s| !s.is_empty());
    let mut p = path.trim_start_matches('/').split('/').filter(|s| !s.is_empty());
    loop {
        match (t.next(), p.next()) {
            (Some(seg), _) if seg.starts_with('<') && seg.ends_with("..>") => return true,
            (Some(seg), Some(_)) if seg.starts_with('<') && seg.ends_with('>') => {}
            (Some(seg), Some(got)) if seg == got => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// A page form sent after its session ended: keep it for its person when it is one that
/// comes back filled in, then to the sign-in page with the reason.
#[post("/<_..>", data = "<data>", rank = 100)]
pub async fn session_ended(
    _ended: EndedMidForm,
    req_path: PathOf,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    tls: RequestTls,
    data: Data<'_>,
) -> Either<Flash<Redirect>, Redirect> {
    let to = Redirect::to("/login");
    let had_session = session::sent(cookies);
    let kept = async {
        let token = session::token(cookies)?;
        form_page(&req_path.0)?;
        let user_id = crate::store::sessions::owner(db.inner(), &token).await.ok().flatten()?;
        let who = crate::store::actors::by_id(db.inner(), user_id).await.ok().flatten()?;
        let body = data.open((kept_forms::MAX_BYTES + 256).bytes()).into_string().await.ok()?;
        if !body.is_complete() {
            return None;
        }
        let by = Caller { who: &who, ip: &addr.0 };
        match kept_forms::keep(db.inner(), by, &req_path.0, &body.into_inner()).await {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!("a form sent after its session ended could not be kept: {e}");
                None
            }
        }
    }
    .await;
    match kept {
        Some(id) => {
            cookies.add_private(
                Cookie::build((COOKIE, id))
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(tls.0)
                    .path("/")
                    .max_age(rocket::time::Duration::minutes(kept_forms::LIFETIME.num_minutes())),
            );
            Either::Left(Flash::warning(to, ENDED_KEPT))
        }
        None if had_session => Either::Left(Flash::warning(to, ENDED_NOT_KEPT)),
        // Never signed in: the sign-in page, as for any page (no talk of a session).
        None => Either::Right(to),
    }
}

/// The path of the request (without the query).
pub struct PathOf(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PathOf {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(PathOf(req.uri().path().to_string()))
    }
}

fn kept_id(cookies: &CookieJar<'_>) -> Option<String> {
    cookies.get_private(COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty() && v.len() <= 100)
}

fn drop_cookie(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(COOKIE).path("/"));
}

/// Where to go once `who` is fully signed in: back to the form they were filling in, when
/// this browser kept one of theirs. Someone else's kept form goes.
pub async fn resume_after_sign_in(db: &Db, cookies: &CookieJar<'_>, who: &Actor) -> Option<String> {
    let id = kept_id(cookies)?;
    let page = match kept_forms::path_for(db, &id, who).await {
        Ok(path) => path.as_deref().and_then(form_page),
        Err(e) => {
            tracing::warn!("a kept form could not be looked up: {e}");
            None
        }
    };
    if page.is_none() {
        drop_cookie(cookies);
    }
    page
}

/// The form `who` was filling in at one of `paths` when their session ended, to show it
/// again (once): what they typed, with the form token it carried; never the old CSRF
/// token. None when there is none (or it is someone else's: it goes).
pub async fn restore<T: for<'a> FromForm<'a> + Send + 'static>(
    db: &Db,
    cookies: &CookieJar<'_>,
    by: Caller<'_>,
    paths: &[String],
) -> Option<T> {
    let id = kept_id(cookies)?;
    let kept = match kept_forms::take(db, by, &id, paths).await {
        Ok(kept) => kept?,
        Err(e) => {
            tracing::warn!("a kept form could not be read: {e}");
            return None;
        }
    };
    drop_cookie(cookies);
    Form::<T>::parse_encoded(RawStr::new(&kept.fields)).ok()
}

/// Say on the page that the form came back filled in (in the flash's place).
pub fn say_restored(ctx: &mut Value) {
    ctx["flash"] = json!({"kind": "warning", "message": RESTORED});
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_that_come_back_and_where() {
        assert_eq!(form_page("/families/new").as_deref(), Some("/families/new"));
        assert_eq!(form_page("/families/12/handout/confirm").as_deref(), Some("/families/12/handout"));
        assert_eq!(form_page("/families/12/handout").as_deref(), Some("/families/12/handout"));
        assert_eq!(form_page("/families/12/education").as_deref(), Some("/families/12/education"));
        assert_eq!(form_page("/requests/new").as_deref(), Some("/requests/new"));
        assert_eq!(form_page("/families/x/handout"), None);
        assert_eq!(form_page("/families/12/check"), None);
        assert_eq!(form_page("/logout"), None);
    }

    #[test]
    fn route_paths_match_as_rocket_would() {
        assert!(path_matches("/families/<id>/check", "/families/abc/check"));
        assert!(!path_matches("/families/<id>/check", "/families/1/handout"));
        assert!(path_matches("/<_..>", "/anything/at/all"));
        assert!(path_matches("/login", "/login"));
        assert!(!path_matches("/login", "/login/more"));
        assert!(!path_matches("/families/<id>", "/families"));
    }
}
