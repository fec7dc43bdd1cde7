//! The database: connect (with SQLite pragmas), migrate, seed, and the launch fairing
//! that does all three or aborts launch with a clear message. `Db` is the app's handle on
//! it, the one every store function takes. Also `begin_write`, the way to open a write
//! transaction (IMMEDIATE on SQLite, see PITFALLS 4; the handout's `store::held_write` on
//! SQLite is the one other, decision 0015).

use crate::config::Settings;
use crate::seed;
use crate::store::audit_queue::AuditQueue;
use crate::store::sqlite::SqliteFile;
use migrations::{Migrator, MigratorTrait};
use rocket::fairing::AdHoc;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::path::PathBuf;
use std::sync::Arc;
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
    #[error("{0}")]
    Settings(String),
    #[error("the demo's history could not be made: {0}")]
    DemoHistory(String),
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

/// The file path of a SQLite URL, if it names a file (not `sqlite::memory:`, not PostgreSQL).
pub fn sqlite_file_path(url: &str) -> Option<&str> {
    sqlite_path(url)
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

/// The app's handle on its database, made once by `connect` and kept by the app (Rocket
/// manages it; a CLI command holds its own): the pool, and what is kept beside it — the
/// connection writes go through, the queue of audit rows written on their own, and on a
/// SQLite file the fast paths' connections and switches (`store::sqlite`). Every store
/// function takes it. Queries run through it as through the pool (`ConnectionTrait`), so
/// SeaORM's finders and statements take it as they take a `DatabaseConnection`.
///
/// Cloning is cheap (one `Arc`); every clone shares the same parts. Two `Db`s opened on
/// one SQLite file (two apps in one test process) each have their own writer and queue,
/// as two processes would: they meet in SQLite's lock, with its busy timeout.
#[derive(Clone)]
pub struct Db(Arc<DbParts>);

struct DbParts {
    pool: DatabaseConnection,
    /// The connection writes go through (`writer`).
    writer: DatabaseConnection,
    /// The group commit of audit rows written on their own (None: one by one).
    audit: Option<Arc<AuditQueue>>,
    /// A SQLite file's fast paths (None on PostgreSQL and for SQLite in memory).
    sqlite: Option<SqliteFile>,
}

impl Db {
    /// A handle on a pool opened elsewhere, with none of the parts `connect` adds: writes go
    /// through the pool itself, audit rows one by one, no SQLite fast path. For a tool's
    /// or a test's own connection (a restored backup, a second look at a file).
    pub fn plain(pool: DatabaseConnection) -> Db {
        Db(Arc::new(DbParts { writer: pool.clone(), pool, audit: None, sqlite: None }))
    }

    /// The pool behind it (for what only SeaORM's own connection type offers).
    pub fn pool(&self) -> &DatabaseConnection {
        &self.0.pool
    }

    /// The connection writes go through. On SQLite, one writer at a time is all a file
    /// allows, and a connection that finds the lock taken sleeps in SQLite's busy handler
    /// (1, 2, 5, 10 … ms between tries) holding a pooled connection, while the lock it
    /// waits for is free again within a fraction of a millisecond. So a SQLite file gets
    /// one writer connection of its own, a pool of one: writers queue for it in order, each
    /// woken as the one before it commits, and the main pool is left to readers (decision
    /// 0012). On PostgreSQL (and SQLite in memory) it is the pool itself.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.0.writer
    }

    /// The queue that writes audit rows in batches (`store::audit_queue`), if this handle has one.
    pub(crate) fn audit_queue(&self) -> Option<&Arc<AuditQueue>> {
        self.0.audit.as_ref()
    }

    /// The SQLite file's fast paths, if this handle is on one and opened by `connect`.
    pub(crate) fn sqlite_file(&self) -> Option<&SqliteFile> {
        self.0.sqlite.as_ref()
    }

    /// Close the pools (a CLI command's last step; the app's are closed when it ends).
    pub async fn close(self) -> Result<(), DbErr> {
        let parts = Arc::try_unwrap(self.0).map_err(|_| DbErr::Custom("the database is still in use".into()))?;
        if parts.sqlite.is_some() {
            parts.writer.close().await?;
        }
        parts.pool.close().await
    }
}

/// Queries go to the pool; writes that must queue for the writer take `begin_write`.
#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.0.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.0.pool.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.0.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.0.pool.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.0.pool.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.0.pool.support_returning()
    }
}

/// Open the database with the right options for the backend: the pool, and beside it the
/// parts `Db` describes.
pub async fn connect(settings: &Settings) -> Result<Db, SetupError> {
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
    let pool = open_pool(settings, settings.database_pool_size.unwrap_or(default_pool)).await?;
    let (writer, sqlite) = match sqlite_file(&pool) {
        Some(file) => (open_pool(settings, 1).await?, Some(SqliteFile::new(file))),
        None => (pool.clone(), None),
    };
    // NOTE: SQLite in memory keeps each connection's database apart, so its audit rows
    // cannot go through a second connection; they are written one by one on the pool.
    let in_memory = pool.get_database_backend() == DbBackend::Sqlite && sqlite.is_none();
    let audit = (!in_memory).then(|| Arc::new(AuditQueue::new(writer.clone())));
    Ok(Db(Arc::new(DbParts { pool, writer, audit, sqlite })))
}

/// The SQLite file behind a pool, as its URL names it (None on PostgreSQL and in memory).
fn sqlite_file(db: &DatabaseConnection) -> Option<PathBuf> {
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
                    // report) is held under 16 MiB for the whole process; past it SQLite frees
                    // cached pages first. Without it a 1M-handout report at 4 connections took
                    // the server from 33 to 86 MiB resident (benches/load.sh); at 24 MiB the
                    // reports still took a 62.6 MiB server to 71.7 once the program itself
                    // had grown to 44 MiB at start (docs/benchmarks.md, 2026-12-05 evening).
                    .pragma("soft_heap_limit", SQLITE_SOFT_HEAP_LIMIT.to_string())
            })
            .map_sqlx_sqlite_pool_opts(|o| {
                o.after_connect(|conn, _| Box::pin(steady_plans(conn)))
                    .after_release(|conn, _| Box::pin(async move { Ok(outside_any_transaction(conn).await) }))
            });
    } else {
        // The name PostgreSQL's pg_stat_activity shows for these connections.
        opts.test_before_acquire_if_idle_for(Duration::from_secs(60))
            .map_sqlx_postgres_opts(|o| o.application_name("cribs"));
    }
    if let Some(schema) = &settings.database_schema {
        opts.set_schema_search_path(schema.clone());
    }
    Database::connect(opts).await.map_err(|source| SetupError::Connect { url: redact_url(&url), source })
}

/// Whether a SQLite connection given back to its pool is outside any transaction, as sqlx
/// counts them; a connection that is not is closed rather than reused (the pool opens a
/// fresh one).
///
/// NOTE: a COMMIT refused because the disk is full makes SQLite roll the transaction back
/// itself; sqlx then still counts it open, its rollback is refused ("no transaction is
/// active"), and the next write on that connection failed with "cannot start a transaction
/// within a transaction" — a 500 where the disk-full test wanted 507, and every later write
/// too until a restart (issue 24).
async fn outside_any_transaction(conn: &mut sea_orm::sqlx::SqliteConnection) -> bool {
    use sea_orm::sqlx::Connection;
    // NOTE: sqlx's own count, an atomic read: nothing is sent to the connection's thread, so
    // the hot paths pay nothing for it (decision 0013).
    let inside = conn.is_in_transaction();
    if inside {
        tracing::warn!("a SQLite connection came back inside a transaction: closing it");
    }
    !inside
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

/// The process-wide soft limit on SQLite's own memory, in bytes.
pub const SQLITE_SOFT_HEAP_LIMIT: u64 = 16 * 1024 * 1024;

/// Run every pending migration.
pub async fn migrate(db: &Db) -> Result<(), SetupError> {
    Migrator::up(db.pool(), None).await.map_err(SetupError::Migrate)
}

/// Connect, migrate and seed: everything launch needs from the database.
pub async fn prepare(settings: &Settings) -> Result<Db, SetupError> {
    let mut db = connect(settings).await?;
    migrate(&db).await?;
    if settings.is_sqlite() {
        // NOTE: a SQLite connection keeps the schema it read, and a statement it prepares
        // against that copy learns of a migration's new column only when it runs: sqlx
        // then holds one column fewer than the row has and panics reading it (a
        // `SELECT *` on a table the last migration widened). The connections that ran or
        // watched the migrations are closed, and fresh ones read the schema as it is now.
        db.close().await.map_err(SetupError::Migrate)?;
        db = connect(settings).await?;
    }
    let report = seed::run(&db, settings.demo()).await?;
    if report.demo_created && settings.cribs_demo_history.unwrap_or(settings.print_demo_logins) {
        demo_history(&db).await?;
    }
    if report.demo_created && settings.print_demo_logins {
        seed::print_demo_logins();
    }
    Ok(db)
}

/// Six months of synthetic families and hand-outs at the demo sites, ending yesterday, for
/// a demo that opens with something to show (`CRIBS_DEMO_HISTORY`).
async fn demo_history(db: &Db) -> Result<(), SetupError> {
    let end = crate::clock::today().pred_opt().unwrap_or_else(crate::clock::today);
    let opts = crate::generate::GenerateOptions { families: 240, seed: 7, months: 6, end, plain_names: true };
    let made = crate::generate::generate(db, &opts).await.map_err(SetupError::DemoHistory)?;
    tracing::info!(
        "demo history: {} families, {} hand-outs over six months, {} survey rounds ({} answered)",
        made.families,
        made.handouts,
        made.follow_ups,
        made.survey_answers
    );
    Ok(())
}

/// The launch fairing: connect → migrate → seed; on failure, one clear line and no launch.
pub fn stage(settings: Settings) -> AdHoc {
    AdHoc::try_on_ignite("Database: connect, migrate, seed", move |rocket| async move {
        let prepared = match prepare(&settings).await {
            Ok(db) => crate::store::account_security::rule_for(&db, settings.cribs_second_factor.as_deref())
                .await
                .map(|rule| (db, rule))
                .map_err(SetupError::Settings),
            Err(e) => Err(e),
        };
        match prepared {
            Ok((db, rule)) => {
                tracing::info!(
                    "two-step sign-in for administrators and managers: {}",
                    if rule.required { "required" } else { "optional" }
                );
                Ok(rocket.manage(db).manage(rule))
            }
            Err(e) => {
                eprintln!("cribs: cannot start: {e}");
                tracing::error!("cannot start: {e}");
                Err(rocket)
            }
        }
    })
}

/// Begin a write transaction on the writer connection (`Db::writer`): IMMEDIATE on SQLite,
/// so that a read followed by a write never fails with "database is locked"; an ordinary
/// BEGIN on PostgreSQL.
pub async fn begin_write(db: &Db) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.writer()
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await
        }
        _ => db.writer().begin().await,
    }
}

/// True when the error is a CHECK constraint violation (which `DbErr::sql_err` does not classify).
pub fn is_check_violation(err: &DbErr) -> bool {
    let text = err.to_string().to_ascii_lowercase();
    text.contains("check constraint") || text.contains("violates check")
}

/// Ping the database (for `/healthz`).
pub async fn ping(db: &Db) -> bool {
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
