//! Recording safe-sleep education for a family. (Whether it is recent enough to count for a
//! handout is read with the handout's other gates, `handouts::Gates`.)

use crate::domain::education::{NewEducation, CURRICULUM_VERSION};
use crate::entity::education_session;
use crate::error::AppError;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

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
