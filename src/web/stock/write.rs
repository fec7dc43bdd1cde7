//! The machinery every stock form shares: reading typed numbers and choices into field
//! errors, the per-form idempotency token, the dry run behind a confirmation page, and
//! `write_once`, which writes the confirmed action in one transaction under that token.
//!
//! A form's flow: GET renders it with a fresh token → POST `…/confirm` re-validates and
//! runs the very same store operation in a transaction that is rolled back (`preview`),
//! so the confirmation shows exactly what the write will do and refuses what it would
//! refuse → POST to the action runs it for real (`write_once`) and redirects.

use crate::api::validate::Problems;
use crate::auth::token::random_token;
use crate::db::begin_write;
use crate::entity::{crib_model, site};
use crate::error::{AppError, FieldErrors};
use crate::store::idempotency::{self, StoredAnswer};
use crate::store::{reference, stock_ops};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;

/// What a confirmed write did: where to go next and what to tell the person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Done {
    pub site_id: i64,
    pub message: String,
}

/// A fresh per-form token (also the idempotency key of the form's final POST).
pub fn fresh_token() -> String {
    random_token()
}

/// The submitted token if it looks like one of ours, or a fresh one.
pub fn kept_token(submitted: &str) -> String {
    if usable_token(submitted) {
        submitted.to_string()
    } else {
        fresh_token()
    }
}

/// Whether a submitted form token can serve as an idempotency key.
pub fn usable_token(t: &str) -> bool {
    (16..=100).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A whole number typed into a field; `None` (with the problem noted) when it is not one.
pub fn whole_number(p: &mut Problems, field: &str, text: &str, empty: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        p.add(field, empty);
        return None;
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        p.add(field, format!("Type a whole number using digits only, like 50; \"{}\" is not one.", clip(t)));
        return None;
    }
    match t.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            p.add(field, "That number is far too large.");
            None
        }
    }
}

/// An id chosen from a list; `None` (with the problem noted) when nothing valid was chosen.
pub fn chosen_id(p: &mut Problems, field: &str, text: &str, what: &str) -> Option<i64> {
    match text.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            p.add(field, format!("Choose {what} from the list."));
            None
        }
    }
}

/// An active site chosen from a list; `None` (with the problem noted) otherwise.
pub async fn pick_site(
    db: &impl ConnectionTrait,
    p: &mut Problems,
    field: &str,
    text: &str,
) -> Result<Option<site::Model>, AppError> {
    let Some(id) = chosen_id(p, field, text, "a site") else {
        return Ok(None);
    };
    let found = reference::site(db, id).await?;
    if found.is_none() {
        p.add(field, "Choose a site from the list.");
    }
    Ok(found)
}

/// A crib model chosen from a list; `None` (with the problem noted) otherwise.
pub async fn pick_model(
    db: &impl ConnectionTrait,
    p: &mut Problems,
    field: &str,
    text: &str,
) -> Result<Option<crib_model::Model>, AppError> {
    let Some(id) = chosen_id(p, field, text, "a crib model") else {
        return Ok(None);
    };
    match stock_ops::existing_model(db, id, field).await {
        Ok(m) => Ok(Some(m)),
        Err(AppError::Validation(_)) => {
            p.add(field, "Choose a crib model from the list.");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn clip(s: &str) -> String {
    let mut c: String = s.chars().take(20).collect();
    if s.chars().count() > 20 {
        c.push('…');
    }
    c
}

/// The field errors of a refusal the person can fix, or the error itself when it is not one.
/// `OutOfStock` and `Conflict` belong to `stock_field`, the field that asked for the stock.
pub fn refusal(e: AppError, stock_field: &str) -> Result<FieldErrors, AppError> {
    let mut f = FieldErrors::new();
    match e {
        AppError::Validation(fields) => return Ok(fields),
        AppError::OutOfStock(msg) | AppError::Conflict(msg) => {
            f.insert(stock_field.to_string(), vec![msg]);
        }
        other => return Err(other),
    }
    Ok(f)
}

/// Collected problems as field errors (empty when there are none).
pub fn problems_of(p: Problems) -> FieldErrors {
    match p.finish() {
        Ok(()) => FieldErrors::new(),
        Err(AppError::Validation(f)) => f,
        Err(_) => FieldErrors::new(),
    }
}

/// Run an action in a write transaction and roll it back: the dry run behind a
/// confirmation page. Nothing it does is kept (PostgreSQL may skip an id or two).
pub async fn preview<T, F, Fut>(db: &DatabaseConnection, action: F) -> Result<T, AppError>
where
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<T, AppError>)>,
{
    let txn = begin_write(db).await?;
    let (txn, result) = action(txn).await;
    txn.rollback().await?;
    result
}

/// Run a confirmed form's write once per form token. The token is the idempotency key
/// (scoped to the user, like the API's `Idempotency-Key`); a replay of the same form
/// returns the first `Done` without writing, a different form under the same token is a
/// 409. A refusal is not kept: nothing was written, so the person may fix it and resend.
pub async fn write_once<F, Fut>(
    db: &DatabaseConnection,
    user_id: i64,
    token: &str,
    route: &str,
    body: &Value,
    action: F,
) -> Result<Done, AppError>
where
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<Done, AppError>)>,
{
    let key = format!("form:{token}");
    let hash = idempotency::request_hash(route, body);
    if let Some(stored) = idempotency::find(db, user_id, &key, &hash).await? {
        return done_of(stored);
    }
    let txn = begin_write(db).await?;
    // NOTE: looked up again inside the transaction: a double click that waited for the
    // first click's write lock finds its answer here and writes nothing.
    if let Some(stored) = idempotency::find(&txn, user_id, &key, &hash).await? {
        txn.rollback().await?;
        return done_of(stored);
    }
    let (txn, result) = action(txn).await;
    match result {
        Ok(done) => {
            let body = serde_json::to_value(&done).map_err(|e| AppError::Internal(e.to_string()))?;
            if idempotency::save(&txn, user_id, &key, &hash, &StoredAnswer { status: 303, body }).await? {
                txn.commit().await?;
                Ok(done)
            } else {
                txn.rollback().await?;
                match idempotency::find(db, user_id, &key, &hash).await? {
                    Some(stored) => done_of(stored),
                    None => Err(AppError::Internal("idempotency answer vanished".into())),
                }
            }
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

fn done_of(stored: StoredAnswer) -> Result<Done, AppError> {
    serde_json::from_value(stored.body).map_err(|e| AppError::Internal(format!("stored form answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_with_a_reason_when_they_are_not() {
        let mut p = Problems::default();
        assert_eq!(whole_number(&mut p, "q", " 500 ", "required"), Some(500));
        assert_eq!(whole_number(&mut p, "q", "-3", "required"), Some(-3));
        assert_eq!(whole_number(&mut p, "a", "", "Type how many."), None);
        assert_eq!(whole_number(&mut p, "b", "ten", "required"), None);
        assert_eq!(whole_number(&mut p, "c", "1e3", "required"), None);
        assert_eq!(whole_number(&mut p, "d", "99999999999999999999999", "required"), None);
        assert_eq!(whole_number(&mut p, "e", "-", "required"), None);
        let f = problems_of(p);
        assert_eq!(f.keys().cloned().collect::<Vec<_>>(), ["a", "b", "c", "d", "e"]);
        assert_eq!(f["a"], ["Type how many."]);
    }

    #[test]
    fn tokens_are_checked() {
        let t = fresh_token();
        assert!(usable_token(&t));
        assert_eq!(kept_token(&t), t);
        assert!(!usable_token("short"));
        assert!(!usable_token("<script>alert(1)</script>-----"));
        assert_ne!(kept_token(""), "");
    }
}
