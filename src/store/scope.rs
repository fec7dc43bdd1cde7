//! Scope rules that need the database: which families a nurse may see.

use crate::domain::actor::Actor;
use crate::entity::referral;
use crate::error::AppError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// A nurse sees a family only when it is on one of her hospital's requests.
pub async fn nurse_may_see_family(db: &impl ConnectionTrait, who: &Actor, family_id: i64) -> Result<bool, AppError> {
    let Some(hospital) = who.hospital_id() else { return Ok(false) };
    Ok(referral::Entity::find()
        .filter(referral::Column::FamilyId.eq(family_id))
        .filter(referral::Column::HospitalSiteId.eq(hospital))
        .count(db)
        .await?
        > 0)
}
