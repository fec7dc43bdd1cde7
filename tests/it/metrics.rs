//! `/metrics` (issue 24): the Prometheus text a scraper reads, with requests by route
//! template, hand-outs and refusals by gate, sign-in failures, the pools and the outbox —
//! never a name, a phone or an id in a label — and who may read it (the machine itself by
//! default; a configured token or address list otherwise; anyone else 404).

use crate::common::fixtures::{days_ago, family};
use crate::common::{Options, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String, String) {
    let mut req = app.http.get(app.url("/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("scrape");
    let status = res.status();
    let ctype = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, ctype, res.text().await.expect("text"))
}

/// The value of the first sample line that has every one of `parts`.
fn sample(text: &str, name: &str, parts: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_machine_reads_requests_handouts_refusals_pools_and_the_outbox_without_personal_data() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let body = family().named("Metrica", "Zelenskaya").with_infant_born(days_ago(9)).build();
    let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (fid, iid) = (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"));
    app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    let before = scrape(&app, None).await.2;
    let refused_before = sample(&before, "cribs_handout_refusals_total", &["gate=\"education\""]).unwrap_or(0.0);
    let handouts_before = sample(&before, "cribs_handouts_total", &[]).unwrap_or(0.0);
    let handout = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1});
    let (status, _) = app.post(&staff, "/api/v1/handouts", &handout).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no education yet");
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "M Z"});
    app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
    let (status, _) = app.post(&staff, "/api/v1/handouts", &handout).await;
    assert_eq!(status, StatusCode::CREATED);
    let res = app
        .http
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"email": "staff@demo.cribs", "password": "not the password"}))
        .send()
        .await
        .expect("a wrong password");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (status, ctype, text) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(ctype.starts_with("text/plain") && ctype.contains("version=0.0.4"), "{ctype}");
    let created = sample(
        &text,
        "cribs_http_requests_total",
        &["route=\"/api/v1/handouts\"", "status=\"201\"", "method=\"POST\""],
    );
    assert!(created.is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        text.contains("cribs_http_request_duration_seconds_bucket") && text.contains("le=\"0.005\""),
        "a latency histogram with the buckets: {text}"
    );
    assert!(sample(&text, "cribs_handouts_total", &[]).is_some_and(|n| n >= handouts_before + 1.0));
    assert!(sample(&text, "cribs_handout_refusals_total", &["gate=\"education\""])
        .is_some_and(|n| n >= refused_before + 1.0));
    assert!(sample(&text, "cribs_sign_in_failures_total", &[]).is_some_and(|n| n >= 1.0), "{text}");
    assert!(sample(&text, "cribs_db_connections", &["pool=\"pool\"", "state=\"idle\""]).is_some(), "{text}");
    assert_eq!(sample(&text, "cribs_database_up", &[]), Some(1.0));
    assert!(sample(&text, "cribs_outbox_messages", &["status=\"failed\""]).is_some());
    // Routes are templates: no id, name or phone becomes a label.
    assert!(text.contains("route=\"/api/v1/families/<id>/education\""), "{text}");
    for pii in ["Zelenskaya", "Metrica", "410-555", &format!("/families/{fid}/")] {
        assert!(!text.contains(pii), "{pii} in the metrics");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_configured_only_its_bearer_reads_the_metrics() {
    let token = "metrics-token-0123456789abcdef";
    let opts = Options {
        settings: vec![("cribs_metrics_token", token.into()), ("cribs_metrics_from", "none".into())],
        ..Default::default()
    };
    let app = TestApp::spawn_with(opts).await;
    assert_eq!(scrape(&app, None).await.0, StatusCode::NOT_FOUND, "not even from the machine itself");
    assert_eq!(scrape(&app, Some("metrics-token-0123456789abcdeX")).await.0, StatusCode::NOT_FOUND);
    let staff = app.token("staff@demo.cribs").await;
    assert_eq!(scrape(&app, Some(&staff)).await.0, StatusCode::NOT_FOUND, "a user's API token is not the operator's");
    let (status, _, text) = scrape(&app, Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("cribs_http_requests_total"));
}
