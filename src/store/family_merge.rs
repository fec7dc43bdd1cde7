//! Merging two records of one family: everything the other record holds moves to this one
//! (babies, education, checks, handouts, requests, site check-ins, possible matches), a
//! baby recorded on both (same date of birth or due date) becomes one when the other copy
//! has no crib, and the other record stays as a tombstone naming this one
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
    for baby in infant::Entity::find().filter(infant::Column::FamilyId.eq(other)).all(db).await? {
        let twin = theirs.iter().find(|t| {
            (baby.date_of_birth.is_some() && t.date_of_birth == baby.date_of_birth)
                || (baby.expected_due_date.is_some() && t.expected_due_date == baby.expected_due_date)
        });
        let has_crib = handout::Entity::find()
            .filter(handout::Column::InfantId.eq(baby.id))
            .filter(handout::Column::VoidedAt.is_null())
            .count(db)
            .await?
            > 0;
        match twin {
            Some(t) if !has_crib => {
                repoint_infant(db, baby.id, t.id).await?;
                infant::Entity::delete_by_id(baby.id).exec(db).await?;
                infants.push((baby.id, t.id));
            }
            _ => {
                infant::Entity::update_many()
                    .col_expr(infant::Column::FamilyId, Expr::value(into))
                    .filter(infant::Column::Id.eq(baby.id))
                    .exec(db)
                    .await?;
                infants.push((baby.id, baby.id));
            }
        }
    }
    rename(db, education_session::Entity, education_session::Column::FamilyId, other, into).await?;
    rename(db, eligibility_check::Entity, eligibility_check::Column::FamilyId, other, into).await?;
    rename(db, handout::Entity, handout::Column::FamilyId, other, into).await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::FamilyId, Expr::value(into))
        .col_expr(referral::Column::CreatedFamily, Expr::value(false))
        .filter(referral::Column::FamilyId.eq(other))
        .exec(db)
        .await?;
    move_site_links(db, into, other).await?;
    move_matches(db, into, other).await?;
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
