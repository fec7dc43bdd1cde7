//! The database: connect (with SQLite pragmas), migrate, seed, and the launch fairing
//! that does all three or aborts launch with a clear message. Also `begin_write`, the way
//! to open a write transaction (IMMEDIATE on SQLite, see PITFALLS 4; the handout's
//! `store::held_write` on SQLite is the one other, decision 0015).

use crate::config::Settings;
use crate::seed;
use migrations::{Migrator, MigratorTrait};
use rocket::fairing::AdHoc;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Pool size measured for the take-one-crib transaction (PITFALLS 8): SQLite 4, PostgreSQL 8.
const SQLITE_POOL: u32 = 4;
const POSTGRES_POOL: u32 = 8;

/// Anything that can go wrong while preparing the database at launch.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot create the directory for the SQLite file {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("cannot connect to the database ({url}): {source}")]
    Connect { url: String, source: DbErr },
    #[error("database migration failed: {0}")]
    Migrate(DbErr),
    #[error("seeding failed: {0}")]
    Seed(#[from] seed::SeedError),
}

/// Hide the password in a database URL before printing it.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The file path of a SQLite URL, if it names a file.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path)
    }
}

/// Open the pool with the right options for the backend.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, SetupError> {
    let url = settings.database_url.clone();
    if settings.is_sqlite() {
        if let Some(path) = sqlite_path(&url) {
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| SetupError::Directory(path.to_string(), e))?;
                }
            }
        }
    }
    let default_pool = if settings.is_sqlite() { SQLITE_POOL } else { POSTGRES_POOL };
    let db = open_pool(settings, settings.database_pool_size.unwrap_or(default_pool)).await?;
    if let Some(file) = sqlite_file(&db) {
        // NOTE: the first pool opened on a file in this process gives it its writer; a
        // second `connect` to the same file (a test's own connection, a CLI command run
        // in-process) shares that writer, so their writes queue in the same line.
        if !crate::store::sqlite::writer::has_writer(&file) {
            let writer = open_pool(settings, 1).await?;
            crate::store::sqlite::writer::register(file, writer);
        }
    }
    Ok(db)
}

/// The SQLite file behind a pool, as its URL names it (None on PostgreSQL and in memory).
pub(crate) fn sqlite_file(db: &DatabaseConnection) -> Option<PathBuf> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    (!file.as_os_str().is_empty() && file.as_os_str() != ":memory:").then_some(file)
}

/// Open one pool of `size` connections with the options for the backend.
async fn open_pool(settings: &Settings, size: u32) -> Result<DatabaseConnection, SetupError> {
    let url = settings.database_url.clone();
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(size)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(settings.database_connect_timeout))
        .acquire_timeout(Duration::from_secs(settings.database_connect_timeout.max(5)))
        .sqlx_logging(false);
    // NOTE: sqlx pings every connection it hands out by default: one more round trip
    // before every statement (on SQLite, to the connection's own thread; on PostgreSQL,
    // over the network). A SQLite file cannot hang up, so it is never pinged; a PostgreSQL
    // connection is pinged only after a minute idle, when a server restart or a firewall
    // could have dropped it (decision 0013).
    if settings.is_sqlite() {
        opts.test_before_acquire(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // NOTE: SQLite's memory (page caches, sorters, the temporary tables of a
                    // report) is held under 24 MiB for the whole process; past it SQLite frees
                    // cached pages first. Without it a 1M-handout report at 4 connections took
                    // the server from 33 to 86 MiB resident (benches/load.sh).
                    .pragma("soft_heap_limit", SQLITE_SOFT_HEAP_LIMIT.to_string())
            })
            .map_sqlx_sqlite_pool_opts(|o| o.after_connect(|conn, _| Box::pin(steady_plans(conn))));
    } else {
        // NOTE: each pool gets a name of its own (`cribs-<pid>-<n>`, shown in PostgreSQL's
        // pg_stat_activity), by which `store::audit_queue` tells one pool from another.
        let name = format!("cribs-{}-{}", std::process::id(), POOLS_OPENED.fetch_add(1, Ordering::Relaxed));
        opts.test_before_acquire_if_idle_for(Duration::from_secs(60))
            .map_sqlx_postgres_opts(move |o| o.application_name(&name));
    }
    if let Some(schema) = &settings.database_schema {
        opts.set_schema_search_path(schema.clone());
    }
    Database::connect(opts).await.map_err(|source| SetupError::Connect { url: redact_url(&url), source })
}

/// Plan each statement once (SQLite's query planner stability guarantee, QPSG).
///
/// NOTE: this SQLite is built with STAT4, and `ANALYZE` (run by `cribs generate`, or by an
/// operator) keeps sample values per index. With them the planner weighs a statement's
/// bound values, and SQLite marks the statement to be planned again whenever one is
/// bound: every execution re-parsed its SQL. A search spent about half its CPU there
/// (decision 0016). With QPSG the plan comes from the statistics alone and a prepared
/// statement is reused as it is. `store::inline_read` sets it on its own connections too.
async fn steady_plans(conn: &mut sea_orm::sqlx::SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, held for this thread while `handle`
    // lives; SQLITE_DBCONFIG_ENABLE_QPSG takes an int (1: on) and an int* that may be null.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_config(
            db,
            rusqlite::ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(sea_orm::sqlx::Error::Configuration(format!("SQLite refused its planner setting (code {rc})").into()))
    }
}

/// PostgreSQL pools opened by this process so far (for their application names).
static POOLS_OPENED: AtomicU64 = AtomicU64::new(0);

/// The name a PostgreSQL pool opened by `connect` carries (None elsewhere).
pub(crate) fn postgres_pool_name(db: &DatabaseConnection) -> Option<String> {
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let name = db.get_postgres_connection_pool().connect_options().get_application_name()?.to_string();
    name.starts_with("cribs-").then_some(name)
}

/// The process-wide soft limit on SQLite's own memory, in bytes.
pub const SQLITE_SOFT_HEAP_LIMIT: u64 = 24 * 1024 * 1024;

/// Run every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), SetupError> {
    Migrator::up(db, None).await.map_err(SetupError::Migrate)
}

/// Connect, migrate and seed: everything launch needs from the database.
pub async fn prepare(settings: &Settings) -> Result<DatabaseConnection, SetupError> {
    let db = connect(settings).await?;
    migrate(&db).await?;
    let report = seed::run(&db, settings.cribs_demo).await?;
    if report.demo_created && settings.print_demo_logins {
        seed::print_demo_logins();
    }
    Ok(db)
}

/// The launch fairing: connect → migrate → seed; on failure, one clear line and no launch.
pub fn stage(settings: Settings) -> AdHoc {
    AdHoc::try_on_ignite("Database: connect, migrate, seed", move |rocket| async move {
        match prepare(&settings).await {
            Ok(db) => Ok(rocket.manage(db)),
            Err(e) => {
                eprintln!("cribs: cannot start: {e}");
                tracing::error!("cannot start: {e}");
                Err(rocket)
            }
        }
    })
}

/// Begin a write transaction: on SQLite on the file's writer connection (`writer`), and
/// IMMEDIATE so that a read followed by a write never fails with "database is locked";
/// an ordinary BEGIN on PostgreSQL.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            crate::store::sqlite::writer::writer(db)
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await
        }
        _ => db.begin().await,
    }
}

/// True when the error is a CHECK constraint violation (which `DbErr::sql_err` does not classify).
pub fn is_check_violation(err: &DbErr) -> bool {
    let text = err.to_string().to_ascii_lowercase();
    text.contains("check constraint") || text.contains("violates check")
}

/// Ping the database (for `/healthz`).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("sqlite://data/cribs.db?mode=rwc"), "sqlite://data/cribs.db?mode=rwc");
    }

    #[test]
    fn finds_sqlite_path() {
        assert_eq!(sqlite_path("sqlite://data/cribs.db?mode=rwc"), Some("data/cribs.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }
}
