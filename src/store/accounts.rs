//! Signing in: checking a password with throttling, and API tokens. Creating and changing
//! accounts is in `store::users`.

use crate::auth::{password, token};
use crate::db::begin_write;
use crate::db::Db;
use crate::entity::{api_token, login_attempt, user};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, WriteKey};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};

/// Failed attempts for one email within the window before sign-in is refused.
pub const MAX_FAILURES_PER_EMAIL: u64 = 5;
/// Failed attempts from one address within the window (several staff may share one address).
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The throttling window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// API tokens last this long.
pub const TOKEN_HOURS: i64 = 12;

/// Normalise an email for lookup.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether sign-in is refused for this email or address: too many failures in the window.
pub async fn throttled(db: &impl ConnectionTrait, email: &str, ip: &str) -> Result<bool, DbErr> {
    let since = crate::clock::now() - Duration::minutes(WINDOW_MINUTES);
    let failures = || {
        login_attempt::Entity::find()
            .filter(login_attempt::Column::Succeeded.eq(false))
            .filter(login_attempt::Column::At.gt(since))
    };
    let by_email = failures().filter(login_attempt::Column::Email.eq(email)).count(db).await?;
    if by_email >= MAX_FAILURES_PER_EMAIL {
        return Ok(true);
    }
    let by_ip = failures().filter(login_attempt::Column::Ip.eq(ip)).count(db).await?;
    Ok(by_ip >= MAX_FAILURES_PER_ADDRESS)
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
    let matches = tokio::task::spawn_blocking(move || password::verify(&typed, &stored_hash)).await.unwrap_or(false);

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

/// Issue an API token for the user; returns the secret (shown once) and its expiry.
pub async fn issue_token(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(String, chrono::DateTime<chrono::Utc>), DbErr> {
    let secret = token::random_token();
    let now = crate::clock::now();
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

/// Delete every API token of a user (deactivation): they stop working at once.
pub async fn revoke_tokens(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    Ok(api_token::Entity::delete_many().filter(api_token::Column::UserId.eq(user_id)).exec(db).await?.rows_affected)
}
