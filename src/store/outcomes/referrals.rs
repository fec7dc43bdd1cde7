//! The referral outcome: the hospital requests whose discharge date falls in the period
//! (from the chosen site's hospital, or held at the chosen site), as a funnel — submitted,
//! ever reserved (a crib was held for it at some point: `reserved_site_id` is kept once
//! set), fulfilled — with every status, the holds that expired, and the median days from
//! discharge to the crib (over fulfilled requests whose handout is not voided).

use crate::domain::outcomes::{median, median_cell, num, percent, referral_status_label, text, Table};
use crate::domain::states::ReferralStatus;
use crate::store::outcomes::{share_rows, Share, Tables};
use crate::store::reports::ReportFilter;
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};
use serde::Serialize;

/// The tables of this report, the default first.
pub const TABLES: [&str; 3] = ["funnel", "by_status", "timing"];

/// Every status a request can be in, in lifecycle order.
pub const STATUSES: [&str; 6] = [
    ReferralStatus::Submitted.as_str(),
    ReferralStatus::Reserved.as_str(),
    ReferralStatus::Fulfilled.as_str(),
    ReferralStatus::Declined.as_str(),
    ReferralStatus::Cancelled.as_str(),
    ReferralStatus::Expired.as_str(),
];

/// The referral funnel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Submitted, reserved (ever held), fulfilled: each with its share of the submitted.
    pub funnel: Vec<Share>,
    /// Every status now, zeros included, with its share of the submitted.
    pub by_status: Vec<Share>,
    /// Requests whose hold lapsed before the family came.
    pub expired_holds: i64,
    /// Median days from the discharge date to the handout (null with none fulfilled).
    pub median_days_to_handout: Option<f64>,
    /// How many fulfilled requests the median is over.
    pub handouts_timed: i64,
}

#[derive(Debug, FromQueryResult)]
struct StatusRow {
    status: String,
    held: i32,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct Timed {
    discharge_date: NaiveDate,
    handed_out_on: NaiveDate,
}

fn cohort(sql: &mut Sql, f: &ReportFilter, alias: &str) {
    sql.push(&format!(" WHERE {alias}discharge_date >= "))
        .bind(f.period.from)
        .push(&format!(" AND {alias}discharge_date <= "))
        .bind(f.period.to);
    if let Some(site) = f.site_id {
        sql.push(&format!(" AND ({alias}hospital_site_id = "))
            .bind(site)
            .push(&format!(" OR {alias}reserved_site_id = "))
            .bind(site)
            .push(")");
    }
}

/// The referral report for a period (and optionally a site).
pub async fn report(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<ReferralReport, DbErr> {
    let backend: DbBackend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT status, CASE WHEN reserved_site_id IS NULL THEN 0 ELSE 1 END AS held, COUNT(*) AS n FROM referrals",
    );
    cohort(&mut sql, f, "");
    sql.push(" GROUP BY status, CASE WHEN reserved_site_id IS NULL THEN 0 ELSE 1 END");
    let rows = StatusRow::find_by_statement(sql.statement()).all(db).await?;

    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT r.discharge_date AS discharge_date, h.handed_out_on AS handed_out_on \
         FROM referrals r JOIN handouts h ON h.id = r.handout_id",
    );
    cohort(&mut sql, f, "r.");
    sql.push(" AND r.status = 'fulfilled' AND h.voided_at IS NULL");
    let days: Vec<i64> = Timed::find_by_statement(sql.statement())
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.handed_out_on - t.discharge_date).num_days())
        .collect();

    let submitted: i64 = rows.iter().map(|r| r.n).sum();
    let held: i64 = rows.iter().filter(|r| r.held == 1).map(|r| r.n).sum();
    let count_of = |status: &str| rows.iter().filter(|r| r.status == status).map(|r| r.n).sum::<i64>();
    let share = |key: &str, label: &str, count: i64| Share {
        key: Some(key.into()),
        label: label.into(),
        count,
        percent: percent(count, submitted),
    };
    Ok(ReferralReport {
        from: f.period.from,
        to: f.period.to,
        funnel: vec![
            share("submitted", "Submitted by a hospital", submitted),
            share("reserved", "A crib was held", held),
            share("fulfilled", "Crib handed out", count_of("fulfilled")),
        ],
        by_status: STATUSES.iter().map(|s| share(s, referral_status_label(s), count_of(s))).collect(),
        expired_holds: count_of("expired"),
        median_days_to_handout: median(&days),
        handouts_timed: days.len() as i64,
    })
}

impl Tables for ReferralReport {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table {
                key: "funnel",
                title: "Hospital requests: from submitted to crib".into(),
                columns: vec![
                    text("stage", "Stage"),
                    text("label", "What"),
                    num("requests", "Requests"),
                    num("percent", "% of submitted"),
                ],
                rows: share_rows(&self.funnel),
            },
            Table {
                key: "by_status",
                title: "Hospital requests by where they stand now".into(),
                columns: vec![
                    text("status", "Status"),
                    text("label", "What"),
                    num("requests", "Requests"),
                    num("percent", "% of submitted"),
                ],
                rows: share_rows(&self.by_status),
            },
            Table {
                key: "timing",
                title: "How long families waited, and holds that lapsed".into(),
                columns: vec![text("measure", "Measure"), text("label", "What"), num("value", "Value")],
                rows: vec![
                    vec![
                        "median_days_to_handout".into(),
                        "Median days from discharge to crib".into(),
                        median_cell(self.median_days_to_handout),
                    ],
                    vec![
                        "handouts_timed".into(),
                        "Handouts the median is over".into(),
                        self.handouts_timed.to_string(),
                    ],
                    vec!["expired_holds".into(), "Holds that expired".into(), self.expired_holds.to_string()],
                ],
            },
        ]
    }
}
