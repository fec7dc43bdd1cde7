//! Signing in: checking a password with throttling, and API tokens. Creating and changing
//! accounts is in `store::users`.

use crate::auth::{password, token};
use crate::db::begin_write;
use crate::db::Db;
use crate::domain::account::{sign_in_wait, LONGEST_WAIT_HOURS};
use crate::entity::{api_token, login_attempt, user};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, WriteKey};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

/// Failed attempts from one address within the window, across e-mails, before that address
/// must wait (several staff may share one address behind a hospital's network).
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The window for the address limit, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// API tokens last this long.
pub const TOKEN_HOURS: i64 = 12;

/// Normalise an email for lookup.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The failures of one e-mail at one address that count now: within the last day and
/// after its last success there; oldest first.
async fn pair_failures(db: &impl ConnectionTrait, email: &str, ip: &str) -> Result<Vec<DateTime<Utc>>, DbErr> {
    let now = crate::clock::now();
    let pair = || {
        login_attempt::Entity::find()
            .filter(login_attempt::Column::Email.eq(email))
            .filter(login_attempt::Column::Ip.eq(ip))
            .filter(login_attempt::Column::At.gt(now - Duration::hours(LONGEST_WAIT_HOURS)))
    };
    let last_success = pair()
        .filter(login_attempt::Column::Succeeded.eq(true))
        .order_by_desc(login_attempt::Column::At)
        .one(db)
        .await?
        .map(|a| a.at);
    let mut failures = pair().filter(login_attempt::Column::Succeeded.eq(false));
    if let Some(at) = last_success {
        failures = failures.filter(login_attempt::Column::At.gt(at));
    }
    Ok(failures.order_by_asc(login_attempt::Column::At).all(db).await?.into_iter().map(|a| a.at).collect())
}

/// Whether sign-in is refused for this email at this address: it failed there too often
/// lately (`domain::account::sign_in_wait`), or the address failed for many e-mails.
pub async fn throttled(db: &impl ConnectionTrait, email: &str, ip: &str) -> Result<bool, DbErr> {
    let now = crate::clock::now();
    let failures = pair_failures(db, email, ip).await?;
    if let (Some(wait), Some(last)) = (sign_in_wait(failures.len()), failures.last()) {
        if now < *last + wait {
            return Ok(true);
        }
    }
    let by_ip = login_attempt::Entity::find()
        .filter(login_attempt::Column::Succeeded.eq(false))
        .filter(login_attempt::Column::At.gt(now - Duration::minutes(WINDOW_MINUTES)))
        .filter(login_attempt::Column::Ip.eq(ip))
        .count(db)
        .await?;
    Ok(by_ip >= MAX_FAILURES_PER_ADDRESS)
}

/// An e-mail waiting to sign in again at one address, for the administrators' Users page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Lockout {
    pub email: String,
    pub ip: String,
    pub failures: usize,
    pub until: DateTime<Utc>,
}

/// Every e-mail that must wait at some address now (most recent first). Read from the last
/// day's attempts (bounded), with the rule `throttled` applies.
pub async fn lockouts(db: &impl ConnectionTrait) -> Result<Vec<Lockout>, DbErr> {
    let now = crate::clock::now();
    let attempts = login_attempt::Entity::find()
        .filter(login_attempt::Column::At.gt(now - Duration::hours(LONGEST_WAIT_HOURS)))
        .order_by_desc(login_attempt::Column::At)
        .limit(20_000)
        .all(db)
        .await?;
    // Newest first: a pair's failures count until its most recent success.
    #[derive(Default)]
    struct Pair {
        failures: usize,
        last_failure: Option<DateTime<Utc>>,
        succeeded_since: bool,
    }
    let mut pairs: std::collections::BTreeMap<(String, String), Pair> = Default::default();
    for a in attempts {
        let pair = pairs.entry((a.email, a.ip)).or_default();
        if pair.succeeded_since {
            continue;
        }
        if a.succeeded {
            pair.succeeded_since = true;
        } else {
            pair.failures += 1;
            pair.last_failure.get_or_insert(a.at);
        }
    }
    let mut out: Vec<Lockout> = pairs
        .into_iter()
        .filter_map(|((email, ip), p)| {
            let until = p.last_failure? + sign_in_wait(p.failures)?;
            (until > now).then_some(Lockout { email, ip, failures: p.failures, until })
        })
        .collect();
    out.sort_by_key(|l| std::cmp::Reverse(l.until));
    Ok(out)
}

/// Make concurrent sign-in attempts for one email (or from one address) take turns, so
/// the throttle count and the new attempt's row are one step. SQLite's IMMEDIATE write
/// transaction already does this; PostgreSQL takes transaction-scoped advisory locks
/// (always the email's first, then the address's, so two attempts cannot deadlock).
async fn serialise_attempts(txn: &impl ConnectionTrait, email: &str, ip: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT pg_advisory_xact_lock(1, hashtext($1)), pg_advisory_xact_lock(2, hashtext($2))";
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [email.into(), ip.into()])).await?;
    }
    Ok(())
}

/// Check an email and password, for the sign-in page and the token endpoint alike.
///
/// Unknown email, wrong password and inactive account all answer `Unauthorized` (and take
/// about as long); too many recent failures answer `TooManyRequests` whatever the password.
/// A failure leaves a `login.failed` audit row (the account's id when the email is known).
///
/// NOTE: it takes the pool, not a connection, because it runs two short write transactions
/// around the slow password hash: the attempt is first recorded as a failure together with
/// the throttle check (so parallel guesses all count), the hash is checked outside any
/// transaction (no lock is held while argon2 runs), and a success then marks the attempt.
pub async fn sign_in(db: &Db, email: &str, password_text: &str, ip: &str) -> Result<user::Model, AppError> {
    let email = normalise_email(email);
    let stored_email: String = email.chars().take(200).collect();
    let ip: String = ip.chars().take(64).collect();

    let txn = begin_write(db).await?;
    serialise_attempts(&txn, &stored_email, &ip).await?;
    if throttled(&txn, &stored_email, &ip).await? {
        txn.rollback().await?;
        crate::metrics::sign_in_failed(true);
        return Err(AppError::TooManyRequests);
    }
    let attempt = login_attempt::Entity::insert(login_attempt::ActiveModel {
        email: Set(stored_email),
        ip: Set(ip.clone()),
        succeeded: Set(false),
        at: Set(crate::clock::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let found = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&txn).await?;
    txn.commit().await?;

    // NOTE: an unknown email is checked against a dummy hash so it takes as long as a wrong password.
    let stored_hash = found.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| password::dummy_hash().into());
    let typed = password_text.to_string();
    let matches = password::verify_in_turn(typed, stored_hash).await;

    let txn = begin_write(db).await?;
    let result = match found {
        Some(u) if matches && u.active => {
            login_attempt::Entity::update_many()
                .col_expr(login_attempt::Column::Succeeded, Expr::value(true))
                .filter(login_attempt::Column::Id.eq(attempt))
                .exec(&txn)
                .await?;
            Ok(u)
        }
        found => {
            let detail = match &found {
                None => "no account has this email",
                Some(u) if !u.active => "the account is deactivated",
                Some(_) => "wrong password",
            };
            audit::record(
                &txn,
                None,
                Some(&ip),
                AuditEntry {
                    action: "login.failed",
                    entity: "user",
                    entity_id: found.as_ref().map(|u| u.id),
                    detail: Some(detail.to_string()),
                },
            )
            .await?;
            crate::metrics::sign_in_failed(false);
            Err(AppError::Unauthorized)
        }
    };
    txn.commit().await?;
    result
}

/// Issue an API token to someone who just signed in with their password, audited as
/// `token.create`: the secret (shown once) and its expiry. Not keyed: each sign-in is its
/// own token.
pub async fn issue_token_to(db: &Db, by: Caller<'_>) -> Result<(String, chrono::DateTime<chrono::Utc>), AppError> {
    let mode = Mode::write(WriteKey::Api(None), "POST /api/v1/tokens", &serde_json::Value::Null);
    let ran = write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            let issued = issue_token(&txn, by.who.id).await?;
            let entry = AuditEntry { action: "token.create", entity: "user", entity_id: Some(by.who.id), detail: None };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(issued)
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(ran.value)
}

/// At most this many live API tokens per person: a new one retires the oldest beyond it.
pub const MAX_LIVE_TOKENS: usize = 10;

/// Issue an API token for the user; returns the secret (shown once) and its expiry. The
/// user's expired tokens are deleted, and the oldest live ones beyond `MAX_LIVE_TOKENS - 1`.
pub async fn issue_token(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(String, chrono::DateTime<chrono::Utc>), DbErr> {
    let secret = token::random_token();
    // NOTE: a token's life is wall-clock time, as `actors::by_token` checks it (the real
    // clock, never the test clock that moves the program's calendar).
    let now = chrono::Utc::now().trunc_subsecs(6);
    let mine = || api_token::Entity::find().filter(api_token::Column::UserId.eq(user_id));
    api_token::Entity::delete_many()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let live: Vec<i64> = mine().order_by_desc(api_token::Column::Id).all(db).await?.into_iter().map(|t| t.id).collect();
    let retired: Vec<i64> = live.into_iter().skip(MAX_LIVE_TOKENS - 1).collect();
    if !retired.is_empty() {
        api_token::Entity::delete_many().filter(api_token::Column::Id.is_in(retired)).exec(db).await?;
    }
    let expires = now + Duration::hours(TOKEN_HOURS);
    api_token::Entity::insert(api_token::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token::sha256_hex(&secret)),
        created_at: Set(now),
        expires_at: Set(expires),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok((secret, expires))
}

/// Revoke the token a request was made with (`DELETE /api/v1/tokens/current`), with a
/// `token.revoke` audit row; it stops working at once.
pub async fn revoke_token(db: &Db, by: Caller<'_>, raw_token: &str) -> Result<(), AppError> {
    let mode = Mode::write(WriteKey::Api(None), "DELETE /api/v1/tokens/current", &serde_json::Value::Null);
    write::run(db, by.who.id, mode, 204, |txn| async {
        let r = async {
            api_token::Entity::delete_many()
                .filter(api_token::Column::UserId.eq(by.who.id))
                .filter(api_token::Column::TokenHash.eq(token::sha256_hex(raw_token)))
                .exec(&txn)
                .await?;
            let entry = AuditEntry { action: "token.revoke", entity: "user", entity_id: Some(by.who.id), detail: None };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(())
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(())
}

/// Delete every API token of a user (deactivation): they stop working at once.
pub async fn revoke_tokens(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    Ok(api_token::Entity::delete_many().filter(api_token::Column::UserId.eq(user_id)).exec(db).await?.rows_affected)
}
