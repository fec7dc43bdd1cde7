//! The family's own survey link (issue 23): `/survey/<token>` with no sign-in. A hand-out's
//! random token (`handouts.survey_token`) stands for that one family's rounds; which round
//! the link answers today is `domain::survey::link_window`'s. The page shows the baby's
//! first name and nothing else about the family. A round is answered once: the conditional
//! update of its status and the unique sheet per round settle two submits at once, and the
//! second hears "thank you, already received". Each answer is audited (`survey.answer`, no
//! user); the token is never written to the audit or the log (the access log names the
//! route, not the path).

use crate::db::Db;
use crate::domain::states::FollowUpStatus;
use crate::domain::survey::{self, Answers};
use crate::entity::{family, follow_up, handout, infant, survey_answer};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// What the link can do today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// This round can be answered now.
    Open { follow_up_id: i64, round_months: u32 },
    /// The first round opens on this day.
    NotYet { opens_on: NaiveDate },
    /// Today's round is answered (`next`: when the next one opens, if one does).
    Answered { next: Option<NaiveDate> },
    /// The link is past its last day, or its hand-out was voided.
    Expired,
    /// No hand-out has this token (mistyped, or made up).
    Unknown,
}

/// The page of a link: its state, the family's language and the baby's first name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPage {
    pub state: LinkState,
    /// The family's preferred language (the catalog picks a supported one).
    pub language: String,
    /// The baby's first name, when the family gave one.
    pub baby: Option<String>,
}

impl LinkPage {
    fn unknown() -> LinkPage {
        LinkPage { state: LinkState::Unknown, language: crate::catalog::FALLBACK.into(), baby: None }
    }
}

/// A token's hand-out, if the token is of the right shape and known.
async fn handout_of(db: &impl ConnectionTrait, token: &str) -> Result<Option<handout::Model>, AppError> {
    if !survey::token_shape_ok(token) {
        return Ok(None);
    }
    Ok(handout::Entity::find().filter(handout::Column::SurveyToken.eq(token)).one(db).await?)
}

/// The link's page as of `today`, read inside `db` (the pool or the write transaction).
async fn page_of(db: &impl ConnectionTrait, token: &str, today: NaiveDate) -> Result<LinkPage, AppError> {
    let Some(h) = handout_of(db, token).await? else { return Ok(LinkPage::unknown()) };
    let fam = family::Entity::find_by_id(h.family_id).one(db).await?.ok_or(AppError::NotFound)?;
    let baby = infant::Entity::find_by_id(h.infant_id)
        .one(db)
        .await?
        .and_then(|i| i.name)
        .and_then(|n| n.split_whitespace().next().map(str::to_string));
    let mut page = LinkPage { state: LinkState::Expired, language: fam.preferred_language, baby };
    if h.voided_at.is_some() {
        return Ok(page);
    }
    let rounds = follow_up::Entity::find()
        .filter(follow_up::Column::HandoutId.eq(h.id))
        .order_by_asc(follow_up::Column::RoundMonths)
        .all(db)
        .await?;
    page.state = state_of(h.handed_out_on, &rounds, today);
    Ok(page)
}

/// Which round a link answers today (a pure reading of the rounds; see `link_window`).
fn state_of(handed_out_on: NaiveDate, rounds: &[follow_up::Model], today: NaiveDate) -> LinkState {
    let window = |f: &follow_up::Model| survey::link_window(handed_out_on, u32::try_from(f.round_months).unwrap_or(1));
    let Some(first) = rounds.first() else { return LinkState::Expired };
    if today < window(first).0 {
        return LinkState::NotYet { opens_on: window(first).0 };
    }
    for (i, f) in rounds.iter().enumerate() {
        let (opens, closes) = window(f);
        if today < opens || today > closes {
            continue;
        }
        let next = rounds.get(i + 1).map(|n| window(n).0);
        return match FollowUpStatus::parse(&f.status) {
            // A round closed as lost after three unanswered calls still takes the family's answer.
            Some(FollowUpStatus::Due | FollowUpStatus::LostToFollowUp) => {
                LinkState::Open { follow_up_id: f.id, round_months: u32::try_from(f.round_months).unwrap_or(1) }
            }
            Some(FollowUpStatus::Completed) => LinkState::Answered { next },
            _ => LinkState::Expired,
        };
    }
    LinkState::Expired
}

/// The link's page today (no sign-in).
pub async fn link_page(db: &Db, token: &str) -> Result<LinkPage, AppError> {
    page_of(db, token, crate::clock::today()).await
}

/// Answer today's round on the link (no sign-in): the sheet (mode `self`), the round
/// completed and the audit row, in one transaction. Answers what the page then says: the
/// round answered; "already received" when it was (`Answered` again, with `was_new` false);
/// the same refusals as the page otherwise.
pub async fn answer_by_link(db: &Db, token: &str, ip: &str, answers: &Answers) -> Result<(LinkPage, bool), AppError> {
    let today = crate::clock::today();
    let txn = crate::db::begin_write(db).await?;
    let page = page_of(&txn, token, today).await?;
    let LinkState::Open { follow_up_id, round_months } = page.state else {
        return Ok((page, false));
    };
    let now = crate::clock::now();
    // NOTE: conditional on the round still open, so a phone call recorded at the same moment
    // and this answer cannot both complete it.
    let changed = follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Status, Expr::value(FollowUpStatus::Completed.as_str()))
        .col_expr(follow_up::Column::Reached, Expr::value(true))
        .col_expr(follow_up::Column::ClosedAt, Expr::value(now))
        .filter(follow_up::Column::Id.eq(follow_up_id))
        .filter(
            follow_up::Column::Status.is_in([FollowUpStatus::Due.as_str(), FollowUpStatus::LostToFollowUp.as_str()]),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    let inserted = if changed == 1 {
        survey_answer::ActiveModel {
            follow_up_id: Set(follow_up_id),
            instrument_version: Set(survey::VERSION),
            mode: Set(survey::Mode::SelfComplete.as_str().into()),
            answers: Set(serde_json::to_string(answers).map_err(|e| AppError::Internal(e.to_string()))?),
            answered_at: Set(now),
            recorded_by: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
    } else {
        Err(sea_orm::DbErr::RecordNotInserted)
    };
    if let Err(e) = inserted {
        if changed == 1 && crate::store::constraints::unique_violation(&e).is_none() {
            return Err(e.into());
        }
        // Answered meanwhile: nothing written; the page says it was received.
        drop(txn);
        let page = page_of(db, token, today).await?;
        return Ok((page, false));
    }
    audit::record(
        &txn,
        None,
        Some(ip),
        AuditEntry {
            action: "survey.answer",
            entity: "follow_up",
            entity_id: Some(follow_up_id),
            detail: Some(format!(
                "the {round_months}-month round answered by the family on the link ({} of {} questions)",
                answers.len(),
                survey::ITEMS.len()
            )),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((page_of(db, token, today).await?, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(id: i64, months: i32, status: &str, handed: NaiveDate) -> follow_up::Model {
        follow_up::Model {
            id,
            handout_id: 1,
            site_id: 1,
            due_on: survey::due_on(handed, u32::try_from(months).unwrap_or(1)),
            status: status.into(),
            attempts: 0,
            reached: None,
            crib_in_use: None,
            sleeps_alone: None,
            sleeps_on_back: None,
            sleeps_in_crib: None,
            closed_at: None,
            round_months: months,
        }
    }

    #[test]
    fn the_link_answers_the_round_of_the_day() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let handed = d(1, 31);
        let rounds = vec![round(1, 1, "due", handed), round(2, 3, "due", handed)];
        assert_eq!(state_of(handed, &rounds, d(2, 1)), LinkState::NotYet { opens_on: d(2, 21) });
        assert_eq!(state_of(handed, &rounds, d(2, 21)), LinkState::Open { follow_up_id: 1, round_months: 1 });
        assert_eq!(state_of(handed, &rounds, d(4, 23)), LinkState::Open { follow_up_id: 2, round_months: 3 });
        assert_eq!(state_of(handed, &rounds, d(6, 30)), LinkState::Expired);
        let answered = vec![round(1, 1, "completed", handed), round(2, 3, "due", handed)];
        assert_eq!(state_of(handed, &answered, d(3, 1)), LinkState::Answered { next: Some(d(4, 23)) });
        let lost = vec![round(1, 1, "lost_to_follow_up", handed), round(2, 3, "cancelled", handed)];
        assert_eq!(state_of(handed, &lost, d(3, 1)), LinkState::Open { follow_up_id: 1, round_months: 1 });
        assert_eq!(state_of(handed, &lost, d(5, 1)), LinkState::Expired, "a voided hand-out's round");
    }
}
