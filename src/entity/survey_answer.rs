//! `survey_answers`: one answer sheet per follow-up round (answered once), with the
//! instrument's version and how it was given (`self` on the family's link, `phone` with
//! staff); `answers` is the sheet as JSON, item code → option code.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "survey_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub follow_up_id: i64,
    pub instrument_version: i32,
    pub mode: String,
    pub answers: String,
    pub answered_at: DateTimeUtc,
    pub recorded_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
