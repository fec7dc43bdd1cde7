//! Reads answered on the request's own thread, on SQLite (decision 0016).
//!
//! sqlx runs each SQLite connection on a thread of its own: a statement is handed to that
//! thread, its rows handed back, and the connection pinged on its way back to the pool.
//! For the reads every signed-in request makes (who is calling) and the check-in search,
//! those hand-offs cost more CPU than SQLite's own work. Here the same statement, built by
//! SeaORM so the SQL is the one the pool would run, is run by a read-only connection of
//! this module's own, on the calling thread, and its rows are read into the same models
//! (`FromSqliteRow`, one per model read here, decoding values as sqlx does).
//!
//! It never decides an answer. When it cannot give one (PostgreSQL, SQLite in memory,
//! every inline connection in use, a value it does not bind or read, SQLite busy, a read
//! running past `BUDGET`), it says so and the caller runs the statement on the pool, which
//! reports any real error.

use crate::db::Db;
use crate::entity::{family, user};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::config::DbConfig;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, Value as Sqlite, ValueRef};
use rusqlite::{Connection, OpenFlags, Row};
use sea_orm::sea_query::Value;
use sea_orm::{DbBackend, DbErr, EntityTrait, QueryTrait, Select, Statement};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest an inline read may hold the request's thread (other requests wait on it
/// meanwhile); past it SQLite is interrupted and the pool runs the statement instead.
pub const BUDGET: Duration = Duration::from_millis(2);

/// Inline connections per SQLite file: one per thread that can be running a request at
/// once (Rocket's workers), with room for the blocking pool.
const CONNECTIONS: usize = 4;

/// The page cache of each inline connection, in KiB (SQLite's default is 2,000).
const INLINE_CACHE_KIB: i64 = 512;

/// A model read from a row of the statement SeaORM builds for it (columns by name).
pub trait FromSqliteRow: Sized {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

/// The entities a `Select` finds: inline when it can, else on the pool.
pub async fn all<E>(db: &Db, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: FromSqliteRow,
{
    if db.sqlite_file().is_some() {
        if let Some(models) = try_rows(db, &select.build(DbBackend::Sqlite)) {
            return Ok(models);
        }
    }
    select.all(db).await
}

/// The rows of a statement read inline, or None when it was not (see the module's doc).
pub fn try_rows<T: FromSqliteRow>(db: &Db, stmt: &Statement) -> Option<Vec<T>> {
    let file = db.sqlite_file().filter(|f| f.switches.inline_reads)?;
    let reader = &file.readers;
    let params = match &stmt.values {
        Some(values) => values.0.iter().map(bind).collect::<Option<Vec<_>>>()?,
        None => Vec::new(),
    };
    let conn = reader.take()?;
    let result = run(&conn, &stmt.sql, &params);
    reader.give_back(conn);
    match result {
        Ok(rows) => Some(rows),
        Err(why) => {
            tracing::debug!("an inline read went to the pool: {why}");
            None
        }
    }
}

/// The idle inline connections to one SQLite file (kept in the app's `Db`, see `SqliteFile`).
pub struct Reader {
    file: PathBuf,
    idle: Mutex<Vec<Connection>>,
    opened: AtomicUsize,
}

impl Reader {
    pub fn new(file: PathBuf) -> Reader {
        Reader { file, idle: Mutex::new(Vec::new()), opened: AtomicUsize::new(0) }
    }

    /// An idle connection, a new one while fewer than `CONNECTIONS` are open, or None.
    fn take(&self) -> Option<Connection> {
        if let Some(conn) = self.idle.lock().ok()?.pop() {
            return Some(conn);
        }
        self.opened.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < CONNECTIONS).then_some(n + 1)).ok()?;
        match open(&self.file) {
            Ok(conn) => Some(conn),
            Err(e) => {
                self.opened.fetch_sub(1, Ordering::AcqRel);
                tracing::debug!("an inline connection could not be opened: {e}");
                None
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        match self.idle.lock() {
            Ok(mut idle) => idle.push(conn),
            Err(_) => {
                self.opened.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

/// A read-only connection to the file. It never waits for a lock: a busy file sends the
/// read to the pool, whose connections wait in SQLite's busy handler.
fn open(file: &PathBuf) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::ZERO)?;
    // One plan per statement, as on the pool's connections (`db::steady_plans`).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(32);
    // NOTE: each connection's page cache is its own (SQLite recycles a cache's pages only
    // within it), so these hold what they read beside the pool's caches: a small cache
    // keeps the server under its memory target while a report runs (decision 0016).
    conn.pragma_update(None, "cache_size", -INLINE_CACHE_KIB)?;
    Ok(conn)
}

/// Run a statement and read its rows, interrupting it past `BUDGET`.
fn run<T: FromSqliteRow>(conn: &Connection, sql: &str, params: &[Sqlite]) -> rusqlite::Result<Vec<T>> {
    let deadline = Instant::now() + BUDGET;
    conn.progress_handler(1_000, Some(move || Instant::now() >= deadline))?;
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(params), |row| T::from_row(row))?;
    rows.collect()
}

/// A value bound as sqlx binds it for SQLite (`sea-query-sqlx`, sqlx's encoders); None for
/// a kind this module does not bind.
fn bind(value: &Value) -> Option<Sqlite> {
    let int = |v: Option<i64>| v.map_or(Sqlite::Null, Sqlite::Integer);
    Some(match value {
        Value::Bool(v) => int(v.map(i64::from)),
        Value::TinyInt(v) => int(v.map(i64::from)),
        Value::SmallInt(v) => int(v.map(i64::from)),
        Value::Int(v) => int(v.map(i64::from)),
        Value::BigInt(v) => int(*v),
        Value::TinyUnsigned(v) => int(v.map(i64::from)),
        Value::SmallUnsigned(v) => int(v.map(i64::from)),
        Value::Unsigned(v) => int(v.map(i64::from)),
        Value::BigUnsigned(v) => match v {
            Some(n) => Sqlite::Integer(i64::try_from(*n).ok()?),
            None => Sqlite::Null,
        },
        Value::Double(v) => v.map_or(Sqlite::Null, Sqlite::Real),
        Value::String(v) => v.clone().map_or(Sqlite::Null, Sqlite::Text),
        Value::ChronoDate(v) => v.map_or(Sqlite::Null, |d| Sqlite::Text(d.format("%F").to_string())),
        Value::ChronoDateTimeUtc(v) => {
            v.map_or(Sqlite::Null, |t| Sqlite::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
        }
        _ => return None,
    })
}

/// A date as sqlx reads one (`YYYY-MM-DD` text).
struct SqlDate(NaiveDate);

impl FromSql for SqlDate {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        NaiveDate::parse_from_str(value.as_str()?, "%F").map(SqlDate).map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// A timestamp as sqlx reads one from text (see `timestamp`).
struct SqlTime(DateTime<Utc>);

impl FromSql for SqlTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        timestamp(value.as_str()?).map(SqlTime).ok_or(FromSqlError::InvalidType)
    }
}

fn date(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<NaiveDate>> {
    Ok(row.get::<_, Option<SqlDate>>(column)?.map(|d| d.0))
}

fn time(row: &Row<'_>, column: &str) -> rusqlite::Result<DateTime<Utc>> {
    Ok(row.get::<_, SqlTime>(column)?.0)
}

impl FromSqliteRow for family::Model {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(family::Model {
            id: row.get("id")?,
            first_name: row.get("first_name")?,
            last_name: row.get("last_name")?,
            date_of_birth: date(row, "date_of_birth")?,
            phone: row.get("phone")?,
            phone_digits: row.get("phone_digits")?,
            preferred_language: row.get("preferred_language")?,
            address_line1: row.get("address_line1")?,
            city: row.get("city")?,
            state: row.get("state")?,
            zip: row.get("zip")?,
            neighborhood_id: row.get("neighborhood_id")?,
            household_size: row.get("household_size")?,
            annual_income_cents: row.get("annual_income_cents")?,
            enrollments: row.get("enrollments")?,
            has_safe_sleep_space: row.get("has_safe_sleep_space")?,
            race_ethnicity: row.get("race_ethnicity")?,
            registered_site_id: row.get("registered_site_id")?,
            created_by: row.get("created_by")?,
            created_at: time(row, "created_at")?,
            search_first: row.get("search_first")?,
            search_last: row.get("search_last")?,
            merged_into_id: row.get("merged_into_id")?,
            erased_at: row.get::<_, Option<SqlTime>>("erased_at")?.map(|t| t.0),
            phone_last4: row.get("phone_last4")?,
            phone_last7: row.get("phone_last7")?,
            sound_first: row.get("sound_first")?,
            sound_last: row.get("sound_last")?,
        })
    }
}

impl FromSqliteRow for user::Model {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(user::Model {
            id: row.get("id")?,
            email: row.get("email")?,
            display_name: row.get("display_name")?,
            password_hash: row.get("password_hash")?,
            role: row.get("role")?,
            hospital_site_id: row.get("hospital_site_id")?,
            active: row.get("active")?,
            created_at: time(row, "created_at")?,
            must_change_password: row.get("must_change_password")?,
            totp_secret: row.get("totp_secret")?,
            totp_enabled_at: row.get::<_, Option<SqlTime>>("totp_enabled_at")?.map(|t| t.0),
            totp_last_step: row.get("totp_last_step")?,
            muted_notices: row.get("muted_notices")?,
        })
    }
}

/// A timestamp as sqlx reads one from text: RFC 3339, or one of SQLite's own formats
/// (UTC when no offset is given).
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    const FORMATS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];
    FORMATS.iter().find_map(|f| {
        DateTime::parse_from_str(text, f)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(text, f).ok().map(|t| t.and_utc()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_times_as_sqlx_does() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T15:30:00.25Z").map(|t| t.with_timezone(&Utc)).ok();
        assert_eq!(bind(&Value::ChronoDateTimeUtc(t)), Some(Sqlite::Text("2026-12-01T15:30:00.250+00:00".into())));
        let d = NaiveDate::from_ymd_opt(2026, 2, 3);
        assert_eq!(bind(&Value::ChronoDate(d)), Some(Sqlite::Text("2026-02-03".into())));
        assert_eq!(bind(&Value::Bool(Some(true))), Some(Sqlite::Integer(1)));
        assert_eq!(bind(&Value::BigUnsigned(Some(u64::MAX))), None);
        assert_eq!(bind(&Value::Float(Some(1.0))), None);
    }

    #[test]
    fn reads_times_as_sqlx_does() {
        let expected = DateTime::parse_from_rfc3339("2026-12-01T15:30:00.5Z").map(|t| t.with_timezone(&Utc)).ok();
        assert_eq!(timestamp("2026-12-01 15:30:00.5+00:00"), expected);
        assert_eq!(timestamp("2026-12-01T15:30:00.500+00:00"), expected);
        assert_eq!(timestamp("2026-12-01 15:30:00.5"), expected);
        assert_eq!(timestamp("2026-12-01T17:30:00.5+02:00"), expected);
        assert_eq!(timestamp("yesterday"), None);
    }
}
