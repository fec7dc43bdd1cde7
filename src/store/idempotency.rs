//! Stored idempotency answers: the first completed answer (2xx or 4xx) to a key, per
//! caller, kept in the database so a retry that reaches another instance replays too.

use crate::entity::idempotency_key;
use crate::error::AppError;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::Value;

/// A stored answer.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: Value,
}

/// The hash of a request body: the same JSON value gives the same hash whatever its spacing.
pub fn request_hash(method_and_path: &str, body: &Value) -> String {
    crate::auth::token::sha256_hex(&format!("{method_and_path}\n{body}"))
}

/// The stored answer for this key, or a conflict if the key was used with another body.
pub async fn find(
    db: &impl ConnectionTrait,
    user_id: i64,
    key: &str,
    hash: &str,
) -> Result<Option<StoredAnswer>, AppError> {
    let found = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?;
    match found {
        None => Ok(None),
        Some(row) if row.request_hash != hash => Err(AppError::IdempotencyConflict),
        Some(row) => {
            let body = serde_json::from_str(&row.body).map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(Some(StoredAnswer { status: u16::try_from(row.status).unwrap_or(500), body }))
        }
    }
}

/// Store an answer; returns false when another request stored one for this key first.
pub async fn save(
    db: &impl ConnectionTrait,
    user_id: i64,
    key: &str,
    hash: &str,
    answer: &StoredAnswer,
) -> Result<bool, DbErr> {
    let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_string()),
        request_hash: Set(hash.to_string()),
        status: Set(i32::from(answer.status)),
        body: Set(answer.body.to_string()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([idempotency_key::Column::UserId, idempotency_key::Column::Key]).do_nothing().to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}
