//! SeaORM entity for the `transfers` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "transfers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub from_site_id: i64,
    pub to_site_id: i64,
    pub crib_model_id: i64,
    pub quantity: i32,
    pub lot: Option<String>,
    pub status: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub closed_by: Option<i64>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
