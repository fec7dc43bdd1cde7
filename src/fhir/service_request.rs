//! `POST /fhir/r4/ServiceRequest` (a nurse's token): a ServiceRequest with a contained
//! Patient (the infant: `birthDate`, or the due-date extension) and a contained
//! RelatedPerson (the caregiver: name, telecom, address) becomes a referral; income,
//! household and enrollments are not in FHIR and stay unknown until check-in.
//! `GET /fhir/r4/ServiceRequest/<id>` reads a referral back as a ServiceRequest.

use super::outcome::{FhirAnswer, FhirError};
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::family::{parse_family, AddressInput, CaregiverInput, FamilyInput, InfantInput};
use crate::domain::referral::NewReferral;
use crate::domain::states::ReferralStatus;
use crate::entity::{referral, site};
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::referrals;
use crate::store::write::{Mode, WriteKey};
use rocket::http::Status;
use rocket::{get, post, State};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// The extension that carries an expected due date on the contained Patient.
pub const DUE_DATE_EXTENSION: &str = "https://cribs.example.org/fhir/StructureDefinition/expected-due-date";
/// The extension that names the family's Baltimore neighborhood on the address.
pub const NEIGHBORHOOD_EXTENSION: &str = "https://cribs.example.org/fhir/StructureDefinition/neighborhood";

fn contained<'a>(sr: &'a Value, reference: &str) -> Option<&'a Value> {
    let id = reference.strip_prefix('#')?;
    sr["contained"].as_array()?.iter().find(|r| r["id"] == id)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn extension<'a>(v: &'a Value, url: &str) -> Option<&'a Value> {
    v["extension"].as_array()?.iter().find(|e| e["url"] == url)
}

/// Read the ServiceRequest into the family fields and the discharge date.
fn to_referral_parts(sr: &Value) -> Result<(FamilyInput, Option<String>, Option<String>), FhirError> {
    if sr["resourceType"] != "ServiceRequest" {
        return Err(FhirError::structure("Send a ServiceRequest resource (resourceType must be \"ServiceRequest\")."));
    }
    if sr["intent"] != "order" {
        return Err(FhirError::value("ServiceRequest.intent", "The intent must be \"order\"."));
    }
    match sr["status"].as_str() {
        Some("active") | Some("draft") => {}
        Some(_) => {
            return Err(FhirError::value(
                "ServiceRequest.status",
                "A new request must have status \"active\" (or \"draft\").",
            ))
        }
        None => return Err(FhirError::required("ServiceRequest.status", "The status is required.")),
    }
    let subject_ref = str_at(sr, "/subject/reference").ok_or_else(|| {
        FhirError::required(
            "ServiceRequest.subject",
            "The subject (a reference to the contained infant Patient) is required.",
        )
    })?;
    let patient = contained(sr, subject_ref).filter(|p| p["resourceType"] == "Patient").ok_or_else(|| {
        FhirError::value("ServiceRequest.subject", "The subject must reference a contained Patient (e.g. \"#infant\").")
    })?;
    let caregiver =
        sr["contained"].as_array().and_then(|a| a.iter().find(|r| r["resourceType"] == "RelatedPerson")).ok_or_else(
            || FhirError::required("ServiceRequest.contained", "Include a contained RelatedPerson for the caregiver."),
        )?;
    let name = caregiver["name"].get(0).cloned().unwrap_or(Value::Null);
    let given = name["given"].get(0).and_then(Value::as_str).map(str::to_string);
    let phone = caregiver["telecom"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["system"] == "phone"))
        .and_then(|t| t["value"].as_str())
        .map(str::to_string);
    let addr = caregiver["address"].get(0).cloned().unwrap_or(Value::Null);
    let neighborhood_id = extension(&addr, NEIGHBORHOOD_EXTENSION).and_then(|e| e["valueInteger"].as_i64());
    let family = FamilyInput {
        caregiver: Some(CaregiverInput {
            first_name: given,
            last_name: name["family"].as_str().map(str::to_string),
            date_of_birth: caregiver["birthDate"].as_str().map(str::to_string),
            phone,
        }),
        address: Some(AddressInput {
            line1: addr["line"].get(0).and_then(Value::as_str).map(str::to_string),
            city: addr["city"].as_str().map(str::to_string),
            state: addr["state"].as_str().map(str::to_string),
            zip: addr["postalCode"].as_str().map(str::to_string),
            neighborhood_id,
        }),
        // NOTE: FHIR carries no household size, income or enrollments: the household counts
        // the caregiver alone and the rest stays unknown until check-in.
        household_size: Some(json!(1)),
        annual_income: None,
        enrollments: Vec::new(),
        has_safe_sleep_space: None,
        infants: vec![InfantInput {
            name: None,
            date_of_birth: patient["birthDate"].as_str().map(str::to_string),
            expected_due_date: extension(patient, DUE_DATE_EXTENSION)
                .and_then(|e| e["valueDate"].as_str())
                .map(str::to_string),
            weight_lb: None,
        }],
        race_ethnicity: None,
        preferred_language: caregiver["communication"]
            .get(0)
            .and_then(|c| str_at(c, "/language/coding/0/code"))
            .map(str::to_string),
        confirm_not_duplicate: true,
    };
    let discharge = sr["occurrenceDateTime"].as_str().map(|s| s.chars().take(10).collect::<String>());
    let note = sr["note"].get(0).and_then(|n| n["text"].as_str()).map(str::to_string);
    Ok((family, discharge, note))
}

fn map_field(field: &str) -> String {
    let f = field
        .replace("infants[0].date_of_birth", "Patient.birthDate")
        .replace("infants[0].expected_due_date", "Patient.extension");
    match f.as_str() {
        "discharge_date" => "ServiceRequest.occurrenceDateTime".into(),
        s if s.starts_with("caregiver.") => format!("RelatedPerson.{}", &s["caregiver.".len()..]),
        s if s.starts_with("address.") => format!("RelatedPerson.address.{}", &s["address.".len()..]),
        s => s.to_string(),
    }
}

/// Accept a ServiceRequest from a hospital system (a nurse's bearer token).
#[utoipa::path(post, path = "/fhir/r4/ServiceRequest", tag = "fhir", request_body(content = Object, content_type = "application/fhir+json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, description = "the referral as a ServiceRequest; Location names it", content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 403, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 409, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 413, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 422, description = "OperationOutcome", content_type = "application/fhir+json")),
    security(("bearer" = [])))]
#[post("/ServiceRequest", data = "<body>")]
pub async fn create(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<Value>, AppError>,
) -> Result<FhirAnswer, FhirError> {
    let who = user.0;
    if !who.may_request_cribs() {
        return Err(AppError::Forbidden.into());
    }
    let body = body.map_err(|e| match e {
        AppError::BadRequest(m) => FhirError::structure(&m),
        other => FhirError::from(other),
    })?;
    let (family_input, discharge, note) = to_referral_parts(&body.value)?;
    let today = crate::clock::today();
    let mut problems = Vec::new();
    let discharge_date = crate::domain::referral::check_discharge(&mut problems, discharge.as_deref(), today);
    let parsed = parse_family(&family_input, today);
    if let Err(p) = &parsed {
        problems.extend(p.iter().cloned());
    }
    let (family, discharge_date) = match (parsed, discharge_date) {
        (Ok(f), Some(d)) if problems.is_empty() => (f, d),
        _ => {
            let issues = problems
                .iter()
                .map(|(f, m)| json!({"severity": "error", "code": "value", "diagnostics": m, "expression": [map_field(f)]}))
                .collect();
            return Err(FhirError { status: Status::UnprocessableEntity, issues });
        }
    };
    let new = NewReferral {
        family,
        discharge_date,
        education_given_in_hospital: false,
        preferred_site_id: None,
        home_delivery: false,
        note,
        source: "fhir",
    };
    let mode = Mode::write(WriteKey::Api(key.0), "POST /fhir/r4/ServiceRequest", &body.raw);
    let ran = referrals::submit_once(db.inner(), Caller { who: &who, ip: &addr.0 }, mode, &new).await?;
    // NOTE: the resource is read after the write (a replay shows the request as it is now).
    let row = referral::Entity::find_by_id(ran.value.id).one(db.inner()).await.map_err(AppError::from)?;
    let row = row.ok_or(AppError::NotFound)?;
    let resource = to_service_request(db.inner(), &row).await?;
    let location = Some(format!("/fhir/r4/ServiceRequest/{}", row.id));
    Ok(FhirAnswer { status: Status::Created, body: resource, location })
}

/// Read a referral as a ServiceRequest (the nurse of its hospital, managers).
#[utoipa::path(get, path = "/fhir/r4/ServiceRequest/{id}", tag = "fhir",
    params(("id" = i64, Path, description = "referral id")),
    responses((status = 200, description = "ServiceRequest", content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome", content_type = "application/fhir+json")),
    security(("bearer" = [])))]
#[get("/ServiceRequest/<id>")]
pub async fn read(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
) -> Result<FhirAnswer, FhirError> {
    let r = referrals::read_one(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let body = to_service_request(db.inner(), &r).await?;
    Ok(FhirAnswer { status: Status::Ok, body, location: None })
}

/// The FHIR status of a referral status.
pub fn fhir_status(status: &str) -> &'static str {
    match ReferralStatus::parse(status) {
        Some(ReferralStatus::Submitted | ReferralStatus::Reserved) => "active",
        Some(ReferralStatus::Fulfilled) => "completed",
        _ => "revoked",
    }
}

/// A referral as a FHIR R4 ServiceRequest.
pub async fn to_service_request(db: &impl sea_orm::ConnectionTrait, r: &referral::Model) -> Result<Value, AppError> {
    // The family and baby as the hospital sent them, never the record they may have been
    // matched to since (issue 18, finding 1).
    let sent = crate::store::referrals::sent(db, r).await?;
    let hospital = site::Entity::find_by_id(r.hospital_site_id).one(db).await?.ok_or(AppError::NotFound)?;
    let mut patient = json!({"resourceType": "Patient", "id": "infant"});
    if let Some(d) = sent.infant.date_of_birth {
        patient["birthDate"] = json!(d.to_string());
    }
    if let Some(d) = sent.infant.expected_due_date {
        patient["extension"] = json!([{"url": DUE_DATE_EXTENSION, "valueDate": d.to_string()}]);
    }
    let mut person = json!({
        "resourceType": "RelatedPerson",
        "id": "caregiver",
        "patient": {"reference": "#infant"},
        "name": [{"family": sent.last_name, "given": [sent.first_name]}],
        "address": [{"line": [sent.address_line1], "city": sent.city, "state": sent.state, "postalCode": sent.zip}],
    });
    if let Some(p) = &sent.phone {
        person["telecom"] = json!([{"system": "phone", "value": p}]);
    }
    if let Some(d) = sent.date_of_birth {
        person["birthDate"] = json!(d.to_string());
    }
    let mut notes = Vec::new();
    if let Some(n) = &r.note {
        notes.push(json!({"text": n}));
    }
    if let (Some(site_id), Some(until)) = (r.reserved_site_id, r.reserved_until) {
        if let Some(s) = site::Entity::find().filter(site::Column::Id.eq(site_id)).one(db).await? {
            notes.push(json!({"text": format!("Crib held at {} until {until}.", s.name)}));
        }
    }
    if let Some(reason) = &r.decline_reason {
        notes.push(json!({"text": format!("Declined: {reason}")}));
    }
    let mut sr = json!({
        "resourceType": "ServiceRequest",
        "id": r.id.to_string(),
        "identifier": [{"system": "urn:cribs:referral", "value": r.id.to_string()}],
        "status": fhir_status(&r.status),
        "intent": "order",
        "code": {"text": "portable crib and safe sleep education"},
        "contained": [patient, person],
        "subject": {"reference": "#infant"},
        "occurrenceDateTime": r.discharge_date.to_string(),
        "authoredOn": r.created_at.to_rfc3339(),
        "requester": {"display": hospital.name},
    });
    if !notes.is_empty() {
        sr["note"] = json!(notes);
    }
    Ok(sr)
}
