//! Hospital discharge requests over the API: nurses submit and cancel, managers triage
//! (accept with a held crib, decline with a reason). Reads settle lapsed holds first.

use crate::api::answer::Answer;
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiManager, ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::referral::{parse_referral, ReferralInput};
use crate::domain::states::ReferralStatus;
use crate::error::{ApiResult, AppError};
use crate::store::audit::Caller;
use crate::store::referral_matches::{self, MatchDecided};
use crate::store::referrals::{self, ReferralView};
use crate::store::write::{Mode, WriteKey};
use rocket::{get, post, State};
use serde::Deserialize;
use serde_json::Value;

/// Submit a request before discharge (nurses).
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", request_body = ReferralInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = ReferralView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/referrals", data = "<body>")]
pub async fn create(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<ReferralInput>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    crate::error::forbidden_unless(who.may_request_cribs())?;
    let body = body?;
    let raw = body.raw.clone();
    let new = parse_referral(body.value, crate::clock::today(), "api").map_err(AppError::invalid)?;
    let mode = Mode::write(WriteKey::Api(key.0), "POST /api/v1/referrals", &raw);
    Answer::created_by(referrals::submit_once(db.inner(), Caller { who: &who, ip: &addr.0 }, mode, &new).await)
}

/// Requests: a nurse sees her hospital's, managers all; open ones oldest discharge first.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals",
    params(("status" = Option<String>, Query, description = "submitted, reserved, fulfilled, declined, cancelled or expired")),
    responses((status = 200, body = [ReferralView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/referrals?<status>")]
pub async fn list(user: ApiUser, db: &State<Db>, addr: ClientAddr, status: Option<&str>) -> ApiResult<Answer> {
    if let Some(s) = status {
        if ReferralStatus::parse(s).is_none() {
            return Err(AppError::validation(
                "status",
                "The status must be submitted, reserved, fulfilled, declined, cancelled or expired.",
            ));
        }
    }
    Answer::ok(&referrals::read_list(db.inner(), Caller { who: &user.0, ip: &addr.0 }, status).await?)
}

/// One request (the nurse of its hospital, managers).
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals",
    params(("id" = i64, Path, description = "referral id")),
    responses((status = 200, body = ReferralView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/referrals/<id>")]
pub async fn get(user: ApiUser, db: &State<Db>, addr: ClientAddr, id: i64) -> ApiResult<Answer> {
    Answer::ok(&referrals::read_view(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?)
}

/// Whether a request's family is one registered before it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchDecision {
    /// true: the same family (the request's record is merged into it); false: a different one.
    pub same: bool,
}

/// Decide one of a request's possible matches (managers): the same family, or a different
/// one. A request is accepted once no match is open.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/matches/{family_id}", tag = "referrals", request_body = MatchDecision,
    params(("id" = i64, Path, description = "referral id"), ("family_id" = i64, Path, description = "the family registered before the request"),
        ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = MatchDecided), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/referrals/<id>/matches/<family_id>", data = "<body>")]
pub async fn decide_match(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    family_id: i64,
    body: Result<JsonBody<MatchDecision>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    let body = body?;
    let route = format!("POST /api/v1/referrals/{id}/matches/{family_id}");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::ok_by(referral_matches::decide_once(db.inner(), by, mode, id, family_id, body.value.same).await)
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
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<AcceptRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    let body = body?;
    let (site, model) = (body.value.site_id, body.value.crib_model_id);
    let route = format!("POST /api/v1/referrals/{id}/accept");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    Answer::ok_by(referrals::accept_once(db.inner(), Caller { who: &who, ip: &addr.0 }, mode, id, site, model).await)
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
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<DeclineRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    let body = body?;
    let route = format!("POST /api/v1/referrals/{id}/decline");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::ok_by(referrals::decline_once(db.inner(), by, mode, id, &body.value.reason).await)
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
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
) -> ApiResult<Answer> {
    let who = user.0;
    let route = format!("POST /api/v1/referrals/{id}/cancel");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &Value::Null);
    Answer::ok_by(referrals::cancel_once(db.inner(), Caller { who: &who, ip: &addr.0 }, mode, id).await)
}
