//! What a database refusal means, by the rule it broke and the database's own error code,
//! never by reading message text for a word (realworld-axum-sqlx's `on_constraint` idea).
//!
//! PostgreSQL names the constraint in its error (`handouts_receipt_number_key`,
//! `ux_handouts_infant_live`); SQLite names the table and columns a unique rule covers
//! (`UNIQUE constraint failed: handouts.receipt_number`, with SQLite's extended result code
//! 2067 for a unique index and 1555 for a primary key). `unique_violation` turns either
//! into a `Unique` rule the code can match on; `is_busy` tells SQLite's "database is
//! locked" by its result code (5 `SQLITE_BUSY`, 6 `SQLITE_LOCKED` and their extended codes).

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// The unique rules the program answers by name; every other unique refusal is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// `handouts.receipt_number`: a random receipt number already drawn (drawn again).
    ReceiptNumber,
    /// `ux_handouts_infant_live`: one live crib per infant.
    OneLiveCribPerInfant,
    /// `ux_idempotency_user_key`: an answer already kept under this key.
    IdempotencyKey,
    /// `users.email`.
    UserEmail,
    /// `ux_handouts_paper_slip`: a paper slip already entered at this site.
    PaperSlip,
    /// Any other unique rule.
    Other,
}

impl Unique {
    /// The rule's PostgreSQL constraint name and its SQLite columns (`table.column, …`).
    const NAMED: [(Unique, &'static str, &'static str); 5] = [
        (Unique::ReceiptNumber, "handouts_receipt_number_key", "handouts.receipt_number"),
        (Unique::OneLiveCribPerInfant, "ux_handouts_infant_live", "handouts.infant_id"),
        (Unique::IdempotencyKey, "ux_idempotency_user_key", "idempotency_keys.user_id, idempotency_keys.key"),
        (Unique::UserEmail, "users_email_key", "users.email"),
        (Unique::PaperSlip, "ux_handouts_paper_slip", "handouts.site_id, handouts.paper_slip"),
    ];

    /// The rule of a PostgreSQL constraint name.
    pub fn of_constraint(name: &str) -> Unique {
        Self::NAMED.iter().find(|(_, pg, _)| *pg == name).map_or(Unique::Other, |(u, _, _)| *u)
    }

    /// The rule of SQLite's unique-failure message (`UNIQUE constraint failed: t.c, t.d`).
    pub fn of_sqlite_columns(message: &str) -> Unique {
        let columns = message.strip_prefix("UNIQUE constraint failed: ").unwrap_or(message).trim();
        Self::NAMED.iter().find(|(_, _, cols)| *cols == columns).map_or(Unique::Other, |(u, _, _)| *u)
    }
}

/// The database's own error, when the refusal came from the database.
fn database_error(e: &DbErr) -> Option<&(dyn sqlx::error::DatabaseError + 'static)> {
    let runtime = match e {
        DbErr::Exec(r) | DbErr::Query(r) | DbErr::Conn(r) => r,
        _ => return None,
    };
    match runtime {
        RuntimeErr::SqlxError(inner) => match inner.as_ref() {
            sqlx::Error::Database(d) => Some(d.as_ref()),
            _ => None,
        },
        _ => None,
    }
}

/// The unique rule a write broke, if the database refused it for that.
pub fn unique_violation(e: &DbErr) -> Option<Unique> {
    let d = database_error(e)?;
    if d.kind() != sqlx::error::ErrorKind::UniqueViolation {
        return None;
    }
    Some(match d.constraint() {
        Some(name) => Unique::of_constraint(name),
        None => Unique::of_sqlite_columns(d.message()),
    })
}

/// Whether the database is not answering (issue 24): the connection was refused, broke, or
/// closed under the request (PostgreSQL stopped or restarting: its connection-exception
/// codes `08…` and `57P01`–`57P03`), or the pool was closed. Nothing was changed by the
/// request (a transaction not committed is rolled back by the database), so it may be sent
/// again; the pools reconnect on their own when the database is back.
pub fn is_unavailable(e: &DbErr) -> bool {
    let runtime = match e {
        DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::ConnectionClosed) => return true,
        DbErr::Exec(r) | DbErr::Query(r) | DbErr::Conn(r) => r,
        _ => return false,
    };
    match runtime {
        RuntimeErr::SqlxError(inner) => match inner.as_ref() {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(d) => {
                let code = d.code();
                let code = code.as_deref().unwrap_or("");
                d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some()
                    && (code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03"))
            }
            _ => false,
        },
        RuntimeErr::Internal(text) => {
            let t = text.to_ascii_lowercase();
            t.contains("connection refused") || t.contains("broken pipe") || t.contains("connection reset")
        }
    }
}

/// Whether SQLite answered "busy" or "locked" (its result codes 5 and 6, with their
/// extended codes: the low byte is the primary code): load, not a fault.
pub fn is_busy(e: &DbErr) -> bool {
    let Some(d) = database_error(e) else { return false };
    let is_sqlite = d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
    let code = d.code().and_then(|c| c.parse::<i32>().ok());
    is_sqlite && code.is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Whether the database's disk is full (issue 24): SQLite's `SQLITE_FULL` or `SQLITE_IOERR`
/// (13 and 10, with their extended codes) or PostgreSQL's `53100 disk_full`. The write was rolled back whole; reads
/// still work, and writes work again once space is freed.
pub fn is_disk_full(e: &DbErr) -> bool {
    let Some(d) = database_error(e) else { return false };
    let code = d.code();
    let code = code.as_deref().unwrap_or("");
    if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLITE_FULL (13); and SQLITE_IOERR (10), which is what a write answers when the
        // disk filled under the write-ahead log or its index (seen on a full tmpfs).
        return code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 13 | 10));
    }
    code == "53100"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_found_by_name_on_both_databases() {
        assert_eq!(Unique::of_constraint("handouts_receipt_number_key"), Unique::ReceiptNumber);
        assert_eq!(Unique::of_constraint("ux_handouts_infant_live"), Unique::OneLiveCribPerInfant);
        assert_eq!(Unique::of_constraint("ux_idempotency_user_key"), Unique::IdempotencyKey);
        assert_eq!(Unique::of_constraint("something_else"), Unique::Other);
        assert_eq!(
            Unique::of_sqlite_columns("UNIQUE constraint failed: handouts.receipt_number"),
            Unique::ReceiptNumber
        );
        assert_eq!(
            Unique::of_sqlite_columns("UNIQUE constraint failed: handouts.infant_id"),
            Unique::OneLiveCribPerInfant
        );
        assert_eq!(
            Unique::of_sqlite_columns("UNIQUE constraint failed: idempotency_keys.user_id, idempotency_keys.key"),
            Unique::IdempotencyKey
        );
        assert_eq!(Unique::of_sqlite_columns("UNIQUE constraint failed: handouts.receipt"), Unique::Other);
        assert_eq!(unique_violation(&DbErr::Custom("UNIQUE constraint failed: handouts.infant_id".into())), None);
        assert!(!is_busy(&DbErr::Custom("database is locked".into())), "text alone is not a code");
    }
}
