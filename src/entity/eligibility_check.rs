//! SeaORM entity for the `eligibility_checks` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "eligibility_checks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub family_id: i64,
    pub infant_id: i64,
    pub checked_on: Date,
    pub policy_id: i64,
    pub result: String,
    pub inputs_json: String,
    pub rules_json: String,
    pub site_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
