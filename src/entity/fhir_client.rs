//! SeaORM entity for the `fhir_clients` table: a hospital system registered for SMART
//! Backend Services.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "fhir_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The `client_id` (the assertion's `iss` and `sub`).
    pub client_id: String,
    pub name: String,
    pub hospital_site_id: i64,
    /// The service account the client acts as (a nurse of its hospital, no password).
    pub user_id: i64,
    /// The client's public keys, a JWK Set as pasted in.
    pub jwks: String,
    /// The scopes it may be granted, space-separated.
    pub scopes: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
