//! Policy versions and poverty guidelines: which version is in force on a date, its
//! history, publishing a new version (never editing a published one; never two starting
//! the same day; from the latest version, scheduled ones included), and withdrawing a
//! version that has not started (it then never applies). Checks keep the version they
//! used, and neither publishing nor withdrawing touches them.

use crate::db::Db;
use crate::domain::eligibility::Guideline;
use crate::domain::money::cents_to_decimal;
use crate::domain::policy::{same_date_refusal, withdraw_reason, NewVersion, PolicyParams};
use crate::entity::{policy, poverty_guideline};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

/// A policy version with its parsed parameters.
#[derive(Debug, Clone)]
pub struct PolicyVersion {
    pub row: policy::Model,
    pub params: PolicyParams,
}

fn parse(row: policy::Model) -> Result<PolicyVersion, AppError> {
    let params: PolicyParams = serde_json::from_str(&row.params_json)
        .map_err(|e| AppError::Internal(format!("policy {} v{} has bad parameters: {e}", row.name, row.version)))?;
    Ok(PolicyVersion { row, params })
}

/// The version in force on a date: the latest not withdrawn effective on or before it
/// (ties: the higher version).
pub async fn in_force(db: &impl ConnectionTrait, on: NaiveDate) -> Result<PolicyVersion, AppError> {
    let row = policy::Entity::find()
        .filter(policy::Column::EffectiveFrom.lte(on))
        .filter(policy::Column::WithdrawnAt.is_null())
        .order_by_desc(policy::Column::EffectiveFrom)
        .order_by_desc(policy::Column::Version)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("No eligibility policy is in force on {on}.")))?;
    parse(row)
}

/// One version by id.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<PolicyVersion, AppError> {
    parse(policy::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?)
}

/// Every version, newest effective date first.
pub async fn history(db: &impl ConnectionTrait) -> Result<Vec<PolicyVersion>, AppError> {
    policy::Entity::find()
        .order_by_desc(policy::Column::EffectiveFrom)
        .order_by_desc(policy::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(parse)
        .collect()
}

/// What publishing answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Published {
    pub id: i64,
    pub version: i32,
    pub effective_from: NaiveDate,
}

/// The latest version of a policy that was not withdrawn (the latest date; ties: the
/// higher version), scheduled ones included: what "publish a new version" starts from.
pub async fn latest(db: &impl ConnectionTrait, name: &str) -> Result<PolicyVersion, AppError> {
    let row = policy::Entity::find()
        .filter(policy::Column::Name.eq(name))
        .filter(policy::Column::WithdrawnAt.is_null())
        .order_by_desc(policy::Column::EffectiveFrom)
        .order_by_desc(policy::Column::Version)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("The policy {name} has no version to start from.")))?;
    parse(row)
}

/// The version not withdrawn of a policy that starts on a date, if any.
pub async fn starting_on(
    db: &impl ConnectionTrait,
    name: &str,
    on: NaiveDate,
) -> Result<Option<PolicyVersion>, AppError> {
    policy::Entity::find()
        .filter(policy::Column::Name.eq(name))
        .filter(policy::Column::EffectiveFrom.eq(on))
        .filter(policy::Column::WithdrawnAt.is_null())
        .order_by_desc(policy::Column::Version)
        .one(db)
        .await?
        .map(parse)
        .transpose()
}

/// Publish the next version of the policy in force (managers), audited as `policy.publish`.
/// `copied_from` is the version the form started from: when a later one was published (or
/// it was withdrawn) since, publishing is refused, so nobody's change is dropped silently.
/// A version starting the same day as another (not withdrawn) is refused with a sentence.
pub async fn publish_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    new: &NewVersion,
    copied_from: Option<i64>,
) -> Result<Ran<Published>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let name = in_force(db, crate::clock::today()).await?.row.name;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            lock_versions(&txn, &name).await?;
            let latest = latest(&txn, &name).await?;
            if copied_from.is_some_and(|id| id != latest.row.id) {
                return Err(AppError::Conflict(format!(
                    "Version {} (taking effect on {}) is now the latest, published or changed since you opened this form. \
                     Start again from it, so its changes are not lost.",
                    latest.row.version, latest.row.effective_from
                )));
            }
            if let Some(other) = starting_on(&txn, &name, new.effective_from).await? {
                return Err(AppError::validation(
                    "effective_from",
                    same_date_refusal(other.row.version, other.row.effective_from),
                ));
            }
            let v = publish(&txn, &name, &new.params, new.effective_from, new.notes.clone(), by.who.id).await?;
            let detail = Some(format!("{} v{} effective {}", v.row.name, v.row.version, v.row.effective_from));
            let entry = AuditEntry { action: "policy.publish", entity: "policy", entity_id: Some(v.row.id), detail };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(Published { id: v.row.id, version: v.row.version, effective_from: v.row.effective_from })
        }
        .await;
        (txn, r)
    })
    .await
}

/// Serialise publishing and withdrawing within a write transaction: on PostgreSQL a row
/// lock on the policy's versions (SQLite's IMMEDIATE transaction already serialises writers).
async fn lock_versions(txn: &impl ConnectionTrait, name: &str) -> Result<(), AppError> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::QuerySelect;
        policy::Entity::find().filter(policy::Column::Name.eq(name)).lock_exclusive().all(txn).await?;
    }
    Ok(())
}

/// What withdrawing answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Withdrawn {
    pub id: i64,
    pub version: i32,
    pub effective_from: NaiveDate,
}

/// Withdraw a version that has not started (managers), with a reason, audited as
/// `policy.withdraw`: it never applies; the row stays, marked. A version that has started
/// (or was withdrawn already) is refused with a sentence; no stored check changes.
pub async fn withdraw_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    id: i64,
    reason: &str,
) -> Result<Ran<Withdrawn>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let reason = withdraw_reason(reason).map_err(|sentence| AppError::validation("reason", sentence))?;
    let today = crate::clock::today();
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            let v = by_id(&txn, id).await?;
            lock_versions(&txn, &v.row.name).await?;
            if let Some(at) = v.row.withdrawn_at {
                return Err(AppError::Conflict(format!(
                    "Version {} was already withdrawn on {}.",
                    v.row.version,
                    crate::clock::date_in_new_york(at)
                )));
            }
            if v.row.effective_from <= today {
                return Err(AppError::Conflict(format!(
                    "Version {} took effect on {}: a version that has started cannot be withdrawn. Publish a new version instead.",
                    v.row.version, v.row.effective_from
                )));
            }
            let changed = policy::Entity::update_many()
                .col_expr(policy::Column::WithdrawnAt, Expr::value(crate::clock::now()))
                .col_expr(policy::Column::WithdrawnBy, Expr::value(by.who.id))
                .col_expr(policy::Column::WithdrawnReason, Expr::value(reason.clone()))
                .filter(policy::Column::Id.eq(id))
                .filter(policy::Column::WithdrawnAt.is_null())
                .filter(policy::Column::EffectiveFrom.gt(today))
                .exec(&txn)
                .await?
                .rows_affected;
            if changed == 0 {
                return Err(AppError::Conflict(format!("Version {} cannot be withdrawn now.", v.row.version)));
            }
            let detail =
                Some(format!("{} v{} (effective {}): {reason}", v.row.name, v.row.version, v.row.effective_from));
            let entry = AuditEntry { action: "policy.withdraw", entity: "policy", entity_id: Some(id), detail };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(Withdrawn { id, version: v.row.version, effective_from: v.row.effective_from })
        }
        .await;
        (txn, r)
    })
    .await
}

/// Publish a new version of a policy with the given parameters and effective date.
pub async fn publish(
    db: &impl ConnectionTrait,
    name: &str,
    params: &PolicyParams,
    effective_from: NaiveDate,
    notes: Option<String>,
    by: i64,
) -> Result<PolicyVersion, AppError> {
    let latest = policy::Entity::find()
        .filter(policy::Column::Name.eq(name))
        .order_by_desc(policy::Column::Version)
        .one(db)
        .await?;
    let version = latest.map(|p| p.version + 1).unwrap_or(1);
    let json = serde_json::to_string(params).map_err(|e| AppError::Internal(e.to_string()))?;
    let row = policy::ActiveModel {
        name: Set(name.to_string()),
        version: Set(version),
        effective_from: Set(effective_from),
        params_json: Set(json),
        notes: Set(notes),
        published_at: Set(crate::clock::now()),
        published_by: Set(Some(by)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    parse(row)
}

/// The poverty guidelines of a region.
pub async fn guidelines(db: &impl ConnectionTrait, region: &str) -> Result<Vec<Guideline>, AppError> {
    Ok(poverty_guideline::Entity::find()
        .filter(poverty_guideline::Column::Region.eq(region))
        .order_by_asc(poverty_guideline::Column::EffectiveFrom)
        .all(db)
        .await?
        .into_iter()
        .map(|g| Guideline {
            year: g.year,
            first_person: cents_to_decimal(g.first_person_cents),
            additional_person: cents_to_decimal(g.additional_person_cents),
            effective_from: g.effective_from,
        })
        .collect())
}

/// The poverty guideline regions that have rows, for the publish form.
pub async fn regions(db: &impl ConnectionTrait) -> Result<Vec<String>, AppError> {
    let mut regions: Vec<String> = poverty_guideline::Entity::find()
        .order_by_asc(poverty_guideline::Column::Region)
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.region)
        .collect();
    regions.dedup();
    Ok(regions)
}

/// The display names of the people who published versions, by user id.
pub async fn publisher_names(
    db: &impl ConnectionTrait,
    versions: &[PolicyVersion],
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    let ids: Vec<i64> = versions.iter().flat_map(|v| [v.row.published_by, v.row.withdrawn_by]).flatten().collect();
    Ok(crate::entity::user::Entity::find()
        .filter(crate::entity::user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}
