//! The outcome reports: what happened to the families the program reached, each for a
//! period (New York dates, both ends inclusive) and optionally one site, each as a typed
//! report (the JSON) that also lays itself out as `domain::outcomes::Table`s (the page and
//! the CSV), so the three always show the same numbers.
//!
//! - `education`: handouts by the education's mode and language, and with all of ABCD;
//! - `eligibility`: checks by result, failures by rule, handouts given by override;
//! - `referrals`: the submitted → reserved → fulfilled funnel, days from discharge to crib;
//! - `follow_ups`: reached, crib in use, baby on back (and alone, in the crib);
//! - `stock`: per site per month, received, moved, handed out, adjusted, on hand.
//!
//! Each is a handful of grouped statements; nothing here loops over rows in SQL.

pub mod education;
pub mod eligibility;
pub mod follow_ups;
pub mod referrals;
pub mod safe_sleep;
pub mod stock;

use crate::domain::outcomes::Table;
use serde::Serialize;

/// A count and its share of a whole.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Share {
    /// The stored value this row counts (null: not recorded).
    pub key: Option<String>,
    pub label: String,
    pub count: i64,
    /// Percent of the report's whole, one decimal; null when the whole is 0.
    pub percent: Option<f64>,
}

/// Shares as table rows: key, label, count, percent.
pub fn share_rows(shares: &[Share]) -> Vec<Vec<String>> {
    shares
        .iter()
        .map(|s| {
            vec![
                s.key.clone().unwrap_or_default(),
                s.label.clone(),
                s.count.to_string(),
                crate::domain::outcomes::percent_cell(s.percent),
            ]
        })
        .collect()
}

/// The outcome reports by name, as the API and the page call them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Education,
    Eligibility,
    Referrals,
    FollowUps,
    Stock,
}

impl Outcome {
    /// Every outcome report, in page order.
    pub const ALL: [Outcome; 5] =
        [Outcome::Education, Outcome::Eligibility, Outcome::Referrals, Outcome::FollowUps, Outcome::Stock];

    /// The name in URLs (`/api/v1/reports/<slug>`, `/reports/outcomes/<slug>.csv`).
    pub fn slug(self) -> &'static str {
        match self {
            Outcome::Education => "education",
            Outcome::Eligibility => "eligibility",
            Outcome::Referrals => "referrals",
            Outcome::FollowUps => "follow-ups",
            Outcome::Stock => "stock",
        }
    }

    /// The report by its URL name.
    pub fn from_slug(slug: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.slug() == slug)
    }

    /// The keys of its tables (`table=`), the first being the default.
    pub fn table_keys(self) -> &'static [&'static str] {
        match self {
            Outcome::Education => &education::TABLES,
            Outcome::Eligibility => &eligibility::TABLES,
            Outcome::Referrals => &referrals::TABLES,
            Outcome::FollowUps => &follow_ups::TABLES,
            Outcome::Stock => &stock::TABLES,
        }
    }
}

/// Tables of a report, in order, as the page shows them and the CSV downloads them.
pub trait Tables {
    fn tables(&self) -> Vec<Table>;
}

/// Run one outcome report: its JSON and its tables (the same numbers).
pub async fn run(
    db: &impl sea_orm::ConnectionTrait,
    which: Outcome,
    f: &crate::store::reports::ReportFilter,
    today: chrono::NaiveDate,
) -> Result<(serde_json::Value, Vec<Table>), crate::error::AppError> {
    fn pair<R: Serialize + Tables>(r: R) -> Result<(serde_json::Value, Vec<Table>), crate::error::AppError> {
        let json = serde_json::to_value(&r).map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
        Ok((json, r.tables()))
    }
    let _turn = crate::store::reports::report_turn(db.get_database_backend()).await;
    match which {
        Outcome::Education => pair(education::report(db, f).await?),
        Outcome::Eligibility => pair(eligibility::report(db, f).await?),
        Outcome::Referrals => pair(referrals::report(db, f).await?),
        Outcome::FollowUps => pair(follow_ups::report(db, f, today).await?),
        Outcome::Stock => pair(stock::report(db, f).await?),
    }
}
