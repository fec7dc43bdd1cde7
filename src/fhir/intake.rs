//! Reading what a hospital's system sends into a request (issue 22): a ServiceRequest whose
//! `subject` is the baby or, before birth, the mother, found contained (`#infant`), in the
//! same transaction Bundle (`urn:uuid:…`, `Patient/<id>`), with the caregiver as a
//! RelatedPerson (or the mother herself), the due date from the Patient's extension or an
//! Observation of LOINC 11778-8 ("Delivery date Estimated"), and the address's neighborhood
//! from this program's extension when sent (else left for the manager at triage).
//! What was sent is kept verbatim (`SentFhir`) with the ServiceRequest's identifiers.
//! Pure: no database, no Rocket.

use super::outcome::FhirError;
use crate::domain::family::{AddressInput, CaregiverInput, FamilyInput, InfantInput};
use crate::domain::referral::SentFhir;
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The extension that carries an expected due date on the Patient.
pub const DUE_DATE_EXTENSION: &str = "https://cribs.example.org/fhir/StructureDefinition/expected-due-date";
/// The extension that names the family's Baltimore neighborhood on the address.
pub const NEIGHBORHOOD_EXTENSION: &str = "https://cribs.example.org/fhir/StructureDefinition/neighborhood";
/// LOINC "Delivery date Estimated".
pub const LOINC_DUE_DATE: &str = "11778-8";
/// The system of the program's request ids (`identifier`).
pub const ID_SYSTEM: &str = "urn:cribs:referral";
/// Longest identifier system and value kept.
const MAX_SYSTEM: usize = 300;
const MAX_VALUE: usize = 200;

/// The other resources of a transaction Bundle, by the references that may name them
/// (`fullUrl`, and `Type/id` when the resource has an id).
#[derive(Debug, Default)]
pub struct Others<'a> {
    by_ref: HashMap<String, &'a Value>,
}

impl<'a> Others<'a> {
    /// Index a Bundle's entries (resource and fullUrl).
    pub fn of_entries(entries: &'a [Value]) -> Others<'a> {
        let mut by_ref = HashMap::new();
        for e in entries {
            let r = &e["resource"];
            if let Some(url) = e["fullUrl"].as_str() {
                by_ref.insert(url.to_string(), r);
            }
            if let (Some(t), Some(id)) = (r["resourceType"].as_str(), r["id"].as_str()) {
                by_ref.insert(format!("{t}/{id}"), r);
            }
        }
        Others { by_ref }
    }

    fn all(&self) -> impl Iterator<Item = &'a Value> + '_ {
        self.by_ref.values().copied()
    }
}

/// What a ServiceRequest says, ready for the program's rules.
#[derive(Debug)]
pub struct Intake {
    pub family: FamilyInput,
    pub discharge: Option<String>,
    pub note: Option<String>,
    pub sent: SentFhir,
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn extension<'v>(v: &'v Value, url: &str) -> Option<&'v Value> {
    v["extension"].as_array()?.iter().find(|e| e["url"] == url)
}

/// Find a referenced resource: contained (`#id`) or elsewhere in the Bundle.
fn resolve<'a>(sr: &'a Value, others: &Others<'a>, reference: &str) -> Option<&'a Value> {
    match reference.strip_prefix('#') {
        Some(id) => sr["contained"].as_array()?.iter().find(|r| r["id"] == id),
        None => others.by_ref.get(reference).copied(),
    }
}

/// Everything of a type the request carries (contained first, then the Bundle's).
fn all_of<'a>(sr: &'a Value, others: &Others<'a>, kind: &str) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = sr["contained"]
        .as_array()
        .map(|a| a.iter().filter(|r| r["resourceType"] == kind).collect())
        .unwrap_or_default();
    out.extend(others.all().filter(|r| r["resourceType"] == kind));
    out
}

/// A due date from an Observation of LOINC 11778-8 about the subject (or about nobody named).
fn observed_due_date<'a>(sr: &'a Value, others: &Others<'a>, subject_ref: &str) -> Option<String> {
    all_of(sr, others, "Observation")
        .into_iter()
        .filter(|o| {
            o["code"]["coding"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["system"] == "http://loinc.org" && c["code"] == LOINC_DUE_DATE))
        })
        .filter(|o| str_at(o, "/subject/reference").is_none_or(|s| s == subject_ref))
        .find_map(|o| o["valueDateTime"].as_str().or(o["valueDate"].as_str()).map(|d| d.chars().take(10).collect()))
}

/// The identifiers of a resource (system, value), without the program's own.
pub fn identifiers_of(resource: &Value, path: &str) -> Result<Vec<(String, String)>, FhirError> {
    let mut out = Vec::new();
    for i in resource["identifier"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let system = i["system"].as_str().unwrap_or("");
        let Some(value) = i["value"].as_str().filter(|v| !v.is_empty()) else { continue };
        if system == ID_SYSTEM {
            continue;
        }
        if system.len() > MAX_SYSTEM || value.len() > MAX_VALUE {
            return Err(FhirError::value(
                &format!("{path}.identifier"),
                &format!("An identifier's system may be {MAX_SYSTEM} characters long and its value {MAX_VALUE}."),
            ));
        }
        out.push((system.to_string(), value.to_string()));
    }
    Ok(out)
}

/// `Type/id` of a reference given as `Type/id` or a full URL ending so (`https://h.org/fhir/Practitioner/7`);
/// anything else (`#contained`, `urn:uuid:…`, a display alone) names no one a search can find.
pub fn type_and_id(reference: &str) -> Option<String> {
    let mut parts = reference.trim_end_matches('/').rsplit('/');
    let (id, kind) = (parts.next()?, parts.next()?);
    let typed =
        kind.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && kind.chars().all(|c| c.is_ascii_alphabetic());
    (typed && is_id(id)).then(|| format!("{kind}/{id}"))
}

/// Whether text is a resource id as FHIR writes them: 1 to 64 letters, digits, '-' and '.'.
pub fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Who at the hospital asked: the ServiceRequest's `requester` (or the Task's), as `Type/id`.
fn requester_of(sr: &Value, task: Option<&Value>) -> Result<Option<String>, FhirError> {
    let reference = str_at(sr, "/requester/reference").or_else(|| task.and_then(|t| str_at(t, "/requester/reference")));
    let Some(reference) = reference else { return Ok(None) };
    if reference.len() > MAX_SYSTEM {
        return Err(FhirError::value(
            "ServiceRequest.requester",
            &format!("A requester reference may be {MAX_SYSTEM} characters long."),
        ));
    }
    Ok(type_and_id(reference))
}

/// A person's name, phone, address and birth date as the caregiver's fields.
fn caregiver_of(person: &Value) -> (CaregiverInput, AddressInput, Option<String>) {
    let name = person["name"].get(0).cloned().unwrap_or(Value::Null);
    let phone = person["telecom"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["system"] == "phone"))
        .and_then(|t| t["value"].as_str())
        .map(str::to_string);
    let addr = person["address"].get(0).cloned().unwrap_or(Value::Null);
    let language =
        person["communication"].get(0).and_then(|c| str_at(c, "/language/coding/0/code")).map(str::to_string);
    (
        CaregiverInput {
            first_name: name["given"].get(0).and_then(Value::as_str).map(str::to_string),
            last_name: name["family"].as_str().map(str::to_string),
            date_of_birth: person["birthDate"].as_str().map(str::to_string),
            phone,
        },
        AddressInput {
            line1: addr["line"].get(0).and_then(Value::as_str).map(str::to_string),
            city: addr["city"].as_str().map(str::to_string),
            state: addr["state"].as_str().map(str::to_string),
            zip: addr["postalCode"].as_str().map(str::to_string),
            neighborhood_id: extension(&addr, NEIGHBORHOOD_EXTENSION).and_then(|e| e["valueInteger"].as_i64()),
        },
        language,
    )
}

/// Whether a Patient is the mother (a birth date more than two years back: no baby is that
/// old at discharge) rather than the baby.
fn is_mother(patient: &Value, today: NaiveDate) -> bool {
    patient["birthDate"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_some_and(|d| (today - d).num_days() > 730)
}

/// Read a ServiceRequest (with the Bundle's other resources, and the Task sent with it)
/// into the request's parts; the first problem found answers.
pub fn read(sr: &Value, others: &Others<'_>, task: Option<&Value>, today: NaiveDate) -> Result<Intake, FhirError> {
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
            "The subject (a reference to the baby's Patient, or the mother's before birth) is required.",
        )
    })?;
    let patient = resolve(sr, others, subject_ref).filter(|p| p["resourceType"] == "Patient").ok_or_else(|| {
        FhirError::value(
            "ServiceRequest.subject",
            &format!("The subject {subject_ref} is not in the request: send the Patient contained (\"#infant\") or in the same transaction Bundle."),
        )
    })?;
    let related = all_of(sr, others, "RelatedPerson").into_iter().next();
    let due_date = extension(patient, DUE_DATE_EXTENSION)
        .and_then(|e| e["valueDate"].as_str())
        .map(str::to_string)
        .or_else(|| observed_due_date(sr, others, subject_ref));
    let mother = is_mother(patient, today);
    let (infant, carer) = if mother {
        if due_date.is_none() {
            return Err(FhirError::required(
                "Observation.valueDateTime",
                "The subject is the mother: send the expected due date as an Observation of LOINC 11778-8 (or the due-date extension on the Patient).",
            ));
        }
        (
            InfantInput { name: None, date_of_birth: None, expected_due_date: due_date, weight_lb: None },
            related.unwrap_or(patient),
        )
    } else {
        let related = related.ok_or_else(|| {
            FhirError::required(
                "RelatedPerson",
                "Include a RelatedPerson for the caregiver (contained or in the Bundle).",
            )
        })?;
        let infant = InfantInput {
            name: patient["name"].get(0).and_then(|n| n["given"].get(0)).and_then(Value::as_str).map(str::to_string),
            date_of_birth: patient["birthDate"].as_str().map(str::to_string),
            expected_due_date: due_date,
            weight_lb: None,
        };
        (infant, related)
    };
    let (caregiver, address, language) = caregiver_of(carer);
    let family = FamilyInput {
        caregiver: Some(caregiver),
        address: Some(address),
        // NOTE: FHIR carries no household size, income or enrollments: the household counts
        // the caregiver alone and the rest stays unknown until check-in.
        household_size: Some(json!(1)),
        annual_income: None,
        enrollments: Vec::new(),
        has_safe_sleep_space: None,
        infants: vec![infant],
        race_ethnicity: None,
        preferred_language: language,
        confirm_not_duplicate: true,
    };
    let mut identifiers = identifiers_of(sr, "ServiceRequest")?;
    if let Some(t) = task {
        identifiers.extend(identifiers_of(t, "Task")?);
    }
    identifiers.sort();
    identifiers.dedup();
    let resources = json!({
        "ServiceRequest": sr,
        "Patient": patient,
        "RelatedPerson": related,
        "Task": task,
        "subjectIsMother": mother,
    });
    Ok(Intake {
        family,
        discharge: sr["occurrenceDateTime"].as_str().map(|s| s.chars().take(10).collect::<String>()),
        note: sr["note"].get(0).and_then(|n| n["text"].as_str()).map(str::to_string),
        sent: SentFhir { resources: resources.to_string(), identifiers, requester: requester_of(sr, task)? },
    })
}

/// A request's field in FHIR words (for an OperationOutcome's `expression`).
pub fn map_field(field: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default()
    }

    fn mother_bundle() -> Value {
        json!([
            {"fullUrl": "urn:uuid:m", "resource": {"resourceType": "Patient", "birthDate": "1996-04-02", "gender": "female",
                "identifier": [{"system": "urn:oid:1.2.3", "value": "MRN-77"}],
                "name": [{"family": "O'Brien-Núñez", "given": ["Rosa"]}],
                "telecom": [{"system": "phone", "value": "410-555-0101"}],
                "address": [{"line": ["10 N Calvert St"], "city": "Baltimore", "state": "MD", "postalCode": "21202"}]}},
            {"fullUrl": "urn:uuid:o", "resource": {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "11778-8"}]},
                "subject": {"reference": "urn:uuid:m"}, "valueDateTime": "2027-01-10"}}
        ])
    }

    #[test]
    fn the_mother_as_subject_gives_an_expected_baby_and_herself_as_caregiver() {
        let entries = mother_bundle();
        let entries = entries.as_array().cloned().unwrap_or_default();
        let others = Others::of_entries(&entries);
        let sr = json!({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
            "identifier": [{"system": "urn:oid:9.9", "value": "ORD-1"}, {"system": ID_SYSTEM, "value": "5"}],
            "subject": {"reference": "urn:uuid:m"}, "occurrenceDateTime": "2026-12-06"});
        let got = read(&sr, &others, None, today()).expect("reads");
        assert_eq!(got.family.infants[0].expected_due_date.as_deref(), Some("2027-01-10"));
        assert_eq!(got.family.infants[0].date_of_birth, None);
        let carer = got.family.caregiver.expect("caregiver");
        assert_eq!(carer.last_name.as_deref(), Some("O'Brien-Núñez"));
        assert_eq!(got.family.address.and_then(|a| a.zip).as_deref(), Some("21202"));
        assert_eq!(got.sent.identifiers, vec![("urn:oid:9.9".to_string(), "ORD-1".to_string())]);
        assert_eq!(got.discharge.as_deref(), Some("2026-12-06"));
    }

    #[test]
    fn a_subject_that_is_not_sent_or_a_mother_without_due_date_is_refused_plainly() {
        let others = Others::default();
        let sr = json!({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/123"}});
        let e = read(&sr, &others, None, today()).expect_err("unresolved");
        assert!(e.issues[0]["diagnostics"].as_str().is_some_and(|d| d.contains("Patient/123")));
        let mut entries = mother_bundle().as_array().cloned().unwrap_or_default();
        entries.truncate(1);
        let others = Others::of_entries(&entries);
        let sr = json!({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
            "subject": {"reference": "urn:uuid:m"}});
        let e = read(&sr, &others, None, today()).expect_err("no due date");
        assert!(e.issues[0]["diagnostics"].as_str().is_some_and(|d| d.contains("11778-8")));
    }

    #[test]
    fn a_requester_is_kept_as_type_and_id_when_it_names_someone() {
        assert_eq!(type_and_id("Practitioner/okafor-7").as_deref(), Some("Practitioner/okafor-7"));
        assert_eq!(type_and_id("https://ehr.example.org/fhir/Organization/12/").as_deref(), Some("Organization/12"));
        for nameless in [
            "#nurse",
            "urn:uuid:8f1c1c8e-0000-4000-8000-000000000001",
            "okafor",
            "practitioner/1",
            "Practitioner/a b",
            "",
        ] {
            assert_eq!(type_and_id(nameless), None, "{nameless}");
        }
        let sr = json!({"requester": {"reference": "PractitionerRole/9", "display": "RN Alvarez"}});
        assert_eq!(requester_of(&sr, None).ok().flatten().as_deref(), Some("PractitionerRole/9"));
        let task = json!({"requester": {"reference": "Practitioner/3"}});
        assert_eq!(requester_of(&json!({}), Some(&task)).ok().flatten().as_deref(), Some("Practitioner/3"));
        let long = json!({"requester": {"reference": format!("Practitioner/{}", "x".repeat(400))}});
        assert!(requester_of(&long, None).is_err());
    }
}
