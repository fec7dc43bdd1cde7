//! SeaORM entity for the `policies` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "policies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub version: i32,
    pub effective_from: Date,
    pub params_json: String,
    pub notes: Option<String>,
    pub published_at: DateTimeUtc,
    pub published_by: Option<i64>,
    /// A version withdrawn before it started never applies (who, when, why).
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawn_by: Option<i64>,
    pub withdrawn_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
