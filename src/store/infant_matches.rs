//! One crib per baby across records (issue 19): a baby registered on a second record (the
//! same mother typed without accents, without a phone) must not get a second crib. When a
//! family's babies are stored or corrected, every baby on another live record with the
//! same birth date (or due date) whose caregiver matches — the same caregiver birth date,
//! the same folded last name, or the same phone — becomes an open match, both ways. The
//! hand-out's gates read one indexed row for it (`handouts::gates`), so the check costs
//! the busy door nothing; the work happens when records are written. An open match stops
//! the hand-out with "this may be the same baby as …" until staff say they are different
//! babies (with a reason, audited) or a manager merges the two records.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::states::InfantMatchStatus;
use crate::entity::{family, infant, infant_match};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::families;
use crate::store::write::{self, Mode, Ran};
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

/// Find and record the possible same babies of one family's babies (inside the caller's
/// write). Returns how many new pairs were recorded.
pub async fn detect(db: &impl ConnectionTrait, family_id: i64) -> Result<usize, AppError> {
    let fam = families::get(db, family_id).await?;
    let babies = families::infants(db, family_id).await?;
    // The caregiver matches: the same birth date, the same folded last name, or the same phone.
    let mut caregiver: Vec<sea_orm::sea_query::SimpleExpr> = Vec::new();
    if let Some(dob) = fam.date_of_birth {
        caregiver.push(family::Column::DateOfBirth.eq(dob));
    }
    if let Some(last) = fam.search_last.as_deref().filter(|l| !l.is_empty()) {
        caregiver.push(family::Column::SearchLast.eq(last));
    }
    if let Some(p) = fam.phone_digits.as_deref().filter(|p| !p.is_empty()) {
        caregiver.push(family::Column::PhoneDigits.eq(p));
    }
    if caregiver.is_empty() || babies.is_empty() {
        return Ok(0);
    }
    let births: Vec<NaiveDate> = babies.iter().filter_map(|b| b.date_of_birth).collect();
    let dues: Vec<NaiveDate> = babies.iter().filter_map(|b| b.expected_due_date).collect();
    // NOTE: one statement per kind of match, each driven by one index and answered from
    // the indexes until a baby's dates match: the records of one caregiver birth date are
    // about a hundred in a city of a million hand-outs, and reading each of their rows and
    // their babies' rows at random on every registration filled SQLite's page cache (the
    // load run's peak RSS). `families (date_of_birth, merged_into_id)` and `infants
    // (family_id, date_of_birth, expected_due_date)` hold what is compared (migration m0018).
    let mut theirs: Vec<infant::Model> = Vec::new();
    for matches in caregiver {
        let others = Query::select()
            .column(family::Column::Id)
            .from(family::Entity)
            .and_where(matches)
            .and_where(family::Column::MergedIntoId.is_null())
            .and_where(family::Column::Id.ne(family_id))
            .limit(200)
            .to_owned();
        for baby in infant::Entity::find()
            .filter(infant::Column::FamilyId.in_subquery(others))
            .filter(
                Condition::any()
                    .add(infant::Column::DateOfBirth.is_in(births.iter().copied()))
                    .add(infant::Column::ExpectedDueDate.is_in(dues.iter().copied())),
            )
            .all(db)
            .await?
        {
            if !theirs.iter().any(|t| t.id == baby.id) {
                theirs.push(baby);
            }
        }
    }
    let mut added = 0;
    for mine in &babies {
        for other in theirs.iter().filter(|o| {
            same_day(mine.date_of_birth, o.date_of_birth) || same_day(mine.expected_due_date, o.expected_due_date)
        }) {
            for (a, b) in [(mine.id, other.id), (other.id, mine.id)] {
                let known = infant_match::Entity::find()
                    .filter(infant_match::Column::InfantId.eq(a))
                    .filter(infant_match::Column::OtherInfantId.eq(b))
                    .one(db)
                    .await?;
                if known.is_none() {
                    infant_match::Entity::insert(infant_match::ActiveModel {
                        infant_id: Set(a),
                        other_infant_id: Set(b),
                        status: Set(InfantMatchStatus::Open.as_str().into()),
                        reason: Set(None),
                        decided_by: Set(None),
                        decided_at: Set(None),
                        created_at: Set(crate::clock::now()),
                        ..Default::default()
                    })
                    .exec_without_returning(db)
                    .await?;
                    added += 1;
                }
            }
        }
    }
    Ok(added)
}

fn same_day(a: Option<NaiveDate>, b: Option<NaiveDate>) -> bool {
    a.is_some() && a == b
}

/// The other baby of an open match, as staff may see it anywhere in the city (a minimal
/// match: the caregiver's name, the baby's dates, the record's number).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PossibleSameBaby {
    pub infant_id: i64,
    pub other_infant_id: i64,
    pub other_family_id: i64,
    pub caregiver: String,
    pub date_of_birth: Option<NaiveDate>,
    pub expected_due_date: Option<NaiveDate>,
}

impl PossibleSameBaby {
    /// The sentence that stops a hand-out.
    pub fn sentence(&self) -> String {
        let when = match (self.date_of_birth, self.expected_due_date) {
            (Some(d), _) => format!("born {d}"),
            (None, Some(d)) => format!("due {d}"),
            (None, None) => "with the same dates".into(),
        };
        format!(
            "This may be the same baby as the one {when} on family record {} ({}). If they are different babies, \
             say so on the family page; if they are the same, ask a program manager to merge the two records.",
            self.other_family_id, self.caregiver
        )
    }
}

/// The open matches of some babies.
pub async fn open_for(db: &impl ConnectionTrait, infant_ids: &[i64]) -> Result<Vec<PossibleSameBaby>, AppError> {
    let rows = infant_match::Entity::find()
        .filter(infant_match::Column::InfantId.is_in(infant_ids.iter().copied()))
        .filter(infant_match::Column::Status.eq(InfantMatchStatus::Open.as_str()))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for m in rows {
        let Some(other) = infant::Entity::find_by_id(m.other_infant_id).one(db).await? else { continue };
        let fam = families::get(db, other.family_id).await?;
        out.push(PossibleSameBaby {
            infant_id: m.infant_id,
            other_infant_id: other.id,
            other_family_id: fam.id,
            caregiver: format!("{} {}", fam.first_name, fam.last_name),
            date_of_birth: other.date_of_birth,
            expected_due_date: other.expected_due_date,
        });
    }
    Ok(out)
}

/// Two babies said to be different.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotSame {
    pub infant_id: i64,
    pub other_infant_id: i64,
}

/// Staff (with the baby's record open to them) or a manager say two babies are different
/// (a reason of 5–500 characters): both directions of the match close; audited as
/// `infant.not_same`. The hand-out goes ahead.
pub async fn not_same_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    infant_id: i64,
    other_infant_id: i64,
    reason: &str,
) -> Result<Ran<NotSame>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let reason = reason.trim();
    if !(5..=500).contains(&reason.chars().count()) {
        return Err(AppError::validation("reason", "Say in a few words how you know they are different babies."));
    }
    let baby = infant::Entity::find_by_id(infant_id).one(db).await?.ok_or(AppError::NotFound)?;
    families::ensure_visible(db, by.who, baby.family_id).await?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = decide(&txn, by.who, by.ip, infant_id, other_infant_id, reason).await;
        (txn, r)
    })
    .await
}

async fn decide(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    infant_id: i64,
    other_infant_id: i64,
    reason: &str,
) -> Result<NotSame, AppError> {
    let pair = Condition::any()
        .add(
            Condition::all()
                .add(infant_match::Column::InfantId.eq(infant_id))
                .add(infant_match::Column::OtherInfantId.eq(other_infant_id)),
        )
        .add(
            Condition::all()
                .add(infant_match::Column::InfantId.eq(other_infant_id))
                .add(infant_match::Column::OtherInfantId.eq(infant_id)),
        );
    let changed = infant_match::Entity::update_many()
        .col_expr(infant_match::Column::Status, Expr::value(InfantMatchStatus::Different.as_str()))
        .col_expr(infant_match::Column::Reason, Expr::value(reason))
        .col_expr(infant_match::Column::DecidedBy, Expr::value(who.id))
        .col_expr(infant_match::Column::DecidedAt, Expr::value(crate::clock::now()))
        .filter(pair)
        .filter(infant_match::Column::Status.eq(InfantMatchStatus::Open.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(AppError::Conflict(
            "These two babies are not waiting for a decision: there is no open possible match between them.".into(),
        ));
    }
    let detail = Some(format!("not the same baby as {other_infant_id}: {reason}"));
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry { action: "infant.not_same", entity: "infant", entity_id: Some(infant_id), detail },
    )
    .await?;
    Ok(NotSame { infant_id, other_infant_id })
}

/// After a merge, the matches that named a baby who became another (the same baby on both
/// records) go with that baby's row; the merge's audit row says what happened.
pub async fn forget_removed(db: &impl ConnectionTrait, removed: &[i64]) -> Result<(), AppError> {
    if removed.is_empty() {
        return Ok(());
    }
    infant_match::Entity::delete_many()
        .filter(
            Condition::any()
                .add(infant_match::Column::InfantId.is_in(removed.iter().copied()))
                .add(infant_match::Column::OtherInfantId.is_in(removed.iter().copied())),
        )
        .exec(db)
        .await?;
    Ok(())
}
