//! The one write runner: every business write opens its transaction here, under its key,
//! and nowhere else (decision 0017). A key is either an API client's `Idempotency-Key` or a
//! page form's one-time `FormToken`; both are kept in `idempotency_keys` per user, spelled
//! as sent (API) or `form:<token>` (a form), with the hash of the route and the body.
//!
//! The contract, for both faces:
//! - the same key with the same body answers the first completed answer again, without
//!   writing (`Ran::replayed`); with another body it is 409 `idempotency_conflict`;
//! - a success is kept in the same transaction as the write, so it is kept exactly when the
//!   write committed;
//! - a refusal (4xx) is kept for an API key (so a retry gets the same answer), never for a
//!   form token (the person corrects the form and sends it again with the same token);
//! - a server error (5xx) is never kept.
//!
//! Re-checking inside the transaction: the runner looks for a kept answer before it opens
//! the transaction, and not again inside it. Two requests with one key that both get past
//! that look both run the action; the first to commit keeps its answer, and the unique
//! index on (user, key) makes the second one's keep fail, so its whole transaction is
//! rolled back and it answers the first one's answer. So an action may never have an
//! effect outside its transaction (it has none: messages are outbox rows, DESIGN.md 11).
//!
//! `dry_run` runs an action in a write transaction and rolls it back: the confirmation pages
//! show exactly what the write would do, and refuse what it would refuse.

use crate::db::begin_write;
use crate::db::Db;
use crate::error::AppError;
use crate::store::idempotency::{self, StoredAnswer};
use crate::store::write_txn::WriteTxn;
use sea_orm::DatabaseTransaction;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

/// A page form's one-time token: 16 to 100 letters, digits, `-` or `_`. A form page is
/// rendered with a fresh one; its POST is written at most once per token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken(Option<String>);

impl FormToken {
    /// A fresh random token for a form being rendered.
    pub fn fresh() -> FormToken {
        FormToken(Some(crate::auth::token::random_token()))
    }

    /// A submitted token; one that is missing or not of our making is kept as unusable, and
    /// the runner refuses the write with a sentence (nothing is written without a key).
    pub fn submitted(text: &str) -> FormToken {
        let t = text.trim();
        let usable =
            (16..=100).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        FormToken(usable.then(|| t.to_string()))
    }

    /// The token to render back into a form: the submitted one when usable (a refused form
    /// keeps its token, since nothing of it was kept), else a fresh one.
    pub fn or_fresh(&self) -> String {
        match &self.0 {
            Some(t) => t.clone(),
            None => crate::auth::token::random_token(),
        }
    }

    /// Whether the token can key a write.
    pub fn is_usable(&self) -> bool {
        self.0.is_some()
    }

    /// The token to carry on: this one when usable (a refused form keeps its token, since
    /// nothing of it was kept), else a fresh one.
    pub fn kept(&self) -> FormToken {
        match &self.0 {
            Some(_) => self.clone(),
            None => FormToken::fresh(),
        }
    }
}

/// A form that came without a token has an unusable one (the write is refused).
impl Default for FormToken {
    fn default() -> FormToken {
        FormToken(None)
    }
}

impl std::fmt::Display for FormToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_deref().unwrap_or(""))
    }
}

impl Serialize for FormToken {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_deref().unwrap_or(""))
    }
}

/// The key a write runs under.
#[derive(Debug, Clone)]
pub enum WriteKey {
    /// An API client's `Idempotency-Key` header, if it sent one (1 to 200 characters).
    Api(Option<String>),
    /// A page form's token.
    Form(FormToken),
}

impl WriteKey {
    /// The stored spelling of the key (None: the client sent none), and whether refusals
    /// are kept; or the refusal of a key that cannot be used.
    fn parts(&self) -> Result<(Option<String>, bool), AppError> {
        match self {
            WriteKey::Api(None) => Ok((None, true)),
            WriteKey::Api(Some(k)) if k.is_empty() || k.chars().count() > 200 => {
                Err(AppError::validation("Idempotency-Key", "The Idempotency-Key header must be 1 to 200 characters."))
            }
            WriteKey::Api(Some(k)) => Ok((Some(k.clone()), true)),
            WriteKey::Form(FormToken(Some(t))) => Ok((Some(format!("form:{t}")), false)),
            WriteKey::Form(FormToken(None)) => Err(AppError::BadRequest(
                "This form could not be matched to the page it came from, so nothing was saved. \
                 Go back, reload the page and send it again."
                    .into(),
            )),
        }
    }
}

/// One write as asked for: under which key, to which route, with which body (the route
/// and body are hashed: the same key with another request is a conflict).
#[derive(Debug, Clone)]
pub struct WriteRequest<'a> {
    pub key: WriteKey,
    pub route: &'a str,
    pub body: &'a Value,
}

/// How an action runs: for real under its key, or as a dry run that is rolled back (the
/// confirmation pages).
#[derive(Debug, Clone)]
pub enum Mode<'a> {
    Write(WriteRequest<'a>),
    DryRun,
}

impl<'a> Mode<'a> {
    /// A real write of a request under a key.
    pub fn write(key: WriteKey, route: &'a str, body: &'a Value) -> Mode<'a> {
        Mode::Write(WriteRequest { key, route, body })
    }
}

/// What a write answered: the action's value, and whether it is a kept answer given again
/// (nothing was written this time).
#[derive(Debug, Clone)]
pub struct Ran<T> {
    pub value: T,
    pub replayed: bool,
}

/// Run a business action in one transaction under its key (or as a dry run). `done_status`
/// is the HTTP status a success is kept with (201 for what it creates, else 200).
pub async fn run<T, F, Fut>(
    db: &Db,
    user_id: i64,
    mode: Mode<'_>,
    done_status: u16,
    action: F,
) -> Result<Ran<T>, AppError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<T, AppError>)>,
{
    let req = match mode {
        Mode::Write(req) => req,
        Mode::DryRun => return dry_run(db, action).await.map(|value| Ran { value, replayed: false }),
    };
    let begin = |_: &(), _: bool| async { Ok(begin_write(db).await?) };
    run_prepared(db, user_id, req, done_status, || async { Ok(()) }, begin, |txn, ()| action(txn)).await
}

/// `run` with a read step first and the transaction opened by `begin`: `prepare` runs on
/// the pool after a kept answer was looked for and before the write transaction opens, so
/// what it reads does not hold the write lock (on SQLite, one writer at a time); `begin`
/// opens the transaction from what it found and whether an answer is to be kept (the
/// handout chooses a `HeldWrite` on SQLite this way, decision 0015); `action` writes. A
/// refusal from `prepare` is answered like one from `action`. Whatever `action` relies on
/// from `prepare` it must re-check with a conditional write or a constraint: other writers
/// may commit in between.
pub async fn run_prepared<T, P, PFut, R, B, BFut, W, F, Fut>(
    db: &Db,
    user_id: i64,
    req: WriteRequest<'_>,
    done_status: u16,
    prepare: P,
    begin: B,
    action: F,
) -> Result<Ran<T>, AppError>
where
    T: Serialize + DeserializeOwned,
    P: FnOnce() -> PFut,
    PFut: Future<Output = Result<R, AppError>>,
    B: FnOnce(&R, bool) -> BFut,
    BFut: Future<Output = Result<W, AppError>>,
    W: WriteTxn,
    F: FnOnce(W, R) -> Fut,
    Fut: Future<Output = (W, Result<T, AppError>)>,
{
    let (key, keep_refusals) = req.key.parts()?;
    let hash = idempotency::request_hash(req.route, req.body);
    if let Some(k) = &key {
        if let Some(stored) = idempotency::find(db, user_id, k, &hash).await? {
            return replayed(stored);
        }
    }
    let prepared = match prepare().await {
        Ok(p) => p,
        Err(e) => return refused(db, user_id, key, &hash, keep_refusals, e).await,
    };
    let txn = begin(&prepared, key.is_some()).await?;
    let (txn, result) = action(txn, prepared).await;
    match (result, key) {
        (Ok(value), None) => {
            txn.commit().await?;
            Ok(Ran { value, replayed: false })
        }
        (Ok(value), Some(k)) => {
            let body = match serde_json::to_value(&value) {
                Ok(body) => body,
                Err(e) => {
                    txn.rollback().await?;
                    return Err(AppError::Internal(format!("an answer to keep: {e}")));
                }
            };
            let stored = StoredAnswer { status: done_status, body };
            if txn.commit_keeping(user_id, &k, &hash, &stored).await? {
                Ok(Ran { value, replayed: false })
            } else {
                replay(db, user_id, &k, &hash).await
            }
        }
        (Err(e), key) => {
            txn.rollback().await?;
            refused(db, user_id, key, &hash, keep_refusals, e).await
        }
    }
}

/// Run an action in a write transaction and roll it back: the dry run behind a
/// confirmation page. Nothing it does is kept (PostgreSQL may skip an id or two).
async fn dry_run<T, F, Fut>(db: &Db, action: F) -> Result<T, AppError>
where
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = (DatabaseTransaction, Result<T, AppError>)>,
{
    let txn = begin_write(db).await?;
    let (txn, result) = action(txn).await;
    txn.rollback().await?;
    result
}

/// A kept answer given again: a success as the action's value, a kept refusal as the
/// error it was (`AppError::Kept`, answered as stored).
fn replayed<T: DeserializeOwned>(stored: StoredAnswer) -> Result<Ran<T>, AppError> {
    if (200..300).contains(&stored.status) {
        let value = serde_json::from_value(stored.body)
            .map_err(|e| AppError::Internal(format!("a kept answer does not read back: {e}")))?;
        Ok(Ran { value, replayed: true })
    } else {
        Err(AppError::Kept { status: stored.status, body: stored.body })
    }
}

/// A refused write (nothing of it written): with a key and a 4xx to keep, keep the answer
/// so a retry replays it (or replay the one a racing request kept first).
async fn refused<T: DeserializeOwned>(
    db: &Db,
    user_id: i64,
    key: Option<String>,
    hash: &str,
    keep_refusals: bool,
    e: AppError,
) -> Result<Ran<T>, AppError> {
    let keep = keep_refusals && (400..500).contains(&e.status().code);
    match key {
        Some(k) if keep => {
            let stored = StoredAnswer { status: e.status().code, body: e.to_json() };
            let txn = begin_write(db).await?;
            let saved = idempotency::save(&txn, user_id, &k, hash, &stored).await?;
            txn.commit().await?;
            if saved {
                Err(e)
            } else {
                replay(db, user_id, &k, hash).await
            }
        }
        // A refusal not kept (a form's, or a server error) may be the loser of a race with
        // the same key: the winner's answer, when there is one by now, is the answer.
        Some(k) => match idempotency::find(db, user_id, &k, hash).await {
            Ok(Some(stored)) => replayed(stored),
            _ => Err(e),
        },
        None => Err(e),
    }
}

async fn replay<T: DeserializeOwned>(db: &Db, user_id: i64, key: &str, hash: &str) -> Result<Ran<T>, AppError> {
    match idempotency::find(db, user_id, key, hash).await? {
        Some(stored) => replayed(stored),
        None => Err(AppError::Internal("a kept answer vanished".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_have_one_rule() {
        let fresh = FormToken::fresh();
        assert!(fresh.is_usable());
        let again = FormToken::submitted(&fresh.to_string());
        assert_eq!(again, fresh);
        assert_eq!(again.or_fresh(), fresh.to_string());
        for bad in ["", "short", "<script>alert(1)</script>-----", &"x".repeat(101)] {
            let t = FormToken::submitted(bad);
            assert!(!t.is_usable(), "{bad:?}");
            assert!(FormToken::submitted(&t.or_fresh()).is_usable(), "a refused token is replaced by a fresh one");
        }
    }

    #[test]
    fn keys_are_spelled_once() {
        let t = FormToken::fresh();
        assert_eq!(WriteKey::Form(t.clone()).parts().ok(), Some((Some(format!("form:{t}")), false)));
        assert_eq!(WriteKey::Api(Some("k-1".into())).parts().ok(), Some((Some("k-1".into()), true)));
        assert_eq!(WriteKey::Api(None).parts().ok(), Some((None, true)));
        assert!(matches!(WriteKey::Api(Some(String::new())).parts(), Err(AppError::Validation(_))));
        assert!(matches!(WriteKey::Api(Some("k".repeat(201))).parts(), Err(AppError::Validation(_))));
        assert!(matches!(WriteKey::Form(FormToken::submitted("")).parts(), Err(AppError::BadRequest(_))));
    }
}
