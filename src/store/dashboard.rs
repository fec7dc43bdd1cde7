//! The manager's dashboard figures: this month's handouts so far against last month's (to
//! the same day, and in all), the sites at or below a low-stock threshold, the hospital
//! requests waiting for triage (and the longest wait since discharge), the cribs held for
//! requests, and the follow-up calls due today or overdue. A few small counts, each read
//! with one statement.

use crate::domain::outcomes::last_month;
use crate::store::reference;
use crate::store::sql::Sql;
use chrono::{Datelike, NaiveDate};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};
use serde::Serialize;

/// A count of handouts over some days.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub handouts: i64,
}

/// A site that is low on some model.
#[derive(Debug, Clone, Serialize)]
pub struct LowSite {
    pub id: i64,
    pub name: String,
    pub available: i32,
}

/// What the manager's home shows.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub today: NaiveDate,
    /// The first of this month to today.
    pub this_month: Span,
    /// Last month, the first to the same day of the month as today.
    pub last_month_to_date: Span,
    /// Last month in full.
    pub last_month: Span,
    /// This month so far minus last month to the same day.
    pub change: i64,
    pub low_sites: Vec<LowSite>,
    /// Requests waiting for triage.
    pub requests_waiting: i64,
    /// Days since the oldest waiting request's discharge date (negative: not yet discharged).
    pub oldest_waiting_days: Option<i64>,
    /// Requests with a crib held, not yet picked up.
    pub requests_held: i64,
    /// Follow-up calls due today or earlier.
    pub follow_ups_due: i64,
    /// Of those, due before today.
    pub follow_ups_overdue: i64,
}

#[derive(Debug, FromQueryResult)]
struct Three {
    a: i64,
    b: i64,
    c: i64,
}

#[derive(Debug, FromQueryResult)]
struct Waiting {
    waiting: i64,
    held: i64,
    oldest: Option<NaiveDate>,
}

/// A statement written with `?` placeholders and its values, in the backend's spelling.
fn stmt(db: &impl ConnectionTrait, text: &str, values: Vec<Value>) -> Statement {
    let mut sql = Sql::new(db.get_database_backend());
    let mut values = values.into_iter();
    for (i, part) in text.split('?').enumerate() {
        if i > 0 {
            sql.bind(values.next().unwrap_or(Value::Int(None)));
        }
        sql.push(part);
    }
    sql.statement()
}

/// The dashboard as of `today` (a New York date).
pub async fn dashboard(db: &impl ConnectionTrait, today: NaiveDate) -> Result<Dashboard, DbErr> {
    let first_this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let (first_prev, same_day_prev, last_prev) = last_month(today);
    let counts = Three::find_by_statement(stmt(
        db,
        "SELECT CAST(COALESCE(SUM(CASE WHEN handed_out_on >= ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS a, \
         CAST(COALESCE(SUM(CASE WHEN handed_out_on <= ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS b, \
         CAST(COALESCE(SUM(CASE WHEN handed_out_on <= ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS c \
         FROM handouts WHERE handed_out_on >= ? AND handed_out_on <= ? AND voided_at IS NULL",
        vec![first_this.into(), same_day_prev.into(), last_prev.into(), first_prev.into(), today.into()],
    ))
    .one(db)
    .await?
    .unwrap_or(Three { a: 0, b: 0, c: 0 });
    let waiting = Waiting::find_by_statement(stmt(
        db,
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END), 0) AS BIGINT) AS waiting, \
         CAST(COALESCE(SUM(CASE WHEN status = 'reserved' THEN 1 ELSE 0 END), 0) AS BIGINT) AS held, \
         MIN(CASE WHEN status = 'submitted' THEN discharge_date END) AS oldest \
         FROM referrals WHERE status IN ('submitted', 'reserved')",
        vec![],
    ))
    .one(db)
    .await?
    .unwrap_or(Waiting { waiting: 0, held: 0, oldest: None });
    let follow = Three::find_by_statement(stmt(
        db,
        "SELECT COUNT(*) AS a, CAST(COALESCE(SUM(CASE WHEN due_on < ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS b, \
         CAST(0 AS BIGINT) AS c FROM follow_ups WHERE status = 'due' AND due_on <= ?",
        // Calls owed: a round a week past due and not answered on the link.
        vec![crate::domain::survey::calls_due_by(today).into(), crate::domain::survey::calls_due_by(today).into()],
    ))
    .one(db)
    .await?
    .unwrap_or(Three { a: 0, b: 0, c: 0 });
    let mut low_sites: Vec<LowSite> = reference::sites(db, None)
        .await?
        .into_iter()
        .filter(|s| s.low())
        .map(|s| LowSite { available: s.available(), id: s.id, name: s.name })
        .collect();
    low_sites.sort_by_key(|s| (s.available, s.id));
    Ok(Dashboard {
        today,
        this_month: Span { from: first_this, to: today, handouts: counts.a },
        last_month_to_date: Span { from: first_prev, to: same_day_prev, handouts: counts.b },
        last_month: Span { from: first_prev, to: last_prev, handouts: counts.c },
        change: counts.a - counts.b,
        low_sites,
        requests_waiting: waiting.waiting,
        oldest_waiting_days: waiting.oldest.map(|d| (today - d).num_days()),
        requests_held: waiting.held,
        follow_ups_due: follow.a,
        follow_ups_overdue: follow.b,
    })
}
