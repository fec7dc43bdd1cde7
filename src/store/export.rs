//! Everything the program holds about one family, for the family's own request (or a
//! hospital's): the record with its checks (each rule's sentence), education, hand-outs
//! and receipts, the versions of every correction, hospital requests as sent, follow-up
//! calls and their answers, site check-ins, and who viewed the record (the audit rows that
//! name it). Program managers only; audited as `family.export`.

use crate::db::Db;
use crate::entity::{audit_event, family_site_link, follow_up, follow_up_call, referral, site, user};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::corrections::{self, VersionView};
use crate::store::families;
use crate::store::family_view::{self, FamilyDetail};
use crate::store::referrals::{self, ReferralView};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One follow-up and its calls.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUpExport {
    pub handout_id: i64,
    pub due_on: chrono::NaiveDate,
    pub status: String,
    #[schema(value_type = Vec<Object>)]
    pub calls: Vec<serde_json::Value>,
}

/// A check-in at a site where the family had no history.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckInExport {
    pub site: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub reason: String,
}

/// Who saw or changed the record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessExport {
    pub at: chrono::DateTime<chrono::Utc>,
    pub who: Option<String>,
    pub role: Option<String>,
    pub action: String,
}

/// Everything held about one family.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FamilyExport {
    pub exported_at: chrono::DateTime<chrono::Utc>,
    pub family: FamilyDetail,
    pub erased_at: Option<chrono::DateTime<chrono::Utc>>,
    pub versions: Vec<VersionView>,
    pub hospital_requests: Vec<ReferralView>,
    pub follow_ups: Vec<FollowUpExport>,
    pub site_check_ins: Vec<CheckInExport>,
    /// Who viewed, searched for, listed or changed the record, oldest first.
    pub access: Vec<AccessExport>,
    /// The family's consent to e-mail (null: never given).
    pub message_consent: Option<crate::store::outbox::consent::ConsentView>,
    /// The messages written to the family, newest first.
    pub messages: Vec<crate::store::outbox::views::MessageView>,
}

/// Export one family's record (program managers).
pub async fn export(db: &Db, by: Caller<'_>, family_id: i64) -> Result<FamilyExport, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let family_id = families::live_id(db, family_id).await?;
    let f = families::get(db, family_id).await?;
    let detail = family_view::detail(db, family_id).await?;
    let versions = corrections::versions(db, family_id).await?;
    let requests = referral::Entity::find().filter(referral::Column::FamilyId.eq(family_id)).all(db).await?;
    let hospital_requests = referrals::views(db, requests).await?;
    let handout_ids: Vec<i64> = detail.handouts.iter().map(|h| h.id).collect();
    let ups = follow_up::Entity::find().filter(follow_up::Column::HandoutId.is_in(handout_ids)).all(db).await?;
    let calls = follow_up_call::Entity::find()
        .filter(follow_up_call::Column::FollowUpId.is_in(ups.iter().map(|u| u.id).collect::<Vec<_>>()))
        .order_by_asc(follow_up_call::Column::CalledAt)
        .all(db)
        .await?;
    let follow_ups = ups
        .into_iter()
        .map(|u| FollowUpExport {
            handout_id: u.handout_id,
            due_on: u.due_on,
            calls: calls
                .iter()
                .filter(|c| c.follow_up_id == u.id)
                .map(|c| {
                    serde_json::json!({"called_at": c.called_at, "reached": c.reached, "crib_in_use": c.crib_in_use,
                        "sleeps_alone": c.sleeps_alone, "sleeps_on_back": c.sleeps_on_back,
                        "sleeps_in_crib": c.sleeps_in_crib, "note": c.note})
                })
                .collect(),
            status: u.status,
        })
        .collect();
    let sites: HashMap<i64, String> = site::Entity::find().all(db).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let site_check_ins = family_site_link::Entity::find()
        .filter(family_site_link::Column::FamilyId.eq(family_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| CheckInExport {
            site: sites.get(&l.site_id).cloned().unwrap_or_default(),
            at: l.created_at,
            reason: l.reason,
        })
        .collect();
    let access = access(db, family_id).await?;
    let entry = AuditEntry { action: "family.export", entity: "family", entity_id: Some(family_id), detail: None };
    audit::record_alone(db, Some(by.who), Some(by.ip), entry).await?;
    Ok(FamilyExport {
        exported_at: crate::clock::now(),
        family: detail,
        erased_at: f.erased_at,
        versions,
        hospital_requests,
        follow_ups,
        site_check_ins,
        access,
        message_consent: crate::store::outbox::consent::of_family(db, family_id).await?,
        messages: crate::store::outbox::views::of_family(db, family_id).await?,
    })
}

/// The audit rows that name the family: on its record, or in a list or search that showed it.
async fn access(db: &Db, family_id: i64) -> Result<Vec<AccessExport>, AppError> {
    let id = family_id.to_string();
    // The lists and searches name their families as "ids":"1,2,3".
    let in_list = Condition::any()
        .add(audit_event::Column::Detail.like(format!("%\"ids\":\"{id}\"%")))
        .add(audit_event::Column::Detail.like(format!("%\"ids\":\"{id},%")))
        .add(audit_event::Column::Detail.like(format!("%,{id},%")))
        .add(audit_event::Column::Detail.like(format!("%,{id}\"%")));
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq("family"))
        .filter(Condition::any().add(audit_event::Column::EntityId.eq(family_id)).add(in_list))
        .order_by_asc(audit_event::Column::At)
        .all(db)
        .await?;
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.user_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| AccessExport {
            at: r.at,
            who: r.user_id.and_then(|u| names.get(&u).cloned()),
            role: r.role,
            action: r.action,
        })
        .collect())
}
