//! `POST /fhir/r4` with a `transaction` Bundle (issue 22), as the Gravity SDOH Clinical
//! Care referral source sends one: a ServiceRequest, the Task that asks this program to
//! fulfil it (`focus` on the ServiceRequest), the Patient (baby or mother), the caregiver's
//! RelatedPerson and an Observation of the due date, tied by `urn:uuid:` references. It
//! becomes one request, all or nothing, answered with a `transaction-response` naming each
//! resource as this server keeps it. An entry's `request.ifNoneExist`
//! (`identifier=system|value`) makes a resend answer the request already made, writing
//! nothing; so does the `Idempotency-Key` header.

use super::intake::{self, Others};
use super::outcome::{FhirAnswer, FhirError};
use super::service_request::{current, one_existing, to_new_referral};
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::smart::Interaction;
use crate::entity::referral;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::referrals;
use crate::store::write::{Mode, WriteKey};
use rocket::{post, State};
use serde_json::{json, Value};

/// The resource types a transaction may carry, and what each becomes.
const KINDS: &[&str] = &["ServiceRequest", "Task", "Patient", "RelatedPerson", "Observation"];

fn entry_error(i: usize, msg: &str) -> FhirError {
    FhirError::value(&format!("Bundle.entry[{i}]"), msg)
}

/// Check the Bundle's shape; the index of the ServiceRequest and of the Task (if any).
fn shape(bundle: &Value) -> Result<(usize, Option<usize>), FhirError> {
    if bundle["resourceType"] != "Bundle" {
        return Err(FhirError::structure(
            "Send a Bundle (resourceType \"Bundle\") of type \"transaction\" to the base address.",
        ));
    }
    if bundle["type"] != "transaction" {
        return Err(FhirError::value("Bundle.type", "Only a \"transaction\" Bundle is taken here."));
    }
    let entries = bundle["entry"].as_array().filter(|e| !e.is_empty()).ok_or_else(|| {
        FhirError::required("Bundle.entry", "The Bundle has no entries: send the ServiceRequest and its Patient.")
    })?;
    let (mut sr, mut task) = (None, None);
    for (i, e) in entries.iter().enumerate() {
        let kind = e["resource"]["resourceType"].as_str().unwrap_or("");
        if !KINDS.contains(&kind) {
            return Err(entry_error(
                i,
                &format!("A transaction here carries {} only, not \"{kind}\".", KINDS.join(", ")),
            ));
        }
        if e["request"]["method"] != "POST" {
            return Err(entry_error(i, "Each entry is created: request.method must be \"POST\"."));
        }
        let slot = match kind {
            "ServiceRequest" => &mut sr,
            "Task" => &mut task,
            _ => continue,
        };
        if slot.replace(i).is_some() {
            return Err(entry_error(i, &format!("One {kind} per transaction: each request is sent on its own.")));
        }
    }
    let sr = sr.ok_or_else(|| FhirError::required("Bundle.entry", "The transaction has no ServiceRequest."))?;
    Ok((sr, task))
}

/// The IG's rules for the Task a referral source sends.
fn check_task(task: &Value, sr_url: Option<&str>, i: usize) -> Result<(), FhirError> {
    if task["intent"] != "order" {
        return Err(entry_error(i, "The Task's intent must be \"order\"."));
    }
    if !task["code"]["coding"].as_array().is_some_and(|c| c.iter().any(|c| c["code"] == "fulfill")) {
        return Err(entry_error(i, "The Task's code must be \"fulfill\" (http://hl7.org/fhir/CodeSystem/task-code)."));
    }
    if task["status"] != "requested" {
        return Err(entry_error(i, "A new Task's status must be \"requested\"."));
    }
    let focus = task["focus"]["reference"].as_str();
    if focus.is_none() || (sr_url.is_some() && focus != sr_url) {
        return Err(entry_error(
            i,
            "The Task's focus must reference the ServiceRequest of the same Bundle (its fullUrl).",
        ));
    }
    Ok(())
}

/// The transaction-response for a request: each entry in the order sent.
fn response(entries: &[Value], r: &referral::Model, created: bool) -> Value {
    let status = if created { "201 Created" } else { "200 OK" };
    let mut out = Vec::new();
    for e in entries {
        let kind = e["resource"]["resourceType"].as_str().unwrap_or("");
        let mut resp =
            json!({"status": status, "etag": super::resources::etag(r), "lastModified": r.updated_at.to_rfc3339()});
        if kind == "Observation" {
            // NOTE: not "201 Created": the Observation is read, not kept as a resource.
            resp = json!({"status": "200 OK", "outcome": {"resourceType": "OperationOutcome", "issue": [{
                "severity": "information", "code": "informational",
                "diagnostics": format!("The due date was kept on Patient/{}; the Observation itself is not stored.", r.id)}]}});
        } else {
            resp["location"] = json!(format!("{kind}/{}/_history/{}", r.id, r.version));
        }
        let mut entry = json!({"response": resp});
        if let Some(url) = e["fullUrl"].as_str() {
            entry["fullUrl"] = json!(url);
        }
        out.push(entry);
    }
    json!({"resourceType": "Bundle", "type": "transaction-response", "entry": out})
}

/// Take a transaction Bundle that makes one request.
#[post("/", data = "<body>")]
pub async fn transaction(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<Value>, AppError>,
) -> Result<FhirAnswer, FhirError> {
    let who = user.0;
    super::require(&who, "ServiceRequest", Interaction::Create)?;
    if !who.may_request_cribs() {
        return Err(AppError::Forbidden.into());
    }
    let body = body?;
    let bundle = &body.value;
    let (sr_i, task_i) = shape(bundle)?;
    let entries = bundle["entry"].as_array().map(Vec::as_slice).unwrap_or_default();
    let sr_entry = &entries[sr_i];
    if let Some(i) = task_i {
        super::require(&who, "Task", Interaction::Create)?;
        check_task(&entries[i]["resource"], sr_entry["fullUrl"].as_str(), i)?;
    }
    // A resend: the request already made answers.
    for i in std::iter::once(sr_i).chain(task_i) {
        if let Some(q) = entries[i]["request"]["ifNoneExist"].as_str() {
            let named = format!("ifNoneExist ({q}) of entry {i}");
            if let Some(r) = one_existing(db.inner(), &who, q, &named).await? {
                return Ok(FhirAnswer::ok(response(entries, &r, false)));
            }
        }
    }
    let others = Others::of_entries(entries);
    let task = task_i.map(|i| &entries[i]["resource"]);
    let intake = intake::read(&sr_entry["resource"], &others, task, crate::clock::today())?;
    let new = to_new_referral(intake)?;
    let mode = Mode::write(WriteKey::Api(key.0), "POST /fhir/r4", &body.raw);
    let ran = referrals::submit_once(db.inner(), Caller { who: &who, ip: &addr.0 }, mode, &new).await?;
    let r = current(db.inner(), ran.value.id).await?;
    Ok(FhirAnswer::ok(response(entries, &r, !ran.replayed)))
}
