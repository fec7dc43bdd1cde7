//! A hospital request as the FHIR resources a hospital's system reads back (issue 22), all
//! with the request's id and version (`meta.versionId` is `referrals.version`, bumped in
//! the transaction of each change): the ServiceRequest (with what the sender sent:
//! identifiers, requester, category, code, kept verbatim), the Patient (the baby, or the
//! mother before birth, as sent: identifier, name, gender, birth date), the caregiver's
//! RelatedPerson, and once a crib is handed out the Procedure that records it (date,
//! site, crib model, and the safe-sleep education). The Task is `super::task`'s.

use crate::domain::states::ReferralStatus;
use crate::entity::{crib_model, education_session, handout, referral, site};
use crate::error::AppError;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{json, Value};

pub use super::intake::{DUE_DATE_EXTENSION, ID_SYSTEM};

/// The system of the program's own codes (what it provides).
pub const CODE_SYSTEM: &str = "https://cribs.example.org/fhir/CodeSystem/program";

/// What the hospital's system sent, as kept (None for a request sent by a nurse's form).
pub fn sent(r: &referral::Model) -> Value {
    r.fhir_json.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or(Value::Null)
}

/// `meta` for a request's resources.
pub fn meta(r: &referral::Model) -> Value {
    json!({"versionId": r.version.to_string(), "lastUpdated": r.updated_at.to_rfc3339()})
}

/// The weak ETag of a request's resources.
pub fn etag(r: &referral::Model) -> String {
    format!("W/\"{}\"", r.version)
}

/// The ServiceRequest's status (the order's own life; the Task says what became of it).
pub fn fhir_status(status: &str) -> &'static str {
    match ReferralStatus::parse(status) {
        Some(ReferralStatus::Submitted | ReferralStatus::Reserved) => "active",
        Some(ReferralStatus::Fulfilled) => "completed",
        _ => "revoked",
    }
}

/// A site's name.
pub async fn site_name(db: &impl ConnectionTrait, id: i64) -> Result<Option<String>, AppError> {
    Ok(site::Entity::find_by_id(id).one(db).await?.map(|s| s.name))
}

/// The program's identifier of a request, then those the sender gave the resource.
pub fn identifiers(r: &referral::Model, theirs: &Value) -> Vec<Value> {
    let mut identifiers = vec![json!({"system": ID_SYSTEM, "value": r.id.to_string()})];
    if let Some(list) = theirs["identifier"].as_array() {
        identifiers.extend(list.iter().filter(|i| i["system"] != ID_SYSTEM).cloned());
    }
    identifiers
}

/// The requester when the sender named none: its hospital, by name.
pub async fn hospital_as_requester(db: &impl ConnectionTrait, r: &referral::Model) -> Result<Value, AppError> {
    let hospital = site_name(db, r.hospital_site_id).await?.unwrap_or_else(|| "The hospital".into());
    Ok(json!({"display": hospital}))
}

/// A request as a ServiceRequest.
pub async fn service_request(db: &impl ConnectionTrait, r: &referral::Model) -> Result<Value, AppError> {
    let kept = sent(r);
    let theirs = &kept["ServiceRequest"];
    let requester = match theirs.get("requester") {
        Some(v) => v.clone(),
        None => hospital_as_requester(db, r).await?,
    };
    let mut notes: Vec<Value> = Vec::new();
    if let Some(n) = &r.note {
        notes.push(json!({"text": n}));
    }
    // NOTE: only the state it is in now; a hold that ended is not "held" any more.
    if r.status == ReferralStatus::Reserved.as_str() {
        if let (Some(site_id), Some(until)) = (r.reserved_site_id, r.reserved_until) {
            if let Some(s) = site_name(db, site_id).await? {
                notes.push(json!({"text": format!("Crib held at {s} until {until}.")}));
            }
        }
    }
    if r.status == ReferralStatus::Declined.as_str() {
        if let Some(reason) = &r.decline_reason {
            notes.push(json!({"text": format!("Declined: {reason}")}));
        }
    }
    let mut sr = json!({
        "resourceType": "ServiceRequest",
        "id": r.id.to_string(),
        "meta": meta(r),
        "identifier": identifiers(r, theirs),
        "status": fhir_status(&r.status),
        "intent": "order",
        "code": theirs.get("code").cloned().unwrap_or_else(|| json!({
            "coding": [{"system": CODE_SYSTEM, "code": "crib-and-education", "display": "Portable crib and safe-sleep education"}],
            "text": "portable crib and safe sleep education"
        })),
        "subject": {"reference": format!("Patient/{}", r.id)},
        "occurrenceDateTime": r.discharge_date.to_string(),
        "authoredOn": r.created_at.to_rfc3339(),
        "requester": requester,
        "performer": [{"display": "The crib program"}],
    });
    for element in ["category", "priority", "reasonCode"] {
        if let Some(v) = theirs.get(element) {
            sr[element] = v.clone();
        }
    }
    if !notes.is_empty() {
        sr["note"] = json!(notes);
    }
    Ok(sr)
}

/// The person elements kept as sent (never anything else the sender put there).
fn person_elements(from: &Value, to: &mut Value, elements: &[&str]) {
    for e in elements {
        if let Some(v) = from.get(*e).filter(|v| !v.is_null()) {
            to[*e] = v.clone();
        }
    }
}

/// The request's Patient: the baby (or the mother before birth) as sent.
pub async fn patient(db: &impl ConnectionTrait, r: &referral::Model) -> Result<Value, AppError> {
    let kept = sent(r);
    let mut p = json!({"resourceType": "Patient", "id": r.id.to_string(), "meta": meta(r)});
    if kept["Patient"].is_object() {
        let elements: &[&str] = if kept["subjectIsMother"] == true {
            &["identifier", "name", "gender", "birthDate", "telecom", "address"]
        } else {
            &["identifier", "name", "gender", "birthDate"]
        };
        person_elements(&kept["Patient"], &mut p, elements);
    }
    // The baby's dates as the request keeps them (also for a request sent from a form).
    let family = crate::store::referrals::sent(db, r).await?;
    if kept["subjectIsMother"] != true {
        if let Some(d) = family.infant.date_of_birth {
            p["birthDate"] = json!(d.to_string());
        }
    }
    if let Some(d) = family.infant.expected_due_date {
        p["extension"] = json!([{"url": DUE_DATE_EXTENSION, "valueDate": d.to_string()}]);
    }
    Ok(p)
}

/// The caregiver as a RelatedPerson of the request's Patient.
pub async fn related_person(db: &impl ConnectionTrait, r: &referral::Model) -> Result<Value, AppError> {
    let kept = sent(r);
    let family = crate::store::referrals::sent(db, r).await?;
    let mut p = json!({
        "resourceType": "RelatedPerson",
        "id": r.id.to_string(),
        "meta": meta(r),
        "patient": {"reference": format!("Patient/{}", r.id)},
        "name": [{"family": family.last_name, "given": [family.first_name]}],
        "address": [{"line": [family.address_line1], "city": family.city, "state": family.state, "postalCode": family.zip}],
    });
    if let Some(phone) = &family.phone {
        p["telecom"] = json!([{"system": "phone", "value": phone}]);
    }
    if let Some(d) = family.date_of_birth {
        p["birthDate"] = json!(d.to_string());
    }
    if kept["RelatedPerson"].is_object() {
        person_elements(&kept["RelatedPerson"], &mut p, &["identifier", "relationship"]);
    } else if kept["subjectIsMother"] == true {
        p["relationship"] = json!([{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH", "display": "mother"}]}]);
    }
    Ok(p)
}

/// The hand-out that fulfilled a request as a Procedure (None until one did).
pub async fn procedure(db: &impl ConnectionTrait, r: &referral::Model) -> Result<Option<Value>, AppError> {
    let Some(h) = (match r.handout_id {
        Some(id) => handout::Entity::find_by_id(id).one(db).await?,
        None => None,
    }) else {
        return Ok(None);
    };
    let at = site_name(db, h.site_id).await?.unwrap_or_else(|| "a distribution site".into());
    let model = crib_model::Entity::find_by_id(h.crib_model_id).one(db).await?.map(|m| m.name);
    let mut notes = vec![json!({"text": format!(
        "A portable crib{} was handed out at {at}.",
        model.map(|m| format!(" ({m})")).unwrap_or_default()
    )})];
    if let Some(e) = match h.education_id {
        Some(id) => education_session::Entity::find_by_id(id).one(db).await?,
        None => None,
    } {
        notes.push(json!({"text": format!(
            "Safe-sleep education (alone, on the back, in a crib, no smoke) was given on {} ({}).",
            crate::clock::date_in_new_york(e.delivered_at),
            e.mode.replace('_', " ")
        )}));
    }
    Ok(Some(json!({
        "resourceType": "Procedure",
        "id": r.id.to_string(),
        "meta": meta(r),
        "basedOn": [{"reference": format!("ServiceRequest/{}", r.id)}],
        "status": if h.voided_at.is_some() { "entered-in-error" } else { "completed" },
        "code": {
            "coding": [{"system": CODE_SYSTEM, "code": "crib-and-education", "display": "Portable crib and safe-sleep education"}],
            "text": "A portable crib and safe-sleep education"
        },
        "subject": {"reference": format!("Patient/{}", r.id)},
        "performedDateTime": h.handed_out_on.to_string(),
        "location": {"display": at},
        "note": notes,
    })))
}
