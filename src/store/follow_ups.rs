//! The follow-up rounds by phone (issue 23's staff fallback): the list of rounds a week past
//! due and not answered on the family's link, recording a call — reached, with the survey's
//! answers (the same instrument as the link, mode `phone`), or not — and closing a round as
//! completed or lost after three unanswered attempts. A round's answers, however given, are
//! read here for lists and for the family's record.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::states::FollowUpStatus;
use crate::domain::survey::{self, Answers};
use crate::entity::{family, follow_up, follow_up_call, handout, survey_answer};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Unanswered attempts after which a follow-up closes as lost.
pub const MAX_ATTEMPTS: i32 = 3;

/// A follow-up as lists show it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUpView {
    pub id: i64,
    pub handout_id: i64,
    pub site_id: i64,
    pub family_id: i64,
    pub caregiver: String,
    pub phone: Option<String>,
    pub preferred_language: String,
    /// The round: months after the hand-out (1 or 3).
    pub round_months: i32,
    pub due_on: NaiveDate,
    pub status: String,
    /// Unanswered calls so far.
    pub attempts: i32,
    pub reached: Option<bool>,
    /// The round's answers, item code → option code (`domain::survey`), once given.
    pub answers: Option<RoundAnswers>,
}

/// A round's answer sheet as given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct RoundAnswers {
    /// The instrument's version (0: the 14-day call before issue 23, four yes/no answers).
    pub instrument_version: i32,
    /// `self` (the family, on the link) or `phone` (with staff).
    pub mode: String,
    pub answered_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = Object)]
    pub answers: Answers,
}

impl RoundAnswers {
    /// A stored sheet as read back.
    pub fn of(row: &survey_answer::Model) -> RoundAnswers {
        RoundAnswers {
            instrument_version: row.instrument_version,
            mode: row.mode.clone(),
            answered_at: row.answered_at,
            answers: serde_json::from_str(&row.answers).unwrap_or_default(),
        }
    }
}

/// The outcome of one call: reached with the answers given (any may be skipped), or not.
#[derive(Debug, Clone, Default)]
pub struct CallOutcome {
    pub reached: bool,
    pub answers: Answers,
    pub note: Option<String>,
}

/// Read a sheet of the survey's round items (`domain::survey::read_answers`) as an outcome's
/// answers, each problem under `answers.<item>`.
pub fn answers_of<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Answers, AppError> {
    survey::read_answers(&survey::ITEMS, fields).map_err(|problems| {
        let mut f = crate::error::FieldErrors::new();
        for (item, sentence) in problems {
            f.entry(format!("answers.{item}")).or_default().push(sentence);
        }
        AppError::Validation(f)
    })
}

/// The sheets of some follow-ups, by follow-up id (one statement).
pub async fn sheets_of(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<HashMap<i64, survey_answer::Model>, AppError> {
    Ok(survey_answer::Entity::find()
        .filter(survey_answer::Column::FollowUpId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.follow_up_id, a))
        .collect())
}

async fn view(db: &impl ConnectionTrait, f: follow_up::Model) -> Result<FollowUpView, AppError> {
    views(db, vec![f]).await?.pop().ok_or(AppError::NotFound)
}

/// Follow-ups with their families, in the order given: four statements however many rows.
async fn views(db: &impl ConnectionTrait, list: Vec<follow_up::Model>) -> Result<Vec<FollowUpView>, AppError> {
    let handouts: HashMap<i64, i64> = handout::Entity::find()
        .filter(handout::Column::Id.is_in(list.iter().map(|f| f.handout_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.family_id))
        .collect();
    let families: HashMap<i64, family::Model> = family::Entity::find()
        .filter(family::Column::Id.is_in(handouts.values().copied().collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let sheets = sheets_of(db, list.iter().map(|f| f.id).collect()).await?;
    list.into_iter()
        .map(|f| {
            let fam = handouts.get(&f.handout_id).and_then(|id| families.get(id)).ok_or(AppError::NotFound)?;
            Ok(FollowUpView {
                id: f.id,
                handout_id: f.handout_id,
                site_id: f.site_id,
                family_id: fam.id,
                caregiver: format!("{} {}", fam.first_name, fam.last_name),
                phone: fam.phone.clone(),
                preferred_language: fam.preferred_language.clone(),
                round_months: f.round_months,
                due_on: f.due_on,
                status: f.status,
                attempts: f.attempts,
                reached: f.reached,
                answers: sheets.get(&f.id).map(RoundAnswers::of),
            })
        })
        .collect()
}

/// The rounds owed a call today at the reader's sites (managers: all): a week past due and
/// not answered on the link (`survey::calls_due_by`), with the families shown audited.
pub async fn read_due(db: &Db, by: Caller<'_>) -> Result<Vec<FollowUpView>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let list = due(db, by.who.site_scope(), survey::calls_due_by(crate::clock::today())).await?;
    audit::families_shown(db, by, "follow-ups due", list.iter().map(|f| f.family_id)).await?;
    Ok(list)
}

/// One round, for the call page, at a site the reader acts at (else 404), the family shown
/// audited.
pub async fn read_one(db: &Db, by: Caller<'_>, id: i64) -> Result<FollowUpView, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let f = follow_up::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    if !by.who.can_act_at(f.site_id) {
        return Err(AppError::NotFound);
    }
    let v = view(db, f).await?;
    audit::families_shown(db, by, "follow-up call", [v.family_id]).await?;
    Ok(v)
}

/// The rounds of some hand-outs (a family's record), oldest hand-out and round first, with
/// their answers.
pub async fn of_handouts(db: &impl ConnectionTrait, handout_ids: Vec<i64>) -> Result<Vec<FollowUpView>, AppError> {
    let list = follow_up::Entity::find()
        .filter(follow_up::Column::HandoutId.is_in(handout_ids))
        .order_by_asc(follow_up::Column::HandoutId)
        .order_by_asc(follow_up::Column::RoundMonths)
        .all(db)
        .await?;
    views(db, list).await
}

/// Open follow-ups due on or before `by`, at the given sites (None = all), oldest first.
pub async fn due(
    db: &impl ConnectionTrait,
    sites: Option<&[i64]>,
    by: NaiveDate,
) -> Result<Vec<FollowUpView>, AppError> {
    let mut q = follow_up::Entity::find()
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Due.as_str()))
        .filter(follow_up::Column::DueOn.lte(by))
        .order_by_asc(follow_up::Column::DueOn)
        .limit(500);
    if let Some(ids) = sites {
        q = q.filter(follow_up::Column::SiteId.is_in(ids.to_vec()));
    }
    views(db, q.all(db).await?).await
}

/// The longest note a call may carry. Both faces refuse a longer one (nothing is cut
/// short silently; decision 0017).
pub const NOTE_MAX_CHARS: usize = 500;

/// Record one follow-up call at a site the caller acts at (else 404), audited as
/// `follow_up.call` with the follow-up's new status.
pub async fn call(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    id: i64,
    outcome: &CallOutcome,
) -> Result<Ran<FollowUpView>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    if !by.who.can_act_at(site_of(db, id).await?) {
        return Err(AppError::NotFound);
    }
    if outcome.note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
        return Err(AppError::validation("note", format!("A note has at most {NOTE_MAX_CHARS} characters.")));
    }
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            let v = record_call(&txn, by.who, id, outcome).await?;
            let detail = Some(v.status.clone());
            let entry = AuditEntry { action: "follow_up.call", entity: "follow_up", entity_id: Some(id), detail };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(v)
        }
        .await;
        (txn, r)
    })
    .await
}

/// Record a call. Reached → completed with the answers (mode `phone`); not reached → one
/// more attempt, and the third unanswered attempt closes the round as lost to follow-up.
pub async fn record_call(
    db: &impl ConnectionTrait,
    who: &Actor,
    id: i64,
    outcome: &CallOutcome,
) -> Result<FollowUpView, AppError> {
    let f = follow_up::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    if !who.can_act_at(f.site_id) {
        return Err(AppError::NotFound);
    }
    if f.status != FollowUpStatus::Due.as_str() {
        return Err(AppError::Conflict(format!("This follow-up is already closed ({}).", f.status)));
    }
    let now = crate::clock::now();
    follow_up_call::ActiveModel {
        follow_up_id: Set(id),
        called_at: Set(now),
        called_by: Set(who.id),
        reached: Set(outcome.reached),
        note: Set(outcome.note.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let attempts = f.attempts + 1;
    let status = if outcome.reached {
        FollowUpStatus::Completed
    } else if attempts >= MAX_ATTEMPTS {
        FollowUpStatus::LostToFollowUp
    } else {
        FollowUpStatus::Due
    };
    // NOTE: conditional on the attempts seen, so two calls recorded at once cannot both count as the same attempt.
    let mut update = follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Attempts, Expr::value(attempts))
        .col_expr(follow_up::Column::Status, Expr::value(status.as_str()))
        .filter(follow_up::Column::Id.eq(id))
        .filter(follow_up::Column::Attempts.eq(f.attempts))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Due.as_str()));
    if outcome.reached {
        update = update.col_expr(follow_up::Column::Reached, Expr::value(true));
    }
    if status != FollowUpStatus::Due {
        update = update.col_expr(follow_up::Column::ClosedAt, Expr::value(now));
        if !outcome.reached {
            update = update.col_expr(follow_up::Column::Reached, Expr::value(false));
        }
    }
    if update.exec(db).await?.rows_affected == 0 {
        return Err(AppError::Conflict(
            "Someone recorded a call for this follow-up at the same time; reload and check.".into(),
        ));
    }
    if outcome.reached {
        // NOTE: unique per round: the family answering on the link meanwhile refuses this
        // (the conditional update above already saw the round still due).
        survey_answer::ActiveModel {
            follow_up_id: Set(id),
            instrument_version: Set(survey::VERSION),
            mode: Set(survey::Mode::Phone.as_str().into()),
            answers: Set(serde_json::to_string(&outcome.answers).map_err(|e| AppError::Internal(e.to_string()))?),
            answered_at: Set(now),
            recorded_by: Set(Some(who.id)),
            ..Default::default()
        }
        .insert(db)
        .await
        .map_err(|e| match crate::store::constraints::unique_violation(&e) {
            Some(_) => AppError::Conflict("This round was answered meanwhile; reload and check.".into()),
            None => e.into(),
        })?;
    }
    let f = follow_up::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    view(db, f).await
}

/// The site a follow-up belongs to, or 404.
pub async fn site_of(db: &impl ConnectionTrait, id: i64) -> Result<i64, AppError> {
    Ok(follow_up::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?.site_id)
}
