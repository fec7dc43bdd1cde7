//! SeaORM entity for the `users` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub hospital_site_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// An administrator reset the password: it must be changed at the next sign-in.
    pub must_change_password: bool,
    /// The second factor's shared secret (base32), once enrolment began.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// When the second factor was confirmed with a code (None: not in use).
    pub totp_enabled_at: Option<DateTimeUtc>,
    /// The last 30-second step a code was accepted for (a code works once).
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    /// The notices this user does not want, comma-separated (`domain::messages::Notice`).
    pub muted_notices: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
