//! SeaORM entity for the `follow_ups` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "follow_ups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub handout_id: i64,
    pub site_id: i64,
    pub due_on: Date,
    pub status: String,
    pub attempts: i32,
    pub reached: Option<bool>,
    pub crib_in_use: Option<bool>,
    pub sleeps_alone: Option<bool>,
    pub sleeps_on_back: Option<bool>,
    pub sleeps_in_crib: Option<bool>,
    pub closed_at: Option<DateTimeUtc>,
    /// The round: months after the hand-out (1 or 3; issue 23).
    pub round_months: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
