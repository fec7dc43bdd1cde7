//! SeaORM entity for the `referrals` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub hospital_site_id: i64,
    pub created_by: i64,
    pub family_id: i64,
    pub infant_id: i64,
    pub discharge_date: Date,
    pub status: String,
    pub preferred_site_id: Option<i64>,
    pub home_delivery: bool,
    pub reserved_site_id: Option<i64>,
    pub reserved_crib_model_id: Option<i64>,
    pub reserved_until: Option<Date>,
    pub decline_reason: Option<String>,
    pub handout_id: Option<i64>,
    pub eligibility_json: String,
    pub source: String,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The request created its family record (a nurse's scope: `store::scope`).
    pub created_family: bool,
    /// The family and baby as the hospital sent them (`domain::referral::SentFamily`).
    pub sent_json: Option<String>,
    /// Bumped with every change of state, in the change's transaction (FHIR `meta.versionId`).
    pub version: i32,
    /// The resource a hospital's system sent, verbatim (FHIR requests only).
    pub fhir_json: Option<String>,
    /// Who declined or cancelled it.
    pub closed_by: Option<i64>,
    /// Who at the hospital asked, as its system named them (`Practitioner/123`; FHIR only).
    pub requester: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
