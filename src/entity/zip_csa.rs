//! SeaORM entity for the `zip_csas` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "zip_csas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub zip: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub csa_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
