//! `Answer`: a status and a JSON body, the one shape API handlers return; and
//! `run_write`, which runs a write in one transaction under an optional idempotency key
//! (`run_write_prepared` with a read first, `run_write_prepared_in` with the caller's own
//! kind of transaction, `store::write_txn`).

use crate::db::begin_write;
use crate::error::{json_response, AppError};
use crate::store::idempotency::{self, StoredAnswer};
use crate::store::write_txn::WriteTxn;
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

/// A JSON answer with its status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: Status,
    pub body: Value,
}

impl Answer {
    /// 200 with a serialisable body.
    pub fn ok<T: Serialize>(body: &T) -> Result<Answer, AppError> {
        Answer::with(Status::Ok, body)
    }
    /// 201 with a serialisable body.
    pub fn created<T: Serialize>(body: &T) -> Result<Answer, AppError> {
        Answer::with(Status::Created, body)
    }
    /// Any status with a serialisable body.
    pub fn with<T: Serialize>(status: Status, body: &T) -> Result<Answer, AppError> {
        let body = serde_json::to_value(body).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Answer { status, body })
    }
    fn from_error(e: &AppError) -> Answer {
        Answer { status: e.status(), body: e.to_json() }
    }
    fn from_stored(s: StoredAnswer) -> Answer {
        Answer { status: Status::from_code(s.status).unwrap_or(Status::InternalServerError), body: s.body }
    }
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        Ok(json_response(self.status, &self.body))
    }
}

/// Validate an `Idempotency-Key` header value.
fn checked_key(key: Option<String>) -> Result<Option<String>, AppError> {
    match key {
        None => Ok(None),
        Some(k) if k.is_empty() || k.chars().count() > 200 => {
            Err(AppError::validation("Idempotency-Key", "The Idempotency-Key header must be 1 to 200 characters."))
        }
        Some(k) => Ok(Some(k)),
    }
}

/// Run a write in one transaction. The action gets the transaction and gives it back with
/// its result. With a key: a stored answer for the same key and body is replayed; a 2xx is
/// stored in the same transaction; a 4xx is stored after rolling the action back; a race
/// between two requests with one key is settled by the unique index (the loser replays).
pub async fn run_write<F, Fut>(
    db: &DatabaseConnection,
    user_id: i64,
    key: Option<String>,
    route: &str,
    body: &Value,
    action: F,
) -> Result<Answer, AppError>
where
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<Answer, AppError>)>,
{
    run_write_prepared(db, user_id, WriteKey::Api(key), route, body, || async { Ok(()) }, |txn, ()| action(txn)).await
}

/// `run_write` for a page form carrying a per-form token (`WriteKey::Form`: only a success
/// is kept).
pub async fn run_form_write<F, Fut>(
    db: &DatabaseConnection,
    user_id: i64,
    token: &str,
    route: &str,
    body: &Value,
    action: F,
) -> Result<Answer, AppError>
where
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<Answer, AppError>)>,
{
    run_write_prepared(db, user_id, WriteKey::Form(token), route, body, || async { Ok(()) }, |txn, ()| action(txn))
        .await
}

/// Whose key a write carries, which decides what is kept for a retry: an API client's
/// `Idempotency-Key` (every 2xx and 4xx answer is kept), or a page form's per-form token
/// (only a success is kept, so a refused form can be corrected and sent again with the
/// same token, while a double click on one that succeeded replays the first answer).
#[derive(Debug, Clone)]
pub enum WriteKey<'a> {
    Api(Option<String>),
    Form(&'a str),
}

impl WriteKey<'_> {
    /// The stored key (None = nothing is kept) and whether 4xx answers are kept.
    fn parts(self) -> (Option<String>, bool) {
        match self {
            WriteKey::Api(key) => (key, true),
            WriteKey::Form(token) => ((!token.is_empty()).then(|| format!("form:{token}")), false),
        }
    }
}

/// `run_write` with a read step first: `prepare` runs on the pool, after a stored answer
/// was looked for and before the write transaction opens, so what it reads does not hold
/// the write lock (on SQLite, one writer at a time); `action` gets what it found. A refusal
/// from `prepare` is answered (and, with a key, stored) like one from `action`. Whatever
/// `action` relies on from `prepare` it must re-check with a conditional write or a
/// constraint: other writers may commit in between.
pub async fn run_write_prepared<P, PFut, T, F, Fut>(
    db: &DatabaseConnection,
    user_id: i64,
    key: WriteKey<'_>,
    route: &str,
    body: &Value,
    prepare: P,
    action: F,
) -> Result<Answer, AppError>
where
    P: FnOnce() -> PFut,
    PFut: Future<Output = Result<T, AppError>>,
    F: FnOnce(DatabaseTransaction, T) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<Answer, AppError>)>,
{
    let begin = |_: &T, _: bool| async { Ok(begin_write(db).await?) };
    run_write_prepared_in(db, user_id, key, route, body, prepare, begin, action).await
}

/// `run_write_prepared` with the write transaction opened by `begin`, from what `prepare`
/// found and whether an answer is to be kept (the handout chooses a `HeldWrite` on SQLite
/// this way, `store::write_txn`).
#[allow(clippy::too_many_arguments)]
pub async fn run_write_prepared_in<P, PFut, T, B, BFut, W, F, Fut>(
    db: &DatabaseConnection,
    user_id: i64,
    key: WriteKey<'_>,
    route: &str,
    body: &Value,
    prepare: P,
    begin: B,
    action: F,
) -> Result<Answer, AppError>
where
    P: FnOnce() -> PFut,
    PFut: Future<Output = Result<T, AppError>>,
    B: FnOnce(&T, bool) -> BFut,
    BFut: Future<Output = Result<W, AppError>>,
    W: WriteTxn,
    F: FnOnce(W, T) -> Fut,
    Fut: Future<Output = (W, Result<Answer, AppError>)>,
{
    let (key, keep_client_errors) = key.parts();
    let key = checked_key(key)?;
    let hash = idempotency::request_hash(route, body);
    if let Some(k) = &key {
        if let Some(stored) = idempotency::find(db, user_id, k, &hash).await? {
            return Ok(Answer::from_stored(stored));
        }
    }
    let prepared = match prepare().await {
        Ok(p) => p,
        Err(e) => return refused(db, user_id, key, &hash, keep_client_errors, e).await,
    };
    // NOTE: no second look for the key inside the transaction: a request with the same key
    // that commits meanwhile makes `commit_keeping` find the key taken, and this one rolls
    // back and replays that answer (one statement fewer under the write lock).
    let txn = begin(&prepared, key.is_some()).await?;
    let (txn, result) = action(txn, prepared).await;
    match (result, key) {
        (Ok(answer), None) => {
            txn.commit().await?;
            Ok(answer)
        }
        (Ok(answer), Some(k)) => {
            let stored = StoredAnswer { status: answer.status.code, body: answer.body.clone() };
            if txn.commit_keeping(user_id, &k, &hash, &stored).await? {
                Ok(answer)
            } else {
                replay(db, user_id, &k, &hash).await
            }
        }
        (Err(e), key) => {
            txn.rollback().await?;
            refused(db, user_id, key, &hash, keep_client_errors, e).await
        }
    }
}

/// A refused write (nothing of it written): with a key and a 4xx to keep, store the answer
/// so a retry replays it (or replay the one a racing request stored first).
async fn refused(
    db: &DatabaseConnection,
    user_id: i64,
    key: Option<String>,
    hash: &str,
    keep_client_errors: bool,
    e: AppError,
) -> Result<Answer, AppError> {
    let is_client_error = keep_client_errors && (400..500).contains(&e.status().code);
    match key {
        Some(k) if is_client_error => {
            let answer = Answer::from_error(&e);
            let stored = StoredAnswer { status: answer.status.code, body: answer.body.clone() };
            let txn = begin_write(db).await?;
            let saved = idempotency::save(&txn, user_id, &k, hash, &stored).await?;
            txn.commit().await?;
            if saved {
                Ok(answer)
            } else {
                replay(db, user_id, &k, hash).await
            }
        }
        // A refusal not kept (a page form's, or a server error) may be the loser of a race
        // with the same key: the winner's answer, when there is one by now, is the answer.
        Some(k) => match idempotency::find(db, user_id, &k, hash).await {
            Ok(Some(stored)) => Ok(Answer::from_stored(stored)),
            _ => Err(e),
        },
        None => Err(e),
    }
}

async fn replay(db: &DatabaseConnection, user_id: i64, key: &str, hash: &str) -> Result<Answer, AppError> {
    match idempotency::find(db, user_id, key, hash).await? {
        Some(stored) => Ok(Answer::from_stored(stored)),
        None => Err(AppError::Internal("idempotency answer vanished".into())),
    }
}
