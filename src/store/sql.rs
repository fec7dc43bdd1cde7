//! Plain SQL where the query builder is in the way: `Sql`, a text with its values and the
//! backend's own placeholders (`?` or `$n`), and `execute_batch`, several statements sent
//! to the database as one round trip where the backend allows it.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value, Values};

/// A SQL text with its values, placeholders in the backend's style (`?` or `$n`).
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Sql {
        Sql { backend, text: String::new(), values: Vec::new() }
    }
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => self.text.push_str(&format!("${}", self.values.len())),
            _ => self.text.push('?'),
        }
        self
    }
    /// Append another statement's text and values (its `$n` placeholders renumbered after
    /// this one's on PostgreSQL).
    pub(crate) fn append(&mut self, other: Sql) -> &mut Self {
        let offset = self.values.len();
        match self.backend {
            DbBackend::Postgres => {
                let mut chars = other.text.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        let mut n = String::new();
                        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                            n.push(*d);
                            chars.next();
                        }
                        let k: usize = n.parse().unwrap_or(0);
                        self.text.push_str(&format!("${}", k + offset));
                    } else {
                        self.text.push(c);
                    }
                }
            }
            _ => self.text.push_str(&other.text),
        }
        self.values.extend(other.values);
        self
    }
    /// The text and its values, in placeholder order.
    pub(crate) fn into_parts(self) -> (String, Vec<Value>) {
        (self.text, self.values)
    }
    pub(crate) fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Run statements that return no rows, in order, on one connection (inside the caller's
/// transaction, when it has one). On SQLite they go as one script in one call: every call
/// into SQLite is a round trip to the connection's own thread, and on a busy machine the
/// round trips, not the statements, are what a write transaction holds the lock for
/// (decision 0013). SQLite binds `?` values across a script's statements in order. On
/// PostgreSQL a prepared statement holds one command, so they go one by one.
///
/// The first statement that fails stops the rest and its error is returned; the caller's
/// transaction decides what is kept (a handout rolls everything back).
pub async fn execute_batch(db: &impl ConnectionTrait, statements: Vec<Statement>) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let mut text = String::new();
            let mut values: Vec<Value> = Vec::new();
            for s in statements {
                if !text.is_empty() {
                    text.push_str(";\n");
                }
                text.push_str(&s.sql);
                if let Some(Values(v)) = s.values {
                    values.extend(v);
                }
            }
            if text.is_empty() {
                return Ok(());
            }
            db.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, text, values)).await?;
        }
        _ => {
            for s in statements {
                db.execute_raw(s).await?;
            }
        }
    }
    Ok(())
}
