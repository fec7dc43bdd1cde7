//! SeaORM entity for the `education_sessions` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "education_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub family_id: i64,
    pub delivered_at: DateTimeUtc,
    pub delivered_by: i64,
    pub site_id: Option<i64>,
    pub mode: String,
    pub language: String,
    pub curriculum_version: String,
    pub topics: String,
    pub caregiver_attestation: String,
    pub attested_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
