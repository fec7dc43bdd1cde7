//! SeaORM entity for the `message_consents` table: a family's consent to be written to on
//! one channel, who recorded it and when, and its withdrawal.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "message_consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub family_id: i64,
    pub channel: String,
    /// The address (None once erased).
    pub address: Option<String>,
    pub language: String,
    pub given_at: DateTimeUtc,
    pub given_by: Option<i64>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawn_by: Option<i64>,
    /// How it was withdrawn: `staff` (recorded by a user), `link` (the e-mail's link).
    pub withdrawn_how: Option<String>,
    /// The random token of this consent's unsubscribe links (it can only withdraw it).
    #[serde(skip)]
    pub unsubscribe_token: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
