//! SeaORM entity for the `infants` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "infants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub family_id: i64,
    pub name: Option<String>,
    /// The name as search folds it (`domain::checkin::name_key`), for the check-in search.
    pub search_name: Option<String>,
    pub date_of_birth: Option<Date>,
    pub expected_due_date: Option<Date>,
    pub weight_lb: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
