//! The education outcome: of the live handouts in the period, how the family's safe-sleep
//! education was given (mode), in which language, and how many covered all four ABCD
//! topics. Each handout counts once, with the education record it was given on.

use crate::domain::education::MODES;
use crate::domain::family::LANGUAGES;
use crate::domain::outcomes::{covers_abcd, language_label, mode_label, num, percent, text, Table};
use crate::store::outcomes::{share_rows, Share, Tables};
use crate::store::reports::ReportFilter;
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;
use std::collections::BTreeMap;

/// The tables of this report, the default first.
pub const TABLES: [&str; 3] = ["by_mode", "by_language", "abcd"];

/// Handouts by education mode and language, and those with all of ABCD.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EducationReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Live handouts in the period: the whole every share is of.
    pub handouts: i64,
    /// Every mode (zeros included), then "Not recorded" when any handout has no record.
    pub by_mode: Vec<Share>,
    /// English and Spanish (zeros included), any other stored language, then "Not recorded".
    pub by_language: Vec<Share>,
    /// Handouts whose education covered alone, back, crib and no smoking.
    pub all_abcd: Share,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    mode: Option<String>,
    language: Option<String>,
    topics: Option<String>,
    n: i64,
}

/// Shares over `whole` from counts by stored value: the `known` values in order (zeros
/// included), any other value, then "Not recorded" (null) when not zero.
fn shares(counts: &BTreeMap<Option<String>, i64>, known: &[&str], label: fn(&str) -> &str, whole: i64) -> Vec<Share> {
    let share = |key: Option<String>, label: String| {
        let count = counts.get(&key).copied().unwrap_or(0);
        Share { key, label, count, percent: percent(count, whole) }
    };
    let mut out: Vec<Share> = known.iter().map(|k| share(Some(k.to_string()), label(k).to_string())).collect();
    for key in counts.keys().flatten() {
        if !known.contains(&key.as_str()) {
            out.push(share(Some(key.clone()), label(key).to_string()));
        }
    }
    if counts.get(&None).copied().unwrap_or(0) > 0 {
        out.push(share(None, "Not recorded".into()));
    }
    out
}

/// The education report for a period (and optionally a site).
pub async fn report(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<EducationReport, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT e.mode AS mode, e.language AS language, e.topics AS topics, COUNT(*) AS n \
         FROM handouts h LEFT JOIN education_sessions e ON e.id = h.education_id",
    )
    .filter(f, "h.")
    .push(" GROUP BY e.mode, e.language, e.topics");
    let rows = Row::find_by_statement(sql.statement()).all(db).await?;
    let mut by_mode: BTreeMap<Option<String>, i64> = BTreeMap::new();
    let mut by_language: BTreeMap<Option<String>, i64> = BTreeMap::new();
    let (mut whole, mut abcd) = (0, 0);
    for r in rows {
        whole += r.n;
        if r.topics.as_deref().is_some_and(covers_abcd) {
            abcd += r.n;
        }
        *by_mode.entry(r.mode).or_default() += r.n;
        *by_language.entry(r.language).or_default() += r.n;
    }
    let languages: Vec<&str> = LANGUAGES.iter().map(|(code, _)| *code).collect();
    Ok(EducationReport {
        from: f.period.from,
        to: f.period.to,
        handouts: whole,
        by_mode: shares(&by_mode, &MODES, mode_label, whole),
        by_language: shares(&by_language, &languages, language_label, whole),
        all_abcd: Share {
            key: Some("all_abcd".into()),
            label: "Covered all four ABCD topics".into(),
            count: abcd,
            percent: percent(abcd, whole),
        },
    })
}

impl Tables for EducationReport {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table {
                key: "by_mode",
                title: "Handouts by how the education was given".into(),
                columns: vec![
                    text("mode", "Mode"),
                    text("label", "How"),
                    num("handouts", "Handouts"),
                    num("percent", "%"),
                ],
                rows: share_rows(&self.by_mode),
            },
            Table {
                key: "by_language",
                title: "Handouts by the language of the education".into(),
                columns: vec![
                    text("language", "Code"),
                    text("label", "Language"),
                    num("handouts", "Handouts"),
                    num("percent", "%"),
                ],
                rows: share_rows(&self.by_language),
            },
            Table {
                key: "abcd",
                title: "Handouts whose education covered all of ABCD".into(),
                columns: vec![
                    text("measure", "Measure"),
                    text("label", "What"),
                    num("handouts", "Handouts"),
                    num("percent", "%"),
                ],
                rows: vec![
                    vec!["handouts".into(), "Handouts in the period".into(), self.handouts.to_string(), String::new()],
                    share_rows(std::slice::from_ref(&self.all_abcd)).into_iter().next().unwrap_or_default(),
                ],
            },
        ]
    }
}
