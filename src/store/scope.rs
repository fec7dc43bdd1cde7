//! Scope rules that need the database: whose family records a person may open.
//!
//! - Program managers and administrators: every family.
//! - Site staff: the families with activity at one of their sites — registered there, an
//!   eligibility check, an education session, a crib (and so its follow-up), or a crib held there for a
//!   hospital request — or checked in there through the explicit, audited step
//!   (`families::check_in_here`, a `family_site_links` row). Search still finds a family
//!   anywhere in the city (to avoid duplicates), but outside this scope answers only a
//!   minimal match (name, birth date, neighborhood, "registered at another site").
//! - Nurses: the families on their hospital's requests.

use crate::domain::actor::Actor;
use crate::domain::role::Role;
use crate::entity::{education_session, eligibility_check, family, family_site_link, handout, referral};
use crate::error::AppError;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, StatementBuilder};
use std::collections::HashSet;

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

/// May this person open this family's whole record?
pub async fn may_view(db: &impl ConnectionTrait, who: &Actor, family_id: i64) -> Result<bool, AppError> {
    match who.role {
        _ if who.is_manager() => Ok(true),
        Role::Nurse => nurse_may_see_family(db, who, family_id).await,
        _ => Ok(staff_sees(db, who, &[family_id]).await?.contains(&family_id)),
    }
}

/// Of these families, the ones whose whole record this person may open (for lists that
/// show other families only as minimal matches). Managers: all of them.
pub async fn visible_among(db: &impl ConnectionTrait, who: &Actor, ids: &[i64]) -> Result<HashSet<i64>, AppError> {
    match who.role {
        _ if who.is_manager() => Ok(ids.iter().copied().collect()),
        Role::Nurse => {
            let mut seen = HashSet::new();
            for id in ids {
                if nurse_may_see_family(db, who, *id).await? {
                    seen.insert(*id);
                }
            }
            Ok(seen)
        }
        _ => staff_sees(db, who, ids).await,
    }
}

/// Of these families, those with activity at one of the staff member's sites or checked in
/// there: one statement, a union of one small select per kind of activity.
async fn staff_sees(db: &impl ConnectionTrait, who: &Actor, ids: &[i64]) -> Result<HashSet<i64>, AppError> {
    if ids.is_empty() || who.site_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let (sites, ids) = (&who.site_ids, ids);
    let mut union = activity(family::Entity, family::Column::Id, family::Column::RegisteredSiteId, ids, sites);
    for select in [
        activity(handout::Entity, handout::Column::FamilyId, handout::Column::SiteId, ids, sites),
        activity(
            eligibility_check::Entity,
            eligibility_check::Column::FamilyId,
            eligibility_check::Column::SiteId,
            ids,
            sites,
        ),
        activity(
            education_session::Entity,
            education_session::Column::FamilyId,
            education_session::Column::SiteId,
            ids,
            sites,
        ),
        activity(referral::Entity, referral::Column::FamilyId, referral::Column::ReservedSiteId, ids, sites),
        activity(
            family_site_link::Entity,
            family_site_link::Column::FamilyId,
            family_site_link::Column::SiteId,
            ids,
            sites,
        ),
    ] {
        union.union(UnionType::Distinct, select);
    }
    let stmt = StatementBuilder::build(&union, &db.get_database_backend());
    let mut seen = HashSet::new();
    for row in db.query_all_raw(stmt).await? {
        seen.insert(row.try_get::<i64>("", "family_id")?);
    }
    Ok(seen)
}

/// The families among `ids` with a row in `entity` at one of `sites` (a follow-up is at its
/// handout's site, so the handouts cover it).
fn activity<E: EntityTrait, C: ColumnTrait>(
    entity: E,
    family: C,
    site: C,
    ids: &[i64],
    sites: &[i64],
) -> SelectStatement {
    Query::select()
        .expr_as(Expr::col(family), Alias::new("family_id"))
        .from(entity)
        .and_where(family.is_in(ids.iter().copied()))
        .and_where(site.is_in(sites.iter().copied()))
        .to_owned()
}
