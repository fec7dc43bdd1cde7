//! Request guards that say in a handler's signature who may call it.
//!
//! `ApiUser` (bearer token; a session cookie too for GET), `ApiManager`; `PageUser`
//! (session cookie), `PageManager`, `PageAdmin`. A guard that fails answers 401/403 and
//! the catchers turn that into JSON under `/api` or a login redirect / error page elsewhere.
//! Scope (which site, which hospital) is checked with `Identity::can_act_at` and friends;
//! an out-of-scope record answers 404.

use crate::auth::{session, token::sha256_hex};
use crate::domain::role::Role;
use crate::entity::{api_token, user};
use crate::store::inline_read;
use rocket::http::{Method, Status};
use rocket::outcome::{try_outcome, Outcome};
use rocket::request::{self, FromRequest, Request};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait,
};

/// Who is making the request, with what role and scope.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: user::Model,
    pub role: Role,
    /// Sites the user belongs to (site staff).
    pub site_ids: Vec<i64>,
}

impl Identity {
    /// Managers and admins.
    pub fn is_manager(&self) -> bool {
        self.role.sees_everything()
    }

    /// May this user act for (hand out at, count stock at, receive at) this site?
    pub fn can_act_at(&self, site_id: i64) -> bool {
        self.is_manager() || (self.role == Role::SiteStaff && self.site_ids.contains(&site_id))
    }

    /// The nurse's hospital, if a nurse.
    pub fn hospital_id(&self) -> Option<i64> {
        if self.role == Role::Nurse {
            self.user.hospital_site_id
        } else {
            None
        }
    }
}

/// Load an active user and their memberships.
pub async fn load_identity(db: &DatabaseConnection, user_id: i64) -> Option<Identity> {
    try_load_identity(db, user_id).await.ok().flatten()
}

/// Load an active user and their memberships; `Err` when the database could not answer
/// (busy or down), which is not the same as "no such user".
pub async fn try_load_identity(db: &DatabaseConnection, user_id: i64) -> Result<Option<Identity>, DbErr> {
    identity_where(db, user::Column::Id.eq(user_id)).await
}

/// The active user a condition finds, with the sites they belong to, in one statement
/// (every signed-in request starts here: one round trip, not two, decision 0014; on
/// SQLite on the request's own thread, decision 0016). None
/// when no user matches, or the user is inactive or of an unknown role.
async fn identity_where(db: &DatabaseConnection, cond: SimpleExpr) -> Result<Option<Identity>, DbErr> {
    let backend = db.get_database_backend();
    let sites = match backend {
        DbBackend::Postgres => {
            "(SELECT string_agg(site_id::text, ',') FROM user_sites WHERE user_sites.user_id = users.id)"
        }
        _ => "(SELECT group_concat(site_id, ',') FROM user_sites WHERE user_sites.user_id = users.id)",
    };
    let query = user::Entity::find().filter(cond).expr_as(Expr::cust(sites), SITE_IDS).limit(1).build(backend);
    let found = match inline_read::try_rows::<UserWithSites>(db, &query) {
        Some(rows) => rows.into_iter().next(),
        None => match db.query_one_raw(query).await? {
            Some(row) => Some(UserWithSites {
                user: user::Model::from_query_result(&row, "")?,
                site_ids: row.try_get::<Option<String>>("", SITE_IDS)?,
            }),
            None => None,
        },
    };
    let Some(UserWithSites { user, site_ids }) = found else { return Ok(None) };
    let site_ids = parse_site_ids(site_ids.as_deref())?;
    if !user.active {
        return Ok(None);
    }
    let Some(role) = Role::parse(&user.role) else { return Ok(None) };
    Ok(Some(Identity { user, role, site_ids }))
}

/// The column `identity_where` reads a user's site ids from.
const SITE_IDS: &str = "cribs_site_ids";

/// A row of `identity_where`: the user, and their site ids as the database lists them.
struct UserWithSites {
    user: user::Model,
    site_ids: Option<String>,
}

impl inline_read::FromSqliteRow for UserWithSites {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(UserWithSites { user: user::Model::from_row(row)?, site_ids: row.get(SITE_IDS)? })
    }
}

/// Site ids as the database lists them (`1,7`; none for NULL).
fn parse_site_ids(list: Option<&str>) -> Result<Vec<i64>, DbErr> {
    list.filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|id| id.trim().parse::<i64>()).collect::<Result<Vec<_>, _>>())
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|e| DbErr::Type(format!("a user's site ids: {e}")))
}

/// Whether the request came over TLS (sets the cookie's Secure flag).
pub fn is_tls(req: &Request<'_>) -> bool {
    req.rocket().config().tls_enabled()
}

async fn from_bearer(req: &Request<'_>, db: &DatabaseConnection) -> Result<Option<Identity>, DbErr> {
    let Some(header) = req.headers().get_one("Authorization") else { return Ok(None) };
    let Some(raw) = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).map(str::trim) else {
        return Ok(None);
    };
    if raw.is_empty() || raw.len() > 200 {
        return Ok(None);
    }
    // The token's user (the token must exist and not have expired), with their sites.
    let token = Query::select()
        .column(api_token::Column::UserId)
        .from(api_token::Entity)
        .and_where(api_token::Column::TokenHash.eq(sha256_hex(raw)))
        .and_where(api_token::Column::ExpiresAt.gt(chrono::Utc::now()))
        .to_owned();
    identity_where(db, user::Column::Id.in_subquery(token)).await
}

async fn from_session(req: &Request<'_>, db: &DatabaseConnection) -> Result<Option<Identity>, DbErr> {
    let Some(uid) = session::current_user_id(req.cookies(), is_tls(req)) else { return Ok(None) };
    try_load_identity(db, uid).await
}

fn db<'r>(req: &'r Request<'_>) -> Option<&'r DatabaseConnection> {
    req.rocket().state::<DatabaseConnection>()
}

/// Who is calling, as the guards cache it per request: signed in, not signed in, or not
/// known because the database could not answer (503, never a misleading 401).
type Lookup = Result<Option<Identity>, ()>;

fn outcome_of<T>(lookup: &Lookup, make: impl FnOnce(Identity) -> T) -> request::Outcome<T, ()> {
    match lookup {
        Ok(Some(id)) => Outcome::Success(make(id.clone())),
        Ok(None) => Outcome::Error((Status::Unauthorized, ())),
        Err(()) => Outcome::Error((Status::ServiceUnavailable, ())),
    }
}

fn busy(e: DbErr) {
    tracing::warn!("who is calling could not be looked up: {e}");
}

/// A caller of the JSON API: bearer token, or (for GET only) the staff session.
pub struct ApiUser(pub Identity);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let cached: &Lookup = req
            .local_cache_async(async {
                let Some(db) = db(req) else { return Ok(None) };
                match from_bearer(req, db).await.map_err(busy)? {
                    Some(id) => Ok(Some(id)),
                    None if req.method() == Method::Get && req.headers().get_one("Authorization").is_none() => {
                        from_session(req, db).await.map_err(busy)
                    }
                    None => Ok(None),
                }
            })
            .await;
        outcome_of(cached, ApiUser)
    }
}

/// An API caller who is a program manager or admin.
pub struct ApiManager(pub Identity);

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

/// A signed-in staff member on the pages.
pub struct PageUser(pub Identity);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let cached: &Lookup = req
            .local_cache_async(async {
                let Some(db) = db(req) else { return Ok(None) };
                from_session(req, db).await.map_err(busy)
            })
            .await;
        outcome_of(cached, PageUser)
    }
}

/// A signed-in program manager or admin on the pages.
pub struct PageManager(pub Identity);

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
pub struct PageAdmin(pub Identity);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageAdmin {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let PageUser(id) = try_outcome!(req.guard::<PageUser>().await);
        if id.role == Role::Admin {
            Outcome::Success(PageAdmin(id))
        } else {
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// The client's address, for the audit trail and login throttling.
pub struct ClientAddr(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddr {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let ip = req.client_ip().map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into());
        Outcome::Success(ClientAddr(ip))
    }
}
