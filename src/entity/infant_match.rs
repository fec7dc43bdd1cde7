//! SeaORM entity for the `infant_matches` table: two babies on two family records that may
//! be one baby (same birth or due date, caregivers that match). An open match stops the
//! hand-out until staff say they are different or a manager merges the records.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "infant_matches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub infant_id: i64,
    pub other_infant_id: i64,
    /// `open` or `different` (`domain::states::InfantMatchStatus`).
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
