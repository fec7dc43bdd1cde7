//! Report rules that need no database: the report period (parsed, bounded, defaulted to
//! this New York calendar year), the grouping, small-cell suppression for the equity
//! tables, CSV cells that a spreadsheet will not run as formulas, months for the
//! cribs-by-month chart, and the infant mortality rate per CSA from the seeds.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// The longest period a report may cover.
pub const MAX_YEARS: u32 = 20;

/// Counts from 1 to this are shown as "<5" in the equity tables.
pub const SMALL_CELL_MAX: i64 = 4;

/// What a suppressed count is shown as.
pub const SUPPRESSED: &str = "<5";

/// The name of the row for handouts to families living outside the city (no CSA).
pub const OUTSIDE_CITY: &str = "Outside Baltimore City";

/// The name of the row for families whose race/ethnicity was not asked or not answered.
pub const NOT_RECORDED: &str = "Not recorded";

/// A report period: both dates inclusive, New York calendar dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The calendar year that `today` is in.
    pub fn year_of(today: NaiveDate) -> Period {
        let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let to = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
        Period { from, to }
    }

    /// Parse the period from optional query values (an empty value counts as absent); a
    /// missing bound defaults to this calendar year's. Problems come back as (field, sentence).
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Period, Vec<(String, String)>> {
        let year = Period::year_of(today);
        let mut problems = Vec::new();
        let mut date = |field: &str, raw: Option<&str>, default: NaiveDate| match raw.map(str::trim) {
            None | Some("") => Some(default),
            Some(text) => match parse_date(text) {
                Ok(d) => Some(d),
                Err(e) => {
                    problems.push((field.to_string(), e));
                    None
                }
            },
        };
        let from = date("from", from, year.from);
        let to = date("to", to, year.to);
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                problems.push(("from".into(), format!("The start date ({from}) is after the end date ({to}).")));
            } else if from.checked_add_months(Months::new(MAX_YEARS * 12)).is_none_or(|limit| to >= limit) {
                problems.push((
                    "to".into(),
                    format!("A report covers at most {MAX_YEARS} years: choose an end date before {}.", {
                        from.checked_add_months(Months::new(MAX_YEARS * 12)).map(|d| d.to_string()).unwrap_or_default()
                    }),
                ));
            }
            if problems.is_empty() {
                return Ok(Period { from, to });
            }
        }
        Err(problems)
    }

    /// Every month the period touches, first to last, as (year, month).
    pub fn months(&self) -> Vec<(i32, u32)> {
        let mut out = Vec::new();
        let (mut y, mut m) = (self.from.year(), self.from.month());
        while (y, m) <= (self.to.year(), self.to.month()) {
            out.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        out
    }
}

/// A `YYYY-MM-DD` date between 1900 and 9999.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let bad = || format!("\"{}\" is not a date: write it as YYYY-MM-DD, e.g. 2026-03-31.", truncate(text, 40));
    if text.len() != 10 {
        return Err(bad());
    }
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    if d.year() < 1900 {
        return Err("Choose a date in 1900 or later.".into());
    }
    Ok(d)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// How the distribution report groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One row per Community Statistical Area (the default).
    #[default]
    Csa,
    /// One row per statistical neighborhood.
    Neighborhood,
}

impl Grouping {
    /// Parse `csa` or `neighborhood` (empty or absent: `csa`).
    pub fn parse(raw: Option<&str>) -> Result<Grouping, String> {
        match raw.map(str::trim) {
            None | Some("") | Some("csa") => Ok(Grouping::Csa),
            Some("neighborhood") => Ok(Grouping::Neighborhood),
            Some(other) => Err(format!("\"{}\" is not a grouping: use csa or neighborhood.", truncate(other, 40))),
        }
    }
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Csa => "csa",
            Grouping::Neighborhood => "neighborhood",
        }
    }
}

/// A count in a table that protects small numbers: 0 and 5 or more are shown, 1 to 4 are
/// shown as "<5". Serialises as a number, or as the string "<5".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Count(i64),
    Suppressed,
}

impl Cell {
    /// Suppress a count when it is small (1..=4).
    pub fn of(n: i64) -> Cell {
        if (1..=SMALL_CELL_MAX).contains(&n) {
            Cell::Suppressed
        } else {
            Cell::Count(n)
        }
    }
    /// As shown on a page or in a CSV cell.
    pub fn text(&self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Suppressed => SUPPRESSED.to_string(),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Count(n) => s.serialize_i64(*n),
            Cell::Suppressed => s.serialize_str(SUPPRESSED),
        }
    }
}

/// A CSV cell that a spreadsheet will show as text, never run as a formula: a value that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe —
/// unless it is a plain number (`-2`, `-0.5`), which a spreadsheet reads as that number.
/// (Quoting of commas and quotes is the CSV writer's job.)
pub fn csv_safe(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(value) => format!("'{value}"),
        _ => value.to_string(),
    }
}

/// `-12`, `3`, `-0.5`: an optional minus, digits, at most one point between digits.
fn is_plain_number(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Write a CSV document (header, then rows) with every cell made safe.
pub fn csv_document(header: &[&str], rows: &[Vec<String>]) -> Result<String, String> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(header.iter().map(|h| csv_safe(h))).map_err(|e| e.to_string())?;
    for row in rows {
        w.write_record(row.iter().map(|c| csv_safe(c))).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Cribs per month over a period, zeros included, from cribs per day.
pub fn by_month(period: &Period, per_day: &[(NaiveDate, i64)]) -> Vec<((i32, u32), i64)> {
    let mut counts: BTreeMap<(i32, u32), i64> = period.months().into_iter().map(|m| (m, 0)).collect();
    for (day, n) in per_day {
        if let Some(c) = counts.get_mut(&(day.year(), day.month())) {
            *c += n;
        }
    }
    counts.into_iter().collect()
}

/// A month as people read it: "Mar 2026".
pub fn month_label((year, month): (i32, u32)) -> String {
    const NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let name = NAMES.get(month.saturating_sub(1) as usize).copied().unwrap_or("?");
    format!("{name} {year}")
}

/// Infant mortality per 1,000 live births in one CSA, in the latest year with a value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InfantMortality {
    pub year: i32,
    pub per_1000: f64,
}

const BIRTHS_CSV: &str = include_str!("../../seeds/baltimore_csa_births.csv");

/// The latest infant mortality rate per CSA from a `baltimore_csa_births.csv` text
/// (columns `csa_id, csa_name, year, infant_mortality_per_1000_live_births, …`; blank cells skipped).
pub fn latest_infant_mortality(csv_text: &str) -> Result<HashMap<i32, InfantMortality>, String> {
    #[derive(serde::Deserialize)]
    struct Row {
        csa_id: i32,
        year: i32,
        infant_mortality_per_1000_live_births: Option<f64>,
    }
    let mut out: HashMap<i32, InfantMortality> = HashMap::new();
    for row in csv::Reader::from_reader(csv_text.as_bytes()).deserialize::<Row>() {
        let row = row.map_err(|e| e.to_string())?;
        let Some(rate) = row.infant_mortality_per_1000_live_births else { continue };
        let newer = out.get(&row.csa_id).is_none_or(|known| row.year > known.year);
        if newer {
            out.insert(row.csa_id, InfantMortality { year: row.year, per_1000: rate });
        }
    }
    Ok(out)
}

/// The seeds' infant mortality rates, read once.
pub fn infant_mortality() -> &'static HashMap<i32, InfantMortality> {
    static RATES: OnceLock<HashMap<i32, InfantMortality>> = OnceLock::new();
    RATES.get_or_init(|| {
        latest_infant_mortality(BIRTHS_CSV).unwrap_or_else(|e| {
            tracing::error!("seeds/baltimore_csa_births.csv cannot be read: {e}");
            HashMap::new()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_default_period_is_this_calendar_year() {
        let p = Period::parse(None, Some(""), d("2026-03-15")).expect("valid");
        assert_eq!((p.from, p.to), (d("2026-01-01"), d("2026-12-31")));
    }

    #[test]
    fn a_period_may_be_one_day_and_up_to_twenty_years() {
        let today = d("2026-03-15");
        assert!(Period::parse(Some("2026-02-01"), Some("2026-02-01"), today).is_ok());
        assert!(Period::parse(Some("2006-01-01"), Some("2025-12-31"), today).is_ok());
        let err = Period::parse(Some("2006-01-01"), Some("2026-01-01"), today).expect_err("21st year");
        assert_eq!(err[0].0, "to");
    }

    #[test]
    fn bad_periods_name_their_field() {
        let today = d("2026-03-15");
        let err = Period::parse(Some("2026-05-01"), Some("2026-04-30"), today).expect_err("reversed");
        assert_eq!(err[0].0, "from");
        let err = Period::parse(Some("yesterday"), Some("2026-13-01"), today).expect_err("garbage");
        let fields: Vec<&str> = err.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["from", "to"]);
        assert!(Period::parse(Some("2026-2-1"), None, today).is_err(), "the format is strict");
        assert!(Period::parse(Some("1899-12-31"), None, today).is_err());
    }

    #[test]
    fn groupings_parse() {
        assert_eq!(Grouping::parse(None), Ok(Grouping::Csa));
        assert_eq!(Grouping::parse(Some("neighborhood")), Ok(Grouping::Neighborhood));
        assert!(Grouping::parse(Some("zip")).is_err());
    }

    #[test]
    fn small_cells_are_suppressed_but_zero_is_not() {
        assert_eq!(Cell::of(0).text(), "0");
        assert_eq!(Cell::of(1).text(), "<5");
        assert_eq!(Cell::of(4).text(), "<5");
        assert_eq!(Cell::of(5).text(), "5");
        assert_eq!(serde_json::to_string(&[Cell::of(3), Cell::of(12)]).expect("json"), r#"["<5",12]"#);
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1"), "'+1");
        assert_eq!(csv_safe("@SUM"), "'@SUM");
        assert_eq!(csv_safe("Cherry Hill"), "Cherry Hill");
        assert_eq!(csv_safe("<5"), "<5");
        assert_eq!(csv_safe("-3"), "-3", "a negative number stays a number");
        assert_eq!(csv_safe("-0.5"), "-0.5");
        assert_eq!(csv_safe("-1+2"), "'-1+2");
        assert_eq!(csv_safe("-"), "'-");
        assert_eq!(csv_safe("-.5"), "'-.5");
        assert_eq!(csv_safe("-1."), "'-1.");
        let rows = [vec!["a, \"b\"".to_string(), "-3".to_string()], vec!["-x".to_string(), "1".to_string()]];
        let doc = csv_document(&["name", "n"], &rows).expect("csv");
        assert_eq!(doc, "name,n\r\n\"a, \"\"b\"\"\",-3\r\n'-x,1\r\n");
    }

    #[test]
    fn months_are_zero_filled_and_ordered() {
        let p = Period { from: d("2025-11-20"), to: d("2026-02-03") };
        let m = by_month(&p, &[(d("2026-01-05"), 2), (d("2026-01-31"), 1), (d("2025-11-20"), 4)]);
        assert_eq!(m, vec![((2025, 11), 4), ((2025, 12), 0), ((2026, 1), 3), ((2026, 2), 0)]);
        assert_eq!(month_label((2026, 3)), "Mar 2026");
    }

    #[test]
    fn infant_mortality_uses_the_latest_year_with_a_value() {
        let text = "csa_id,csa_name,year,infant_mortality_per_1000_live_births,teen\n\
                    1,A,2017,9.5,1\n1,A,2018,8.25,1\n1,A,2019,,1\n2,B,2011,,1\n";
        let m = latest_infant_mortality(text).expect("parse");
        assert_eq!(m.get(&1), Some(&InfantMortality { year: 2018, per_1000: 8.25 }));
        assert_eq!(m.get(&2), None);
        let seeds = infant_mortality();
        assert_eq!(seeds.len(), 55, "every CSA has a rate in some year");
    }
}
