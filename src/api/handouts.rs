//! Safe-sleep education, handouts, voids and follow-up calls over the API. Each write is one
//! transaction under an optional `Idempotency-Key`; the gates live in `store::handouts`.

use crate::api::answer::Answer;
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiManager, ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::education::parse_education;
use crate::error::{ApiResult, AppError};
use crate::store::audit::Caller;
use crate::store::family_view::{EducationView, HandoutView};
use crate::store::follow_ups::{self, CallOutcome, FollowUpView};
use crate::store::handouts::{self, HandoutCommand};
use crate::store::write::{Mode, WriteKey, WriteRequest};
use rocket::{get, post, State};
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

/// Record safe-sleep education for a family.
#[utoipa::path(post, path = "/api/v1/families/{id}/education", tag = "handouts", request_body = EducationRequest,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = EducationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/education", data = "<body>")]
pub async fn education(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<EducationRequest>, AppError>,
) -> ApiResult<Answer> {
    // Scope first (404), then the body.
    crate::store::families::ensure_visible(db.inner(), &user.0, id).await?;
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
    .map_err(AppError::invalid)?;
    let route = format!("POST /api/v1/families/{id}/education");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::created_by(crate::store::education::educate(db.inner(), by, mode, id, &new, req.site_id).await)
}

/// Hand out one crib for one infant.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoutRequest {
    pub family_id: i64,
    pub infant_id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    /// The lot number printed on the box.
    pub lot: Option<String>,
    /// True when the box has no lot number (recorded as such; not with `lot`). Leaving both
    /// out records that nobody said.
    pub no_lot_on_box: Option<bool>,
    /// Managers only: hand out without a passing check, with a written reason.
    pub override_reason: Option<String>,
    /// The hospital request this fulfils (its held crib is used when held at this site).
    pub referral_id: Option<i64>,
    /// A hand-out entered from paper: when it happened (RFC 3339; not in the future, not
    /// before the site had the stock), with `paper_slip`.
    pub occurred_at: Option<String>,
    /// The paper slip's number: the same slip at the same site records once.
    pub paper_slip: Option<String>,
    /// The survey's baseline, asked at the hand-out: where the baby would have slept without
    /// this crib (`own_crib`, `bassinet`, `adult_bed`, `couch_or_chair`, `car_seat_or_swing`,
    /// `other`, or `prefer_not`); leave it out when not asked.
    pub baseline_sleep: Option<String>,
}

/// Hand out a crib: gates in order scope (404) → eligibility (422 ineligible) → education
/// (422 education_required) → one per infant (409 already_received) → stock (409 out_of_stock).
#[utoipa::path(post, path = "/api/v1/handouts", tag = "handouts", request_body = HandoutRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = HandoutView), (status = 200, body = HandoutView, description = "this paper slip was already entered at this site: what it recorded"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/handouts", data = "<body>")]
pub async fn create(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<HandoutRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = &user.0;
    crate::error::forbidden_unless(who.works_with_families())?;
    let body = body?;
    let req = &body.value;
    let cmd = HandoutCommand::parse(
        who,
        req.family_id,
        req.infant_id,
        req.site_id,
        req.crib_model_id,
        req.lot.clone(),
        req.override_reason.clone(),
        req.referral_id,
    )?
    .with_no_lot_on_box(req.no_lot_on_box.unwrap_or(false))?
    .with_paper(req.occurred_at.as_deref(), req.paper_slip.as_deref())?
    .with_baseline(req.baseline_sleep.as_deref())?;
    let write = WriteRequest { key: WriteKey::Api(key.0), route: "POST /api/v1/handouts", body: &body.raw };
    let ran = handouts::hand_out_once(db.inner(), Caller { who, ip: &addr.0 }, write, &cmd).await?;
    // A paper slip already entered answers 200 with what it recorded (nothing new).
    if cmd.paper.is_some() && ran.replayed {
        return Answer::ok(&ran.value);
    }
    Answer::created(&ran.value)
}

/// A handout (staff of its site, managers).
#[utoipa::path(get, path = "/api/v1/handouts/{id}", tag = "handouts",
    params(("id" = i64, Path, description = "handout id")),
    responses((status = 200, body = HandoutView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/handouts/<id>")]
pub async fn get(user: ApiUser, db: &State<Db>, id: i64) -> ApiResult<Answer> {
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
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<VoidRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let route = format!("POST /api/v1/handouts/{id}/void");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::ok_by(handouts::void_once(db.inner(), by, mode, id, &body.value.reason).await)
}

/// Follow-ups due (by today, New York), at the caller's sites (managers: all).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "handouts",
    responses((status = 200, body = [FollowUpView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/follow-ups")]
pub async fn follow_ups_due(user: ApiUser, db: &State<Db>, addr: ClientAddr) -> ApiResult<Answer> {
    Answer::ok(&follow_ups::read_due(db.inner(), Caller { who: &user.0, ip: &addr.0 }).await?)
}

/// One follow-up call's outcome.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    pub reached: bool,
    /// When reached: the survey's answers, item → option (`crib_in_use`: yes, no, not_yet;
    /// `crib_not_used_why`: no_room, sleeps_with_me, gave_away, other; `slept_last_night`:
    /// this_crib, other_crib, adult_bed, couch_or_chair, car_seat_or_swing, other;
    /// `position`: back, side, stomach; `bed_sharing`: always, often, sometimes, rarely,
    /// never; `soft_objects`: yes, no; `smoke_in_home`: yes, no). Any item may be left out
    /// (skipped); `prefer_not` answers any of them.
    #[schema(value_type = Option<Object>)]
    pub answers: Option<std::collections::BTreeMap<String, String>>,
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
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<CallRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?;
    let req = &body.value;
    let answers = match (&req.answers, req.reached) {
        (Some(a), true) => follow_ups::answers_of(a.iter().map(|(k, v)| (k.as_str(), v.as_str())))?,
        (Some(a), false) if !a.is_empty() => {
            return Err(AppError::validation("answers", "Answers come with a call that reached the family."))
        }
        _ => Default::default(),
    };
    let outcome = CallOutcome {
        reached: req.reached,
        answers,
        note: req.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string),
    };
    let route = format!("POST /api/v1/follow-ups/{id}/calls");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    let by = Caller { who: &user.0, ip: &addr.0 };
    Answer::created_by(follow_ups::call(db.inner(), by, mode, id, &outcome).await)
}
