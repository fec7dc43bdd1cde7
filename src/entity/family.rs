//! SeaORM entity for the `families` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "families")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<Date>,
    pub phone: Option<String>,
    pub phone_digits: Option<String>,
    pub preferred_language: String,
    pub address_line1: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub neighborhood_id: Option<i64>,
    pub household_size: i32,
    pub annual_income_cents: Option<i64>,
    pub enrollments: String,
    pub has_safe_sleep_space: Option<bool>,
    pub race_ethnicity: Option<String>,
    pub registered_site_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    /// `first_name` as check-in searches it (`domain::checkin::search_key`).
    pub search_first: Option<String>,
    /// `last_name` as check-in searches it.
    pub search_last: Option<String>,
    /// Set on a family merged into another: the record it now lives in (a tombstone).
    pub merged_into_id: Option<i64>,
    /// When the identifying data were removed (on request or by the retention period).
    pub erased_at: Option<DateTimeUtc>,
    /// The last 4 and 7 digits of `phone_digits` (search by the end of a phone number).
    pub phone_last4: Option<String>,
    pub phone_last7: Option<String>,
    /// How the names sound (`domain::checkin::sound_key`), for a search by sound.
    pub sound_first: Option<String>,
    pub sound_last: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
