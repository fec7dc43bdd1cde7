//! Outcome-report rules that need no database: tables as a page and a CSV both show them
//! (one shape, so the two cannot disagree), percentages, the median, whether an education
//! record covered all of ABCD, the New York month buckets of the stock report, and the
//! names people read for rules, modes, statuses and movement kinds.

use crate::clock::start_of_new_york_day;
use crate::domain::education::REQUIRED_TOPICS;
use crate::domain::reports::{csv_document, Period};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

/// One column of a report table: its CSV header and the heading people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    /// Numbers are right-aligned on the page.
    pub numeric: bool,
}

/// A text column.
pub const fn text(key: &'static str, label: &'static str) -> Column {
    Column { key, label, numeric: false }
}

/// A number column.
pub const fn num(key: &'static str, label: &'static str) -> Column {
    Column { key, label, numeric: true }
}

/// A report table: what the page shows and what its CSV download holds, cell for cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// The `table=` value that downloads it.
    pub key: &'static str,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as a CSV document (header = the column keys).
    pub fn to_csv(&self) -> Result<String, String> {
        let header: Vec<&str> = self.columns.iter().map(|c| c.key).collect();
        csv_document(&header, &self.rows)
    }
}

/// Pick a table by its key (absent or empty: the first).
pub fn pick<'a>(tables: &'a [Table], key: Option<&str>) -> Result<&'a Table, String> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        None => tables.first().ok_or_else(|| "This report has no table.".to_string()),
        Some(k) => tables.iter().find(|t| t.key == k).ok_or_else(|| {
            let keys: Vec<&str> = tables.iter().map(|t| t.key).collect();
            format!("Choose one of the tables {}.", keys.join(", "))
        }),
    }
}

/// `part` as a percentage of `whole`, to one decimal; `None` when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    if whole <= 0 {
        return None;
    }
    Some((part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// A percentage as a cell: `62.5` or empty when there is nothing to divide by.
pub fn percent_cell(p: Option<f64>) -> String {
    p.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// The median of some whole numbers (the mean of the middle two for an even count).
pub fn median(values: &[i64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).map(|x| *x as f64),
        _ => match (v.get(n / 2 - 1), v.get(n / 2)) {
            (Some(a), Some(b)) => Some((*a as f64 + *b as f64) / 2.0),
            _ => None,
        },
    }
}

/// A median as a cell (`3` or `3.5`; empty when there is none).
pub fn median_cell(m: Option<f64>) -> String {
    match m {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => String::new(),
    }
}

/// Whether a stored topic list (`alone,back,crib,no_smoking,…`) covers every ABCD topic.
pub fn covers_abcd(topics: &str) -> bool {
    let given: Vec<&str> = topics.split(',').map(str::trim).collect();
    REQUIRED_TOPICS.iter().all(|t| given.contains(t))
}

/// One month of a period for the stock report: its `YYYY-MM` and the instants it spans in
/// UTC, from the first New York midnight in it (the period's first day for the first
/// month) to the next (the day after the period's last day for the last month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSpan {
    pub year: i32,
    pub month: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl MonthSpan {
    /// `2026-03`.
    pub fn key(&self) -> String {
        format!("{}-{:02}", self.year, self.month)
    }
}

/// The New York months a period touches, each clipped to the period.
pub fn month_spans(period: &Period) -> Vec<MonthSpan> {
    let day_after_end = period.to.succ_opt().unwrap_or(period.to);
    period
        .months()
        .into_iter()
        .map(|(year, month)| {
            let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(period.from).max(period.from);
            let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
            let next = NaiveDate::from_ymd_opt(ny, nm, 1).unwrap_or(day_after_end).min(day_after_end);
            MonthSpan { year, month, start: start_of_new_york_day(first), end: start_of_new_york_day(next) }
        })
        .collect()
}

/// The month before the one `today` is in, and that month's day matching today's (clamped
/// to its last day), for "this month so far against last month".
pub fn last_month(today: NaiveDate) -> (NaiveDate, NaiveDate, NaiveDate) {
    let first_this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let last_of_prev = first_this.pred_opt().unwrap_or(first_this);
    let first_prev = NaiveDate::from_ymd_opt(last_of_prev.year(), last_of_prev.month(), 1).unwrap_or(last_of_prev);
    let same_day = NaiveDate::from_ymd_opt(first_prev.year(), first_prev.month(), today.day()).unwrap_or(last_of_prev);
    (first_prev, same_day.min(last_of_prev), last_of_prev)
}

/// A rule's name for people.
pub fn rule_label(rule: &str) -> &str {
    match rule {
        "residency" => "Lives in the city",
        "age_window" => "Baby's age",
        "infant_weight" => "Baby's weight",
        "income_or_enrollment" => "Income or enrollment",
        "no_safe_sleep_space" => "No safe place to sleep",
        "not_already_received" => "No crib yet",
        other => other,
    }
}

/// An education mode's name for people.
pub fn mode_label(mode: &str) -> &str {
    match mode {
        "site" => "At a distribution site",
        "home_visit" => "Home visit",
        "hospital_discharge" => "At hospital discharge",
        "video" => "Video call",
        other => other,
    }
}

/// A language code's name for people.
pub fn language_label(code: &str) -> &str {
    match code {
        "en" => "English",
        "es" => "Spanish (Español)",
        other => other,
    }
}

/// A follow-up status's name for people.
pub fn follow_up_status_label(status: &str) -> &str {
    match status {
        "due" => "Not yet reached",
        "completed" => "Reached",
        "lost_to_follow_up" => "Lost to follow-up (3 unanswered calls)",
        "cancelled" => "Cancelled",
        other => other,
    }
}

/// A referral status's name for people.
pub fn referral_status_label(status: &str) -> &str {
    match status {
        "submitted" => "Waiting for triage",
        "reserved" => "Crib held, not yet picked up",
        "fulfilled" => "Crib handed out",
        "declined" => "Declined",
        "cancelled" => "Cancelled",
        "expired" => "Hold expired",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn percentages_round_to_one_decimal_and_need_a_whole() {
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(5, 5), Some(100.0));
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent_cell(Some(50.0)), "50.0");
        assert_eq!(percent_cell(None), "");
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7.0));
        assert_eq!(median(&[9, 1, 4]), Some(4.0));
        assert_eq!(median(&[1, 2, 4, 10]), Some(3.0));
        assert_eq!(median(&[1, 2]), Some(1.5));
        assert_eq!(median_cell(Some(3.0)), "3");
        assert_eq!(median_cell(Some(1.5)), "1.5");
    }

    #[test]
    fn abcd_needs_all_four_topics_in_any_order() {
        assert!(covers_abcd("alone,back,crib,no_smoking"));
        assert!(covers_abcd("no_smoking,crib,no_soft_bedding,back,alone"));
        assert!(!covers_abcd("alone,back,crib"));
        assert!(!covers_abcd(""));
    }

    #[test]
    fn months_are_clipped_to_the_period_in_new_york_time() {
        let p = Period { from: d("2026-01-15"), to: d("2026-03-10") };
        let m = month_spans(&p);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].key(), "2026-01");
        // 15 January, midnight in New York (EST) is 05:00 UTC.
        assert_eq!(m[0].start, Utc.with_ymd_and_hms(2026, 1, 15, 5, 0, 0).single().expect("t"));
        assert_eq!(m[0].end, Utc.with_ymd_and_hms(2026, 2, 1, 5, 0, 0).single().expect("t"));
        assert_eq!(m[1].end, m[2].start);
        // The last month ends when 11 March begins in New York (EDT from 8 March: 04:00 UTC).
        assert_eq!(m[2].end, Utc.with_ymd_and_hms(2026, 3, 11, 4, 0, 0).single().expect("t"));
    }

    #[test]
    fn last_month_to_the_same_day_clamps_at_its_end() {
        assert_eq!(last_month(d("2026-03-31")), (d("2026-02-01"), d("2026-02-28"), d("2026-02-28")));
        assert_eq!(last_month(d("2026-01-10")), (d("2025-12-01"), d("2025-12-10"), d("2025-12-31")));
    }

    #[test]
    fn tables_are_picked_by_key() {
        let t = |key| Table { key, title: key.into(), columns: vec![text("a", "A")], rows: vec![] };
        let tables = [t("by_mode"), t("by_language")];
        assert_eq!(pick(&tables, None).map(|t| t.key), Ok("by_mode"));
        assert_eq!(pick(&tables, Some("by_language")).map(|t| t.key), Ok("by_language"));
        assert_eq!(pick(&tables, Some("nope")), Err("Choose one of the tables by_mode, by_language.".into()));
        let csv = Table {
            key: "x",
            title: "x".into(),
            columns: vec![text("a", "A"), num("n", "N")],
            rows: vec![vec!["=1".into(), "2".into()]],
        }
        .to_csv()
        .expect("csv");
        assert_eq!(csv, "a,n\r\n'=1,2\r\n");
    }
}
