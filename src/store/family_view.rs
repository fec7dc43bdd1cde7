//! The whole record of a family as staff and the API read it: caregiver, address with
//! neighborhood, infants, checks, education and handouts; and who may see it.

use crate::domain::actor::Actor;
use crate::domain::money::cents_to_decimal;
use crate::entity::{education_session, handout};
use crate::error::AppError;
use crate::store::eligibility::{self, CheckView};
use crate::store::families;
use crate::store::reference::{self, NeighborhoodView};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

/// An infant on the family record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InfantView {
    pub id: i64,
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub expected_due_date: Option<NaiveDate>,
    pub weight_lb: Option<String>,
    /// Has a handout that was not voided.
    pub has_crib: bool,
    pub latest_check: Option<CheckView>,
}

/// An education session on the record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EducationView {
    pub id: i64,
    pub delivered_at: chrono::DateTime<chrono::Utc>,
    pub delivered_by: i64,
    pub site_id: Option<i64>,
    pub mode: String,
    pub language: String,
    pub curriculum_version: String,
    pub topics: Vec<String>,
    pub caregiver_attestation: String,
    pub attested_at: chrono::DateTime<chrono::Utc>,
}

impl From<education_session::Model> for EducationView {
    fn from(e: education_session::Model) -> Self {
        EducationView {
            id: e.id,
            delivered_at: e.delivered_at,
            delivered_by: e.delivered_by,
            site_id: e.site_id,
            mode: e.mode,
            language: e.language,
            curriculum_version: e.curriculum_version,
            topics: e.topics.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            caregiver_attestation: e.caregiver_attestation,
            attested_at: e.attested_at,
        }
    }
}

/// A handout on the record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HandoutView {
    pub id: i64,
    pub receipt_number: String,
    pub family_id: i64,
    pub infant_id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    pub lot: Option<String>,
    pub neighborhood_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub eligibility_check_id: Option<i64>,
    pub override_reason: Option<String>,
    pub education_id: Option<i64>,
    pub handed_out_at: chrono::DateTime<chrono::Utc>,
    pub handed_out_on: NaiveDate,
    pub voided: bool,
    pub voided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub void_reason: Option<String>,
    /// Entered afterwards from this paper slip (None: entered as it happened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper_slip: Option<String>,
    /// When a paper hand-out was entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Staff said the box had no lot number (absent: a lot was given, or nobody said).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_lot_on_box: bool,
}

impl From<handout::Model> for HandoutView {
    fn from(h: handout::Model) -> Self {
        HandoutView {
            id: h.id,
            receipt_number: h.receipt_number,
            family_id: h.family_id,
            infant_id: h.infant_id,
            site_id: h.site_id,
            crib_model_id: h.crib_model_id,
            lot: h.lot,
            neighborhood_id: h.neighborhood_id,
            referral_id: h.referral_id,
            eligibility_check_id: h.eligibility_check_id,
            override_reason: h.override_reason,
            education_id: h.education_id,
            handed_out_at: h.handed_out_at,
            handed_out_on: h.handed_out_on,
            voided: h.voided_at.is_some(),
            voided_at: h.voided_at,
            void_reason: h.void_reason,
            paper_slip: h.paper_slip,
            entered_at: h.entered_at,
            no_lot_on_box: h.no_lot_on_box,
        }
    }
}

/// The caregiver.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaregiverView {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
}

/// The address, with the neighborhood and its CSA.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AddressView {
    pub line1: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub neighborhood_id: Option<i64>,
    pub neighborhood: Option<NeighborhoodView>,
}

/// The whole family record.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FamilyDetail {
    pub id: i64,
    pub caregiver: CaregiverView,
    pub address: AddressView,
    pub household_size: i32,
    /// Decimal string, or null when not known.
    pub annual_income: Option<String>,
    pub enrollments: Vec<String>,
    pub has_safe_sleep_space: Option<bool>,
    pub race_ethnicity: Option<String>,
    pub preferred_language: String,
    pub infants: Vec<InfantView>,
    pub checks: Vec<CheckView>,
    pub education: Vec<EducationView>,
    pub handouts: Vec<HandoutView>,
    /// The follow-up survey's rounds of every hand-out (1 and 3 months), with their answers.
    pub follow_ups: Vec<crate::store::follow_ups::FollowUpView>,
    /// Babies on other records that may be this family's (the hand-out waits for them).
    pub possible_same_babies: Vec<crate::store::infant_matches::PossibleSameBaby>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// May this person open this family's whole record (`store::scope`)?
pub async fn may_view(db: &impl ConnectionTrait, who: &Actor, family_id: i64) -> Result<bool, AppError> {
    crate::store::scope::may_view(db, who, family_id).await
}

/// A family's education sessions, newest first.
pub async fn education(db: &impl ConnectionTrait, family_id: i64) -> Result<Vec<education_session::Model>, AppError> {
    Ok(education_session::Entity::find()
        .filter(education_session::Column::FamilyId.eq(family_id))
        .order_by_desc(education_session::Column::DeliveredAt)
        .all(db)
        .await?)
}

/// A family's handouts, newest first.
pub async fn handouts(db: &impl ConnectionTrait, family_id: i64) -> Result<Vec<handout::Model>, AppError> {
    Ok(handout::Entity::find()
        .filter(handout::Column::FamilyId.eq(family_id))
        .order_by_desc(handout::Column::HandedOutAt)
        .all(db)
        .await?)
}

/// Read the whole record.
pub async fn detail(db: &impl ConnectionTrait, family_id: i64) -> Result<FamilyDetail, AppError> {
    let f = families::get(db, family_id).await?;
    let hood = match f.neighborhood_id {
        Some(id) => reference::neighborhood(db, id).await?,
        None => None,
    };
    let handouts = handouts(db, family_id).await?;
    let checks_rows = eligibility::for_family(db, family_id).await?;
    let babies = families::infants(db, family_id).await?;
    let now_family = families::family_snapshot(&f);
    let mut checks = Vec::new();
    for c in &checks_rows {
        let mut v = eligibility::stored_view(db, c).await?;
        let baby = babies.iter().find(|b| b.id == c.infant_id).map(|b| {
            let received = handouts.iter().any(|h| h.infant_id == b.id && h.voided_at.is_none());
            families::infant_snapshot(b, received)
        });
        v.corrected_since = eligibility::corrected_since(c, &now_family, baby.as_ref());
        checks.push(v);
    }
    let baby_ids: Vec<i64> = babies.iter().map(|b| b.id).collect();
    let possible_same_babies = crate::store::infant_matches::open_for(db, &baby_ids).await?;
    let infants = babies
        .into_iter()
        .map(|i| InfantView {
            has_crib: handouts.iter().any(|h| h.infant_id == i.id && h.voided_at.is_none()),
            latest_check: checks.iter().find(|c| c.infant_id == Some(i.id)).cloned(),
            id: i.id,
            name: i.name,
            date_of_birth: i.date_of_birth,
            expected_due_date: i.expected_due_date,
            weight_lb: i.weight_lb,
        })
        .collect();
    Ok(FamilyDetail {
        id: f.id,
        caregiver: CaregiverView {
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            date_of_birth: f.date_of_birth,
            phone: f.phone.clone(),
        },
        address: AddressView {
            line1: f.address_line1.clone(),
            city: f.city.clone(),
            state: f.state.clone(),
            zip: f.zip.clone(),
            neighborhood_id: f.neighborhood_id,
            neighborhood: hood,
        },
        household_size: f.household_size,
        annual_income: f.annual_income_cents.map(|c| cents_to_decimal(c).to_string()),
        enrollments: families::enrollments(&f),
        has_safe_sleep_space: f.has_safe_sleep_space,
        race_ethnicity: f.race_ethnicity.clone(),
        preferred_language: f.preferred_language.clone(),
        infants,
        checks,
        education: education(db, family_id).await?.into_iter().map(EducationView::from).collect(),
        follow_ups: crate::store::follow_ups::of_handouts(db, handouts.iter().map(|h| h.id).collect()).await?,
        handouts: handouts.into_iter().map(HandoutView::from).collect(),
        possible_same_babies,
        created_at: f.created_at,
    })
}
