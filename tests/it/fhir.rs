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
    assert_eq!(location, format!("/fhir/r4/ServiceRequest/{}/_history/1", sr["id"].as_str().expect("id")));
    assert_eq!(sr["status"], "active");
    assert_eq!(sr["intent"], "order");
    assert_eq!(sr["meta"]["versionId"], "1");
    assert_eq!(sr["requester"]["display"], "Nurse on 8th floor", "the sender's requester, kept");
    let sid = sr["id"].as_str().expect("id");
    assert_eq!(sr["subject"]["reference"], format!("Patient/{sid}"));
    let (status, carer) = get_fhir(&app, &nurse, &format!("/fhir/r4/RelatedPerson/{sid}")).await;
    assert_eq!(status, StatusCode::OK, "{carer}");
    assert_eq!(carer["name"][0]["family"], "Nwosu");
    save_sample("related-person", &carer);
    let (status, baby) = get_fhir(&app, &nurse, &format!("/fhir/r4/Patient/{sid}")).await;
    assert_eq!(status, StatusCode::OK, "{baby}");
    assert_eq!(baby["birthDate"], days_ago(2).to_string());
    save_sample("patient-infant", &baby);
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
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "version 1 is not kept once declined");
    let res =
        app.http.get(app.url(&format!("/fhir/r4/ServiceRequest/{sid}"))).bearer_auth(&nurse).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("etag").and_then(|v| v.to_str().ok()), Some("W/\"2\""));
    assert!(res.headers().get("last-modified").is_some());
    let back: Value = res.json().await.expect("json");
    assert_eq!(back["status"], "revoked");
    assert_eq!(back["meta"]["versionId"], "2");
    assert!(back["note"]
        .as_array()
        .is_some_and(|n| n.iter().any(|x| x["text"].as_str().is_some_and(|t| t.contains("already has a crib")))));
    save_sample("service-request-revoked", &back);
    let nurse2 = app.token("nurse2@demo.cribs").await;
    let res = app
        .http
        .get(app.url(&format!("/fhir/r4/ServiceRequest/{sid}")))
        .bearer_auth(&nurse2)
        .send()
        .await
        .expect("GET");
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
    let mut outside = service_request();
    outside["subject"] = json!({"reference": "Patient/123"});
    let mut wrong_intent = service_request();
    wrong_intent["intent"] = json!("proposal");
    let cases = [
        ("not json", "{not json".to_string(), StatusCode::BAD_REQUEST),
        ("wrong resourceType", wrong_type.to_string(), StatusCode::BAD_REQUEST),
        ("missing subject", no_subject.to_string(), StatusCode::BAD_REQUEST),
        ("bad discharge date", bad_date.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("birth in the future", future_birth.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("wrong intent", wrong_intent.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("subject not sent", outside.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capability_statement_says_what_is_served_and_other_methods_and_media_are_refused_plainly() {
    let app = TestApp::spawn().await;
    // Anyone may read the CapabilityStatement; it lists exactly the routes' interactions.
    let res = app.http.get(app.url("/fhir/r4/metadata")).send().await.expect("metadata");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-type")
        .is_some_and(|c| c.to_str().unwrap_or("").starts_with("application/fhir+json")));
    let cs: Value = res.json().await.expect("json");
    save_sample("capability-statement", &cs);
    assert_eq!(cs["resourceType"], "CapabilityStatement");
    assert_eq!(cs["fhirVersion"], "4.0.1");
    assert_eq!(cs["kind"], "instance");
    let resources = cs["rest"][0]["resource"].as_array().expect("resources");
    let kinds: Vec<&str> = resources.iter().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(kinds, ["Patient", "Procedure", "RelatedPerson", "ServiceRequest", "Task"], "{cs}");
    let of = |kind: &str| resources.iter().find(|r| r["type"] == kind).cloned().unwrap_or_default();
    assert_eq!(
        of("ServiceRequest")["interaction"],
        json!([{"code": "create"}, {"code": "read"}, {"code": "vread"}, {"code": "search-type"}])
    );
    assert_eq!(of("ServiceRequest")["conditionalCreate"], true);
    assert_eq!(
        of("Task")["interaction"],
        json!([{"code": "read"}, {"code": "vread"}, {"code": "search-type"}, {"code": "update"}])
    );
    let task = of("Task");
    let task_params: Vec<&str> = task["searchParam"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(task_params, ["_id", "identifier", "status", "patient", "focus", "requester", "_lastUpdated"]);
    assert_eq!(cs["rest"][0]["interaction"], json!([{"code": "transaction"}]));
    assert_eq!(
        cs["instantiates"][0],
        "http://hl7.org/fhir/us/sdoh-clinicalcare/CapabilityStatement/SDOHCC-ReferralRecipient"
    );
    let oauth = &cs["rest"][0]["security"]["extension"][0];
    assert_eq!(oauth["url"], "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
    let token_url = oauth["extension"][0]["valueUri"].as_str().expect("token endpoint");
    assert!(token_url.ends_with("/fhir/r4/auth/token"), "{token_url}");
    let smart: Value = app
        .http
        .get(app.url("/fhir/r4/.well-known/smart-configuration"))
        .send()
        .await
        .expect("smart")
        .json()
        .await
        .expect("json");
    assert_eq!(smart["token_endpoint"], token_url);
    let at_root: Value = app
        .http
        .get(app.url("/.well-known/smart-configuration"))
        .send()
        .await
        .expect("smart")
        .json()
        .await
        .expect("json");
    assert_eq!(at_root, smart, "the same document at the root");
    assert_eq!(smart["token_endpoint_auth_signing_alg_values_supported"], json!(["RS384", "ES384"]));

    // A method this face does not serve: 405, Allow, an OperationOutcome.
    for (method, path, allow) in [
        (reqwest::Method::PUT, "/fhir/r4/ServiceRequest/1", "GET"),
        (reqwest::Method::DELETE, "/fhir/r4/ServiceRequest/1", "GET"),
        (reqwest::Method::DELETE, "/fhir/r4/Task/1", "GET, PUT"),
        (reqwest::Method::PATCH, "/fhir/r4/ServiceRequest", "GET, POST"),
        (reqwest::Method::PUT, "/fhir/r4/metadata", "GET"),
        (reqwest::Method::PUT, "/fhir/r4", "POST"),
    ] {
        let res = app.http.request(method.clone(), app.url(path)).send().await.expect("send");
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(res.headers().get("allow").and_then(|v| v.to_str().ok()), Some(allow), "{method} {path}");
        let oo: Value = res.json().await.expect("json");
        save_sample("operation-outcome-405", &oo);
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert_eq!(oo["issue"][0]["code"], "not-supported");
    }

    // No token: 401 with WWW-Authenticate.
    let res = app.http.get(app.url("/fhir/r4/ServiceRequest/1")).send().await.expect("read");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get("www-authenticate").is_some_and(|v| v.to_str().unwrap_or("").starts_with("Bearer")));

    // JSON only: XML asked for is 406, XML sent is 415; nothing stored.
    let nurse = app.token("nurse@demo.cribs").await;
    let referrals = app.count("referrals").await;
    let res =
        app.http.get(app.url("/fhir/r4/metadata")).header("Accept", "application/fhir+xml").send().await.expect("xml");
    assert_eq!(res.status(), StatusCode::NOT_ACCEPTABLE);
    let oo: Value = res.json().await.expect("an OperationOutcome in JSON");
    assert_eq!(oo["resourceType"], "OperationOutcome");
    let res = app
        .http
        .post(app.url("/fhir/r4/ServiceRequest"))
        .bearer_auth(&nurse)
        .header("Content-Type", "application/fhir+xml")
        .body("<ServiceRequest xmlns=\"http://hl7.org/fhir\"/>")
        .send()
        .await
        .expect("xml");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(app.count("referrals").await, referrals, "nothing stored");
    // JSON with a generous Accept still works.
    let res = app
        .http
        .get(app.url("/fhir/r4/metadata"))
        .header("Accept", "application/fhir+json, application/fhir+xml;q=0.5")
        .send()
        .await
        .expect("json");
    assert_eq!(res.status(), StatusCode::OK);
}

async fn get_fhir(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let res = app.http.get(app.url(path)).bearer_auth(token).send().await.expect("GET");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hospital_polls_the_task_of_its_request_through_each_state() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let nurse2 = app.token("nurse2@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, sr, _, _) = post_fhir(&app, &nurse, &service_request().to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{sr}");
    let id: i64 = sr["id"].as_str().and_then(|s| s.parse().ok()).expect("numeric id");

    // Waiting: requested, focused on the ServiceRequest, the IG's fixed values.
    let (status, task) = get_fhir(&app, &nurse, &format!("/fhir/r4/Task/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{task}");
    save_sample("task-requested", &task);
    assert_eq!(task["resourceType"], "Task");
    assert_eq!(task["status"], "requested");
    assert_eq!(task["intent"], "order");
    assert_eq!(task["code"]["coding"][0]["code"], "fulfill");
    assert_eq!(task["focus"]["reference"], format!("ServiceRequest/{id}"));
    assert!(task["authoredOn"].is_string() && task["requester"]["display"].is_string() && task["for"].is_object());
    assert_eq!(task["businessStatus"]["coding"][0]["code"], "submitted");

    // Polled by the hospital's identifier; the other hospital's nurse sees none of it.
    let query = format!("/fhir/r4/Task?identifier=urn:cribs:referral|{id}");
    let (status, bundle) = get_fhir(&app, &nurse, &query).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    save_sample("task-searchset", &bundle);
    assert_eq!((bundle["type"].clone(), bundle["total"].clone()), (json!("searchset"), json!(1)));
    assert_eq!(bundle["entry"][0]["resource"]["id"], id.to_string());
    assert!(bundle["entry"][0]["fullUrl"].as_str().is_some_and(|u| u.ends_with(&format!("/fhir/r4/Task/{id}"))));
    let (_, other) = get_fhir(&app, &nurse2, &query).await;
    assert_eq!(other["total"], 0, "another hospital's request is not found");
    let (status, _) = get_fhir(&app, &nurse2, &format!("/fhir/r4/Task/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e) = get_fhir(&app, &nurse, "/fhir/r4/Task?status=received").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["resourceType"], "OperationOutcome");

    // Accepted: where and until when, a newer lastUpdated.
    let (status, body) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, accepted) = get_fhir(&app, &nurse, &format!("/fhir/r4/Task/{id}")).await;
    save_sample("task-accepted", &accepted);
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["businessStatus"]["text"].as_str().is_some_and(|t| t.contains("held at")), "{accepted}");
    assert!(accepted["meta"]["lastUpdated"].as_str() >= task["meta"]["lastUpdated"].as_str());
    let (_, by_status) = get_fhir(&app, &nurse, "/fhir/r4/Task?status=accepted,requested").await;
    assert!(by_status["entry"]
        .as_array()
        .is_some_and(|e| e.iter().any(|x| x["resource"]["id"].as_str() == Some(id.to_string().as_str()))));

    // Cancelled by the hospital: cancelled with a reason.
    let (status, body) = app.post(&nurse, &format!("/api/v1/referrals/{id}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, cancelled) = get_fhir(&app, &nurse, &format!("/fhir/r4/Task/{id}")).await;
    save_sample("task-cancelled", &cancelled);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["statusReason"]["text"].is_string(), "{cancelled}");
}
