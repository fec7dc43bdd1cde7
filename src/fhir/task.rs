//! The Task of each hospital request (issue 22), after the Gravity SDOH Clinical Care
//! referral-management Task: what became of the request, for a hospital's system to poll.
//! `GET /fhir/r4/Task/<id>` (the request's id) and `GET /fhir/r4/Task?identifier=&status=&_count=`
//! (a searchset Bundle), for the nurses of the request's hospital and the program's
//! managers, like the ServiceRequest it is `focus`ed on.
//!
//! The program's states as Task statuses: waiting → `requested`; a crib held at a site →
//! `accepted` (where and until when in `businessStatus`); handed out → `completed` (the
//! hand-out's date and site in `output`); declined → `rejected`, cancelled → `cancelled`,
//! the hold lapsed → `failed`, each with its `statusReason`. `businessStatus` carries the
//! program's own state as a code of its own system with the words people read.

use super::outcome::{FhirAnswer, FhirError};
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::role::Role;
use crate::domain::states::ReferralStatus;
use crate::entity::{handout, referral, site};
use crate::error::AppError;
use crate::store::audit::{self, Caller};
use crate::store::referrals;
use rocket::http::Status;
use rocket::{get, State};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};

/// The system of the program's own request states (`businessStatus`).
pub const STATE_SYSTEM: &str = "https://cribs.example.org/fhir/CodeSystem/request-state";
/// The system of the program's request ids (`identifier`).
pub const ID_SYSTEM: &str = "urn:cribs:referral";

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

/// The request states a Task status stands for (for `status=` searches).
fn states_of(task: &str) -> Vec<&'static str> {
    ReferralStatus::ALL.iter().map(|s| s.as_str()).filter(|s| task_status(s) == task).collect()
}

/// A request as a Task.
pub async fn to_task(db: &impl ConnectionTrait, r: &referral::Model) -> Result<Value, AppError> {
    let hospital = site::Entity::find_by_id(r.hospital_site_id).one(db).await?.map(|s| s.name);
    let site_name = |id: Option<i64>| async move {
        match id {
            Some(id) => Ok::<_, AppError>(site::Entity::find_by_id(id).one(db).await?.map(|s| s.name)),
            None => Ok(None),
        }
    };
    let (words, reason) = match ReferralStatus::parse(&r.status) {
        Some(ReferralStatus::Submitted) => ("Waiting for the program to hold a crib".to_string(), None),
        Some(ReferralStatus::Reserved) => {
            let at = site_name(r.reserved_site_id).await?.unwrap_or_else(|| "a distribution site".into());
            let until = r.reserved_until.map(|d| format!(" until {d}")).unwrap_or_default();
            (format!("A crib is held at {at}{until}"), None)
        }
        Some(ReferralStatus::Fulfilled) => ("The crib was handed out".to_string(), None),
        Some(ReferralStatus::Declined) => (
            "Declined".to_string(),
            Some(r.decline_reason.clone().unwrap_or_else(|| "Declined by the program.".into())),
        ),
        Some(ReferralStatus::Cancelled) => ("Cancelled".to_string(), Some("The request was cancelled.".to_string())),
        Some(ReferralStatus::Expired) => (
            "The hold ended".to_string(),
            Some("The crib's hold ended before it was picked up; the crib went back to the shelf.".to_string()),
        ),
        None => (r.status.clone(), None),
    };
    let mut task = json!({
        "resourceType": "Task",
        "id": r.id.to_string(),
        "meta": {"lastUpdated": r.updated_at.to_rfc3339()},
        "identifier": [{"system": ID_SYSTEM, "value": r.id.to_string()}],
        "basedOn": [{"reference": format!("ServiceRequest/{}", r.id)}],
        "status": task_status(&r.status),
        "businessStatus": {"coding": [{"system": STATE_SYSTEM, "code": r.status, "display": words}], "text": words},
        "intent": "order",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "focus": {"reference": format!("ServiceRequest/{}", r.id)},
        "for": {"display": "The baby of the request"},
        "authoredOn": r.created_at.to_rfc3339(),
        "lastModified": r.updated_at.to_rfc3339(),
        "requester": {"display": hospital.unwrap_or_else(|| "The hospital".into())},
        "owner": {"display": "The crib program"},
    });
    if let Some(text) = reason {
        task["statusReason"] = json!({"text": text});
    }
    if let Some(h) = match r.handout_id {
        Some(id) => handout::Entity::find_by_id(id).one(db).await?,
        None => None,
    } {
        let at = site_name(Some(h.site_id)).await?.unwrap_or_else(|| "a distribution site".into());
        task["output"] = json!([{
            "type": {"coding": [{
                "system": "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes",
                "code": "resulting-activity"
            }]},
            "valueReference": {"display": format!("A portable crib and safe-sleep education, handed out on {} at {at}", h.handed_out_on)},
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
    let r = referrals::read_one(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    Ok(FhirAnswer { status: Status::Ok, body: to_task(db.inner(), &r).await?, location: None })
}

/// The largest page of a search.
const MAX_COUNT: u64 = 200;

/// Tasks of the requests the caller may see: by `identifier` (`urn:cribs:referral|<id>`, or
/// the bare id), by `status` (Task statuses, comma-separated), newest first, `_count` per
/// page (default 50, at most 200; `total` counts every match).
#[get("/Task?<identifier>&<status>&<_count>")]
#[expect(clippy::too_many_arguments, reason = "the search's parameters, one each")]
pub async fn search(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    mailer: &State<std::sync::Arc<crate::mail::Mailer>>,
    addr: ClientAddr,
    identifier: Option<&str>,
    status: Option<&str>,
    _count: Option<&str>,
) -> Result<FhirAnswer, FhirError> {
    let who = &user.0;
    let mut q = referral::Entity::find().order_by_desc(referral::Column::Id);
    match who.role {
        Role::Nurse => q = q.filter(referral::Column::HospitalSiteId.eq(who.hospital_id().unwrap_or(-1))),
        _ if who.is_manager() => {}
        _ => return Err(AppError::Forbidden.into()),
    }
    if let Some(ident) = identifier.map(str::trim).filter(|i| !i.is_empty()) {
        let value = match ident.split_once('|') {
            Some((system, value)) if system == ID_SYSTEM || system.is_empty() => value,
            Some(_) => "",
            None => ident,
        };
        match value.parse::<i64>() {
            Ok(id) => q = q.filter(referral::Column::Id.eq(id)),
            // An identifier of another system, or not a number: nothing of ours has it.
            Err(_) => q = q.filter(referral::Column::Id.eq(-1)),
        }
    }
    if let Some(list) = status.map(str::trim).filter(|s| !s.is_empty()) {
        let mut states = Vec::new();
        for s in list.split(',') {
            let these = states_of(s.trim());
            if these.is_empty() {
                return Err(FhirError::value(
                    "status",
                    &format!("\"{}\" is not a Task status this server uses: requested, accepted, completed, rejected, cancelled or failed.", s.trim()),
                ));
            }
            states.extend(these);
        }
        q = q.filter(referral::Column::Status.is_in(states));
    }
    let count = match _count.map(str::trim).filter(|c| !c.is_empty()) {
        None => 50,
        Some(c) => match c.parse::<u64>() {
            Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
            _ => return Err(FhirError::value("_count", &format!("_count is a whole number from 1 to {MAX_COUNT}."))),
        },
    };
    crate::store::referrals::settle(db.inner()).await?;
    let total = q.clone().count(db.inner()).await.map_err(AppError::from)?;
    let rows = q.limit(count).all(db.inner()).await.map_err(AppError::from)?;
    audit::families_shown(
        db.inner(),
        Caller { who, ip: &addr.0 },
        "FHIR Task search",
        rows.iter().map(|r| r.family_id),
    )
    .await
    .map_err(AppError::from)?;
    let mut entries = Vec::new();
    for r in &rows {
        entries.push(json!({
            "fullUrl": format!("{}/fhir/r4/Task/{}", mailer.public_url, r.id),
            "resource": to_task(db.inner(), r).await?,
            "search": {"mode": "match"},
        }));
    }
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "entry": entries,
    });
    Ok(FhirAnswer { status: Status::Ok, body: bundle, location: None })
}
