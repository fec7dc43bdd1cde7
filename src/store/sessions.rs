//! Staff sessions, kept on the server (`user_sessions`). The browser holds a random token
//! in a cookie; the row, found by the token's SHA-256, says whose session it is. A session
//! ends when its person signs out, when an administrator deactivates the account, when
//! the password changes, `LIFETIME` after sign-in whatever happens, and after `IDLE`
//! without a request. An ended session is kept (with `ended_at`) for the audit trail and
//! swept with the other expired rows; a copied cookie of an ended session opens nothing.

use crate::auth::token::{random_token, sha256_hex};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::states::SessionStage;
use crate::entity::user_session;
use crate::error::AppError;
use crate::store::actors;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, WriteKey};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// A session ends this long after sign-in, used or not.
pub const LIFETIME: Duration = Duration::hours(12);
/// A session ends after this long without a request (a shared clinic computer left signed in).
pub const IDLE: Duration = Duration::minutes(30);
/// The last-seen time is rewritten at most this often (not a write on every page).
const REFRESH: Duration = Duration::minutes(1);

/// Start a session for someone whose password was just checked, at the stage their
/// sign-in reached (`SessionStage::Full` unless a second factor or a password change is
/// due): the session row and the `session.login` audit row in one transaction. Returns
/// the token for the cookie.
pub async fn start(db: &Db, by: Caller<'_>, stage: SessionStage) -> Result<String, AppError> {
    let mode = Mode::write(WriteKey::Api(None), "POST /login", &serde_json::Value::Null);
    let ran = write::run(db, by.who.id, mode, 303, |txn| async {
        let r = async {
            let token = random_token();
            let now = crate::clock::now();
            user_session::Entity::insert(user_session::ActiveModel {
                user_id: Set(by.who.id),
                token_hash: Set(sha256_hex(&token)),
                created_at: Set(now),
                last_seen_at: Set(now),
                expires_at: Set(now + LIFETIME),
                ended_at: Set(None),
                ip: Set(Some(by.ip.chars().take(64).collect())),
                stage: Set(stage.as_str().into()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            let detail = (stage != SessionStage::Full).then(|| format!("waiting for: {stage}"));
            let entry = AuditEntry { action: "session.login", entity: "user", entity_id: Some(by.who.id), detail };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(token)
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(ran.value)
}

/// End the session of this token (signing out), with a `session.logout` audit row when the
/// session was still open. Ending an ended or unknown session changes nothing.
pub async fn end(db: &Db, token: &str, by: Option<Caller<'_>>) -> Result<(), AppError> {
    let user_id = by.as_ref().map_or(0, |c| c.who.id);
    let mode = Mode::write(WriteKey::Api(None), "POST /logout", &serde_json::Value::Null);
    write::run(db, user_id, mode, 303, |txn| async {
        let r = async {
            let ended = end_where(&txn, user_session::Column::TokenHash.eq(sha256_hex(token))).await?;
            if let (Some(by), true) = (&by, ended > 0) {
                let entry =
                    AuditEntry { action: "session.logout", entity: "user", entity_id: Some(by.who.id), detail: None };
                audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            }
            Ok(())
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(())
}

/// End every open session of a user (deactivation, a password change), inside the
/// caller's transaction; the number ended.
pub async fn end_all(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    end_where(db, user_session::Column::UserId.eq(user_id)).await
}

async fn end_where(db: &impl ConnectionTrait, cond: sea_orm::sea_query::SimpleExpr) -> Result<u64, DbErr> {
    Ok(user_session::Entity::update_many()
        .col_expr(user_session::Column::EndedAt, Expr::value(crate::clock::now()))
        .filter(cond)
        .filter(user_session::Column::EndedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Whether a session row is open at `now`: not ended, within its lifetime, not idle too long.
pub fn is_open(s: &user_session::Model, now: DateTime<Utc>) -> bool {
    s.ended_at.is_none()
        && now < s.expires_at
        && now - s.last_seen_at < IDLE
        && s.created_at <= now + Duration::minutes(1)
}

/// Who holds an open, fully signed-in session of this token (None: no such session, ended,
/// expired or idle too long, half signed in, or the account is inactive).
pub async fn actor(db: &Db, token: &str) -> Result<Option<Actor>, DbErr> {
    Ok(lookup(db, token).await?.and_then(|(who, stage)| (stage == SessionStage::Full).then_some(who)))
}

/// Move a session on to the next stage of its sign-in (a code checked, a second factor set
/// up, a password changed), inside the caller's transaction.
pub async fn advance(db: &impl ConnectionTrait, token: &str, to: SessionStage) -> Result<(), DbErr> {
    user_session::Entity::update_many()
        .col_expr(user_session::Column::Stage, Expr::value(to.as_str()))
        .filter(user_session::Column::TokenHash.eq(sha256_hex(token)))
        .filter(user_session::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Whose session this token was, open or ended (None: no such row, e.g. swept): whom a
/// form sent after the session ended is kept for (`store::kept_forms`).
pub async fn owner(db: &Db, token: &str) -> Result<Option<i64>, DbErr> {
    Ok(user_session::Entity::find()
        .filter(user_session::Column::TokenHash.eq(sha256_hex(token)))
        .one(db)
        .await?
        .map(|s| s.user_id))
}

/// Who holds an open session of this token and how far its sign-in got. Notes the request
/// as the session's last use.
pub async fn lookup(db: &Db, token: &str) -> Result<Option<(Actor, SessionStage)>, DbErr> {
    let Some(s) =
        user_session::Entity::find().filter(user_session::Column::TokenHash.eq(sha256_hex(token))).one(db).await?
    else {
        return Ok(None);
    };
    let now = crate::clock::now();
    if !is_open(&s, now) {
        return Ok(None);
    }
    if now - s.last_seen_at >= REFRESH {
        // NOTE: a last-seen time that cannot be written now (the database busy) only
        // shortens this session's idle allowance by a minute; the request goes on.
        let touched = user_session::Entity::update_many()
            .col_expr(user_session::Column::LastSeenAt, Expr::value(now))
            .filter(user_session::Column::Id.eq(s.id))
            .exec(db.writer())
            .await;
        if let Err(e) = touched {
            tracing::warn!("a session's last use could not be written: {e}");
        }
    }
    let stage = SessionStage::parse(&s.stage).unwrap_or(SessionStage::Code);
    Ok(actors::by_id(db, s.user_id).await?.map(|who| (who, stage)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(created_min_ago: i64, seen_min_ago: i64, ended: bool) -> user_session::Model {
        let now = crate::clock::now();
        let created = now - Duration::minutes(created_min_ago);
        user_session::Model {
            id: 1,
            user_id: 1,
            token_hash: String::new(),
            created_at: created,
            last_seen_at: now - Duration::minutes(seen_min_ago),
            expires_at: created + LIFETIME,
            ended_at: ended.then_some(now),
            ip: None,
            stage: "full".into(),
        }
    }

    #[test]
    fn a_session_is_open_until_signed_out_idle_or_old() {
        let now = crate::clock::now();
        assert!(is_open(&session(5, 1, false), now));
        assert!(!is_open(&session(5, 1, true), now), "signed out");
        assert!(!is_open(&session(60, 31, false), now), "idle past 30 minutes");
        assert!(is_open(&session(60, 29, false), now));
        assert!(!is_open(&session(12 * 60 + 1, 1, false), now), "past 12 hours, however busy");
    }
}
