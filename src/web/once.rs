//! Form writes that happen once: every form that changes something carries a random
//! per-form token, used as an idempotency key (`store::idempotency`, per user). A double
//! click or a resent form replays the first answer instead of writing twice.
//!
//! Unlike the API's `run_write`, only a completed write is remembered: a refused form or
//! a "possible duplicates" question is not, so the same page can be corrected and sent
//! again with its token.

use crate::auth::token::random_token;
use crate::db::begin_write;
use crate::error::AppError;
use crate::store::idempotency::{self, StoredAnswer};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde_json::Value;
use std::future::Future;

/// A fresh token for a form.
pub fn new_form_token() -> String {
    random_token()
}

/// The idempotency key of a submitted form token, or None when the token is unusable.
pub fn form_key(route: &str, token: &str) -> Option<String> {
    let token = token.trim();
    let ok =
        (16..=100).contains(&token.len()) && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| format!("form {route} {token}"))
}

/// What became of a form write.
#[derive(Debug)]
pub enum Written<T> {
    /// Written now; the answer that was stored.
    Done(Value),
    /// Written before with this token; the stored answer.
    Replayed(Value),
    /// Not written (rolled back): the action's reason, shown to the person.
    NotDone(T),
}

/// The action's verdict: `Ok(answer)` commits and remembers the answer; `Err(t)` rolls back.
pub type Verdict<T> = Result<Value, T>;

/// Run a form's write in one transaction, at most once per key.
pub async fn write_once<T, F, Fut>(
    db: &DatabaseConnection,
    user_id: i64,
    key: Option<String>,
    route: &str,
    body: &Value,
    action: F,
) -> Result<Written<T>, AppError>
where
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<Verdict<T>, AppError>)>,
{
    let hash = idempotency::request_hash(route, body);
    if let Some(k) = &key {
        if let Some(stored) = idempotency::find(db, user_id, k, &hash).await? {
            return Ok(Written::Replayed(stored.body));
        }
    }
    let txn = begin_write(db).await?;
    if let Some(k) = &key {
        if let Some(stored) = idempotency::find(&txn, user_id, k, &hash).await? {
            txn.rollback().await?;
            return Ok(Written::Replayed(stored.body));
        }
    }
    let (txn, result) = action(txn).await;
    match result {
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
        Ok(Err(reason)) => {
            txn.rollback().await?;
            Ok(Written::NotDone(reason))
        }
        Ok(Ok(answer)) => {
            let Some(k) = key else {
                txn.commit().await?;
                return Ok(Written::Done(answer));
            };
            let stored = StoredAnswer { status: 200, body: answer.clone() };
            if idempotency::save(&txn, user_id, &k, &hash, &stored).await? {
                txn.commit().await?;
                Ok(Written::Done(answer))
            } else {
                // Another request with this token finished first: give its answer.
                txn.rollback().await?;
                match idempotency::find(db, user_id, &k, &hash).await? {
                    Some(stored) => Ok(Written::Replayed(stored.body)),
                    None => Err(AppError::Internal("a form's stored answer vanished".into())),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_become_keys() {
        let t = new_form_token();
        assert_eq!(form_key("POST /x", &t), Some(format!("form POST /x {t}")));
        assert_eq!(form_key("POST /x", ""), None);
        assert_eq!(form_key("POST /x", "short"), None);
        assert_eq!(form_key("POST /x", &"a b".repeat(10)), None);
    }
}
