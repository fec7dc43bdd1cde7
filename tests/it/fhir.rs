//! FHIR R4: a ServiceRequest becomes a referral; it reads back with the right status; bad
//! resources answer OperationOutcome with a 4xx and store nothing. Every resource the app
//! emits is written under target/fhir-samples/ for the outside validator (`.ci/fhir-validate`).

use crate::common::fixtures::{days_ago, today};
use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn service_request() -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "code": {"text": "portable crib and safe sleep education"},
        "contained": [
            {"resourceType": "Patient", "id": "infant", "birthDate": days_ago(2).to_string()},
            {"resourceType": "RelatedPerson", "id": "caregiver", "patient": {"reference": "#infant"},
             "name": [{"family": "Nwosu", "given": ["Ada"]}],
             "telecom": [{"system": "phone", "value": "410-555-8080"}],
             "address": [{"line": ["1500 E Monument St"], "city": "Baltimore", "state": "MD", "postalCode": "21205",
                          "extension": [{"url": "https://cribs.example.org/fhir/StructureDefinition/neighborhood", "valueInteger": 65}]}]}
        ],
        "subject": {"reference": "#infant"},
        "requester": {"display": "Nurse on 8th floor"},
        "occurrenceDateTime": today().to_string(),
        "note": [{"text": "Discharging this afternoon"}]
    })
}

async fn post_fhir(app: &TestApp, token: &str, body: &str) -> (StatusCode, Value, Option<String>, String) {
    let res = app
        .http
        .post(app.url("/fhir/r4/ServiceRequest"))
        .bearer_auth(token)
        .header("Content-Type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let status = res.status();
    let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
    let ctype = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body: Value = serde_json::from_str(&res.text().await.unwrap_or_default()).unwrap_or(Value::Null);
    (status, body, location, ctype)
}

fn save_sample(name: &str, v: &Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fhir-samples");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string_pretty(v).unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_request_becomes_a_referral_and_reads_back() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, sr, location, ctype) = post_fhir(&app, &nurse, &service_request().to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{sr}");
    assert!(ctype.starts_with("application/fhir+json"), "{ctype}");
    let location = location.expect("Location");
    assert_eq!(location, format!("/fhir/r4/ServiceRequest/{}", sr["id"].as_str().expect("id")));
    assert_eq!(sr["status"], "active");
    assert_eq!(sr["intent"], "order");
    assert_eq!(sr["contained"][1]["name"][0]["family"], "Nwosu");
    save_sample("service-request-active", &sr);
    let id: i64 = sr["id"].as_str().and_then(|s| s.parse().ok()).expect("numeric id");
    let (_, r) = app.get(&nurse, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(r["status"], "submitted");
    // Decline: the FHIR status follows the referral.
    let (status, _) = app
        .post(&manager, &format!("/api/v1/referrals/{id}/decline"), &json!({"reason": "Family already has a crib"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let res = app.http.get(app.url(&location)).bearer_auth(&nurse).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let back: Value = res.json().await.expect("json");
    assert_eq!(back["status"], "revoked");
    assert!(back["note"]
        .as_array()
        .is_some_and(|n| n.iter().any(|x| x["text"].as_str().is_some_and(|t| t.contains("already has a crib")))));
    save_sample("service-request-revoked", &back);
    let nurse2 = app.token("nurse2@demo.cribs").await;
    let res = app.http.get(app.url(&location)).bearer_auth(&nurse2).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another hospital's request");
    let outcome: Value = res.json().await.expect("json");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    save_sample("operation-outcome-not-found", &outcome);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_resources_answer_operation_outcomes_and_store_nothing() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let before = (app.count("referrals").await, app.count("families").await);
    let mut wrong_type = service_request();
    wrong_type["resourceType"] = json!("Patient");
    let mut no_subject = service_request();
    no_subject.as_object_mut().map(|o| o.remove("subject"));
    let mut bad_date = service_request();
    bad_date["occurrenceDateTime"] = json!("0001-13-45");
    let mut future_birth = service_request();
    future_birth["contained"][0]["birthDate"] = json!("2999-01-01");
    let mut wrong_intent = service_request();
    wrong_intent["intent"] = json!("proposal");
    let cases = [
        ("not json", "{not json".to_string(), StatusCode::BAD_REQUEST),
        ("wrong resourceType", wrong_type.to_string(), StatusCode::BAD_REQUEST),
        ("missing subject", no_subject.to_string(), StatusCode::BAD_REQUEST),
        ("bad discharge date", bad_date.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("birth in the future", future_birth.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("wrong intent", wrong_intent.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (what, body, want) in cases {
        let (status, outcome, _, ctype) = post_fhir(&app, &nurse, &body).await;
        assert_eq!(status, want, "{what}: {outcome}");
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{what}");
        assert!(outcome["issue"][0]["diagnostics"].as_str().is_some_and(|d| d.len() > 10), "{what}");
        assert!(ctype.starts_with("application/fhir+json"), "{what}");
        save_sample(&format!("operation-outcome-{}", what.replace(' ', "-")), &outcome);
    }
    let (status, outcome, _, _) = post_fhir(&app, "not-a-token", &service_request().to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let staff = app.token("staff@demo.cribs").await;
    let (status, _, _, _) = post_fhir(&app, &staff, &service_request().to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only nurses send requests");
    assert_eq!((app.count("referrals").await, app.count("families").await), before);
}
