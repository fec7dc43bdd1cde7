//! Request guards that say in a handler's signature who may call it.
//!
//! `ApiUser` (bearer token; a session cookie too for GET), `ApiManager`; `PageUser`
//! (session cookie), `PageManager`, `PageAdmin`. A guard that fails answers 401/403 and
//! the catchers turn that into JSON under `/api` or a login redirect / error page elsewhere.
//! The caller is a `domain::actor::Actor` (read by `store::actors`); its scope rules
//! (`can_act_at` and friends) live there, and an out-of-scope record answers 404.

use crate::auth::session;
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::states::SessionStage;
use crate::store::{actors, sessions};
use rocket::http::{Method, Status};
use rocket::outcome::{try_outcome, Outcome};
use rocket::request::{self, FromRequest, Request};
use sea_orm::DbErr;

/// Load an active user and their memberships (None also when the database could not answer).
pub async fn load_actor(db: &Db, user_id: i64) -> Option<Actor> {
    actors::by_id(db, user_id).await.ok().flatten()
}

/// Whether the request came over TLS, here or at the proxy the public URL names (sets the
/// cookie's Secure flag).
pub fn is_tls(req: &Request<'_>) -> bool {
    crate::headers::over_https(req)
}

/// The bearer token a request carries, as sent (None without one).
fn bearer<'a>(req: &'a Request<'_>) -> Option<&'a str> {
    let header = req.headers().get_one("Authorization")?;
    header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).map(str::trim)
}

/// The raw bearer token of the request (for revoking it).
pub struct BearerToken(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for BearerToken {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(BearerToken(bearer(req).map(str::to_string)))
    }
}

async fn from_bearer(req: &Request<'_>, db: &Db) -> Result<Option<Actor>, DbErr> {
    let Some(raw) = bearer(req) else { return Ok(None) };
    if raw.is_empty() || raw.len() > 200 {
        return Ok(None);
    }
    actors::by_token(db, raw).await
}

async fn from_session(req: &Request<'_>, db: &Db) -> Result<Option<Actor>, DbErr> {
    let Some(token) = session::token(req.cookies()) else { return Ok(None) };
    let found = sessions::lookup(db, &token).await?;
    if found.is_none() {
        session::clear(req.cookies());
    }
    // NOTE: a half-finished sign-in keeps its cookie (it opens only the page that
    // finishes signing in: `HalfSignedIn`), but nothing else.
    Ok(found.and_then(|(who, stage)| (stage == SessionStage::Full).then_some(who)))
}

fn db<'r>(req: &'r Request<'_>) -> Option<&'r Db> {
    req.rocket().state::<Db>()
}

/// Who is calling, as the guards cache it per request: signed in, not signed in, or not
/// known because the database could not answer (503, never a misleading 401).
type Lookup = Result<Option<Actor>, Status>;

fn outcome_of<T>(lookup: &Lookup, make: impl FnOnce(Actor) -> T) -> request::Outcome<T, ()> {
    match lookup {
        Ok(Some(id)) => Outcome::Success(make(id.clone())),
        Ok(None) => Outcome::Error((Status::Unauthorized, ())),
        Err(status) => Outcome::Error((*status, ())),
    }
}

/// Whether looking up the caller failed because the database is not answering (kept for
/// the 503 catchers, which then say so rather than "busy").
pub struct DatabaseDown(pub bool);

/// The caller could not be looked up: noted for the catchers, and logged. The database
/// not answering or busy is 503 (the request can be sent again); any other database error
/// is a fault of ours, 500, logged as an error (never a "try again" that cannot succeed).
fn busy(req: &Request<'_>, e: DbErr) -> Status {
    let down = crate::store::constraints::is_unavailable(&e);
    req.local_cache(|| DatabaseDown(down));
    if down || matches!(e, DbErr::ConnectionAcquire(_)) || crate::store::constraints::is_busy(&e) {
        tracing::warn!("who is calling could not be looked up: {e}");
        Status::ServiceUnavailable
    } else {
        tracing::error!("who is calling could not be looked up: {e}");
        Status::InternalServerError
    }
}

/// Did this request fail to look up its caller because the database is not answering?
pub fn database_down(req: &Request<'_>) -> bool {
    req.local_cache(|| DatabaseDown(false)).0
}

/// A caller of the JSON API: bearer token, or (for GET only) the staff session.
pub struct ApiUser(pub Actor);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let cached: &Lookup = req
            .local_cache_async(async {
                let Some(db) = db(req) else { return Ok(None) };
                match from_bearer(req, db).await.map_err(|e| busy(req, e))? {
                    Some(id) => Ok(Some(id)),
                    None if req.method() == Method::Get && req.headers().get_one("Authorization").is_none() => {
                        from_session(req, db).await.map_err(|e| busy(req, e))
                    }
                    None => Ok(None),
                }
            })
            .await;
        // NOTE: a hospital system's token (it carries SMART scopes) is good on the FHIR face
        // only; the JSON API and the pages are for people.
        if matches!(cached, Ok(Some(a)) if a.is_system()) && !req.uri().path().starts_with("/fhir/") {
            return Outcome::Error((Status::Forbidden, ()));
        }
        outcome_of(cached, ApiUser)
    }
}

/// An API caller who is a program manager or admin.
pub struct ApiManager(pub Actor);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiManager {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let ApiUser(id) = try_outcome!(req.guard::<ApiUser>().await);
        if id.is_manager() {
            Outcome::Success(ApiManager(id))
        } else {
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// Set (in the request's local cache) when `PageUser` forwarded a page form sent without
/// an open session, for `web::kept::session_ended` to keep what was typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSessionOnPagePost(pub bool);

/// A signed-in staff member on the pages. Not signed in: 401 (the catcher sends the
/// browser to the sign-in page), except for a page form (a POST), which is forwarded to
/// `web::kept::session_ended` so that what was typed is not lost.
pub struct PageUser(pub Actor);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let cached: &Lookup = req
            .local_cache_async(async {
                let Some(db) = db(req) else { return Ok(None) };
                from_session(req, db).await.map_err(|e| busy(req, e))
            })
            .await;
        if matches!(cached, Ok(None)) && crate::web::kept::is_page_form_post(req) {
            // NOTE: a forward, not an error: the form's body is still unread, and the last
            // route tried for a POST (`session_ended`) keeps it.
            req.local_cache(|| NoSessionOnPagePost(true));
            return Outcome::Forward(Status::Unauthorized);
        }
        outcome_of(cached, PageUser)
    }
}

/// A signed-in program manager or admin on the pages.
pub struct PageManager(pub Actor);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageManager {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let PageUser(id) = try_outcome!(req.guard::<PageUser>().await);
        if id.is_manager() {
            Outcome::Success(PageManager(id))
        } else {
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// A signed-in administrator on the pages.
pub struct PageAdmin(pub Actor);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageAdmin {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let PageUser(id) = try_outcome!(req.guard::<PageUser>().await);
        if id.is_admin() {
            Outcome::Success(PageAdmin(id))
        } else {
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

pub use crate::auth::client_addr::ClientAddr;

/// A session whose sign-in is half done (or done): the person, the stage and the session's
/// token, for the pages that finish signing in (`web::account`). No session: 303 to /login.
pub struct HalfSignedIn {
    pub who: Actor,
    pub stage: SessionStage,
    pub token: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for HalfSignedIn {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let Some(db) = db(req) else { return Outcome::Error((Status::ServiceUnavailable, ())) };
        let Some(token) = session::token(req.cookies()) else { return Outcome::Error((Status::Unauthorized, ())) };
        match sessions::lookup(db, &token).await {
            Ok(Some((who, stage))) => Outcome::Success(HalfSignedIn { who, stage, token }),
            Ok(None) => Outcome::Error((Status::Unauthorized, ())),
            Err(e) => Outcome::Error((busy(req, e), ())),
        }
    }
}
