//! Merging two records of one family: everything the other record holds moves to this one
//! (babies, education, checks, handouts, requests, site check-ins, possible matches), a
//! baby recorded on both (same date of birth or due date) becomes one (the copy with a
//! crib stays; with a crib on each, the merge stops and names both receipts, so one crib
//! per baby still holds), and the other record stays as a tombstone naming this one
//! (`families.merged_into_id`). Requests moved here no longer count as having created the
//! family, so no nurse's scope widens by a merge (`store::scope`). Runs inside the caller's
//! write transaction; audited as `family.merge`.

use crate::domain::actor::Actor;
use crate::domain::states::MatchStatus;
use crate::entity::{
    education_session, eligibility_check, family, family_site_link, handout, infant, referral, referral_match,
};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The record that remains.
    pub into: i64,
    /// The tombstone.
    pub other: i64,
    /// Each baby of the other record and the baby it is now (itself when it moved).
    pub infants: Vec<(i64, i64)>,
}

/// Merge family `other` into family `into` (both live records, not the same), saying why.
pub async fn merge_into(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    into: i64,
    other: i64,
    reason: &str,
) -> Result<Merged, AppError> {
    if into == other {
        return Err(AppError::validation("other_family_id", "A family cannot be merged into itself."));
    }
    let target = family::Entity::find_by_id(into).one(db).await?.ok_or(AppError::NotFound)?;
    let source = family::Entity::find_by_id(other).one(db).await?.ok_or(AppError::NotFound)?;
    if target.merged_into_id.is_some() || source.merged_into_id.is_some() {
        return Err(AppError::Conflict(
            "One of these records was already merged into another; reload and try again.".into(),
        ));
    }
    let theirs = infant::Entity::find().filter(infant::Column::FamilyId.eq(into)).all(db).await?;
    let mut infants = Vec::new();
    let mut removed = Vec::new();
    for baby in infant::Entity::find().filter(infant::Column::FamilyId.eq(other)).all(db).await? {
        let twin = theirs.iter().find(|t| {
            (baby.date_of_birth.is_some() && t.date_of_birth == baby.date_of_birth)
                || (baby.expected_due_date.is_some() && t.expected_due_date == baby.expected_due_date)
        });
        let Some(twin) = twin else {
            infant::Entity::update_many()
                .col_expr(infant::Column::FamilyId, Expr::value(into))
                .filter(infant::Column::Id.eq(baby.id))
                .exec(db)
                .await?;
            infants.push((baby.id, baby.id));
            continue;
        };
        // The same baby on both records becomes one: the one with a crib stays (one crib
        // per baby: with a crib on each, a manager voids one first).
        let (crib_here, crib_there) = (live_crib(db, twin.id).await?, live_crib(db, baby.id).await?);
        let (keep, drop) = match (crib_here, crib_there) {
            (Some(a), Some(b)) => {
                return Err(AppError::Conflict(format!(
                "The same baby has a crib on each record (receipts {a} and {b}): void one of the two hand-outs first."
            )))
            }
            (None, Some(_)) => (baby.id, twin.id),
            _ => (twin.id, baby.id),
        };
        repoint_infant(db, drop, keep).await?;
        if keep == baby.id {
            infant::Entity::update_many()
                .col_expr(infant::Column::FamilyId, Expr::value(into))
                .filter(infant::Column::Id.eq(baby.id))
                .exec(db)
                .await?;
        }
        removed.push(drop);
        infants.push((baby.id, keep));
    }
    crate::store::infant_matches::forget_removed(db, &removed).await?;
    for id in &removed {
        infant::Entity::delete_by_id(*id).exec(db).await?;
    }
    rename(db, education_session::Entity, education_session::Column::FamilyId, other, into).await?;
    rename(db, eligibility_check::Entity, eligibility_check::Column::FamilyId, other, into).await?;
    rename(db, handout::Entity, handout::Column::FamilyId, other, into).await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::FamilyId, Expr::value(into))
        .col_expr(referral::Column::CreatedFamily, Expr::value(false))
        .col_expr(referral::Column::Version, crate::store::referrals::next_version())
        .col_expr(referral::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(referral::Column::FamilyId.eq(other))
        .exec(db)
        .await?;
    move_site_links(db, into, other).await?;
    move_matches(db, into, other).await?;
    move_messages(db, into, other).await?;
    let mut tombstone = family::Entity::update_many()
        .col_expr(family::Column::MergedIntoId, Expr::value(into))
        .filter(family::Column::Id.eq(other));
    if target.registered_site_id.is_none() && source.registered_site_id.is_some() {
        family::Entity::update_many()
            .col_expr(family::Column::RegisteredSiteId, Expr::value(source.registered_site_id))
            .filter(family::Column::Id.eq(into))
            .exec(db)
            .await?;
        tombstone = tombstone.col_expr(family::Column::RegisteredSiteId, Expr::value(None::<i64>));
    }
    tombstone.exec(db).await?;
    let detail = Some(format!("merged family {other} into {into}: {reason}"));
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry { action: "family.merge", entity: "family", entity_id: Some(into), detail },
    )
    .await?;
    Ok(Merged { into, other, infants })
}

/// The receipt of a baby's crib that was not voided, if any.
async fn live_crib(db: &impl ConnectionTrait, infant_id: i64) -> Result<Option<String>, AppError> {
    Ok(handout::Entity::find()
        .filter(handout::Column::InfantId.eq(infant_id))
        .filter(handout::Column::VoidedAt.is_null())
        .one(db)
        .await?
        .map(|h| h.receipt_number))
}

/// Everything that names baby `from` names baby `to` instead.
async fn repoint_infant(db: &impl ConnectionTrait, from: i64, to: i64) -> Result<(), AppError> {
    rename(db, referral::Entity, referral::Column::InfantId, from, to).await?;
    rename(db, eligibility_check::Entity, eligibility_check::Column::InfantId, from, to).await?;
    rename(db, handout::Entity, handout::Column::InfantId, from, to).await
}

/// In `entity`'s table, every `column` equal to `from` becomes `to`.
async fn rename<E: EntityTrait>(
    db: &impl ConnectionTrait,
    _entity: E,
    column: E::Column,
    from: i64,
    to: i64,
) -> Result<(), AppError> {
    E::update_many().col_expr(column, Expr::value(to)).filter(column.eq(from)).exec(db).await?;
    Ok(())
}

/// The other record's site check-ins become this record's (one per site).
async fn move_site_links(db: &impl ConnectionTrait, into: i64, other: i64) -> Result<(), AppError> {
    let have: Vec<i64> = family_site_link::Entity::find()
        .filter(family_site_link::Column::FamilyId.eq(into))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.site_id)
        .collect();
    family_site_link::Entity::delete_many()
        .filter(family_site_link::Column::FamilyId.eq(other))
        .filter(family_site_link::Column::SiteId.is_in(have))
        .exec(db)
        .await?;
    family_site_link::Entity::update_many()
        .col_expr(family_site_link::Column::FamilyId, Expr::value(into))
        .filter(family_site_link::Column::FamilyId.eq(other))
        .exec(db)
        .await?;
    Ok(())
}

/// Possible matches that named the other record name this one (one per request), and
/// matches between the two records themselves are settled.
async fn move_matches(db: &impl ConnectionTrait, into: i64, other: i64) -> Result<(), AppError> {
    let have: Vec<i64> = referral_match::Entity::find()
        .filter(referral_match::Column::FamilyId.eq(into))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.referral_id)
        .collect();
    referral_match::Entity::delete_many()
        .filter(referral_match::Column::FamilyId.eq(other))
        .filter(referral_match::Column::ReferralId.is_in(have))
        .exec(db)
        .await?;
    referral_match::Entity::update_many()
        .col_expr(referral_match::Column::FamilyId, Expr::value(into))
        .filter(referral_match::Column::FamilyId.eq(other))
        .exec(db)
        .await?;
    let own: Vec<i64> = referral::Entity::find()
        .filter(referral::Column::FamilyId.eq(into))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    referral_match::Entity::update_many()
        .col_expr(referral_match::Column::Status, Expr::value(MatchStatus::Moot.as_str()))
        .filter(referral_match::Column::FamilyId.eq(into))
        .filter(referral_match::Column::ReferralId.is_in(own))
        .filter(referral_match::Column::Status.eq(MatchStatus::Open.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// A manager's merge, as the API and the page answer it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MergeDone {
    /// The record that remains (the other one's id now resolves to it).
    pub family_id: i64,
    pub merged_family_id: i64,
    /// Each baby of the merged record and the baby it is now, as `[merged baby, baby now]`.
    #[schema(value_type = Vec<Vec<i64>>)]
    pub infants: Vec<(i64, i64)>,
}

/// Merge `other` into `into` (program managers), saying why, keeping the values of
/// `use_other` (field names as `corrections::Change` has them) from the other record: one
/// write with the version rows on the record that remains and the audit rows. Nothing in
/// the stock ledger changes.
pub async fn merge_once(
    db: &crate::db::Db,
    by: crate::store::audit::Caller<'_>,
    mode: crate::store::write::Mode<'_>,
    into: i64,
    other: i64,
    reason: &str,
    use_other: &[String],
) -> Result<crate::store::write::Ran<MergeDone>, AppError> {
    crate::error::forbidden_unless(by.who.is_manager())?;
    let reason = reason.trim();
    if !(3..=500).contains(&reason.chars().count()) {
        return Err(AppError::validation(
            "reason",
            "Say in a few words why these are one family (3 to 500 characters).",
        ));
    }
    let reason = reason.to_string();
    crate::store::write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            // The values the manager chose from the other record, read before it becomes a tombstone.
            let chosen = if use_other.is_empty() {
                None
            } else {
                let source = family::Entity::find_by_id(other).one(&txn).await?.ok_or(AppError::NotFound)?;
                Some(crate::store::corrections::fields_from(&source, use_other)?)
            };
            let merged = merge_into(&txn, by.who, by.ip, into, other, &reason).await?;
            if let Some(fields) = chosen {
                let why = format!("values kept from record {other} in the merge: {reason}");
                match crate::store::corrections::correct_family(&txn, by, into, &fields, &why, true).await {
                    // The chosen values were the same on both records: nothing to correct.
                    Err(AppError::Validation(f)) if f.contains_key("reason") => {}
                    r => {
                        r?;
                    }
                }
            }
            crate::entity::family_version::Entity::insert(crate::entity::family_version::ActiveModel {
                family_id: sea_orm::ActiveValue::Set(into),
                infant_id: sea_orm::ActiveValue::Set(None),
                user_id: sea_orm::ActiveValue::Set(by.who.id),
                action: sea_orm::ActiveValue::Set("family.merge".into()),
                reason: sea_orm::ActiveValue::Set(reason.clone()),
                before_json: sea_orm::ActiveValue::Set(serde_json::json!({"merged_family_id": other}).to_string()),
                after_json: sea_orm::ActiveValue::Set(serde_json::json!({"infants": merged.infants}).to_string()),
                created_at: sea_orm::ActiveValue::Set(crate::clock::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            crate::store::infant_matches::detect(&txn, into).await?;
            Ok(MergeDone { family_id: into, merged_family_id: other, infants: merged.infants })
        }
        .await;
        (txn, r)
    })
    .await
}

/// The other record's messages become this one's; its e-mail consent too when this record
/// has none (when both have one, this record's stands and the other's is dropped: the audit
/// rows keep when each was given).
async fn move_messages(db: &impl ConnectionTrait, into: i64, other: i64) -> Result<(), AppError> {
    use crate::entity::{message, message_consent};
    rename(db, message::Entity, message::Column::FamilyId, other, into).await?;
    let ours = message_consent::Entity::find().filter(message_consent::Column::FamilyId.eq(into)).count(db).await?;
    if ours == 0 {
        rename(db, message_consent::Entity, message_consent::Column::FamilyId, other, into).await?;
    } else {
        message_consent::Entity::delete_many().filter(message_consent::Column::FamilyId.eq(other)).exec(db).await?;
    }
    Ok(())
}
