//! SeaORM entity for the `messages` table: the outbox (one message to one recipient,
//! by reference: a user or a family, never a copied address).

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What makes this message one of a kind (`referral:42:accepted`): a second write of
    /// the same key moves or cancels the first, never adds a second message.
    pub dedupe_key: String,
    pub kind: String,
    pub user_id: Option<i64>,
    pub family_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub site_id: Option<i64>,
    pub crib_model_id: Option<i64>,
    /// The day a digest or a daily list is about.
    pub on_date: Option<Date>,
    pub language: String,
    pub status: String,
    pub not_before: DateTimeUtc,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub lease_owner: Option<String>,
    /// Why it was not sent (yet): the mail server's answer, or why it was suppressed.
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
