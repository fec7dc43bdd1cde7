//! The Task of each hospital request (issue 22), after the Gravity SDOH Clinical Care
//! referral-management Task: what became of the request, for a hospital's system to poll.
//! `GET /fhir/r4/Task/<id>` (the request's id, also `_history/<version>`),
//! `GET /fhir/r4/Task?…` (`super::search`; `_include=Task:focus` and `Task:output`), and
//! `PUT /fhir/r4/Task/<id>` by which the hospital cancels (status `cancelled`; `If-Match`
//! honoured, 412 on a stale version; any other change 409), for the nurses and system of
//! the request's hospital and the program's managers, like the ServiceRequest it is
//! `focus`ed on.
//!
//! The program's states as Task statuses: waiting → `requested`; a crib held at a site →
//! `accepted` (where and until when in `businessStatus`); handed out → `completed` (the
//! hand-out's date and site in `output`); declined → `rejected`, cancelled → `cancelled`,
//! the hold lapsed → `failed`, each with its `statusReason`. `businessStatus` carries the
//! program's own state as a code of its own system with the words people read.

use super::outcome::{FhirAnswer, FhirError};
use super::resources;
use super::search::{self as find, Params};
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::smart::Interaction;
use crate::domain::states::ReferralStatus;
use crate::entity::{referral, user};
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::referrals;
use crate::store::write::{Mode, WriteKey};
use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use rocket::{get, put, State};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{json, Value};

/// The system of the program's own request states (`businessStatus`).
pub const STATE_SYSTEM: &str = "https://cribs.example.org/fhir/CodeSystem/request-state";
pub use super::intake::ID_SYSTEM;

/// The Task status of a request's state.
pub fn task_status(state: &str) -> &'static str {
    match ReferralStatus::parse(state) {
        Some(ReferralStatus::Submitted) => "requested",
        Some(ReferralStatus::Reserved) => "accepted",
        Some(ReferralStatus::Fulfilled) => "completed",
        Some(ReferralStatus::Declined) => "rejected",
        Some(ReferralStatus::Cancelled) => "cancelled",
        Some(ReferralStatus::Expired) => "failed",
        None => "requested",
    }
}

/// Who closed a request, in words for the hospital ("by Mercy's system", "by the program").
async fn closed_by(db: &impl ConnectionTrait, r: &referral::Model) -> Result<String, AppError> {
    let Some(id) = r.closed_by else { return Ok(String::new()) };
    let Some(u) = user::Entity::find_by_id(id).one(db).await? else { return Ok(String::new()) };
    Ok(if u.hospital_site_id == Some(r.hospital_site_id) {
        format!(" by {}", u.display_name)
    } else {
        " by the crib program".to_string()
    })
}

/// A request as a Task.
pub async fn to_task(db: &impl ConnectionTrait, r: &referral::Model) -> Result<Value, AppError> {
    let mut location = None;
    let (words, reason) = match ReferralStatus::parse(&r.status) {
        Some(ReferralStatus::Submitted) => ("Waiting for the program to hold a crib".to_string(), None),
        Some(ReferralStatus::Reserved) => {
            let at = match r.reserved_site_id {
                Some(id) => resources::site_name(db, id).await?,
                None => None,
            }
            .unwrap_or_else(|| "a distribution site".into());
            let until = r.reserved_until.map(|d| format!(" until {d}")).unwrap_or_default();
            location = Some(at.clone());
            (format!("A crib is held at {at}{until}"), None)
        }
        Some(ReferralStatus::Fulfilled) => ("The crib was handed out".to_string(), None),
        Some(ReferralStatus::Declined) => (
            "Declined".to_string(),
            Some(r.decline_reason.clone().unwrap_or_else(|| "Declined by the program.".into())),
        ),
        Some(ReferralStatus::Cancelled) => {
            ("Cancelled".to_string(), Some(format!("The request was cancelled{}.", closed_by(db, r).await?)))
        }
        Some(ReferralStatus::Expired) => (
            "The hold ended".to_string(),
            Some("The crib's hold ended before it was picked up; the crib went back to the shelf.".to_string()),
        ),
        None => (r.status.clone(), None),
    };
    let kept = resources::sent(r);
    let identifiers = resources::identifiers(r, &kept["Task"]);
    let requester = match kept["Task"].get("requester").or_else(|| kept["ServiceRequest"].get("requester")) {
        Some(theirs) => theirs.clone(),
        None => resources::hospital_as_requester(db, r).await?,
    };
    let mut task = json!({
        "resourceType": "Task",
        "id": r.id.to_string(),
        "meta": resources::meta(r),
        "identifier": identifiers,
        "basedOn": [{"reference": format!("ServiceRequest/{}", r.id)}],
        "status": task_status(&r.status),
        "businessStatus": {"coding": [{"system": STATE_SYSTEM, "code": r.status, "display": words}], "text": words},
        "intent": "order",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "focus": {"reference": format!("ServiceRequest/{}", r.id)},
        "for": {"reference": format!("Patient/{}", r.id)},
        "authoredOn": r.created_at.to_rfc3339(),
        "lastModified": r.updated_at.to_rfc3339(),
        "requester": requester,
        "owner": {"display": "The crib program"},
    });
    if let Some(at) = location {
        task["location"] = json!({"display": at});
    }
    if let Some(text) = reason {
        task["statusReason"] = json!({"text": text});
    }
    if r.handout_id.is_some() {
        task["output"] = json!([{
            "type": {"coding": [{
                "system": "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes",
                "code": "resulting-activity"
            }]},
            "valueReference": {"reference": format!("Procedure/{}", r.id)},
        }]);
    }
    Ok(task)
}

/// A request's Task.
#[get("/Task/<id>")]
pub async fn read(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
) -> Result<FhirAnswer, FhirError> {
    let r = super::reads::request(db.inner(), &user, &addr, "Task", id).await?;
    Ok(FhirAnswer::versioned(Status::Ok, to_task(db.inner(), &r).await?, &r))
}

/// One version of a request's Task (the current one).
#[get("/Task/<id>/_history/<version>")]
pub async fn vread(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
    version: &str,
) -> Result<FhirAnswer, FhirError> {
    let r = super::reads::request(db.inner(), &user, &addr, "Task", id).await?;
    super::service_request::check_version(&r, version)?;
    Ok(FhirAnswer::versioned(Status::Ok, to_task(db.inner(), &r).await?, &r))
}

/// Tasks of the requests the caller may see (`super::search`): `_include=Task:focus` adds
/// the ServiceRequests, `Task:output` the Procedures, `Task:patient` the Patients.
#[get("/Task?<params..>")]
pub async fn search(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    mailer: &State<std::sync::Arc<crate::mail::Mailer>>,
    addr: ClientAddr,
    uri: super::RawQuery,
    params: Params<'_>,
) -> Result<FhirAnswer, FhirError> {
    let found = find::run(db.inner(), &user.0, &addr.0, "Task", &params).await?;
    let wants = |name: &str| params.include.contains(&name);
    let mut matches = Vec::new();
    let mut includes = Vec::new();
    for r in &found.rows {
        matches.push(to_task(db.inner(), r).await?);
        if wants("Task:focus") {
            includes.push(resources::service_request(db.inner(), r).await?);
        }
        if wants("Task:patient") || wants("Task:for") {
            includes.push(resources::patient(db.inner(), r).await?);
        }
        if wants("Task:output") {
            if let Some(p) = resources::procedure(db.inner(), r).await? {
                includes.push(p);
            }
        }
    }
    let body = find::bundle(&mailer.public_url, "Task", uri.0.as_deref(), found.page(), matches, includes);
    Ok(FhirAnswer::ok(body))
}

/// The `If-Match` header of an update: the version it was read at (`W/"3"`, `"3"` or `3`).
pub struct IfMatch(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfMatch {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        request::Outcome::Success(IfMatch(req.headers().get_one("If-Match").map(str::to_string)))
    }
}

/// The version an `If-Match` value names.
pub fn version_of(if_match: &str) -> Option<i32> {
    if_match.trim().trim_start_matches("W/").trim_matches('"').parse().ok()
}

/// The hospital cancels its request by updating its Task to `cancelled` (the one change a
/// hospital may make); the same status again answers the Task unchanged.
#[put("/Task/<id>", data = "<body>")]
#[expect(clippy::too_many_arguments, reason = "the request's guards, one each")]
pub async fn update(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    if_match: IfMatch,
    id: i64,
    body: Result<JsonBody<Value>, AppError>,
) -> Result<FhirAnswer, FhirError> {
    let who = &user.0;
    super::require(who, "Task", Interaction::Update)?;
    // Scope first: a request the caller may not see is not found, whatever was sent.
    let r = referrals::read_one(db.inner(), Caller { who, ip: &addr.0 }, id).await?;
    let body = body?;
    let task = &body.value;
    if task["resourceType"] != "Task" {
        return Err(FhirError::structure("Send a Task resource (resourceType must be \"Task\")."));
    }
    if task["id"].as_str() != Some(id.to_string().as_str()) {
        return Err(FhirError::value("Task.id", &format!("The Task's id must be the one in the address ({id}).")));
    }
    let version = match if_match.0.as_deref() {
        Some(v) => Some(version_of(v).ok_or_else(|| {
            FhirError::value("If-Match", "If-Match names a version as the ETag gave it, e.g. W/\"3\".")
        })?),
        None => None,
    };
    // `read_one` read the row as it is now (lapsed holds settled first).
    let now = r;
    let wanted = task["status"].as_str().unwrap_or("");
    if version.is_some_and(|v| v != now.version) {
        return Err(AppError::Stale(format!(
            "This request is at version {} now, not {}: read its Task again and decide on what it says now.",
            now.version,
            version.unwrap_or_default()
        ))
        .into());
    }
    if wanted == task_status(&now.status) {
        return Ok(FhirAnswer::versioned(Status::Ok, to_task(db.inner(), &now).await?, &now));
    }
    if wanted != "cancelled" {
        return Err(FhirError::conflict(&format!(
            "A hospital can only cancel its request (status \"cancelled\"); the program moves it to \"{wanted}\" itself."
        )));
    }
    let route = format!("PUT /fhir/r4/Task/{id}");
    let mode = Mode::write(WriteKey::Api(key.0), &route, &body.raw);
    referrals::cancel_at_version_once(db.inner(), Caller { who, ip: &addr.0 }, mode, id, version).await?;
    let after = super::service_request::current(db.inner(), id).await?;
    Ok(FhirAnswer::versioned(Status::Ok, to_task(db.inner(), &after).await?, &after))
}
