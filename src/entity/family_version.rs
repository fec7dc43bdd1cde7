//! SeaORM entity for the `family_versions` table: one correction of a family or a baby,
//! with who, when, why, and the fields before and after.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "family_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub family_id: i64,
    /// The baby corrected or added (None: the family's own fields).
    pub infant_id: Option<i64>,
    pub user_id: i64,
    /// `family.correct`, `infant.correct`, `infant.add`, `family.merge`.
    pub action: String,
    pub reason: String,
    pub before_json: String,
    pub after_json: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
