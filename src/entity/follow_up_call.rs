//! SeaORM entity for the `follow_up_calls` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "follow_up_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub follow_up_id: i64,
    pub called_at: DateTimeUtc,
    pub called_by: i64,
    pub reached: bool,
    pub crib_in_use: Option<bool>,
    pub sleeps_alone: Option<bool>,
    pub sleeps_on_back: Option<bool>,
    pub sleeps_in_crib: Option<bool>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
