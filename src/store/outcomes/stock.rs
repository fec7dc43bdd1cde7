//! The stock outcome: for each site (or the chosen one) and each New York month of the
//! period, the cribs received, transferred in and out, handed out (less voids) and adjusted
//! (adjustments and count corrections, signed), and what was on hand when the month (or
//! the period) ended — the ledger's opening balance plus the month's movements, which
//! equals the balance because a balance is the sum of its movements. Beside it, what each
//! site holds now: on hand, reserved for hospital requests, and in transit.

use crate::domain::outcomes::{month_spans, num, text, MonthSpan, Table};
use crate::entity::site;
use crate::store::outcomes::Tables;
use crate::store::reports::{ReportFilter, Sql};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

/// The tables of this report, the default first.
pub const TABLES: [&str; 2] = ["by_site_month", "now"];

/// One site's month.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SiteMonth {
    pub site_id: i64,
    pub site_name: String,
    /// `YYYY-MM` (the first and last months are clipped to the period).
    pub month: String,
    pub received: i64,
    pub transferred_in: i64,
    pub transferred_out: i64,
    /// Handouts less voided handouts.
    pub handed_out: i64,
    /// Adjustments and count corrections, signed.
    pub adjusted: i64,
    /// On hand when the month (or the period) ended.
    pub on_hand_at_end: i64,
}

/// One site's stock now.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SiteNow {
    pub site_id: i64,
    pub site_name: String,
    pub kind: String,
    pub on_hand: i64,
    /// Held for hospital requests.
    pub reserved: i64,
    pub available: i64,
    /// Sent to this site, not yet received.
    pub in_transit_in: i64,
    /// Sent from this site, not yet received.
    pub in_transit_out: i64,
}

/// Stock per site per month, and now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every site × every month of the period, by site then month.
    pub by_site_month: Vec<SiteMonth>,
    /// Every site now.
    pub now: Vec<SiteNow>,
}

#[derive(Debug, FromQueryResult)]
struct Moved {
    site_id: i64,
    kind: String,
    bucket: i32,
    quantity: i64,
}

#[derive(Debug, FromQueryResult)]
struct SiteSum {
    site_id: i64,
    n: i64,
}

/// The movements of the period, summed by site, kind and month (`bucket`, the month's
/// index in `spans`).
async fn movements(db: &impl ConnectionTrait, f: &ReportFilter, spans: &[MonthSpan]) -> Result<Vec<Moved>, DbErr> {
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else { return Ok(Vec::new()) };
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT site_id, kind, CASE");
    for (i, span) in spans.iter().enumerate() {
        sql.push(" WHEN created_at < ").bind(span.end).push(&format!(" THEN {i}"));
    }
    sql.push(&format!(
        " ELSE {} END AS bucket, CAST(SUM(quantity) AS BIGINT) AS quantity FROM stock_movements",
        spans.len()
    ))
    .push(" WHERE created_at >= ")
    .bind(first.start)
    .push(" AND created_at < ")
    .bind(last.end);
    if let Some(site) = f.site_id {
        sql.push(" AND site_id = ").bind(site);
    }
    sql.push(" GROUP BY 1, 2, 3");
    Moved::find_by_statement(sql.statement()).all(db).await
}

/// Per site: the sum of the movements before the period (its opening balance).
async fn opening(db: &impl ConnectionTrait, f: &ReportFilter, spans: &[MonthSpan]) -> Result<HashMap<i64, i64>, DbErr> {
    let Some(first) = spans.first() else { return Ok(HashMap::new()) };
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT site_id, CAST(SUM(quantity) AS BIGINT) AS n FROM stock_movements WHERE created_at < ")
        .bind(first.start);
    if let Some(site) = f.site_id {
        sql.push(" AND site_id = ").bind(site);
    }
    sql.push(" GROUP BY site_id");
    Ok(SiteSum::find_by_statement(sql.statement()).all(db).await?.into_iter().map(|s| (s.site_id, s.n)).collect())
}

async fn sums(db: &impl ConnectionTrait, text: &str) -> Result<HashMap<i64, i64>, DbErr> {
    let stmt = sea_orm::Statement::from_string(db.get_database_backend(), text.to_string());
    Ok(SiteSum::find_by_statement(stmt).all(db).await?.into_iter().map(|s| (s.site_id, s.n)).collect())
}

/// The stock report for a period (and optionally a site).
pub async fn report(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<StockReport, DbErr> {
    let spans = month_spans(&f.period);
    let mut q = site::Entity::find().order_by_asc(site::Column::Id);
    if let Some(id) = f.site_id {
        q = q.filter(site::Column::Id.eq(id));
    }
    let sites = q.all(db).await?;
    let moved = movements(db, f, &spans).await?;
    let opening = opening(db, f, &spans).await?;
    let on_hand =
        sums(db, "SELECT site_id, CAST(SUM(on_hand) AS BIGINT) AS n FROM stock_balances GROUP BY site_id").await?;
    let reserved =
        sums(db, "SELECT site_id, CAST(SUM(reserved) AS BIGINT) AS n FROM stock_balances GROUP BY site_id").await?;
    let incoming = sums(
        db,
        "SELECT to_site_id AS site_id, CAST(SUM(quantity) AS BIGINT) AS n FROM transfers \
         WHERE status = 'in_transit' GROUP BY to_site_id",
    )
    .await?;
    let outgoing = sums(
        db,
        "SELECT from_site_id AS site_id, CAST(SUM(quantity) AS BIGINT) AS n FROM transfers \
         WHERE status = 'in_transit' GROUP BY from_site_id",
    )
    .await?;

    let mut cells: HashMap<(i64, usize), SiteMonth> = HashMap::new();
    for m in moved {
        let Ok(bucket) = usize::try_from(m.bucket) else { continue };
        let cell = cells.entry((m.site_id, bucket)).or_default();
        match m.kind.as_str() {
            "receipt" => cell.received += m.quantity,
            "transfer_in" => cell.transferred_in += m.quantity,
            "transfer_out" => cell.transferred_out -= m.quantity,
            "handout" | "handout_void" => cell.handed_out -= m.quantity,
            _ => cell.adjusted += m.quantity,
        }
    }
    let mut by_site_month = Vec::with_capacity(sites.len() * spans.len());
    for s in &sites {
        let mut balance = opening.get(&s.id).copied().unwrap_or(0);
        for (i, span) in spans.iter().enumerate() {
            let mut row = cells.remove(&(s.id, i)).unwrap_or_default();
            balance += row.received + row.transferred_in - row.transferred_out - row.handed_out + row.adjusted;
            row.site_id = s.id;
            row.site_name = s.name.clone();
            row.month = span.key();
            row.on_hand_at_end = balance;
            by_site_month.push(row);
        }
    }
    let now = sites
        .iter()
        .map(|s| {
            let get = |m: &HashMap<i64, i64>| m.get(&s.id).copied().unwrap_or(0);
            SiteNow {
                site_id: s.id,
                site_name: s.name.clone(),
                kind: s.kind.clone(),
                on_hand: get(&on_hand),
                reserved: get(&reserved),
                available: get(&on_hand) - get(&reserved),
                in_transit_in: get(&incoming),
                in_transit_out: get(&outgoing),
            }
        })
        .collect();
    Ok(StockReport { from: f.period.from, to: f.period.to, by_site_month, now })
}

impl Tables for StockReport {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table {
                key: "by_site_month",
                title: "Cribs in and out of each site, by month".into(),
                columns: vec![
                    text("site_id", "Site id"),
                    text("site_name", "Site"),
                    text("month", "Month"),
                    num("received", "Received"),
                    num("transferred_in", "Transferred in"),
                    num("transferred_out", "Transferred out"),
                    num("handed_out", "Handed out"),
                    num("adjusted", "Adjusted"),
                    num("on_hand_at_end", "On hand at the end"),
                ],
                rows: self
                    .by_site_month
                    .iter()
                    .map(|r| {
                        vec![
                            r.site_id.to_string(),
                            r.site_name.clone(),
                            r.month.clone(),
                            r.received.to_string(),
                            r.transferred_in.to_string(),
                            r.transferred_out.to_string(),
                            r.handed_out.to_string(),
                            r.adjusted.to_string(),
                            r.on_hand_at_end.to_string(),
                        ]
                    })
                    .collect(),
            },
            Table {
                key: "now",
                title: "What each site holds now".into(),
                columns: vec![
                    text("site_id", "Site id"),
                    text("site_name", "Site"),
                    text("kind", "Kind"),
                    num("on_hand", "On hand"),
                    num("reserved", "Held for requests"),
                    num("available", "Available"),
                    num("in_transit_in", "On the way in"),
                    num("in_transit_out", "On the way out"),
                ],
                rows: self
                    .now
                    .iter()
                    .map(|r| {
                        vec![
                            r.site_id.to_string(),
                            r.site_name.clone(),
                            r.kind.clone(),
                            r.on_hand.to_string(),
                            r.reserved.to_string(),
                            r.available.to_string(),
                            r.in_transit_in.to_string(),
                            r.in_transit_out.to_string(),
                        ]
                    })
                    .collect(),
            },
        ]
    }
}
