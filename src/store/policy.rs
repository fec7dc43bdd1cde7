//! Policy versions and poverty guidelines: which version is in force on a date, its
//! history, publishing a new version (never editing a published one).

use crate::db::Db;
use crate::domain::eligibility::Guideline;
use crate::domain::money::cents_to_decimal;
use crate::domain::policy::NewVersion;
use crate::domain::policy::PolicyParams;
use crate::entity::{policy, poverty_guideline};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran};
use chrono::NaiveDate;
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

/// The version in force on a date: the latest effective on or before it (ties: the higher version).
pub async fn in_force(db: &impl ConnectionTrait, on: NaiveDate) -> Result<PolicyVersion, AppError> {
    let row = policy::Entity::find()
        .filter(policy::Column::EffectiveFrom.lte(on))
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

/// Publish the next version of the policy in force (managers), audited as `policy.publish`.
pub async fn publish_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    new: &NewVersion,
) -> Result<Ran<Published>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let name = in_force(db, crate::clock::today()).await?.row.name;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
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
    let ids: Vec<i64> = versions.iter().filter_map(|v| v.row.published_by).collect();
    Ok(crate::entity::user::Entity::find()
        .filter(crate::entity::user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}
