//! The follow-up outcome: the follow-up calls owed for live handouts given in the period
//! (at the chosen site), by status — reached, not yet reached (and how many of those are
//! overdue today), lost after three unanswered calls — and, of the families reached, how
//! many said the crib is in use and the baby sleeps on its back, alone and in the crib.

use crate::domain::outcomes::{follow_up_status_label, num, percent, percent_cell, text, Table};
use crate::domain::states::FollowUpStatus;
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

/// One question asked on the call, answered by the families reached.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Answer {
    pub question: String,
    pub label: String,
    pub yes: i64,
    pub no: i64,
    /// Reached, but the question was not answered.
    pub not_answered: i64,
    /// Percent yes of the families reached; null when none was reached.
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
    crib_in_use: Option<bool>,
    sleeps_on_back: Option<bool>,
    sleeps_alone: Option<bool>,
    sleeps_in_crib: Option<bool>,
    overdue: i32,
    n: i64,
}

/// The questions, in the order the table shows them: (key, label, the row's answer).
type Question = (&'static str, &'static str, fn(&Row) -> Option<bool>);
const QUESTIONS: [Question; 4] = [
    ("crib_in_use", "The crib is in use", |r| r.crib_in_use),
    ("sleeps_on_back", "The baby sleeps on its back", |r| r.sleeps_on_back),
    ("sleeps_alone", "The baby sleeps alone", |r| r.sleeps_alone),
    ("sleeps_in_crib", "The baby sleeps in the crib", |r| r.sleeps_in_crib),
];

/// The follow-up report for a period (and optionally a site), overdue counted on `today`.
pub async fn report(db: &impl ConnectionTrait, f: &ReportFilter, today: NaiveDate) -> Result<FollowUpReport, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT fu.status AS status, fu.reached AS reached, fu.crib_in_use AS crib_in_use, \
         fu.sleeps_on_back AS sleeps_on_back, fu.sleeps_alone AS sleeps_alone, fu.sleeps_in_crib AS sleeps_in_crib, \
         CASE WHEN fu.status = 'due' AND fu.due_on < ",
    )
    .bind(today)
    .push(
        " THEN 1 ELSE 0 END AS overdue, COUNT(*) AS n \
         FROM follow_ups fu JOIN handouts h ON h.id = fu.handout_id",
    )
    .filter(f, "h.")
    .push(" GROUP BY 1, 2, 3, 4, 5, 6, 7");
    let rows = Row::find_by_statement(sql.statement()).all(db).await?;
    let total: i64 = rows.iter().map(|r| r.n).sum();
    let reached_rows: Vec<&Row> = rows.iter().filter(|r| r.reached == Some(true)).collect();
    let reached: i64 = reached_rows.iter().map(|r| r.n).sum();
    let answers = QUESTIONS
        .iter()
        .map(|(key, label, answer)| {
            let count = |v: Option<bool>| reached_rows.iter().filter(|r| answer(r) == v).map(|r| r.n).sum::<i64>();
            let yes = count(Some(true));
            Answer {
                question: key.to_string(),
                label: label.to_string(),
                yes,
                no: count(Some(false)),
                not_answered: count(None),
                percent_yes: percent(yes, reached),
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
                let count = rows.iter().filter(|r| r.status == *s).map(|r| r.n).sum();
                Share {
                    key: Some(s.to_string()),
                    label: follow_up_status_label(s).to_string(),
                    count,
                    percent: percent(count, total),
                }
            })
            .collect(),
        overdue: rows.iter().filter(|r| r.overdue == 1).map(|r| r.n).sum(),
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
                title: format!("What the {} families reached said", self.reached),
                columns: vec![
                    text("question", "Question"),
                    text("label", "Asked"),
                    num("yes", "Yes"),
                    num("no", "No"),
                    num("not_answered", "Not answered"),
                    num("percent_yes", "% yes of reached"),
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
