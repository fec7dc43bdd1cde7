//! The safe-sleep outcome report (issue 23): for each follow-up round (1 and 3 months) due in
//! the period, how many rounds were due, how many families answered (the response rate), and
//! for each of the five measures (`domain::survey::MEASURES`) how many respondents met it —
//! overall, and by CSA or by self-reported race/ethnicity. Small counts are hidden as "<5"
//! and their complements as "suppressed" (`domain::survey::suppress_grid`), totals included,
//! and a share is only given where both its counts are shown. Back sleep stands beside Healthy People
//! 2030's target.
//!
//! A round counts in the period of its due date, and only once due (a round due tomorrow is
//! not yet owed an answer); rounds of voided hand-outs are not counted. A sheet counts for a
//! measure when it answered the measure's question (skipped and "prefer not to say" do not).
//! One statement reads the rounds; the sheets are read in Rust (`survey::measure_of`).

use crate::domain::family::RACE_ETHNICITY;
use crate::domain::outcomes::{num, percent, text, Table};
use crate::domain::reports::Period;
use crate::domain::survey::{self, SMALLEST_SHOWN};
use crate::entity::csa;
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryOrder};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// How the report's rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SafeSleepGroup {
    /// The whole program only.
    #[default]
    None,
    /// One row per Community Statistical Area (and outside the city).
    Csa,
    /// One row per self-reported race/ethnicity (and not recorded).
    RaceEthnicity,
}

impl SafeSleepGroup {
    /// `csa`, `race_ethnicity`, or nothing.
    pub fn parse(raw: Option<&str>) -> Result<SafeSleepGroup, String> {
        match raw.map(str::trim) {
            None | Some("") | Some("none") => Ok(SafeSleepGroup::None),
            Some("csa") => Ok(SafeSleepGroup::Csa),
            Some("race_ethnicity") => Ok(SafeSleepGroup::RaceEthnicity),
            Some(_) => Err("Group by csa or race_ethnicity (or leave it out for the whole program).".into()),
        }
    }

    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            SafeSleepGroup::None => "none",
            SafeSleepGroup::Csa => "csa",
            SafeSleepGroup::RaceEthnicity => "race_ethnicity",
        }
    }
}

/// The report's question: the period (due dates), the rounds, the grouping, a site.
#[derive(Debug, Clone)]
pub struct SafeSleepQuery {
    pub period: Period,
    /// One round (1 or 3), or both.
    pub round: Option<u32>,
    pub group: SafeSleepGroup,
    pub site_id: Option<i64>,
}

/// A count as published: the number; "<5" when it is small; "suppressed" when it is a
/// complement hidden so that a small count beside it cannot be worked out (it is not small
/// itself, so it is not called "<5").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub n: i64,
    pub hidden: bool,
}

impl Count {
    /// As a table cell and in the JSON when hidden.
    pub fn text(self) -> String {
        match (self.hidden, self.n < SMALLEST_SHOWN) {
            (false, _) => self.n.to_string(),
            (true, true) => format!("<{SMALLEST_SHOWN}"),
            (true, false) => "suppressed".into(),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.hidden {
            s.serialize_str(&self.text())
        } else {
            s.serialize_i64(self.n)
        }
    }
}

/// A share of two counts, given only where both are shown.
fn share(part: Count, whole: Count) -> Option<f64> {
    if part.hidden || whole.hidden {
        None
    } else {
        percent(part.n, whole.n)
    }
}

/// One measure in one row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeasureRow {
    pub measure: &'static str,
    pub label: &'static str,
    /// Respondents who met it (a number, or "<5").
    #[schema(value_type = Value)]
    pub met: Count,
    /// Respondents who answered its question.
    #[schema(value_type = Value)]
    pub respondents: Count,
    /// Percent of respondents, one decimal; null when either count is hidden or none answered.
    pub percent: Option<f64>,
    /// Healthy People 2030's target, where there is one.
    pub target_percent: Option<f64>,
}

/// One row: the program, or one group.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupRow {
    /// The group's code (a CSA id, a race/ethnicity code; `all` for the program; empty: not recorded).
    pub key: String,
    pub label: String,
    /// Rounds due (a number, or "<5").
    #[schema(value_type = Value)]
    pub due: Count,
    /// Rounds answered.
    #[schema(value_type = Value)]
    pub answered: Count,
    /// Answered of due, percent.
    pub response_rate: Option<f64>,
    pub measures: Vec<MeasureRow>,
}

/// One round's rows: the program first, then each group.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundReport {
    /// Months after the hand-out.
    pub round: u32,
    pub rows: Vec<GroupRow>,
}

/// The safe-sleep report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SafeSleepReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group: SafeSleepGroup,
    /// Counts from 1 to this minus one are shown as "<N".
    pub smallest_shown: i64,
    pub rounds: Vec<RoundReport>,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    round_months: i32,
    csa_id: Option<i32>,
    race_ethnicity: Option<String>,
    instrument_version: Option<i32>,
    answers: Option<String>,
}

/// The report for a question, counting rounds due on or before `today`.
pub async fn report(db: &impl ConnectionTrait, q: &SafeSleepQuery, today: NaiveDate) -> Result<SafeSleepReport, DbErr> {
    let last = q.period.to.min(today);
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT fu.round_months AS round_months, h.csa_id AS csa_id, f.race_ethnicity AS race_ethnicity, \
         sa.instrument_version AS instrument_version, sa.answers AS answers \
         FROM follow_ups fu JOIN handouts h ON h.id = fu.handout_id JOIN families f ON f.id = h.family_id \
         LEFT JOIN survey_answers sa ON sa.follow_up_id = fu.id \
         WHERE h.voided_at IS NULL AND fu.status <> 'cancelled' AND fu.due_on >= ",
    )
    .bind(q.period.from)
    .push(" AND fu.due_on <= ")
    .bind(last);
    if let Some(site) = q.site_id {
        sql.push(" AND fu.site_id = ").bind(site);
    }
    if let Some(r) = q.round {
        sql.push(" AND fu.round_months = ").bind(i32::try_from(r).unwrap_or(1));
    }
    let rows = Row::find_by_statement(sql.statement()).all(db).await?;
    let groups: Vec<(String, String)> = match q.group {
        SafeSleepGroup::None => Vec::new(),
        SafeSleepGroup::Csa => csa::Entity::find()
            .order_by_asc(csa::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id.to_string(), c.name))
            .chain([(String::new(), "Outside Baltimore City or not placed".to_string())])
            .collect(),
        SafeSleepGroup::RaceEthnicity => RACE_ETHNICITY
            .iter()
            .map(|(code, label)| (code.to_string(), label.to_string()))
            .chain([(String::new(), "Not recorded".to_string())])
            .collect(),
    };
    let key_of = |r: &Row| match q.group {
        SafeSleepGroup::None => String::new(),
        SafeSleepGroup::Csa => r.csa_id.map(|c| c.to_string()).unwrap_or_default(),
        SafeSleepGroup::RaceEthnicity => r.race_ethnicity.clone().unwrap_or_default(),
    };
    let rounds: Vec<u32> = match q.round {
        Some(r) => vec![r],
        None => survey::ROUNDS.to_vec(),
    };
    let rounds = rounds
        .into_iter()
        .map(|round| {
            let here: Vec<&Row> = rows.iter().filter(|r| r.round_months == i32::try_from(round).unwrap_or(0)).collect();
            round_report(round, &here, &groups, q.group, &key_of)
        })
        .collect();
    Ok(SafeSleepReport { from: q.period.from, to: q.period.to, group: q.group, smallest_shown: SMALLEST_SHOWN, rounds })
}

/// A grid of counts (groups × part, rest) with what is hidden: cells, row totals, column
/// totals, the grand total (`survey::suppress_grid`).
type Grid = (Vec<Vec<i64>>, Vec<Vec<bool>>, Vec<bool>, Vec<bool>, bool);

/// Tallies of one group: due, answered, and per measure (met, respondents).
#[derive(Default, Clone)]
struct Tally {
    due: i64,
    answered: i64,
    measures: [(i64, i64); 5],
}

fn round_report(
    round: u32,
    rows: &[&Row],
    groups: &[(String, String)],
    grouping: SafeSleepGroup,
    key_of: &dyn Fn(&Row) -> String,
) -> RoundReport {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows {
        let t = tallies.entry(key_of(r)).or_default();
        t.due += 1;
        let (Some(version), Some(answers)) = (r.instrument_version, r.answers.as_deref()) else { continue };
        t.answered += 1;
        let sheet: survey::Answers = serde_json::from_str(answers).unwrap_or_default();
        for (i, m) in survey::MEASURES.iter().enumerate() {
            if let Some(met) = survey::measure_of(version, &sheet, m) {
                t.measures[i].1 += 1;
                t.measures[i].0 += i64::from(met);
            }
        }
    }
    // The rows of the table: each group (a group with no round shows zeros), or the program alone.
    let keys: Vec<(String, String)> = if grouping == SafeSleepGroup::None {
        vec![(String::new(), "All families".to_string())]
    } else {
        groups.to_vec()
    };
    let tally = |k: &str| tallies.get(k).cloned().unwrap_or_default();
    // Each pair of counts (answered / not, met / not) is one grid: groups × two columns,
    // hidden together so nothing comes back by subtraction along a row, a column or the totals.
    let grid = |pick: &dyn Fn(&Tally) -> (i64, i64)| -> Grid {
        let cells: Vec<Vec<i64>> = keys
            .iter()
            .map(|(k, _)| {
                let (part, whole) = pick(&tally(k));
                vec![part, whole - part]
            })
            .collect();
        let (hidden, rows_hidden, cols_hidden, grand_hidden) = survey::suppress_grid(&cells);
        (cells, hidden, rows_hidden, cols_hidden, grand_hidden)
    };
    let count = |n: i64, hidden: bool| Count { n, hidden };
    let answered_grid = grid(&|t| (t.answered, t.due));
    let measure_grids: Vec<_> = (0..survey::MEASURES.len()).map(|i| grid(&move |t: &Tally| t.measures[i])).collect();
    let row_of = |key: String, label: String, at: Option<usize>| {
        // `at`: a group's row; None: the program's (the column totals).
        let pair = |g: &Grid| match at {
            Some(r) => {
                let part = g.0[r][0];
                let whole = part + g.0[r][1];
                (count(part, g.1[r][0]), count(whole, g.2[r]))
            }
            None => {
                let part: i64 = g.0.iter().map(|c| c[0]).sum();
                let whole: i64 = g.0.iter().map(|c| c[0] + c[1]).sum();
                (count(part, g.3[0]), count(whole, g.4))
            }
        };
        let (answered, due) = pair(&answered_grid);
        let measures = survey::MEASURES
            .iter()
            .zip(&measure_grids)
            .map(|(m, g)| {
                let (met, respondents) = pair(g);
                MeasureRow {
                    measure: m,
                    label: survey::measure_label(m),
                    met,
                    respondents,
                    percent: share(met, respondents),
                    target_percent: survey::target_percent(m),
                }
            })
            .collect();
        GroupRow { key, label, due, answered, response_rate: share(answered, due), measures }
    };
    let mut out = vec![row_of("all".into(), "All families".into(), None)];
    if grouping != SafeSleepGroup::None {
        out.extend(keys.iter().enumerate().map(|(i, (k, l))| row_of(k.clone(), l.clone(), Some(i))));
    }
    RoundReport { round, rows: out }
}

impl crate::store::outcomes::Tables for SafeSleepReport {
    fn tables(&self) -> Vec<Table> {
        let pct = |p: Option<f64>| p.map(|v| format!("{v:.1}")).unwrap_or_default();
        // The funders' table (Title V style): numerator and denominator per measure and round.
        let mut funders = Vec::new();
        for r in &self.rounds {
            if let Some(all) = r.rows.first() {
                funders.push(vec![
                    format!("{}", r.round),
                    "response_rate".into(),
                    "Answered the round (of rounds due)".into(),
                    all.answered.text(),
                    all.due.text(),
                    pct(all.response_rate),
                    String::new(),
                ]);
                for m in &all.measures {
                    funders.push(vec![
                        format!("{}", r.round),
                        m.measure.to_string(),
                        m.label.to_string(),
                        m.met.text(),
                        m.respondents.text(),
                        pct(m.percent),
                        m.target_percent.map(|t| format!("{t:.1}")).unwrap_or_default(),
                    ]);
                }
            }
        }
        let mut by_group = Vec::new();
        for r in &self.rounds {
            for g in &r.rows {
                let mut row = vec![
                    format!("{}", r.round),
                    g.key.clone(),
                    g.label.clone(),
                    g.due.text(),
                    g.answered.text(),
                    pct(g.response_rate),
                ];
                for m in &g.measures {
                    row.extend([m.met.text(), m.respondents.text(), pct(m.percent)]);
                }
                by_group.push(row);
            }
        }
        let period = format!("{} to {}", self.from, self.to);
        let mut group_columns = vec![
            num("round", "Round (months)"),
            text("group", "Group code"),
            text("label", "Group"),
            num("due", "Due"),
            num("answered", "Answered"),
            num("response_rate", "Response %"),
        ];
        for (key, label) in MEASURE_COLUMNS {
            group_columns.extend(key.iter().zip(label.iter()).map(|(k, l)| num(k, l)));
        }
        vec![
            Table {
                key: "measures",
                title: format!("Safe sleep by round, {period}: numerator and denominator of each measure"),
                columns: vec![
                    num("round", "Round (months)"),
                    text("measure", "Measure code"),
                    text("label", "Measure"),
                    num("numerator", "Met"),
                    num("denominator", "Of"),
                    num("percent", "%"),
                    num("target_percent", "Healthy People 2030 target %"),
                ],
                rows: funders,
            },
            Table {
                key: "by_group",
                title: format!("Safe sleep by round and group, {period}"),
                columns: group_columns,
                rows: by_group,
            },
        ]
    }
}

/// The by-group table's columns per measure: met, respondents, percent.
const MEASURE_COLUMNS: [([&str; 3], [&str; 3]); 5] = [
    (["back_sleep_met", "back_sleep_of", "back_sleep_percent"], ["Back: met", "Back: of", "Back %"]),
    (["crib_in_use_met", "crib_in_use_of", "crib_in_use_percent"], ["Crib: met", "Crib: of", "Crib %"]),
    (
        ["no_bed_sharing_met", "no_bed_sharing_of", "no_bed_sharing_percent"],
        ["No bed-sharing: met", "No bed-sharing: of", "No bed-sharing %"],
    ),
    (
        ["no_soft_objects_met", "no_soft_objects_of", "no_soft_objects_percent"],
        ["No soft objects: met", "No soft objects: of", "No soft objects %"],
    ),
    (["smoke_free_met", "smoke_free_of", "smoke_free_percent"], ["Smoke-free: met", "Smoke-free: of", "Smoke-free %"]),
];

/// The tables of this report, the default first.
pub const TABLES: [&str; 2] = ["measures", "by_group"];

/// Parse the report's query — the period and site as every report's
/// (`report_params::parse_params`), `round` (1 or 3), `group` and `table` — with every
/// problem at once (422).
pub async fn params(
    db: &impl ConnectionTrait,
    raw: &crate::store::report_params::RawReportParams,
    round: Option<&str>,
    table: Option<&str>,
) -> Result<(SafeSleepQuery, Option<String>), crate::error::AppError> {
    use crate::error::AppError;
    let round = match round.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => match r.parse::<u32>() {
            Ok(n) if survey::ROUNDS.contains(&n) => Ok(Some(n)),
            _ => Err("The round is 1 or 3 (months after the crib), or leave it out for both.".to_string()),
        },
    };
    let group = SafeSleepGroup::parse(raw.group.as_deref());
    let table = match table.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if !TABLES.contains(&t) => Err(format!("Choose one of the tables {}.", TABLES.join(", "))),
        t => Ok(t.map(str::to_string)),
    };
    let plain = crate::store::report_params::RawReportParams { group: None, ..raw.clone() };
    let base = crate::store::report_params::parse_params(db, &plain).await;
    let mut fields = match &base {
        Err(AppError::Validation(f)) => f.clone(),
        Err(_) | Ok(_) => Default::default(),
    };
    for (field, problem) in
        [("round", round.as_ref().err()), ("group", group.as_ref().err()), ("table", table.as_ref().err())]
    {
        if let Some(p) = problem {
            fields.entry(field.to_string()).or_default().push(p.clone());
        }
    }
    if !fields.is_empty() {
        return Err(AppError::Validation(fields));
    }
    let (filter, _) = base?;
    let (Ok(round), Ok(group), Ok(table)) = (round, group, table) else {
        return Err(AppError::Internal("safe-sleep parameters passed the checks but were not parsed".into()));
    };
    Ok((SafeSleepQuery { period: filter.period, round, group, site_id: filter.site_id }, table))
}
