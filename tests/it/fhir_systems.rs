//! Hospital systems on the FHIR face (issue 22): an administrator registers a system's
//! public keys; the system signs in with SMART Backend Services (RS384 and ES384
//! assertions, every refusal case); its token is good on the FHIR face only and only for
//! its scopes; a transaction Bundle with the mother as subject becomes one request, a resend
//! duplicates nothing; the hospital polls by its own identifiers, sees new versions, cancels
//! through its Task (`If-Match`), reads the Procedure of a hand-out; the IG's fixed values
//! hold. Every resource is written to target/fhir-samples for the three validators.
//!
//! The keys under `tests/it/keys/` are test keys made for this file (openssl), nothing else.

use crate::common::fixtures::{days_ago, days_ahead};
use crate::common::TestApp;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

const RSA_KEY: &str = include_str!("keys/hospital-rs384.pem");
const EC_KEY: &str = include_str!("keys/hospital-es384.pem");
const RSA_N: &str = "oSRFwxedCwIOka_JqWwRyCLN9ZLNCsdTstvTwDaUXm9U6QC4L21dw-FkWt3eSQWueEodI2fCk7gCahYkKCkh2YvmWW2fGYGJHPathZaSEA_gaYle_hdROm9MpxRGZcTFA6mmGE75ejJiXh1nsHLUHgbHxb3JXbVD-iVAmp8msX5IylSW5rICtN_fEb6rNrlskZIZx-qiv3av4QVYT2fvGmBpBW61SQ4Pkbh9Fe7TU-zziHNZK13FpY8SNAwNj66EcNsHRV4VTzEZSk4bOBFSAUU0fECTMWRer_sPPgxKc1u9Du5ijvWEeT3_yxyluo0c8a7iYp9IS0kz-sPw3C07Gw";
const EC_X: &str = "uosnP7iRA7VZCTC5NhREBKqYfHhGdcPIBeoIwJoGDg6erPod54uWBQTZFK36jmAO";
const EC_Y: &str = "FQHcJMEGYSxoti0-c-zr96KC_4kyRsQDSC2C7yntxNV9QMZzAkT4F9EZZx5fEUUe";

pub(crate) fn jwks() -> Value {
    json!({"keys": [
        {"kty": "RSA", "kid": "rsa-1", "alg": "RS384", "use": "sig", "n": RSA_N, "e": "AQAB"},
        {"kty": "EC", "kid": "ec-1", "alg": "ES384", "use": "sig", "crv": "P-384", "x": EC_X, "y": EC_Y}
    ]})
}

fn save_sample(name: &str, v: &Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fhir-samples");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string_pretty(v).unwrap_or_default());
}

/// A signed assertion: `exp_in` seconds from now, with this `jti`.
fn assertion(client_id: &str, aud: &str, alg: Algorithm, exp_in: i64, jti: &str) -> String {
    let (kid, key) = match alg {
        Algorithm::ES384 => ("ec-1", EncodingKey::from_ec_pem(EC_KEY.as_bytes()).expect("ec key")),
        _ => ("rsa-1", EncodingKey::from_rsa_pem(RSA_KEY.as_bytes()).expect("rsa key")),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "exp": now + exp_in, "jti": jti});
    jsonwebtoken::encode(&header, &claims, &key).expect("sign")
}

struct System {
    client_id: String,
    token_url: String,
}

/// Register a system for Johns Hopkins (the demo's `nurse@` hospital) with these scopes.
async fn register(app: &TestApp, scopes: &str) -> System {
    let admin = app.token("admin@demo.cribs").await;
    let (_, me) = app.get(&app.token("nurse@demo.cribs").await, "/api/v1/me").await;
    let hospital = me["hospital"]["id"].as_i64().expect("the nurse's hospital");
    let (status, c) = app
        .post(
            &admin,
            "/api/v1/fhir-clients",
            &json!({"name": "Hopkins Epic interface", "hospital_site_id": hospital, "jwks": jwks(), "scopes": scopes}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let smart: Value = app
        .http
        .get(app.url("/fhir/r4/.well-known/smart-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    System {
        client_id: c["client_id"].as_str().expect("client_id").to_string(),
        token_url: smart["token_endpoint"].as_str().expect("token endpoint").to_string(),
    }
}

/// Ask for a token; the status and the JSON answer.
async fn ask(app: &TestApp, scope: &str, client_assertion: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url("/fhir/r4/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", client_assertion),
        ])
        .send()
        .await
        .expect("token");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn token(app: &TestApp, sys: &System, scope: &str) -> String {
    let jti = format!("jti-{}", cribs::auth::token::short_token());
    let (status, t) = ask(app, scope, &assertion(&sys.client_id, &sys.token_url, Algorithm::RS384, 240, &jti)).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t["access_token"].as_str().expect("access_token").to_string()
}

async fn fhir(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.header("Content-Type", "application/fhir+json").body(b.to_string());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("send");
    let status = res.status();
    let h = res.headers().clone();
    (status, res.json().await.unwrap_or(Value::Null), h)
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let (s, v, _) = fhir(app, reqwest::Method::GET, token, path, None, &[]).await;
    (s, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hospital_system_signs_in_with_backend_services_and_every_bad_assertion_is_refused() {
    let app = TestApp::spawn().await;
    let sys =
        register(&app, "system/ServiceRequest.cruds system/Task.cruds system/Patient.rs system/Procedure.rs").await;
    let aud = sys.token_url.clone();
    let id = sys.client_id.clone();

    // RS384 and ES384 both work; the grant is what was asked and registered.
    let (status, t) =
        ask(&app, "system/Task.rs system/Observation.read", &assertion(&id, &aud, Algorithm::RS384, 240, "a-1")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(
        (t["token_type"].clone(), t["expires_in"].clone(), t["scope"].clone()),
        (json!("bearer"), json!(300), json!("system/Task.rs"))
    );
    let (status, t2) = ask(&app, "system/Task.read", &assertion(&id, &aud, Algorithm::ES384, 240, "a-2")).await;
    assert_eq!(status, StatusCode::OK, "{t2}");

    // Refusals, each with OAuth's error and a sentence; none gives a token.
    let other_aud = "https://elsewhere.example.org/token";
    let cases = [
        ("replayed jti", "system/Task.rs", assertion(&id, &aud, Algorithm::RS384, 240, "a-1"), 401, "invalid_client"),
        ("expired", "system/Task.rs", assertion(&id, &aud, Algorithm::RS384, -120, "a-3"), 401, "invalid_client"),
        (
            "exp too far ahead",
            "system/Task.rs",
            assertion(&id, &aud, Algorithm::RS384, 3600, "a-4"),
            401,
            "invalid_client",
        ),
        (
            "another audience",
            "system/Task.rs",
            assertion(&id, other_aud, Algorithm::RS384, 240, "a-5"),
            401,
            "invalid_client",
        ),
        (
            "unknown client",
            "system/Task.rs",
            assertion("cribs-nobody", &aud, Algorithm::RS384, 240, "a-6"),
            401,
            "invalid_client",
        ),
        (
            "scope not registered",
            "system/RelatedPerson.read",
            assertion(&id, &aud, Algorithm::RS384, 240, "a-7"),
            400,
            "invalid_scope",
        ),
        ("not a JWT", "system/Task.rs", "not.a.jwt".to_string(), 401, "invalid_client"),
    ];
    for (what, scope, a, want, error) in cases {
        let (status, e) = ask(&app, scope, &a).await;
        assert_eq!(status.as_u16(), want, "{what}: {e}");
        assert_eq!(e["error"], error, "{what}: {e}");
        assert!(e["error_description"].as_str().is_some_and(|d| d.len() > 20), "{what}: {e}");
    }
    // A tampered signature: the payload of one, the signature of another.
    let good = assertion(&id, &aud, Algorithm::RS384, 240, "a-8");
    let other = assertion(&id, &aud, Algorithm::RS384, 200, "a-9");
    let forged = format!(
        "{}.{}",
        other.rsplit_once('.').map(|(h, _)| h).unwrap_or(""),
        good.rsplit_once('.').map(|(_, s)| s).unwrap_or("")
    );
    let (status, e) = ask(&app, "system/Task.rs", &forged).await;
    assert_eq!((status, e["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_client")), "{e}");
    assert_eq!(app.count_where("api_tokens", "scopes IS NOT NULL").await, 2, "only the two good assertions got tokens");

    // The token works on the FHIR face for its scopes only, never on the JSON API.
    let tok = t["access_token"].as_str().expect("token");
    let (status, _) = get(&app, tok, "/fhir/r4/Task?status=requested").await;
    assert_eq!(status, StatusCode::OK);
    let (status, oo) = get(&app, tok, "/fhir/r4/ServiceRequest?status=active").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{oo}");
    assert!(oo["issue"][0]["diagnostics"].as_str().is_some_and(|d| d.contains("system/ServiceRequest.s")), "{oo}");
    let (status, _) = app.get(tok, "/api/v1/referrals").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a system's token is for the FHIR face only");
    assert!(app.count_where("audit_events", "action = 'fhir_client.token'").await >= 2);

    // Revoked: its tokens stop at once, and it gets no more.
    let admin = app.token("admin@demo.cribs").await;
    let (_, list) = app.get(&admin, "/api/v1/fhir-clients").await;
    let reg = list[0]["id"].as_i64().expect("registration id");
    assert_eq!(list[0]["key_ids"], json!(["rsa-1", "ec-1"]));
    let (status, _) = app.post(&admin, &format!("/api/v1/fhir-clients/{reg}/revoke"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&app, tok, "/fhir/r4/Task").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, e) = ask(&app, "system/Task.rs", &assertion(&id, &aud, Algorithm::RS384, 240, "a-10")).await;
    assert_eq!((status, e["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_client")));

    // Registration refuses what it cannot use, and only an administrator registers.
    let manager = app.token("manager@demo.cribs").await;
    let (status, _) = app
        .post(
            &manager,
            "/api/v1/fhir-clients",
            &json!({"name": "x", "hospital_site_id": 1, "jwks": jwks(), "scopes": "system/Task.rs"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, field) in [
        (json!({"name": "x", "hospital_site_id": 1, "jwks": {"keys": []}, "scopes": "system/Task.rs"}), "jwks"),
        (json!({"name": "x", "hospital_site_id": 1, "jwks": jwks(), "scopes": "user/Task.read"}), "scopes"),
        (json!({"name": "", "hospital_site_id": 1, "jwks": jwks(), "scopes": "system/Task.rs"}), "name"),
        (json!({"name": "x", "hospital_site_id": 999, "jwks": jwks(), "scopes": "system/Task.rs"}), "hospital_site_id"),
    ] {
        let (status, e) = app.post(&admin, "/api/v1/fhir-clients", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {e}");
        assert!(e["fields"][field].is_array(), "{field}: {e}");
    }
}

/// A Gravity-style transaction: ServiceRequest + Task + the mother as Patient + the due date.
fn referral_bundle(order: &str) -> Value {
    let n: u32 = order.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0')).sum();
    let given = ["Marisol", "Adaeze", "Keisha", "Tamika", "Lucía", "Imani"][n as usize % 6];
    let phone = format!("410-555-{:04}", 1000 + n * 37);
    let born = format!("19{}-03-14", 80 + n % 19);
    json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000001", "request": {"method": "POST", "url": "ServiceRequest", "ifNoneExist": format!("identifier=urn:oid:2.16.840.1.113883.3.1|{order}")},
             "resource": {"resourceType": "ServiceRequest", "status": "active", "intent": "order",
                "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.1", "value": order}],
                "category": [{"coding": [{"system": "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes", "code": "sdoh-category-unspecified"}]}],
                "code": {"text": "Portable crib"},
                "subject": {"reference": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000002"},
                "requester": {"reference": "Practitioner/okafor-7", "display": "Dr. Okafor, Labor & Delivery"},
                "occurrenceDateTime": days_ahead(1).to_string(), "authoredOn": days_ago(0).to_string()}},
            {"fullUrl": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000002", "request": {"method": "POST", "url": "Patient"},
             "resource": {"resourceType": "Patient", "gender": "female", "birthDate": born,
                "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.1.1", "value": format!("MRN-{order}")}],
                "name": [{"family": "O'Brien-Núñez", "given": [given]}],
                "telecom": [{"system": "phone", "value": phone}],
                "address": [{"line": ["1800 Orleans St"], "city": "Baltimore", "state": "MD", "postalCode": "21287"}]}},
            {"fullUrl": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000003", "request": {"method": "POST", "url": "Observation"},
             "resource": {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "11778-8"}]},
                "subject": {"reference": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000002"},
                "valueDateTime": days_ahead(20).to_string()}},
            {"fullUrl": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000004", "request": {"method": "POST", "url": "Task"},
             "resource": {"resourceType": "Task", "status": "requested", "intent": "order",
                "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.1.2", "value": format!("TASK-{order}")}],
                "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
                "focus": {"reference": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000001"},
                "for": {"reference": "urn:uuid:8f1c1c8e-0000-4000-8000-000000000002"},
                "authoredOn": days_ago(0).to_string()}}
        ]
    })
}

/// The IG's rules for a Task, as assertions.
fn assert_ig_task(task: &Value) {
    let status = task["status"].as_str().unwrap_or("");
    assert!(
        ["requested", "accepted", "rejected", "cancelled", "in-progress", "on-hold", "failed", "completed"]
            .contains(&status),
        "{task}"
    );
    assert_eq!(task["intent"], "order");
    assert_eq!(task["code"]["coding"][0]["code"], "fulfill");
    assert!(task["focus"]["reference"].as_str().is_some_and(|r| r.starts_with("ServiceRequest/")));
    assert!(task["for"]["reference"].as_str().is_some_and(|r| r.starts_with("Patient/")));
    assert!(task["authoredOn"].is_string() && task["requester"].is_object() && task["owner"].is_object());
    if ["rejected", "cancelled", "failed"].contains(&status) {
        assert!(task["statusReason"]["text"].is_string(), "statusReason on {status}: {task}");
    }
    if status == "completed" {
        assert_eq!(task["output"][0]["type"]["coding"][0]["code"], "resulting-activity");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_bundle_makes_one_request_that_the_hospital_polls_cancels_and_sees_fulfilled() {
    let app = TestApp::spawn().await;
    let sys = register(&app, "system/*.cruds").await;
    let tok = token(&app, &sys, "system/*.cruds").await;
    let manager = app.token("manager@demo.cribs").await;
    let before = app.count("referrals").await;

    // The transaction: one request, each entry named as kept.
    let (status, resp, _) =
        fhir(&app, reqwest::Method::POST, &tok, "/fhir/r4", Some(&referral_bundle("ORD-100")), &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    save_sample("transaction-response", &resp);
    assert_eq!(resp["type"], "transaction-response");
    assert_eq!(resp["entry"][0]["response"]["status"], "201 Created");
    let loc = resp["entry"][0]["response"]["location"].as_str().expect("location");
    let id: i64 = loc.split('/').nth(1).and_then(|i| i.parse().ok()).expect("id");
    assert_eq!(loc, format!("ServiceRequest/{id}/_history/1"));
    assert_eq!(resp["entry"][3]["response"]["location"], format!("Task/{id}/_history/1"));
    assert_eq!(app.count("referrals").await, before + 1);

    // A resend (a retry after a lost answer) writes nothing and names the same request.
    let (status, again, _) =
        fhir(&app, reqwest::Method::POST, &tok, "/fhir/r4", Some(&referral_bundle("ORD-100")), &[]).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["entry"][0]["response"]["status"], "200 OK");
    assert_eq!(again["entry"][0]["response"]["location"], loc);
    assert_eq!(app.count("referrals").await, before + 1, "a resend duplicates nothing");
    // So does a conditional create of the ServiceRequest alone.
    let sr_alone = referral_bundle("ORD-100")["entry"][0]["resource"].clone();
    let (status, found, _) = fhir(
        &app,
        reqwest::Method::POST,
        &tok,
        "/fhir/r4/ServiceRequest",
        Some(&sr_alone),
        &[("If-None-Exist", "identifier=urn:oid:2.16.840.1.113883.3.1|ORD-100")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["id"], id.to_string());
    // Without the condition, the same order number is a conflict, not a second request.
    let mut unconditional = referral_bundle("ORD-100");
    unconditional["entry"][0]["request"] = json!({"method": "POST", "url": "ServiceRequest"});
    let (status, oo, _) = fhir(&app, reqwest::Method::POST, &tok, "/fhir/r4", Some(&unconditional), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{oo}");
    assert!(oo["issue"][0]["diagnostics"].as_str().is_some_and(|d| d.contains("already sent")), "{oo}");
    assert_eq!(app.count("referrals").await, before + 1);

    // What was sent reads back: identifiers, requester, category; the mother as Patient.
    let (_, sr) = get(&app, &tok, &format!("/fhir/r4/ServiceRequest/{id}")).await;
    save_sample("service-request-from-transaction", &sr);
    assert!(sr["identifier"].as_array().is_some_and(|i| i.iter().any(|i| i["value"] == "ORD-100")), "{sr}");
    assert_eq!(sr["requester"]["display"], "Dr. Okafor, Labor & Delivery");
    assert!(sr["category"].is_array());
    let (_, mother) = get(&app, &tok, &format!("/fhir/r4/Patient/{id}")).await;
    save_sample("patient-mother", &mother);
    assert_eq!(mother["name"][0]["family"], "O'Brien-Núñez");
    assert_eq!(mother["identifier"][0]["value"], "MRN-ORD-100");
    assert_eq!(mother["extension"][0]["valueDate"], days_ahead(20).to_string());
    let (_, carer) = get(&app, &tok, &format!("/fhir/r4/RelatedPerson/{id}")).await;
    save_sample("related-person-mother", &carer);
    assert_eq!(carer["relationship"][0]["coding"][0]["code"], "MTH");

    // Polled by the hospital's own Task identifier, as the Gravity reference implementation does.
    let (status, polled) =
        get(&app, &tok, "/fhir/r4/Task?identifier=urn:oid:2.16.840.1.113883.3.1.2|TASK-ORD-100&_include=Task:focus")
            .await;
    assert_eq!(status, StatusCode::OK, "{polled}");
    save_sample("task-searchset-include", &polled);
    assert_eq!(polled["total"], 1);
    let task = polled["entry"][0]["resource"].clone();
    assert_ig_task(&task);
    assert_eq!(task["status"], "requested");
    assert_eq!(polled["entry"][1]["search"]["mode"], "include");
    assert_eq!(polled["entry"][1]["resource"]["resourceType"], "ServiceRequest");
    // Or by who asked: the reference as sent, a full URL ending so, or the id alone.
    for (query, total) in [
        ("Task?requester=Practitioner/okafor-7", 1),
        ("Task?requester=https://ehr.example.org/fhir/Practitioner/okafor-7", 1),
        ("ServiceRequest?requester=okafor-7", 1),
        ("ServiceRequest?requester=Practitioner/okafor-8,PractitionerRole/okafor-7", 0),
        // A parameter the type does not take is ignored (FHIR's lenient handling).
        ("Task?based-on=ServiceRequest/999999&requester=Practitioner/okafor-7", 1),
    ] {
        let (status, found) = get(&app, &tok, &format!("/fhir/r4/{query}")).await;
        assert_eq!((status, found["total"].clone()), (StatusCode::OK, json!(total)), "{query}: {found}");
    }
    let (status, oo) = get(&app, &tok, "/fhir/r4/Task?requester=Practitioner%2F%25").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{oo}");
    assert!(oo["issue"][0]["diagnostics"].as_str().is_some_and(|d| d.contains("Type/id")), "{oo}");

    // The manager holds a crib: a new version, accepted, where and until when.
    let (status, body) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let since = task["meta"]["lastUpdated"].as_str().expect("lastUpdated").to_string();
    let (_, changed) = get(&app, &tok, &format!("/fhir/r4/Task?_lastUpdated=gt{}", since.replace('+', "%2B"))).await;
    assert_eq!(changed["total"], 1, "{changed}");
    let accepted = changed["entry"][0]["resource"].clone();
    assert_ig_task(&accepted);
    save_sample("task-accepted-v2", &accepted);
    assert_eq!((accepted["status"].clone(), accepted["meta"]["versionId"].clone()), (json!("accepted"), json!("2")));
    assert!(accepted["location"]["display"].is_string(), "{accepted}");

    // Cancelling with a stale version: 412, nothing changes; with the current one: cancelled.
    let mut cancel = accepted.clone();
    cancel["status"] = json!("cancelled");
    let available = app.count_where("stock_balances", "site_id = 2 AND crib_model_id = 1 AND reserved > 0").await;
    let (status, oo, _) = fhir(
        &app,
        reqwest::Method::PUT,
        &tok,
        &format!("/fhir/r4/Task/{id}"),
        Some(&cancel),
        &[("If-Match", "W/\"1\"")],
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{oo}");
    save_sample("operation-outcome-412", &oo);
    let mut complete = accepted.clone();
    complete["status"] = json!("completed");
    let (status, oo, _) = fhir(
        &app,
        reqwest::Method::PUT,
        &tok,
        &format!("/fhir/r4/Task/{id}"),
        Some(&complete),
        &[("If-Match", "W/\"2\"")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "a hospital cannot complete its request: {oo}");
    save_sample("operation-outcome-409", &oo);
    let (status, cancelled, headers) = fhir(
        &app,
        reqwest::Method::PUT,
        &tok,
        &format!("/fhir/r4/Task/{id}"),
        Some(&cancel),
        &[("If-Match", "W/\"2\"")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_ig_task(&cancelled);
    save_sample("task-cancelled-by-system", &cancelled);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(
        cancelled["statusReason"]["text"].as_str().is_some_and(|t| t.contains("Hopkins Epic interface")),
        "{cancelled}"
    );
    assert_eq!(headers.get("etag").and_then(|v| v.to_str().ok()), Some("W/\"3\""));
    assert!(
        app.count_where("stock_balances", "site_id = 2 AND crib_model_id = 1 AND reserved > 0").await <= available,
        "the hold was released"
    );
    assert!(app.count_where("audit_events", &format!("action = 'referral.cancel' AND entity_id = {id}")).await == 1);
    app.assert_no_drift().await;

    // Searches: paging with next links; statuses in the Task's words.
    for order in ["ORD-101", "ORD-102"] {
        let (status, r, _) =
            fhir(&app, reqwest::Method::POST, &tok, "/fhir/r4", Some(&referral_bundle(order)), &[]).await;
        assert_eq!(status, StatusCode::OK, "{r}");
    }
    let (_, page1) = get(&app, &tok, "/fhir/r4/Task?status=requested&_count=1").await;
    save_sample("task-searchset-paged", &page1);
    assert_eq!(page1["entry"].as_array().map(Vec::len), Some(1));
    let next = page1["link"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["relation"] == "next"))
        .and_then(|l| l["url"].as_str())
        .expect("a next link");
    let path = &next[next.find("/fhir/r4").expect("path")..];
    let (_, page2) = get(&app, &tok, path).await;
    assert_eq!(page2["entry"].as_array().map(Vec::len), Some(1));
    assert_ne!(page1["entry"][0]["resource"]["id"], page2["entry"][0]["resource"]["id"]);
    let (status, oo) = get(&app, &tok, "/fhir/r4/Task?_lastUpdated=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{oo}");

    // Another hospital's nurse sees none of it.
    let nurse2 = app.token("nurse2@demo.cribs").await;
    let (_, none) = get(&app, &nurse2, "/fhir/r4/Task?identifier=TASK-ORD-100").await;
    assert_eq!(none["total"], 0);
    let (status, _) = get(&app, &nurse2, &format!("/fhir/r4/Patient/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handed_out_crib_reads_back_as_a_completed_task_with_its_procedure() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let staff2 = app.token("staff2@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    // A request sent from the nurse's form (education given in hospital): its FHIR face is the same.
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &json!({
        "caregiver": {"first_name": "Maya", "last_name": "Okafor", "date_of_birth": "1991-06-01", "phone": "410-555-7201"},
        "address": {"line1": "900 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "preferred_language": "en", "infant": {"date_of_birth": days_ago(1).to_string()},
        "discharge_date": days_ago(0).to_string(), "education_given_in_hospital": true, "preferred_site_id": 2
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().expect("id");
    let (status, body) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let family = r["family_id"].as_i64().expect("family");
    let (_, c) = app.post(&staff2, &format!("/api/v1/families/{family}/eligibility-checks"), &json!({})).await;
    assert_eq!(c["result"], "eligible", "{c}");
    let (status, h) = app
        .post(
            &staff2,
            "/api/v1/handouts",
            &json!({
                "family_id": family, "infant_id": r["infant_id"], "site_id": 2, "crib_model_id": 1, "referral_id": id
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");

    let (_, task) = get(&app, &nurse, &format!("/fhir/r4/Task/{id}")).await;
    assert_ig_task(&task);
    save_sample("task-completed", &task);
    assert_eq!(task["status"], "completed");
    assert_eq!(task["output"][0]["valueReference"]["reference"], format!("Procedure/{id}"));
    let (status, proc_) = get(&app, &nurse, &format!("/fhir/r4/Procedure/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{proc_}");
    save_sample("procedure", &proc_);
    assert_eq!(proc_["status"], "completed");
    assert_eq!(proc_["basedOn"][0]["reference"], format!("ServiceRequest/{id}"));
    assert!(
        proc_["note"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["text"].as_str().is_some_and(|t| t.contains("Safe-sleep education")))),
        "{proc_}"
    );
    let (_, by_based_on) = get(&app, &nurse, &format!("/fhir/r4/Procedure?based-on=ServiceRequest/{id}")).await;
    save_sample("procedure-searchset", &by_based_on);
    assert_eq!(by_based_on["total"], 1);
    let (_, with_output) = get(&app, &nurse, &format!("/fhir/r4/Task?_id={id}&_include=Task:output")).await;
    assert_eq!(with_output["entry"][1]["resource"]["resourceType"], "Procedure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_registers_and_revokes_a_system_on_its_page() {
    let app = TestApp::spawn().await;
    let admin = app.browser_signed_in("admin@demo.cribs").await;
    let before = app.count("fhir_clients").await;
    // Pasted wrong: the page again with the sentence, what was typed kept, nothing stored.
    let res = admin
        .submit(
            "/admin/systems",
            "/admin/systems",
            &[
                ("name", "Hopkins <Epic> interface"),
                ("hospital_site_id", "5"),
                ("jwks", "-----BEGIN PUBLIC KEY-----"),
                ("scopes", "system/Task.rs"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert!(
        html.contains("Paste the system&#x27;s public key set as JSON")
            || html.contains("Paste the system's public key set as JSON"),
        "{html}"
    );
    assert!(html.contains("Hopkins &lt;Epic&gt; interface"), "what was typed, escaped");
    let res = admin
        .submit(
            "/admin/systems",
            "/admin/systems",
            &[
                ("name", "Hopkins interface"),
                ("hospital_site_id", "5"),
                ("jwks", &jwks().to_string()),
                ("scopes", "patient/Task.read"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("is not a scope this server grants"));
    assert_eq!(app.count("fhir_clients").await, before);

    // Registered: the client id to hand over, on the page and in the audit log.
    let res = admin
        .submit(
            "/admin/systems",
            "/admin/systems",
            &[
                ("name", "Hopkins <Epic> interface"),
                ("hospital_site_id", "5"),
                ("jwks", &serde_json::to_string_pretty(&jwks()).expect("json")),
                ("scopes", cribs::web::admin::systems::DEFAULT_SCOPES),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, html) = admin.get("/admin/systems").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Give its client id to the hospital"), "{html}");
    assert!(html.contains("Hopkins &lt;Epic&gt; interface") && html.contains("rsa-1, ec-1"), "{html}");
    assert_eq!(app.count("fhir_clients").await, before + 1);
    assert_eq!(app.count_where("audit_events", "action = 'fhir_client.register'").await, 1);
    // Revoked from the page.
    let id = app.count_where("fhir_clients", "1 = 1").await;
    let res = admin.submit("/admin/systems", &format!("/admin/systems/{id}/revoke"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.get("/admin/systems").await;
    assert!(html.contains("Revoked"), "{html}");
    assert_eq!(app.count_where("fhir_clients", "revoked_at IS NOT NULL").await, 1);
}
