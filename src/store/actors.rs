//! Who is calling: the signed-in user and the sites they belong to, read in one statement
//! (every signed-in request starts here: one round trip, decision 0014; on SQLite on the
//! request's own thread, decision 0016), as a `domain::actor::Actor`. The sign-in guards
//! call these; nothing here knows about requests.

use crate::auth::token::sha256_hex;
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::role::Role;
use crate::entity::{api_token, user};
use crate::store::sqlite::inline_read;
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, QueryTrait,
};

/// An active user by id; `Err` when the database could not answer (busy or down), which is
/// not the same as "no such user".
pub async fn by_id(db: &Db, user_id: i64) -> Result<Option<Actor>, DbErr> {
    actor_where(db, user::Column::Id.eq(user_id), Expr::cust("NULL")).await
}

/// The active user of an unexpired API token (the raw token as the client sent it).
pub async fn by_token(db: &Db, raw_token: &str) -> Result<Option<Actor>, DbErr> {
    let hash = sha256_hex(raw_token);
    let token = Query::select()
        .column(api_token::Column::UserId)
        .from(api_token::Entity)
        .and_where(api_token::Column::TokenHash.eq(hash.as_str()))
        .and_where(api_token::Column::ExpiresAt.gt(chrono::Utc::now()))
        .to_owned();
    // NOTE: a hospital system's scopes come in the same statement (decision 0014).
    let scopes = SimpleExpr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column(api_token::Column::Scopes)
                .from(api_token::Entity)
                .and_where(api_token::Column::TokenHash.eq(hash))
                .limit(1)
                .to_owned()
                .into(),
        ),
    );
    actor_where(db, user::Column::Id.in_subquery(token), scopes).await
}

/// The active user a condition finds, with the sites they belong to, in one statement.
/// None when no user matches, or the user is inactive or of an unknown role.
async fn actor_where(db: &Db, cond: SimpleExpr, scopes: SimpleExpr) -> Result<Option<Actor>, DbErr> {
    let backend = db.get_database_backend();
    let sites = match backend {
        DbBackend::Postgres => {
            "(SELECT string_agg(site_id::text, ',') FROM user_sites WHERE user_sites.user_id = users.id)"
        }
        _ => "(SELECT group_concat(site_id, ',') FROM user_sites WHERE user_sites.user_id = users.id)",
    };
    let query = user::Entity::find()
        .filter(cond)
        .expr_as(Expr::cust(sites), SITE_IDS)
        .expr_as(scopes, SCOPES)
        .limit(1)
        .build(backend);
    let found = match inline_read::try_rows::<UserWithSites>(db, &query) {
        Some(rows) => rows.into_iter().next(),
        None => match db.query_one_raw(query).await? {
            Some(row) => Some(UserWithSites {
                user: user::Model::from_query_result(&row, "")?,
                site_ids: row.try_get::<Option<String>>("", SITE_IDS)?,
                scopes: row.try_get::<Option<String>>("", SCOPES)?,
            }),
            None => None,
        },
    };
    let Some(UserWithSites { user, site_ids, scopes }) = found else { return Ok(None) };
    let site_ids = parse_site_ids(site_ids.as_deref())?;
    Ok(actor_of(user, site_ids).map(|a| Actor { scopes, ..a }))
}

/// The actor of a user row and their sites; None for an inactive user or an unknown role.
pub fn actor_of(user: user::Model, site_ids: Vec<i64>) -> Option<Actor> {
    if !user.active {
        return None;
    }
    let role = Role::parse(&user.role)?;
    Some(Actor {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        role,
        site_ids,
        hospital_site_id: user.hospital_site_id,
        scopes: None,
    })
}

/// The column `actor_where` reads a user's site ids from.
const SITE_IDS: &str = "cribs_site_ids";

/// The column `actor_where` reads a token's SMART scopes from.
const SCOPES: &str = "cribs_scopes";

/// A row of `actor_where`: the user, their site ids as the database lists them, and the
/// scopes of the token they came with.
struct UserWithSites {
    user: user::Model,
    site_ids: Option<String>,
    scopes: Option<String>,
}

impl inline_read::FromSqliteRow for UserWithSites {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(UserWithSites { user: user::Model::from_row(row)?, site_ids: row.get(SITE_IDS)?, scopes: row.get(SCOPES)? })
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
