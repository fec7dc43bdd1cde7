//! Stored idempotency answers: the first completed answer (2xx or 4xx) to a key, per
//! caller, kept in the database so a retry that reaches another instance replays too.

use crate::entity::idempotency_key;
use crate::error::AppError;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryTrait, Statement,
};
use serde_json::Value;

/// A stored answer.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: Value,
}

/// The hash of a request body: the same JSON value gives the same hash whatever its spacing
/// and whatever the order of its keys.
pub fn request_hash(method_and_path: &str, body: &Value) -> String {
    let mut text = format!("{method_and_path}\n");
    canonical(body, &mut text);
    crate::auth::token::sha256_hex(&text)
}

/// Compact JSON with every object's keys sorted. NOTE: not `body.to_string()`: with
/// serde_json's `preserve_order` feature (which any crate in the build may turn on) that
/// keeps the keys in the order they came, and `{"a":1,"b":2}` would hash apart from
/// `{"b":2,"a":1}`. Without the feature both spell the same text, so stored hashes still match.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
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

/// The row that keeps an answer.
fn row(user_id: i64, key: &str, hash: &str, answer: &StoredAnswer) -> idempotency_key::ActiveModel {
    idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_string()),
        request_hash: Set(hash.to_string()),
        status: Set(i32::from(answer.status)),
        body: Set(answer.body.to_string()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
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
    let inserted = idempotency_key::Entity::insert(row(user_id, key, hash, answer))
        .on_conflict(
            OnConflict::columns([idempotency_key::Column::UserId, idempotency_key::Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// The SQLite INSERT that keeps an answer, failing on the unique index when the key is
/// taken (for `HeldWrite`, where it goes in one script with the COMMIT).
pub fn insert_statement(user_id: i64, key: &str, hash: &str, answer: &StoredAnswer) -> Statement {
    DbBackend::Sqlite.build(&idempotency_key::Entity::insert(row(user_id, key, hash, answer)).into_query())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_spacing_do_not_change_the_hash() {
        let a: Value = serde_json::from_str(
            r#"{"quantity": 5, "crib_model_id": 1, "x": {"b": [1, {"d": 1, "c": 2}], "a": null}}"#,
        )
        .expect("json");
        let b: Value = serde_json::from_str(r#"{"crib_model_id":1,"x":{"a":null,"b":[1,{"c":2,"d":1}]},"quantity":5}"#)
            .expect("json");
        assert_eq!(request_hash("POST /x", &a), request_hash("POST /x", &b));
        assert_ne!(request_hash("POST /x", &a), request_hash("POST /y", &a));
        assert_ne!(request_hash("POST /x", &json!({"q": 5})), request_hash("POST /x", &json!({"q": 6})));
        // The same text as serde_json's sorted (default) serialization, so stored hashes match.
        let mut text = String::new();
        canonical(&json!({"b": "\"q\"", "a": [1.5, true]}), &mut text);
        assert_eq!(text, r#"{"a":[1.5,true],"b":"\"q\""}"#);
    }
}
