//! Recording safe-sleep education for a family. (Whether it is recent enough to count for a
//! handout is read with the handout's other gates, `handouts::Gates`.)

use crate::db::Db;
use crate::domain::education::{NewEducation, CURRICULUM_VERSION};
use crate::entity::education_session;
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::families;
use crate::store::family_view::EducationView;
use crate::store::write::{self, Mode, Ran};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

/// Record safe-sleep education for a family the caller may see (staff, managers, a nurse
/// for a family on her hospital's request), audited as `education.record`. `site_id` is
/// where it was given: a site the caller acts at or her hospital; left out, the caller's
/// own site or hospital.
pub async fn educate(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
    new: &NewEducation,
    site_id: Option<i64>,
) -> Result<Ran<EducationView>, AppError> {
    families::ensure_visible(db, by.who, family_id).await?;
    families::get(db, family_id).await?;
    let site_id = match site_id {
        Some(s) if by.who.can_act_at(s) || by.who.hospital_id() == Some(s) => Some(s),
        Some(_) => return Err(AppError::validation("site_id", "Record education only for a site you work at.")),
        None => by.who.home_site().or(by.who.hospital_id()),
    };
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            let row = record(&txn, family_id, new, by.who.id, site_id).await?;
            let detail = Some(format!("session {} ({})", row.id, row.mode));
            let entry = AuditEntry { action: "education.record", entity: "family", entity_id: Some(family_id), detail };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(EducationView::from(row))
        }
        .await;
        (txn, r)
    })
    .await
}

/// Store one education session.
pub async fn record(
    db: &impl ConnectionTrait,
    family_id: i64,
    e: &NewEducation,
    by: i64,
    site_id: Option<i64>,
) -> Result<education_session::Model, AppError> {
    let now = crate::clock::now();
    Ok(education_session::ActiveModel {
        family_id: Set(family_id),
        delivered_at: Set(e.delivered_at),
        delivered_by: Set(by),
        site_id: Set(site_id),
        mode: Set(e.mode.clone()),
        language: Set(e.language.clone()),
        curriculum_version: Set(CURRICULUM_VERSION.to_string()),
        topics: Set(e.topics.join(",")),
        caregiver_attestation: Set(e.caregiver_attestation.clone()),
        attested_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}
