//! Hospital systems over the API (administrators, issue 22): register a system for a
//! hospital with its public key set and allowed scopes, list them, revoke one. The rules
//! and the audit rows are `store::fhir_clients`'.

use crate::api::answer::Answer;
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::error::{ApiResult, AppError};
use crate::store::audit::Caller;
use crate::store::fhir_clients::{self, ClientView, NewClient};
use crate::store::write::{Mode, WriteKey};
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde_json::Value;

/// Register a hospital's system (administrators): it signs in with SMART Backend Services
/// as `client_id`, with a key of `jwks`, and acts as a nurse of its hospital.
#[utoipa::path(post, path = "/api/v1/fhir-clients", tag = "accounts", request_body = NewClient,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = ClientView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/fhir-clients", data = "<body>")]
pub async fn register(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<NewClient>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let mode = Mode::write(WriteKey::Api(key.0), "POST /api/v1/fhir-clients", &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::created_by(fhir_clients::register_once(db.inner(), by, mode, &body.value).await)
}

/// Every registered hospital system (administrators).
#[utoipa::path(get, path = "/api/v1/fhir-clients", tag = "accounts",
    responses((status = 200, body = Vec<ClientView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/fhir-clients")]
pub async fn list(user: ApiUser, db: &State<Db>) -> ApiResult<Json<Vec<ClientView>>> {
    Ok(Json(fhir_clients::list(db.inner(), &user.0).await?))
}

/// Revoke a hospital system (administrators): its tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/fhir-clients/{id}/revoke", tag = "accounts",
    params(("id" = i64, Path, description = "the registration's id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = ClientView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/fhir-clients/<id>/revoke")]
pub async fn revoke(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
) -> ApiResult<Answer> {
    let route = format!("POST /api/v1/fhir-clients/{id}/revoke");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &Value::Null);
    Answer::ok_by(fhir_clients::revoke_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id).await)
}
