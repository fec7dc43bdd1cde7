//! SeaORM entity for the `stock_movements` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    pub kind: String,
    pub quantity: i32,
    pub lot: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub transfer_id: Option<i64>,
    pub handout_id: Option<i64>,
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
