//! The SQLite file's one writer connection (decision 0012): a pool of one per file, which
//! every write transaction goes through, so writers queue in order instead of sleeping in
//! SQLite's busy handler. `db::connect` registers it; `writer` finds it.

use crate::db::sqlite_file;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

/// The connection writes go through. On SQLite, one writer at a time is all a file
/// allows, and a connection that finds the lock taken sleeps in SQLite's busy handler
/// (1, 2, 5, 10 … ms between tries) holding a pooled connection, while the lock it waits
/// for is free again within a fraction of a millisecond. So each SQLite file gets one
/// writer connection of its own, a pool of one: writers queue for it in order, each
/// woken as the one before it commits, and the main pool is left to readers (decision
/// 0012). On PostgreSQL (and SQLite in memory) it is the pool itself.
pub fn writer(db: &DatabaseConnection) -> DatabaseConnection {
    sqlite_file(db).and_then(|file| WRITERS.lock().ok()?.get(&file).cloned()).unwrap_or_else(|| db.clone())
}

/// The writer connection of every SQLite file opened in this process.
static WRITERS: LazyLock<Mutex<HashMap<PathBuf, DatabaseConnection>>> = LazyLock::new(Mutex::default);

/// Whether a file already has its writer (a second `connect` to it shares that one).
pub(crate) fn has_writer(file: &PathBuf) -> bool {
    WRITERS.lock().map(|w| w.contains_key(file)).unwrap_or(true)
}

/// Give a file its writer, unless it has one.
pub(crate) fn register(file: PathBuf, writer: DatabaseConnection) {
    if let Ok(mut w) = WRITERS.lock() {
        w.entry(file).or_insert(writer);
    }
}
