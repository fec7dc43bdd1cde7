//! Messages over the API (issue 21): the outbox and a retry (administrators and program
//! managers), a family's consent to e-mail and its message log (staff in scope, managers),
//! the caller's own notices, and moving a request's hold (managers; its reminders move).

use crate::api::answer::Answer;
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiManager, ApiUser, ClientAddr};
use crate::db::Db;
use crate::error::{forbidden_unless, ApiResult, AppError};
use crate::store::audit::Caller;
use crate::store::outbox::consent::{self, ConsentInput, ConsentView};
use crate::store::outbox::notices::{self, Notice};
use crate::store::outbox::views::{self, MessageView};
use crate::store::referrals::{self, ReferralView};
use crate::store::write::{Mode, WriteKey};
use chrono::NaiveDate;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The outbox, newest first (failed first when no status is given; at most 200).
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages",
    params(("status" = Option<String>, Query, description = "pending, sending, sent, failed, cancelled or suppressed")),
    responses((status = 200, body = [MessageView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/messages?<status>")]
pub async fn list(user: ApiManager, db: &State<Db>, addr: ClientAddr, status: Option<&str>) -> ApiResult<Answer> {
    Answer::ok(&views::list(db.inner(), Caller { who: &user.0, ip: &addr.0 }, status).await?)
}

/// Send a failed, suppressed or cancelled message again, now (audited as `message.retry`).
#[utoipa::path(post, path = "/api/v1/messages/{id}/retry", tag = "messages",
    params(("id" = i64, Path, description = "message id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = MessageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/messages/<id>/retry")]
pub async fn retry(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
) -> ApiResult<Answer> {
    let route = format!("POST /api/v1/messages/{id}/retry");
    let body = Value::Null;
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body);
    Answer::ok_by(views::retry_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id).await)
}

/// A family's consent to e-mail and the messages written to it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct FamilyMessages {
    /// The consent (null: never given).
    pub consent: Option<ConsentView>,
    /// The messages, newest first.
    pub messages: Vec<MessageView>,
}

/// A family's consent and message log (viewing it is audited like the family page).
#[utoipa::path(get, path = "/api/v1/families/{id}/messages", tag = "messages",
    params(("id" = i64, Path, description = "family id")),
    responses((status = 200, body = FamilyMessages), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/families/<id>/messages")]
pub async fn of_family(user: ApiUser, db: &State<Db>, addr: ClientAddr, id: i64) -> ApiResult<Answer> {
    let who = user.0;
    forbidden_unless(who.works_with_families())?;
    let by = Caller { who: &who, ip: &addr.0 };
    let id = crate::store::families::live_id(db.inner(), id).await?;
    crate::store::families::open_for(db.inner(), by, id, "GET /api/v1/families/{id}/messages").await?;
    let consent = consent::of_family(db.inner(), id).await?;
    let messages = views::of_family(db.inner(), id).await?;
    Answer::ok(&FamilyMessages { consent, messages })
}

/// Record the family's consent to e-mail (its address and the language of its messages),
/// audited as `family.consent`.
#[utoipa::path(post, path = "/api/v1/families/{id}/consent", tag = "messages", request_body = ConsentInput,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = ConsentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/consent", data = "<body>")]
pub async fn give_consent(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<ConsentInput>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/families/{id}/consent");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    Answer::ok_by(consent::give_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id, &body.value).await)
}

/// Withdraw the family's consent to e-mail (its waiting messages are suppressed at once),
/// audited as `family.consent_withdrawn`.
#[utoipa::path(post, path = "/api/v1/families/{id}/consent/withdraw", tag = "messages",
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = ConsentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/consent/withdraw")]
pub async fn withdraw_consent(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
) -> ApiResult<Answer> {
    let route = format!("POST /api/v1/families/{id}/consent/withdraw");
    let body = Value::Null;
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body);
    Answer::ok_by(consent::withdraw_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id).await)
}

/// The caller's notices, each on or off.
#[utoipa::path(get, path = "/api/v1/account/notices", tag = "messages",
    responses((status = 200, body = [Notice]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/account/notices")]
pub async fn my_notices(user: ApiUser, db: &State<Db>, addr: ClientAddr) -> ApiResult<Answer> {
    Answer::ok(&notices::of_user(db.inner().pool(), Caller { who: &user.0, ip: &addr.0 }).await?)
}

/// Which notices to turn off (every other one of the caller's role is on).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticesInput {
    pub off: Vec<String>,
}

/// Set the caller's notices (audited as `account.notices`).
#[utoipa::path(post, path = "/api/v1/account/notices", tag = "messages", request_body = NoticesInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = [Notice]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/account/notices", data = "<body>")]
pub async fn set_notices(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<NoticesInput>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let mode = Mode::write(WriteKey::Api(key.0), "POST /api/v1/account/notices", &body.raw);
    Answer::ok_by(notices::set_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, &body.value.off).await)
}

/// The new last day of a hold.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    /// The last day the crib is held (from today to 60 days ahead).
    pub until: NaiveDate,
}

/// Move the end of a request's hold (managers); its reminders move with it.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/hold", tag = "referrals", request_body = HoldInput,
    params(("id" = i64, Path, description = "referral id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = ReferralView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/referrals/<id>/hold", data = "<body>")]
pub async fn move_hold(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<HoldInput>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/referrals/{id}/hold");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let until = body.value.until;
    Answer::ok_by(referrals::move_hold_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id, until).await)
}
