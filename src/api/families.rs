//! Families and eligibility over the API: register, search, read (audited), stored checks
//! and previews. A JSON body becomes the same `NewFamily` a form does (`domain::family`).

use crate::api::answer::Answer;
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::family::{parse_family, FamilyInput};
use crate::error::{ApiResult, AppError};
use crate::store::audit::Caller;
use crate::store::eligibility::{self, CheckView};
use crate::store::families::{self, CreatedFamily, FamilySummary};
use crate::store::family_view;
use crate::store::write::{Mode, WriteKey};
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};

/// Register a family with its infants.
#[utoipa::path(post, path = "/api/v1/families", tag = "families", request_body = FamilyInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = CreatedFamily), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "possible duplicates: resend with confirm_not_duplicate"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families", data = "<body>")]
pub async fn create(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<FamilyInput>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    crate::error::forbidden_unless(who.works_with_families())?;
    let body = body?;
    let new = parse_family(&body.value, crate::clock::today()).map_err(AppError::invalid)?;
    let confirm = body.value.confirm_not_duplicate;
    let mode = Mode::write(WriteKey::Api(key.0), "POST /api/v1/families", &body.raw);
    Answer::created_by(families::register(db.inner(), Caller { who: &who, ip: &addr.0 }, mode, &new, confirm).await)
}

/// Search families by name, phone or date of birth (caregiver's or baby's).
#[utoipa::path(get, path = "/api/v1/families", tag = "families",
    params(("q" = String, Query, description = "a name, a phone number, or a date YYYY-MM-DD")),
    responses((status = 200, body = [FamilySummary]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/families?<q>")]
pub async fn search(user: ApiUser, db: &State<Db>, addr: ClientAddr, q: Option<&str>) -> ApiResult<Answer> {
    let found = families::find(db.inner(), Caller { who: &user.0, ip: &addr.0 }, q.unwrap_or("")).await?;
    Answer::ok(&found)
}

/// A family with infants, checks, education and handouts (every view is audited).
#[utoipa::path(get, path = "/api/v1/families/{id}", tag = "families",
    params(("id" = i64, Path, description = "family id")),
    responses((status = 200, body = family_view::FamilyDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/families/<id>")]
pub async fn detail(user: ApiUser, db: &State<Db>, addr: ClientAddr, id: i64) -> ApiResult<Answer> {
    Answer::ok(&families::view(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?)
}

/// Why a family is checked in at one of the caller's sites.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInHereRequest {
    /// One of the caller's sites (default: their first).
    pub site_id: Option<i64>,
    /// Why (5..500 characters), kept in the audit trail.
    pub reason: String,
}

/// Check a family registered elsewhere in at one of the caller's sites, with a reason
/// (audited): from then on its whole record opens there.
#[utoipa::path(post, path = "/api/v1/families/{id}/check-in-here", tag = "families", request_body = CheckInHereRequest,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = families::CheckedInHere), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/check-in-here", data = "<body>")]
pub async fn check_in_here(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<CheckInHereRequest>, AppError>,
) -> ApiResult<Answer> {
    crate::error::forbidden_unless(user.0.works_with_families())?;
    let body = body?;
    let route = format!("POST /api/v1/families/{id}/check-in-here");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::created_by(families::check_in_here(db.inner(), by, mode, id, body.value.site_id, &body.value.reason).await)
}

/// Which infant to check.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Required when the family has more than one infant.
    pub infant_id: Option<i64>,
    /// The day the check is for (default today): a paper hand-out's day, checked under
    /// the policy in force then (at most 90 days back, not in the future).
    pub on: Option<chrono::NaiveDate>,
}

/// Run and store an eligibility check under the policy in force today.
#[utoipa::path(post, path = "/api/v1/families/{id}/eligibility-checks", tag = "eligibility", request_body = CheckRequest,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = CheckView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/eligibility-checks", data = "<body>")]
pub async fn check(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<CheckRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/families/{id}/eligibility-checks");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::created_by(eligibility::check(db.inner(), by, mode, id, body.value.infant_id, body.value.on).await)
}

/// The preview's answer: the check of the first infant.
#[derive(Serialize)]
struct PreviewAnswer {
    #[serde(flatten)]
    check: CheckView,
}

/// Evaluate a family's first infant without storing anything.
#[utoipa::path(post, path = "/api/v1/eligibility/preview", tag = "eligibility", request_body = FamilyInput,
    responses((status = 200, body = CheckView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/eligibility/preview", data = "<body>")]
pub async fn preview(
    user: ApiUser,
    db: &State<Db>,
    body: Result<JsonBody<FamilyInput>, AppError>,
) -> ApiResult<Answer> {
    let _who = user.0;
    let body = body?;
    let today = crate::clock::today();
    let new = parse_family(&body.value, today).map_err(AppError::invalid)?;
    let check = eligibility::preview_new(db.inner(), &new, today).await?;
    Answer::ok(&PreviewAnswer { check })
}
