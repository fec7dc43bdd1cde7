//! Hospital discharge requests over the API: nurses submit and cancel, managers triage
//! (accept with a held crib, decline with a reason). Reads settle lapsed holds first.

use crate::api::answer::{run_write, Answer};
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiManager, ApiUser, ClientAddr};
use crate::domain::family::{parse_date, parse_family, AddressInput, CaregiverInput, FamilyInput, InfantInput};
use crate::domain::role::Role;
use crate::error::{ApiResult, AppError, FieldErrors};
use crate::store::referrals::{self, NewReferral, ReferralView};
use chrono::{Duration, NaiveDate};
use rocket::{get, post, State};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::Value;

/// A nurse's request: the family's fields, one infant, the discharge date.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    pub caregiver: Option<CaregiverInput>,
    pub address: Option<AddressInput>,
    #[schema(value_type = Option<i64>)]
    pub household_size: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub annual_income: Option<Value>,
    #[serde(default)]
    pub enrollments: Vec<String>,
    pub has_safe_sleep_space: Option<bool>,
    pub infant: Option<InfantInput>,
    pub race_ethnicity: Option<String>,
    pub preferred_language: Option<String>,
    /// YYYY-MM-DD.
    pub discharge_date: Option<String>,
    #[serde(default)]
    pub education_given_in_hospital: bool,
    pub preferred_site_id: Option<i64>,
    #[serde(default)]
    pub home_delivery: bool,
    pub note: Option<String>,
}

/// Parse a discharge date: from 30 days ago to 90 days ahead.
pub fn check_discharge(p: &mut Vec<(String, String)>, raw: Option<&str>, today: NaiveDate) -> Option<NaiveDate> {
    if raw.map(str::trim).unwrap_or("").is_empty() {
        p.push(("discharge_date".into(), "Give the discharge date (YYYY-MM-DD).".into()));
        return None;
    }
    let d = parse_date(p, "discharge_date", raw)?;
    if d < today - Duration::days(30) || d > today + Duration::days(90) {
        p.push((
            "discharge_date".into(),
            format!("A discharge date must be within 30 days before and 90 days after today; {d} is not."),
        ));
        return None;
    }
    Some(d)
}

/// Turn field problems into a 422.
pub fn problems(p: Vec<(String, String)>) -> AppError {
    let mut fields = FieldErrors::new();
    for (f, m) in p {
        fields.entry(f.replace("infants[0]", "infant")).or_default().push(m);
    }
    AppError::Validation(fields)
}

/// Parse a referral body into the store's command.
pub fn parse_referral(input: ReferralInput, today: NaiveDate, source: &'static str) -> Result<NewReferral, AppError> {
    let mut p = Vec::new();
    let discharge = check_discharge(&mut p, input.discharge_date.as_deref(), today);
    let note = input.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        p.push(("note".into(), "A note can be at most 1000 characters.".into()));
    }
    let family = FamilyInput {
        caregiver: input.caregiver,
        address: input.address,
        household_size: input.household_size,
        annual_income: input.annual_income,
        enrollments: input.enrollments,
        has_safe_sleep_space: input.has_safe_sleep_space,
        infants: input.infant.into_iter().collect(),
        race_ethnicity: input.race_ethnicity,
        preferred_language: input.preferred_language,
        confirm_not_duplicate: true,
    };
    let parsed = parse_family(&family, today);
    if let Err(more) = &parsed {
        p.extend(more.iter().cloned().map(|(f, m)| if f == "infants" { ("infant".to_string(), m) } else { (f, m) }));
    }
    match (parsed, discharge) {
        (Ok(family), Some(discharge_date)) if p.is_empty() => Ok(NewReferral {
            family,
            discharge_date,
            education_given_in_hospital: input.education_given_in_hospital,
            preferred_site_id: input.preferred_site_id,
            home_delivery: input.home_delivery,
            note,
            source,
        }),
        _ => Err(problems(p)),
    }
}

/// Submit a request before discharge (nurses).
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", request_body = ReferralInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = ReferralView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/referrals", data = "<body>")]
pub async fn create(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<ReferralInput>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    if who.role != Role::Nurse || who.hospital_id().is_none() {
        return Err(AppError::Forbidden);
    }
    let body = body?;
    let raw = body.raw.clone();
    let new = parse_referral(body.value, crate::clock::today(), "api")?;
    run_write(db.inner(), who.user.id, key.0, "POST /api/v1/referrals", &raw, |txn| async {
        let r = referrals::submit(&txn, &who, &addr.0, &new).await.and_then(|v| Answer::created(&v));
        (txn, r)
    })
    .await
}

/// Requests: a nurse sees her hospital's, managers all; open ones oldest discharge first.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals",
    params(("status" = Option<String>, Query, description = "submitted, reserved, fulfilled, declined, cancelled or expired")),
    responses((status = 200, body = [ReferralView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/referrals?<status>")]
pub async fn list(user: ApiUser, db: &State<DatabaseConnection>, status: Option<&str>) -> ApiResult<Answer> {
    if let Some(s) = status {
        if !["submitted", "reserved", "fulfilled", "declined", "cancelled", "expired"].contains(&s) {
            return Err(AppError::validation(
                "status",
                "The status must be submitted, reserved, fulfilled, declined, cancelled or expired.",
            ));
        }
    }
    referrals::settle(db.inner()).await?;
    Answer::ok(&referrals::list(db.inner(), &user.0, status).await?)
}

/// One request (the nurse of its hospital, managers).
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals",
    params(("id" = i64, Path, description = "referral id")),
    responses((status = 200, body = ReferralView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/referrals/<id>")]
pub async fn get(user: ApiUser, db: &State<DatabaseConnection>, id: i64) -> ApiResult<Answer> {
    referrals::settle(db.inner()).await?;
    let r = referrals::get_scoped(db.inner(), &user.0, id).await?;
    Answer::ok(&referrals::view(db.inner(), r).await?)
}

/// Where to hold the crib.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub site_id: i64,
    pub crib_model_id: i64,
}

/// Accept a request and hold one crib at a site (managers).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/accept", tag = "referrals", request_body = AcceptRequest,
    params(("id" = i64, Path, description = "referral id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = ReferralView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/referrals/<id>/accept", data = "<body>")]
pub async fn accept(
    user: ApiManager,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<AcceptRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    let body = body?;
    let (site, model) = (body.value.site_id, body.value.crib_model_id);
    referrals::settle(db.inner()).await?;
    let route = format!("POST /api/v1/referrals/{id}/accept");
    run_write(db.inner(), who.user.id, key.0, &route, &body.raw, |txn| async {
        let r = referrals::accept(&txn, &who, &addr.0, id, site, model).await.and_then(|v| Answer::ok(&v));
        (txn, r)
    })
    .await
}

/// Why a request is declined.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineRequest {
    pub reason: String,
}

/// Decline a request with a reason the nurse reads (managers).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/decline", tag = "referrals", request_body = DeclineRequest,
    params(("id" = i64, Path, description = "referral id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = ReferralView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/referrals/<id>/decline", data = "<body>")]
pub async fn decline(
    user: ApiManager,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<DeclineRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    let body = body?;
    let reason = body.value.reason.trim().to_string();
    if reason.chars().count() < 3 || reason.chars().count() > 500 {
        return Err(AppError::validation("reason", "Give the nurse a reason (3 to 500 characters)."));
    }
    let route = format!("POST /api/v1/referrals/{id}/decline");
    run_write(db.inner(), who.user.id, key.0, &route, &body.raw, |txn| async {
        let r = referrals::decline(&txn, &who, &addr.0, id, &reason).await.and_then(|v| Answer::ok(&v));
        (txn, r)
    })
    .await
}

/// Cancel a request (its hospital's nurse, managers); releases any held crib.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/cancel", tag = "referrals",
    params(("id" = i64, Path, description = "referral id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = ReferralView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/referrals/<id>/cancel")]
pub async fn cancel(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
) -> ApiResult<Answer> {
    let who = user.0;
    if !(who.is_manager() || who.role == Role::Nurse) {
        return Err(AppError::NotFound);
    }
    let route = format!("POST /api/v1/referrals/{id}/cancel");
    run_write(db.inner(), who.user.id, key.0, &route, &Value::Null, |txn| async {
        let r = referrals::cancel(&txn, &who, &addr.0, id).await.and_then(|v| Answer::ok(&v));
        (txn, r)
    })
    .await
}
