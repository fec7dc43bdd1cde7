//! Erasing a family's identifying data (issue 19): on the family's request (a manager,
//! with a recorded reason) or by the retention period (`CRIBS_RETENTION_YEARS` after the
//! last contact, by the hourly housekeeping). Names, phone, street address, typed
//! signatures and free text go; birth dates keep only their year and month (reports count
//! ages); ids, neighborhood, race/ethnicity category, household facts, dates and every
//! count stay, so each report and the stock ledger give the same totals before and after.
//! An erased family is no longer found by search and says so on its page. The audit trail
//! keeps who did what (its rows name ids); what a search typed is left as it was.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::entity::{
    education_session, eligibility_check, family, family_version, follow_up, follow_up_call, handout, infant, referral,
};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::eligibility::StoredInputs;
use crate::store::families;
use crate::store::write::{self, Mode, Ran};
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};

/// What replaces a removed name or text.
pub const ERASED: &str = "(erased)";

/// A date kept only as its year and month (the first of the month).
pub fn year_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Erased {
    pub family_id: i64,
    pub erased_at: chrono::DateTime<chrono::Utc>,
}

/// Erase a family on request (program managers), saying why; audited as `family.erase`.
pub async fn erase_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
    reason: &str,
) -> Result<Ran<Erased>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let reason = reason.trim();
    if !(3..=500).contains(&reason.chars().count()) {
        return Err(AppError::validation(
            "reason",
            "Say why the family's data are erased (3 to 500 characters), e.g. \"the family asked on 2026-12-01\".",
        ));
    }
    let family_id = families::live_id(db, family_id).await?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = erase(&txn, Some(by.who), Some(by.ip), family_id, reason).await;
        (txn, r)
    })
    .await
}

/// Remove the identifying data of one family (inside the caller's write).
pub async fn erase(
    db: &impl ConnectionTrait,
    who: Option<&Actor>,
    ip: Option<&str>,
    family_id: i64,
    reason: &str,
) -> Result<Erased, AppError> {
    let f = families::get(db, family_id).await?;
    if let Some(at) = f.erased_at {
        return Err(AppError::Conflict(format!("This family's data were already erased on {}.", at.date_naive())));
    }
    let now = crate::clock::now();
    family::Entity::update_many()
        .col_expr(family::Column::FirstName, Expr::value(ERASED))
        .col_expr(family::Column::LastName, Expr::value(ERASED))
        .col_expr(family::Column::SearchFirst, Expr::value(None::<String>))
        .col_expr(family::Column::SearchLast, Expr::value(None::<String>))
        .col_expr(family::Column::SoundFirst, Expr::value(None::<String>))
        .col_expr(family::Column::SoundLast, Expr::value(None::<String>))
        .col_expr(family::Column::DateOfBirth, Expr::value(f.date_of_birth.map(year_month)))
        .col_expr(family::Column::Phone, Expr::value(None::<String>))
        .col_expr(family::Column::PhoneDigits, Expr::value(None::<String>))
        .col_expr(family::Column::PhoneLast4, Expr::value(None::<String>))
        .col_expr(family::Column::PhoneLast7, Expr::value(None::<String>))
        .col_expr(family::Column::AddressLine1, Expr::value(ERASED))
        .col_expr(family::Column::AnnualIncomeCents, Expr::value(None::<i64>))
        .col_expr(family::Column::ErasedAt, Expr::value(now))
        .filter(family::Column::Id.eq(family_id))
        .exec(db)
        .await?;
    let babies = infant::Entity::find().filter(infant::Column::FamilyId.eq(family_id)).all(db).await?;
    for b in &babies {
        infant::Entity::update_many()
            .col_expr(infant::Column::Name, Expr::value(None::<String>))
            .col_expr(infant::Column::SearchName, Expr::value(None::<String>))
            .col_expr(infant::Column::DateOfBirth, Expr::value(b.date_of_birth.map(year_month)))
            .col_expr(infant::Column::ExpectedDueDate, Expr::value(b.expected_due_date.map(year_month)))
            .filter(infant::Column::Id.eq(b.id))
            .exec(db)
            .await?;
    }
    education_session::Entity::update_many()
        .col_expr(education_session::Column::CaregiverAttestation, Expr::value(ERASED))
        .filter(education_session::Column::FamilyId.eq(family_id))
        .exec(db)
        .await?;
    // A stored check keeps its result and rules; the facts it used lose the exact dates and income.
    for c in eligibility_check::Entity::find().filter(eligibility_check::Column::FamilyId.eq(family_id)).all(db).await?
    {
        if let Ok(mut used) = serde_json::from_str::<StoredInputs>(&c.inputs_json) {
            used.infant.date_of_birth = used.infant.date_of_birth.map(year_month);
            used.infant.expected_due_date = used.infant.expected_due_date.map(year_month);
            used.family.annual_income = None;
            let json = serde_json::to_string(&used).map_err(|e| AppError::Internal(e.to_string()))?;
            eligibility_check::Entity::update_many()
                .col_expr(eligibility_check::Column::InputsJson, Expr::value(json))
                .filter(eligibility_check::Column::Id.eq(c.id))
                .exec(db)
                .await?;
        }
    }
    let handout_ids: Vec<i64> = handout::Entity::find()
        .select_only()
        .column(handout::Column::Id)
        .filter(handout::Column::FamilyId.eq(family_id))
        .into_tuple()
        .all(db)
        .await?;
    handout::Entity::update_many()
        .col_expr(
            handout::Column::OverrideReason,
            Expr::cust("CASE WHEN override_reason IS NULL THEN NULL ELSE '(erased)' END"),
        )
        .col_expr(
            handout::Column::VoidReason,
            Expr::cust("CASE WHEN void_reason IS NULL THEN NULL ELSE '(erased)' END"),
        )
        .filter(handout::Column::FamilyId.eq(family_id))
        .exec(db)
        .await?;
    let follow_up_ids: Vec<i64> = follow_up::Entity::find()
        .select_only()
        .column(follow_up::Column::Id)
        .filter(follow_up::Column::HandoutId.is_in(handout_ids))
        .into_tuple()
        .all(db)
        .await?;
    follow_up_call::Entity::update_many()
        .col_expr(follow_up_call::Column::Note, Expr::value(None::<String>))
        .filter(follow_up_call::Column::FollowUpId.is_in(follow_up_ids))
        .exec(db)
        .await?;
    let sent = serde_json::json!({"first_name": ERASED, "last_name": ERASED, "date_of_birth": null, "phone": null,
        "address_line1": ERASED, "city": f.city, "state": f.state, "zip": f.zip, "infant": {}})
    .to_string();
    referral::Entity::update_many()
        .col_expr(referral::Column::SentJson, Expr::value(sent))
        .col_expr(referral::Column::Note, Expr::value(None::<String>))
        .col_expr(referral::Column::FhirJson, Expr::value(None::<String>))
        .col_expr(referral::Column::Version, crate::store::referrals::next_version())
        .col_expr(referral::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(referral::Column::FamilyId.eq(family_id))
        .exec(db)
        .await?;
    family_version::Entity::update_many()
        .col_expr(family_version::Column::BeforeJson, Expr::value("{}"))
        .col_expr(family_version::Column::AfterJson, Expr::value("{}"))
        .filter(family_version::Column::FamilyId.eq(family_id))
        .exec(db)
        .await?;
    // The e-mail address goes; the consent is withdrawn and what waited is suppressed.
    crate::entity::message_consent::Entity::update_many()
        .col_expr(crate::entity::message_consent::Column::Address, Expr::value(None::<String>))
        .col_expr(crate::entity::message_consent::Column::WithdrawnAt, Expr::value(now))
        .col_expr(crate::entity::message_consent::Column::WithdrawnHow, Expr::value("erased"))
        .filter(crate::entity::message_consent::Column::FamilyId.eq(family_id))
        .exec(db)
        .await?;
    crate::store::outbox::consent::suppress_waiting(db, family_id, "the family's identifying data were erased").await?;
    let detail = Some(format!("identifying data removed: {reason}"));
    audit::record(
        db,
        who,
        ip,
        AuditEntry { action: "family.erase", entity: "family", entity_id: Some(family_id), detail },
    )
    .await?;
    Ok(Erased { family_id, erased_at: now })
}

/// The default retention: identifying data are erased this many years after the last
/// contact (`CRIBS_RETENTION_YEARS`; 0 turns it off).
pub const DEFAULT_RETENTION_YEARS: u32 = 7;

/// The retention period this server applies, in years (0: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub u32);

/// Erase every family whose last contact (registration, a check, education, a hand-out,
/// a follow-up call) is older than `years` before `now`; returns the families erased.
pub async fn apply_retention(db: &Db, years: u32, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<i64>, AppError> {
    if years == 0 {
        return Ok(Vec::new());
    }
    let cutoff = now - chrono::Duration::days(i64::from(years) * 365 + i64::from(years / 4));
    let mut sql = crate::store::sql::Sql::new(db.get_database_backend());
    sql.push("SELECT f.id FROM families f WHERE f.erased_at IS NULL AND f.merged_into_id IS NULL AND f.created_at < ")
        .bind(cutoff);
    // No contact of any kind since the cutoff.
    for since in [
        "SELECT 1 FROM eligibility_checks c WHERE c.family_id = f.id AND c.created_at >= ",
        "SELECT 1 FROM education_sessions e WHERE e.family_id = f.id AND e.delivered_at >= ",
        "SELECT 1 FROM handouts h WHERE h.family_id = f.id AND h.handed_out_at >= ",
        "SELECT 1 FROM handouts h JOIN follow_ups u ON u.handout_id = h.id \
         JOIN follow_up_calls k ON k.follow_up_id = u.id WHERE h.family_id = f.id AND k.called_at >= ",
    ] {
        sql.push(" AND NOT EXISTS (").push(since).bind(cutoff).push(")");
    }
    sql.push(" ORDER BY f.id LIMIT 500");
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut erased = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let txn = crate::db::begin_write(db).await?;
        let reason = format!("retention: no contact for {years} years");
        match erase(&txn, None, None, id, &reason).await {
            Ok(_) => {
                txn.commit().await?;
                erased.push(id);
            }
            Err(e) => {
                txn.rollback().await?;
                tracing::warn!("retention: family {id} could not be erased: {e}");
            }
        }
    }
    Ok(erased)
}
