//! Stock over the API: receipts, transfers, adjustments, counts, thresholds, the ledger.
//! Every write runs in one transaction under an optional `Idempotency-Key`.

use crate::api::answer::Answer;
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiManager, ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::states::TransferStatus;
use crate::domain::stock::{
    check_transfer_sites, checked_count, checked_delta, AdjustmentReason, Quantity, LOT_MAX_CHARS, NOTE_MAX_CHARS,
};
use crate::error::{optional_text, Problems};
use crate::error::{ApiResult, AppError};
use crate::store::audit::Caller;
use crate::store::stock_ops::{self, MovementFilter, MovementResult, MovementView, TransferView};
use crate::store::write::{Mode, WriteKey};
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};

/// A restock.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    pub crib_model_id: i64,
    pub quantity: i64,
    pub lot: Option<String>,
    pub note: Option<String>,
}

/// A transfer between sites.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub from_site_id: i64,
    pub to_site_id: i64,
    pub crib_model_id: i64,
    pub quantity: i64,
    pub lot: Option<String>,
}

/// A manual adjustment.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    pub crib_model_id: i64,
    pub delta: i64,
    /// damaged, lost, recalled, found or other
    pub reason: String,
    pub note: Option<String>,
}

/// A physical count.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRequest {
    pub crib_model_id: i64,
    pub counted: i64,
}

/// A low-stock threshold.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRequest {
    pub crib_model_id: i64,
    pub low_stock_threshold: i64,
}

/// Query parameters of the ledger.
#[derive(rocket::FromForm)]
pub struct MovementQuery {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub kind: Option<String>,
    pub crib_model_id: Option<i64>,
    pub lot: Option<String>,
}

/// A page of the ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MovementPage {
    pub items: Vec<MovementView>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// Restock a site.
#[utoipa::path(post, path = "/api/v1/sites/{id}/receipts", tag = "stock", request_body = ReceiptRequest,
    params(("id" = i64, Path, description = "site id", example = 1), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = MovementResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/sites/<id>/receipts", data = "<body>")]
pub async fn receipt(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<ReceiptRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let who = user.0;
    let req = &body.value;
    let mut p = Problems::default();
    let qty = p.take("quantity", Quantity::new(req.quantity));
    let lot = optional_text(&mut p, "lot", req.lot.clone(), LOT_MAX_CHARS);
    let note = optional_text(&mut p, "note", req.note.clone(), NOTE_MAX_CHARS);
    p.finish()?;
    let qty = qty.ok_or_else(|| AppError::validation("quantity", "required"))?.get();
    stock_ops::existing_site(db.inner(), id).await?;
    stock_ops::existing_model(db.inner(), req.crib_model_id, "crib_model_id").await?;
    let route = format!("POST /api/v1/sites/{id}/receipts");
    let model = req.crib_model_id;
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::created_by(stock_ops::restock(db.inner(), by, mode, id, model, qty, lot, note).await)
}

/// Move cribs from one site to another; they leave the source at once.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "stock", request_body = TransferRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = TransferView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/transfers", data = "<body>")]
pub async fn create_transfer(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<TransferRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let who = user.0;
    let req = &body.value;
    let mut p = Problems::default();
    let qty = p.take("quantity", Quantity::new(req.quantity));
    let lot = optional_text(&mut p, "lot", req.lot.clone(), LOT_MAX_CHARS);
    if let Err(e) = check_transfer_sites(req.from_site_id, req.to_site_id) {
        p.add("to_site_id", e);
    }
    for (field, site) in [("from_site_id", req.from_site_id), ("to_site_id", req.to_site_id)] {
        if crate::store::reference::site(db.inner(), site).await?.is_none() {
            p.add(field, format!("There is no site with id {site}."));
        }
    }
    if crate::store::stock_ops::existing_model(db.inner(), req.crib_model_id, "crib_model_id").await.is_err() {
        p.add("crib_model_id", format!("There is no crib model with id {}.", req.crib_model_id));
    }
    p.finish()?;
    let qty = qty.ok_or_else(|| AppError::validation("quantity", "required"))?.get();
    let (from, to, model) = (req.from_site_id, req.to_site_id, req.crib_model_id);
    let mode = Mode::write(WriteKey::Api(key.0), "POST /api/v1/transfers", &body.raw);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::created_by(stock_ops::transfer(db.inner(), by, mode, from, to, model, qty, lot).await)
}

async fn close(
    who: crate::domain::actor::Actor,
    db: &Db,
    addr: &ClientAddr,
    key: IdempotencyKey,
    id: i64,
    receive: bool,
) -> ApiResult<Answer> {
    let route = format!("POST /api/v1/transfers/{id}/{}", if receive { "receive" } else { "cancel" });
    let mode = Mode::write(WriteKey::Api(key.0), &route, &serde_json::Value::Null);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::ok_by(stock_ops::finish_transfer(db, by, mode, id, receive).await)
}

/// Receive an in-transit transfer at its destination (managers, staff of the receiving site).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/receive", tag = "stock",
    params(("id" = i64, Path, description = "transfer id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = TransferView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/transfers/<id>/receive")]
pub async fn receive_transfer(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
) -> ApiResult<Answer> {
    close(user.0, db.inner(), &addr, key, id, true).await
}

/// Cancel an in-transit transfer: the cribs go back to the source (managers).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/cancel", tag = "stock",
    params(("id" = i64, Path, description = "transfer id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = TransferView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/transfers/<id>/cancel")]
pub async fn cancel_transfer(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
) -> ApiResult<Answer> {
    close(user.0, db.inner(), &addr, key, id, false).await
}

/// Transfers, newest first (managers: all; staff: their sites').
#[utoipa::path(get, path = "/api/v1/transfers", tag = "stock",
    params(("status" = Option<String>, Query, description = "in_transit, received or cancelled")),
    responses((status = 200, body = [TransferView]), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/transfers?<status>")]
pub async fn list_transfers(user: ApiUser, db: &State<Db>, status: Option<&str>) -> ApiResult<Answer> {
    let who = user.0;
    if let Some(s) = status {
        if TransferStatus::parse(s).is_none() {
            return Err(AppError::validation("status", "The status must be in_transit, received or cancelled."));
        }
    }
    Answer::ok(&stock_ops::transfers(db.inner(), who.site_scope(), status).await?)
}

/// Adjust stock by hand, with a reason; never below what is reserved.
#[utoipa::path(post, path = "/api/v1/sites/{id}/adjustments", tag = "stock", request_body = AdjustmentRequest,
    params(("id" = i64, Path, description = "site id", example = 1), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = MovementResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/sites/<id>/adjustments", data = "<body>")]
pub async fn adjustment(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<AdjustmentRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let who = user.0;
    let req = &body.value;
    let mut p = Problems::default();
    let delta = p.take("delta", checked_delta(req.delta));
    let reason = p.take("reason", AdjustmentReason::parse(&req.reason));
    let note = optional_text(&mut p, "note", req.note.clone(), NOTE_MAX_CHARS);
    if let Some(Err(e)) = reason.map(|r| r.check_note(note.as_deref())) {
        p.add("note", e);
    }
    p.finish()?;
    let (Some(delta), Some(reason)) = (delta, reason) else {
        return Err(AppError::validation("delta", "required"));
    };
    stock_ops::existing_site(db.inner(), id).await?;
    stock_ops::existing_model(db.inner(), req.crib_model_id, "crib_model_id").await?;
    let route = format!("POST /api/v1/sites/{id}/adjustments");
    let model = req.crib_model_id;
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::created_by(stock_ops::adjust_once(db.inner(), by, mode, id, model, delta, reason, note).await)
}

/// Record a physical count; writes the correction movement.
#[utoipa::path(post, path = "/api/v1/sites/{id}/counts", tag = "stock", request_body = CountRequest,
    params(("id" = i64, Path, description = "site id", example = 1), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = MovementResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/sites/<id>/counts", data = "<body>")]
pub async fn count(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<CountRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    if !who.can_act_at(id) {
        return Err(AppError::NotFound);
    }
    let body = body?;
    let req = &body.value;
    let counted = checked_count(req.counted).map_err(|e| AppError::validation("counted", e))?;
    stock_ops::existing_site(db.inner(), id).await?;
    stock_ops::existing_model(db.inner(), req.crib_model_id, "crib_model_id").await?;
    let route = format!("POST /api/v1/sites/{id}/counts");
    let model = req.crib_model_id;
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::created_by(stock_ops::count_once(db.inner(), by, mode, id, model, counted).await)
}

/// Set a site's low-stock threshold for a model (managers).
#[utoipa::path(post, path = "/api/v1/sites/{id}/thresholds", tag = "stock", request_body = ThresholdRequest,
    params(("id" = i64, Path, description = "site id", example = 1)),
    responses((status = 200, body = crate::store::stock_ops::BalanceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/sites/<id>/thresholds", data = "<body>")]
pub async fn threshold(
    user: ApiManager,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<ThresholdRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let who = user.0;
    let req = &body.value;
    if !(0..=10_000).contains(&req.low_stock_threshold) {
        return Err(AppError::validation(
            "low_stock_threshold",
            "The threshold must be a whole number from 0 to 10000.",
        ));
    }
    let threshold = req.low_stock_threshold as i32;
    stock_ops::existing_site(db.inner(), id).await?;
    stock_ops::existing_model(db.inner(), req.crib_model_id, "crib_model_id").await?;
    let route = format!("POST /api/v1/sites/{id}/thresholds");
    let model = req.crib_model_id;
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &who, ip: &addr.0 };
    Answer::ok_by(stock_ops::threshold_once(db.inner(), by, mode, id, model, threshold).await)
}

/// A site's ledger, newest first, paginated (managers, staff of the site).
#[utoipa::path(get, path = "/api/v1/sites/{id}/movements", tag = "stock",
    params(("id" = i64, Path, description = "site id", example = 1), ("page" = Option<u64>, Query, description = "from 1"),
        ("per_page" = Option<u64>, Query, description = "1..500, default 50"), ("kind" = Option<String>, Query, description = "movement kind"),
        ("crib_model_id" = Option<i64>, Query, description = "model"), ("lot" = Option<String>, Query, description = "lot")),
    responses((status = 200, body = MovementPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/sites/<id>/movements?<q..>")]
pub async fn movements(user: ApiUser, db: &State<Db>, id: i64, q: MovementQuery) -> ApiResult<Answer> {
    let MovementQuery { page, per_page, kind, crib_model_id, lot } = q;
    let who = user.0;
    if !who.can_act_at(id) {
        return Err(AppError::NotFound);
    }
    stock_ops::existing_site(db.inner(), id).await?;
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(50);
    let mut p = Problems::default();
    if !(1..=1_000_000).contains(&page) {
        p.add("page", "The page must be from 1 to 1000000.");
    }
    if !(1..=500).contains(&per_page) {
        p.add("per_page", "per_page must be from 1 to 500.");
    }
    p.finish()?;
    let filter = MovementFilter { kind, crib_model_id, lot, ..Default::default() };
    let (items, total) = stock_ops::movements(db.inner(), id, &filter, page, per_page).await?;
    Answer::ok(&MovementPage { items, page, per_page, total })
}
