//! The family record over time, over the API (issue 19): corrections with a reason (each a
//! version), a baby added or its birth recorded, the history, a manager's merge, and the
//! "different babies" decision that lets a hand-out go ahead. The store does each in one
//! write (`store::corrections`, `store::family_merge`, `store::infant_matches`).

use crate::api::answer::Answer;
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiManager, ApiUser, ClientAddr};
use crate::db::Db;
use crate::error::{ApiResult, AppError};
use crate::store::audit::Caller;
use crate::store::corrections::{self, Change, InfantAdded, InfantChange, VersionView};
use crate::store::erasure::{self, Erased};
use crate::store::export::{self, FamilyExport};
use crate::store::family_merge::{self, MergeDone};
use crate::store::infant_matches::{self, NotSame};
use crate::store::write::{Mode, WriteKey};
use rocket::{get, patch, post, State};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Correct a family's details: the fields of `POST /api/v1/families` to change (not
/// `infants`), a `reason`, and `confirm_past_decisions: true` when the change touches facts a
/// stored eligibility check used (else 409 saying which). Answers the change made.
#[utoipa::path(patch, path = "/api/v1/families/{id}", tag = "families", request_body = Object,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = Change), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/v1/families/<id>", data = "<body>")]
pub async fn correct_family(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<Map<String, Value>>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("PATCH /api/v1/families/{id}");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::ok_by(corrections::correct_family_once(db.inner(), by, mode, id, &body.value).await)
}

/// Add a baby to a family (a returning family's new baby), with a `reason`.
#[utoipa::path(post, path = "/api/v1/families/{id}/infants", tag = "families", request_body = InfantChange,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = InfantAdded), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/infants", data = "<body>")]
pub async fn add_infant(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<InfantChange>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/families/{id}/infants");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::created_by(corrections::add_infant_once(db.inner(), by, mode, id, &body.value).await)
}

/// Correct a baby or record its birth (`date_of_birth` for a baby registered by due
/// date), name, weight, with a `reason`; `confirm_past_decisions` as for a family.
#[utoipa::path(patch, path = "/api/v1/infants/{id}", tag = "families", request_body = InfantChange,
    params(("id" = i64, Path, description = "infant id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = Change), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/v1/infants/<id>", data = "<body>")]
pub async fn correct_infant(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<InfantChange>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("PATCH /api/v1/infants/{id}");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::ok_by(corrections::correct_infant_once(db.inner(), by, mode, id, &body.value).await)
}

/// The record's versions, newest first.
#[utoipa::path(get, path = "/api/v1/families/{id}/history", tag = "families",
    params(("id" = i64, Path, description = "family id")),
    responses((status = 200, body = Vec<VersionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/families/<id>/history")]
pub async fn history(user: ApiUser, db: &State<Db>, addr: ClientAddr, id: i64) -> ApiResult<Answer> {
    Answer::ok(&corrections::history(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?)
}

/// Which record to merge into this one, and why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub other_family_id: i64,
    pub reason: String,
    /// The fields whose value the other record has right (e.g. `caregiver.phone`); the rest
    /// keep this record's values.
    #[serde(default)]
    pub use_other: Vec<String>,
}

/// Merge another record of the same family into this one (managers). Afterwards
/// `GET /api/v1/families/{other}` answers with this family.
#[utoipa::path(post, path = "/api/v1/families/{id}/merge", tag = "families", request_body = MergeRequest,
    params(("id" = i64, Path, description = "the record that remains"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = MergeDone), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/merge", data = "<body>")]
pub async fn merge(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<MergeRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/families/{id}/merge");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    let other = body.value.other_family_id;
    let (reason, use_other) = (&body.value.reason, &body.value.use_other);
    Answer::ok_by(family_merge::merge_once(db.inner(), by, mode, id, other, reason, use_other).await)
}

/// Two babies said to be different, and why.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotSameRequest {
    pub other_infant_id: i64,
    pub reason: String,
}

/// Say that a baby is not the same as a baby on another record that looked like it (same
/// dates, a caregiver that matches): the hand-out that waited for this goes ahead.
#[utoipa::path(post, path = "/api/v1/infants/{id}/not-same", tag = "families", request_body = NotSameRequest,
    params(("id" = i64, Path, description = "infant id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = NotSame), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/infants/<id>/not-same", data = "<body>")]
pub async fn not_same(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<NotSameRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/infants/{id}/not-same");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    let (other, reason) = (body.value.other_infant_id, body.value.reason.as_str());
    Answer::ok_by(infant_matches::not_same_once(db.inner(), by, mode, id, other, reason).await)
}

/// Everything held about a family (managers): the family's own request, or a hospital's.
#[utoipa::path(get, path = "/api/v1/families/{id}/export", tag = "families",
    params(("id" = i64, Path, description = "family id")),
    responses((status = 200, body = FamilyExport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/families/<id>/export")]
pub async fn export_family(user: ApiManager, db: &State<Db>, addr: ClientAddr, id: i64) -> ApiResult<Answer> {
    Answer::ok(&export::export(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?)
}

/// Why a family's data are erased.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    pub reason: String,
}

/// Erase a family's identifying data on request (managers): names, contact, street
/// address, exact birth dates, income and free text go; ids, neighborhood, categories,
/// dates and counts stay, so reports and the ledger keep their totals.
#[utoipa::path(post, path = "/api/v1/families/{id}/erase", tag = "families", request_body = EraseRequest,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = Erased), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/erase", data = "<body>")]
pub async fn erase_family(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<EraseRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/families/{id}/erase");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::ok_by(erasure::erase_once(db.inner(), by, mode, id, &body.value.reason).await)
}
