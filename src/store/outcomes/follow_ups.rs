//! The follow-up outcome: the survey rounds (1 and 3 months) owed for live handouts given in
//! the period (at the chosen site), by status — answered, not yet (and how many of those are
//! overdue today), lost after three unanswered calls — and, of the sheets answered, how many
//! met each safe-sleep measure (`domain::survey::measure_of`; the legacy call's answers count
//! toward the crib and the back only). The safe-sleep report (`safe_sleep`) puts these
//! beside response rates by round and group.

use crate::domain::outcomes::{follow_up_status_label, num, percent, percent_cell, text, Table};
use crate::domain::states::FollowUpStatus;
use crate::domain::survey;
use crate::store::outcomes::{share_rows, Share, Tables};
use crate::store::reports::ReportFilter;
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

/// The tables of this report, the default first.
pub const TABLES: [&str; 2] = ["by_status", "answers"];

/// Every follow-up status, in the order the table shows them.
pub const STATUSES: [&str; 4] = [
    FollowUpStatus::Completed.as_str(),
    FollowUpStatus::Due.as_str(),
    FollowUpStatus::LostToFollowUp.as_str(),
    FollowUpStatus::Cancelled.as_str(),
];

/// One safe-sleep measure, from the sheets answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Answer {
    pub question: String,
    pub label: String,
    pub yes: i64,
    pub no: i64,
    /// Answered the round, but skipped this question or preferred not to say.
    pub not_answered: i64,
    /// Percent yes of those who answered the question; null when none did.
    pub percent_yes: Option<f64>,
}

/// Follow-ups by status and the answers of the families reached.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Follow-ups owed for the period's live handouts.
    pub follow_ups: i64,
    /// Every status, zeros included, with its share of the follow-ups.
    pub by_status: Vec<Share>,
    /// Not yet reached and past their due date today (New York).
    pub overdue: i64,
    /// Families reached: the whole the answers are of.
    pub reached: i64,
    pub answers: Vec<Answer>,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    status: String,
    reached: Option<bool>,
    overdue: i32,
    instrument_version: Option<i32>,
    answers: Option<String>,
}

/// The follow-up report for a period (and optionally a site), overdue counted on `today`.
pub async fn report(db: &impl ConnectionTrait, f: &ReportFilter, today: NaiveDate) -> Result<FollowUpReport, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT fu.status AS status, fu.reached AS reached, CASE WHEN fu.status = 'due' AND fu.due_on < ")
        .bind(today)
        .push(
            " THEN 1 ELSE 0 END AS overdue, sa.instrument_version AS instrument_version, sa.answers AS answers \
             FROM follow_ups fu JOIN handouts h ON h.id = fu.handout_id \
             LEFT JOIN survey_answers sa ON sa.follow_up_id = fu.id",
        )
        .filter(f, "h.");
    let rows = Row::find_by_statement(sql.statement()).all(db).await?;
    let total = rows.len() as i64;
    let sheets: Vec<(i32, survey::Answers)> = rows
        .iter()
        .filter_map(|r| {
            let (v, a) = (r.instrument_version?, r.answers.as_deref()?);
            Some((v, serde_json::from_str(a).unwrap_or_default()))
        })
        .collect();
    let reached = rows.iter().filter(|r| r.reached == Some(true)).count() as i64;
    let answers = survey::MEASURES
        .iter()
        .map(|m| {
            let said: Vec<Option<bool>> = sheets.iter().map(|(v, a)| survey::measure_of(*v, a, m)).collect();
            let yes = said.iter().filter(|s| **s == Some(true)).count() as i64;
            let no = said.iter().filter(|s| **s == Some(false)).count() as i64;
            Answer {
                question: m.to_string(),
                label: survey::measure_label(m).to_string(),
                yes,
                no,
                not_answered: sheets.len() as i64 - yes - no,
                percent_yes: percent(yes, yes + no),
            }
        })
        .collect();
    Ok(FollowUpReport {
        from: f.period.from,
        to: f.period.to,
        follow_ups: total,
        by_status: STATUSES
            .iter()
            .map(|s| {
                let count = rows.iter().filter(|r| r.status == *s).count() as i64;
                Share {
                    key: Some(s.to_string()),
                    label: follow_up_status_label(s).to_string(),
                    count,
                    percent: percent(count, total),
                }
            })
            .collect(),
        overdue: rows.iter().filter(|r| r.overdue == 1).count() as i64,
        reached,
        answers,
    })
}

impl Tables for FollowUpReport {
    fn tables(&self) -> Vec<Table> {
        let mut by_status = share_rows(&self.by_status);
        by_status.push(vec![
            "overdue".into(),
            "Not yet reached and past due (included above)".into(),
            self.overdue.to_string(),
            percent_cell(percent(self.overdue, self.follow_ups)),
        ]);
        by_status.push(vec!["all".into(), "All follow-ups".into(), self.follow_ups.to_string(), String::new()]);
        vec![
            Table {
                key: "by_status",
                title: "Follow-up calls for the period's cribs".into(),
                columns: vec![
                    text("status", "Status"),
                    text("label", "What"),
                    num("follow_ups", "Follow-ups"),
                    num("percent", "%"),
                ],
                rows: by_status,
            },
            Table {
                key: "answers",
                title: format!("What the {} families reached said (each round's answers)", self.reached),
                columns: vec![
                    text("question", "Question"),
                    text("label", "Asked"),
                    num("yes", "Yes"),
                    num("no", "No"),
                    num("not_answered", "Not answered"),
                    num("percent_yes", "% yes of those who answered it"),
                ],
                rows: self
                    .answers
                    .iter()
                    .map(|a| {
                        vec![
                            a.question.clone(),
                            a.label.clone(),
                            a.yes.to_string(),
                            a.no.to_string(),
                            a.not_answered.to_string(),
                            percent_cell(a.percent_yes),
                        ]
                    })
                    .collect(),
            },
        ]
    }
}
