//! A SQLite write transaction sent in as few round trips as it has parts (decision 0015):
//! the file's writer connection is held for it, `BEGIN IMMEDIATE` goes with the first
//! script, and `COMMIT` with the first script too when no answer is kept for a retry, or
//! else with the script that keeps it. For the handout's hot path only (see
//! `handouts::begin`); every other write takes SeaORM's transaction from `db::begin_write`.
//!
//! NOTE: the transaction is SeaORM's business elsewhere; here it is opened and closed by
//! SQL text on a connection no one else can use meanwhile, so every way out closes it: a
//! failed script is rolled back before the error is returned, a rollback that fails closes
//! the connection (SQLite rolls back what a closed connection left open), and so does a
//! `HeldWrite` dropped while its transaction is open (a request that went away).

use crate::db::Db;
use sea_orm::sea_query::Values;
use sea_orm::sqlx::{self, pool::PoolConnection, Sqlite};
use sea_orm::{ConnAcquireErr, DbErr, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use std::sync::Arc;

/// A write transaction on the SQLite file's writer connection, held until dropped.
pub struct HeldWrite {
    conn: PoolConnection<Sqlite>,
    /// The first script also commits (nothing else is to be written with it).
    commit_with_first: bool,
    /// A transaction is open on the connection.
    open: bool,
    /// The transaction committed.
    committed: bool,
}

impl HeldWrite {
    /// The writer connection of the SQLite file (`Db::writer`), held; nothing is
    /// sent yet. `commit_with_first`: the first script commits too.
    pub async fn acquire(db: &Db, commit_with_first: bool) -> Result<HeldWrite, DbErr> {
        if db.sqlite_file().is_none() {
            return Err(DbErr::Custom("a held write is for a SQLite file only".into()));
        }
        let conn = db.writer().get_sqlite_connection_pool().acquire().await.map_err(|e| match e {
            sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            other => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(other))),
        })?;
        Ok(HeldWrite { conn, commit_with_first, open: false, committed: false })
    }

    /// `BEGIN IMMEDIATE`, the script (statements separated by `;`), and `COMMIT` when
    /// acquired to commit with it: one round trip. The rows of the script's `RETURNING`
    /// and `SELECT` statements, in order. On an error nothing of it is left.
    pub async fn begin_with(&mut self, script: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut sql = format!("BEGIN IMMEDIATE;\n{}", script.sql);
        if self.commit_with_first {
            sql.push_str(";\nCOMMIT");
        }
        self.open = true;
        let rows = self.run(sql, script.values).await?;
        if self.commit_with_first {
            self.open = false;
            self.committed = true;
        }
        Ok(rows)
    }

    /// The last script, if any, then `COMMIT`: one round trip; nothing to do when the
    /// first script committed. On an error the whole transaction is rolled back.
    pub async fn commit_with(&mut self, last: Option<Statement>) -> Result<Vec<QueryResult>, DbErr> {
        if self.committed {
            return Ok(Vec::new());
        }
        let (sql, values) = match last {
            Some(s) => (format!("{};\nCOMMIT", s.sql), s.values),
            None => ("COMMIT".to_string(), None),
        };
        let rows = self.run(sql, values).await?;
        self.open = false;
        self.committed = true;
        Ok(rows)
    }

    /// Whether the transaction committed.
    pub fn committed(&self) -> bool {
        self.committed
    }

    /// Roll back what is open (nothing when nothing is).
    pub async fn rollback(&mut self) {
        if !self.open {
            return;
        }
        match sqlx::query("ROLLBACK").execute(&mut *self.conn).await {
            Ok(_) => {}
            // A failed BEGIN (busy) opened nothing; SQLite rolls some errors back itself.
            Err(e) if e.to_string().contains("no transaction is active") => {}
            Err(e) => {
                tracing::error!("rollback on the writer connection failed ({e}): closing it");
                self.conn.close_on_drop();
            }
        }
        self.open = false;
    }

    async fn run(&mut self, sql: String, values: Option<Values>) -> Result<Vec<QueryResult>, DbErr> {
        let query = sqlx::query_with(sqlx::AssertSqlSafe(sql), SqlxValues(values.unwrap_or(Values(Vec::new()))));
        match query.fetch_all(&mut *self.conn).await {
            Ok(rows) => Ok(rows.into_iter().map(QueryResult::from).collect()),
            Err(e) => {
                self.rollback().await;
                Err(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
            }
        }
    }
}

impl Drop for HeldWrite {
    fn drop(&mut self) {
        if self.open {
            // NOTE: no async here to roll back in: closing the connection does it.
            self.conn.close_on_drop();
        }
    }
}
