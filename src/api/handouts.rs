//! Safe-sleep education, handouts, voids and follow-up calls over the API. Each write is one
//! transaction under an optional `Idempotency-Key`; the gates live in `store::handouts`.

use crate::api::answer::{run_write, run_write_prepared_in, Answer, WriteKey};
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::families::{home_site, require_family_worker};
use crate::api::openapi::ErrorBody;
use crate::api::validate::{optional_text, Problems};
use crate::auth::guards::{ApiManager, ApiUser, ClientAddr, Identity};
use crate::domain::education::parse_education;
use crate::error::{ApiResult, AppError};
use crate::store::audit::{self, AuditEntry};
use crate::store::family_view::{self, EducationView, HandoutView};
use crate::store::follow_ups::{self, CallOutcome, FollowUpView};
use crate::store::handouts::{self, HandoutCommand};
use rocket::{get, post, State};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

/// A safe-sleep education session.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EducationRequest {
    /// RFC 3339 timestamp; defaults to now.
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// site, home_visit, hospital_discharge or video
    pub mode: String,
    pub language: String,
    /// Must include alone, back, crib, no_smoking.
    pub topics: Vec<String>,
    /// The caregiver's typed full name.
    pub caregiver_attestation: String,
    /// Where it was given (a site in the caller's scope); defaults to the caller's site.
    pub site_id: Option<i64>,
}

fn to_validation(p: Vec<(String, String)>) -> AppError {
    let mut probs = Problems::default();
    for (f, m) in p {
        probs.add(&f, m);
    }
    probs.finish().err().unwrap_or(AppError::validation("body", "invalid"))
}

/// Record safe-sleep education for a family.
#[utoipa::path(post, path = "/api/v1/families/{id}/education", tag = "handouts", request_body = EducationRequest,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = EducationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/education", data = "<body>")]
pub async fn education(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<EducationRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    if !family_view::may_view(db.inner(), &who, id).await? {
        return Err(AppError::NotFound);
    }
    crate::store::families::get(db.inner(), id).await?;
    let body = body?;
    let req = &body.value;
    let new = parse_education(
        req.delivered_at,
        &req.mode,
        &req.language,
        &req.topics,
        &req.caregiver_attestation,
        crate::clock::now(),
    )
    .map_err(to_validation)?;
    let site_id = match req.site_id {
        Some(s) if who.can_act_at(s) || who.hospital_id() == Some(s) => Some(s),
        Some(_) => return Err(AppError::validation("site_id", "Record education only for a site you work at.")),
        None => home_site(&who).or(who.hospital_id()),
    };
    let route = format!("POST /api/v1/families/{id}/education");
    run_write(db.inner(), who.user.id, key.0, &route, &body.raw, |txn| async {
        let r = async {
            let row = crate::store::education::record(&txn, id, &new, who.user.id, site_id).await?;
            audit::record(
                &txn,
                Some(&who),
                Some(&addr.0),
                AuditEntry {
                    action: "education.record",
                    entity: "family",
                    entity_id: Some(id),
                    detail: Some(format!("session {} ({})", row.id, row.mode)),
                },
            )
            .await?;
            Answer::created(&EducationView::from(row))
        }
        .await;
        (txn, r)
    })
    .await
}

/// Hand out one crib for one infant.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoutRequest {
    pub family_id: i64,
    pub infant_id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    pub lot: Option<String>,
    /// Managers only: hand out without a passing check, with a written reason.
    pub override_reason: Option<String>,
    /// The hospital request this fulfils (its held crib is used when held at this site).
    pub referral_id: Option<i64>,
}

/// Hand out a crib: gates in order scope (404) → eligibility (422 ineligible) → education
/// (422 education_required) → one per infant (409 already_received) → stock (409 out_of_stock).
#[utoipa::path(post, path = "/api/v1/handouts", tag = "handouts", request_body = HandoutRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = HandoutView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/handouts", data = "<body>")]
pub async fn create(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<HandoutRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    require_family_worker(&who)?;
    let body = body?;
    let req = &body.value;
    let mut p = Problems::default();
    let lot = optional_text(&mut p, "lot", req.lot.clone(), 100);
    let override_reason = optional_text(&mut p, "override_reason", req.override_reason.clone(), 500);
    if override_reason.is_some() && !who.is_manager() {
        p.add("override_reason", "Only a program manager can hand out without a passing eligibility check.");
    }
    p.finish()?;
    let cmd = HandoutCommand {
        family_id: req.family_id,
        infant_id: req.infant_id,
        site_id: req.site_id,
        crib_model_id: req.crib_model_id,
        lot,
        override_reason,
        referral_id: req.referral_id,
    };
    run_handout(db.inner(), &who, &addr.0, WriteKey::Api(key.0), "POST /api/v1/handouts", &body.raw, &cmd).await
}

/// Plan and write a handout under a key (the API's and the page form's one way): the
/// gates on the pool, then the write in the transaction `handouts::begin` chooses.
pub async fn run_handout(
    db: &DatabaseConnection,
    who: &Identity,
    ip: &str,
    key: WriteKey<'_>,
    route: &str,
    body: &serde_json::Value,
    cmd: &HandoutCommand,
) -> Result<Answer, AppError> {
    let prepare = || handouts::plan(db, who, cmd);
    let begin = |plan: &handouts::HandoutPlan, keeps_answer: bool| handouts::begin(db, plan, keeps_answer);
    let mut tries = 0;
    loop {
        tries += 1;
        let answer =
            run_write_prepared_in(db, who.user.id, key.clone(), route, body, prepare, begin, |write, plan| async {
                let (write, r) = handouts::record_in(write, who, ip, plan).await;
                (write, r.and_then(|h| Answer::created(&h)))
            })
            .await;
        // NOTE: the whole write was rolled back; the next try draws a new receipt number.
        match answer {
            Err(AppError::ReceiptTaken) if tries < RECEIPT_TRIES => continue,
            answer => return answer,
        }
    }
}

/// How many receipt numbers a handout draws before it answers 503 (at 20,000 handouts in
/// a day a draw collides about 2 times in 10^5, two in a row about 4 times in 10^10).
const RECEIPT_TRIES: u32 = 3;

/// A handout (staff of its site, managers).
#[utoipa::path(get, path = "/api/v1/handouts/{id}", tag = "handouts",
    params(("id" = i64, Path, description = "handout id")),
    responses((status = 200, body = HandoutView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/handouts/<id>")]
pub async fn get(user: ApiUser, db: &State<DatabaseConnection>, id: i64) -> ApiResult<Answer> {
    let h = handouts::get(db.inner(), id).await?;
    if !user.0.can_act_at(h.site_id) {
        return Err(AppError::NotFound);
    }
    Answer::ok(&HandoutView::from(h))
}

/// Why a handout is voided.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    pub reason: String,
}

/// Void a handout (managers): the crib returns to stock through a reversing movement.
#[utoipa::path(post, path = "/api/v1/handouts/{id}/void", tag = "handouts", request_body = VoidRequest,
    params(("id" = i64, Path, description = "handout id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 200, body = HandoutView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/handouts/<id>/void", data = "<body>")]
pub async fn void(
    user: ApiManager,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<VoidRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    let body = body?;
    let reason = body.value.reason.trim().to_string();
    if reason.chars().count() < 3 || reason.chars().count() > 500 {
        return Err(AppError::validation("reason", "Say why the handout is voided (3 to 500 characters)."));
    }
    let route = format!("POST /api/v1/handouts/{id}/void");
    run_write(db.inner(), who.user.id, key.0, &route, &body.raw, |txn| async {
        let r = handouts::void(&txn, &who, &addr.0, id, &reason).await.and_then(|h| Answer::ok(&h));
        (txn, r)
    })
    .await
}

/// Follow-ups due (by today, New York), at the caller's sites (managers: all).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "handouts",
    responses((status = 200, body = [FollowUpView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/follow-ups")]
pub async fn follow_ups_due(user: ApiUser, db: &State<DatabaseConnection>) -> ApiResult<Answer> {
    let who = user.0;
    require_family_worker(&who)?;
    let scope = if who.is_manager() { None } else { Some(who.site_ids.clone()) };
    Answer::ok(&follow_ups::due(db.inner(), scope.as_deref(), crate::clock::today()).await?)
}

/// One follow-up call's outcome.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    pub reached: bool,
    pub crib_in_use: Option<bool>,
    pub sleeps_alone: Option<bool>,
    pub sleeps_on_back: Option<bool>,
    pub sleeps_in_crib: Option<bool>,
    pub note: Option<String>,
}

/// Record a follow-up call; the third unanswered attempt closes it as lost to follow-up.
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/calls", tag = "handouts", request_body = CallRequest,
    params(("id" = i64, Path, description = "follow-up id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = FollowUpView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/follow-ups/<id>/calls", data = "<body>")]
pub async fn record_call(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<CallRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    require_family_worker(&who)?;
    let body = body?;
    let req = &body.value;
    let mut p = Problems::default();
    let note = optional_text(&mut p, "note", req.note.clone(), 500);
    p.finish()?;
    let outcome = CallOutcome {
        reached: req.reached,
        crib_in_use: req.crib_in_use,
        sleeps_alone: req.sleeps_alone,
        sleeps_on_back: req.sleeps_on_back,
        sleeps_in_crib: req.sleeps_in_crib,
        note,
    };
    let route = format!("POST /api/v1/follow-ups/{id}/calls");
    run_write(db.inner(), who.user.id, key.0, &route, &body.raw, |txn| async {
        let r = async {
            let v = follow_ups::record_call(&txn, &who, id, &outcome).await?;
            audit::record(
                &txn,
                Some(&who),
                Some(&addr.0),
                AuditEntry {
                    action: "follow_up.call",
                    entity: "follow_up",
                    entity_id: Some(id),
                    detail: Some(v.status.clone()),
                },
            )
            .await?;
            Answer::created(&v)
        }
        .await;
        (txn, r)
    })
    .await
}
