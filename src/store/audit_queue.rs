//! Group commit for the audit rows written on their own (a search, a view, a sign-in): the
//! rows that arrive while the last batch is being written wait here and go in together,
//! one multi-row INSERT and one commit, and each caller is answered only once its own row
//! is written (decision 0013). On a busy check-in morning every search writes a row; one
//! at a time, each pays a round trip and a commit (on SQLite queued for the file's one
//! writer connection, on PostgreSQL a WAL flush).

use crate::entity::audit_event;
use sea_orm::{ConnAcquireErr, DatabaseConnection, DbErr, EntityTrait};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// At most this many rows in one INSERT (9 values each, far below SQLite's 32,766).
const MAX_BATCH: usize = 256;

/// The waiting rows of one database, and whether a task is writing them.
pub struct AuditQueue {
    writer: DatabaseConnection,
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    waiting: Vec<(audit_event::ActiveModel, oneshot::Sender<Result<(), Failure>>)>,
    draining: bool,
}

impl AuditQueue {
    /// A queue whose rows go in through `writer` (`Db::writer`); `db::connect` makes one
    /// per database it opens, and the app keeps it in its `Db`.
    pub fn new(writer: DatabaseConnection) -> AuditQueue {
        AuditQueue { writer, state: Mutex::new(QueueState::default()) }
    }

    fn state(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queue one row and wait until it is written (or its INSERT failed).
    pub async fn record(self: &Arc<Self>, row: audit_event::ActiveModel) -> Result<(), DbErr> {
        let (sent, written) = oneshot::channel();
        let start = {
            let mut state = self.state();
            state.waiting.push((row, sent));
            !std::mem::replace(&mut state.draining, true)
        };
        if start {
            // NOTE: a task of its own, so a request that goes away mid-write cannot take
            // the other callers' rows with it.
            tokio::spawn(self.clone().drain());
        }
        match written.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Failure::Busy)) => Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            Ok(Err(Failure::Db(e))) => Err(e),
            Err(_) => Err(DbErr::Custom("the audit row was not written: the server is stopping".into())),
        }
    }

    /// Write what is waiting, batch after batch, until nothing is.
    async fn drain(self: Arc<Self>) {
        let mut guard = Draining { queue: &self, finished: false };
        loop {
            let batch: Vec<_> = {
                let mut state = self.state();
                if state.waiting.is_empty() {
                    state.draining = false;
                    guard.finished = true;
                    return;
                }
                let n = state.waiting.len().min(MAX_BATCH);
                state.waiting.drain(..n).collect()
            };
            let (rows, senders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            match audit_event::Entity::insert_many(rows.clone()).exec_without_returning(&self.writer).await {
                Ok(_) => {
                    for s in senders {
                        let _ = s.send(Ok(()));
                    }
                }
                // No writer came free in time: the database is busy for every row alike.
                Err(DbErr::ConnectionAcquire(_)) => {
                    for s in senders {
                        let _ = s.send(Err(Failure::Busy));
                    }
                }
                // One bad row must not fail the others: each goes in alone, with its own answer.
                Err(_) => {
                    for (row, s) in rows.into_iter().zip(senders) {
                        let one = audit_event::Entity::insert(row).exec_without_returning(&self.writer).await;
                        let _ = s.send(one.map(|_| ()).map_err(Failure::from));
                    }
                }
            }
        }
    }
}

/// Why a queued row was not written, as each of its callers is told.
enum Failure {
    /// No writer connection came free within the acquire timeout, or SQLite was busy
    /// (answered 503 `busy`).
    Busy,
    /// The row's own INSERT failed: its error as the database gave it (so a full disk or
    /// a database gone away is answered as such, not as a fault).
    Db(DbErr),
}

impl From<DbErr> for Failure {
    fn from(e: DbErr) -> Failure {
        match e {
            DbErr::ConnectionAcquire(_) => Failure::Busy,
            e if crate::store::constraints::is_busy(&e) => Failure::Busy,
            e => Failure::Db(e),
        }
    }
}

/// Lets the next caller start a new writing task if this one is dropped unfinished (its
/// runtime shutting down): its unwritten rows' callers are told so by their dropped senders.
struct Draining<'a> {
    queue: &'a AuditQueue,
    finished: bool,
}

impl Drop for Draining<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.queue.state().draining = false;
        }
    }
}
