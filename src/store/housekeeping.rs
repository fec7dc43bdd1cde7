//! Housekeeping: stored idempotency answers, login attempts and sessions are only read for
//! a while (a retry within 24 hours must replay, API.md; the login throttle looks back 15
//! minutes; a session lasts at most 12 hours), so older rows are deleted rather than kept
//! for ever (sign-ins and sign-outs stay in the audit trail). The server sweeps once at start and
//! then every hour (`sweep_every_hour`); the margins are generous on purpose.

use crate::db::Db;
use crate::entity::{idempotency_key, login_attempt, user_session};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

/// How long an idempotency answer is kept (API.md promises at least 24 hours).
pub const KEEP_IDEMPOTENCY: Duration = Duration::days(7);

/// How long a login attempt is kept (the throttle reads the last day).
pub const KEEP_LOGIN_ATTEMPTS: Duration = Duration::days(30);

/// How long a session row is kept after it could last be used.
pub const KEEP_SESSIONS: Duration = Duration::days(30);

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub idempotency_keys: u64,
    pub login_attempts: u64,
    pub sessions: u64,
}

/// Delete what is older than its keeping time, as of `now`.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<Swept, DbErr> {
    let idempotency_keys = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - KEEP_IDEMPOTENCY))
        .exec(db)
        .await?
        .rows_affected;
    let login_attempts = login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::At.lt(now - KEEP_LOGIN_ATTEMPTS))
        .exec(db)
        .await?
        .rows_affected;
    let sessions = user_session::Entity::delete_many()
        .filter(user_session::Column::ExpiresAt.lt(now - KEEP_SESSIONS))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Swept { idempotency_keys, login_attempts, sessions })
}

/// Sweep now and then every hour, for as long as the server runs, and apply the
/// retention period (`retention_years` after the last contact; 0: never): each erasure
/// leaves its `family.erase` audit row and the log says how many. A failed sweep is
/// logged and tried again an hour later.
pub async fn sweep_every_hour(db: Db, retention_years: u32) {
    let mut tick = rocket::tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match sweep(&db, crate::clock::now()).await {
            Ok(s) if s != Swept::default() => tracing::info!("housekeeping: deleted {s:?}"),
            Ok(_) => {}
            Err(e) => tracing::warn!("housekeeping: sweep failed: {e}"),
        }
        // Forms kept after a session ended live 30 minutes (`store::kept_forms`).
        match crate::store::kept_forms::sweep(&db, crate::clock::now()).await {
            Ok(n) if n > 0 => tracing::info!("housekeeping: deleted {n} kept forms whose time was up"),
            Ok(_) => {}
            Err(e) => tracing::warn!("housekeeping: kept forms not swept: {e}"),
        }
        match crate::store::erasure::apply_retention(&db, retention_years, crate::clock::now()).await {
            Ok(erased) if !erased.is_empty() => tracing::info!(
                "retention: erased the identifying data of {} families with no contact for {retention_years} years: {erased:?}",
                erased.len()
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("retention: failed: {e}"),
        }
    }
}
