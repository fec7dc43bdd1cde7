//! SeaORM entity for the `handouts` table.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "handouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub receipt_number: String,
    pub family_id: i64,
    pub infant_id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    pub lot: Option<String>,
    pub neighborhood_id: Option<i64>,
    pub csa_id: Option<i32>,
    pub eligibility_check_id: Option<i64>,
    pub override_reason: Option<String>,
    pub education_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub handed_out_at: DateTimeUtc,
    pub handed_out_on: Date,
    pub created_by: i64,
    pub voided_at: Option<DateTimeUtc>,
    pub voided_by: Option<i64>,
    pub void_reason: Option<String>,
    /// The pre-numbered paper slip it was entered from afterwards (None: entered live).
    pub paper_slip: Option<String>,
    /// When a paper hand-out was entered (`handed_out_at` is when it happened).
    pub entered_at: Option<DateTimeUtc>,
    /// Staff said the box had no lot number (a null lot with false: nobody said).
    pub no_lot_on_box: bool,
    /// The follow-up survey's link (random, unique; none once voided before issue 23).
    #[serde(skip)]
    pub survey_token: Option<String>,
    /// The baseline: where the baby would have slept without this crib (`domain::survey::BASELINE`).
    pub baseline_sleep: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
