//! SeaORM entity for the `kept_forms` table: a form sent after its session ended, kept for
//! the same person to finish after signing in again (`store::kept_forms`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kept_forms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 (hex) of the random id the browser's private cookie holds.
    pub key_hash: String,
    /// The person whose session ended: the only one it is shown to.
    pub user_id: i64,
    /// The path the form was sent to.
    pub path: String,
    /// The fields as sent (URL-encoded), without the CSRF token.
    pub fields: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
