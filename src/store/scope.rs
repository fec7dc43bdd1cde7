//! Scope rules that need the database: whose family records a person may open.
//!
//! - Program managers and administrators: every family.
//! - Site staff: the families with history at one of their sites — registered there, a crib
//!   handed out there (and so its follow-up), or a crib held there for a hospital request —
//!   or checked in there through the explicit, audited step (`families::check_in_here`, a
//!   `family_site_links` row). An eligibility check or an education session needs the
//!   record open already, so neither can widen the scope and neither is consulted (each
//!   kind consulted is one indexed lookup by family; checks are not indexed by family). Search still finds a family
//!   anywhere in the city (to avoid duplicates), but outside this scope answers only a
//!   minimal match (name, birth date, neighborhood, "registered at another site").
//! - Nurses: the families their hospital's requests created. A request never joins a
//!   family registered before it (`store::referral_matches`), and a request moved by a
//!   merge no longer counts, so a nurse's request never opens an older record.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::role::Role;
use crate::entity::{family, family_site_link, handout, referral};
use crate::error::AppError;
use crate::store::sqlite::inline_read;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement, StatementBuilder,
};
use std::collections::HashSet;

/// A nurse sees a family only when one of her hospital's requests created it.
pub async fn nurse_may_see_family(db: &impl ConnectionTrait, who: &Actor, family_id: i64) -> Result<bool, AppError> {
    let Some(hospital) = who.hospital_id() else { return Ok(false) };
    Ok(referral::Entity::find()
        .filter(referral::Column::FamilyId.eq(family_id))
        .filter(referral::Column::HospitalSiteId.eq(hospital))
        .filter(referral::Column::CreatedFamily.eq(true))
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
            let Some(hospital) = who.hospital_id() else { return Ok(HashSet::new()) };
            Ok(referral::Entity::find()
                .filter(referral::Column::FamilyId.is_in(ids.iter().copied()))
                .filter(referral::Column::HospitalSiteId.eq(hospital))
                .filter(referral::Column::CreatedFamily.eq(true))
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.family_id)
                .collect())
        }
        _ => staff_sees(db, who, ids).await,
    }
}

/// `visible_among` for the check-in search, on the app's handle: on SQLite the statement is
/// read on the request's own thread when it can be (`inline_read`, decision 0016; every
/// search of a site's staff runs it), else on the pool.
pub async fn visible_among_for_search(db: &Db, who: &Actor, ids: &[i64]) -> Result<HashSet<i64>, AppError> {
    if who.role == Role::SiteStaff {
        if let Some(stmt) = staff_statement(db.get_database_backend(), who, ids) {
            if let Some(rows) = inline_read::try_rows::<FamilyId>(db, &stmt) {
                return Ok(rows.into_iter().map(|r| r.0).collect());
            }
        }
    }
    visible_among(db, who, ids).await
}

/// A family id read by the scope statement.
struct FamilyId(i64);

impl inline_read::FromSqliteRow for FamilyId {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(FamilyId(row.get("family_id")?))
    }
}

/// Of these families, those with history at one of the staff member's sites or checked in
/// there (`staff_statement`).
async fn staff_sees(db: &impl ConnectionTrait, who: &Actor, ids: &[i64]) -> Result<HashSet<i64>, AppError> {
    let Some(stmt) = staff_statement(db.get_database_backend(), who, ids) else { return Ok(HashSet::new()) };
    let mut seen = HashSet::new();
    for row in db.query_all_raw(stmt).await? {
        seen.insert(row.try_get::<i64>("", "family_id")?);
    }
    Ok(seen)
}

/// The statement that finds, among `ids`, the families with history at the staff member's
/// sites: a union of one small indexed select per kind of history (None: nothing to ask).
fn staff_statement(backend: DbBackend, who: &Actor, ids: &[i64]) -> Option<Statement> {
    if ids.is_empty() || who.site_ids.is_empty() {
        return None;
    }
    let (sites, ids) = (&who.site_ids, ids);
    let mut union = activity(family::Entity, family::Column::Id, family::Column::RegisteredSiteId, ids, sites);
    for select in [
        activity(handout::Entity, handout::Column::FamilyId, handout::Column::SiteId, ids, sites),
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
    Some(StatementBuilder::build(&union, &backend))
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
