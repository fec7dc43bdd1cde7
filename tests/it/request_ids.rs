//! Request ids and the access log (issue 24): every answer carries `X-Request-Id` (the
//! caller's own when plain), error pages show it for the help desk, and a real server's log
//! has one line per request with its id and never a name, a phone, an address, a password,
//! a token or an unsubscribe link's token.

use crate::common::TestApp;
use crate::processes::start_logging;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_its_request_id_and_error_pages_show_it() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/healthz")).send().await.expect("healthz");
    let id = res.headers().get("X-Request-Id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(id.len(), 16, "a fresh id: {id:?}");
    let res = app.http.get(app.url("/healthz")).header("X-Request-Id", "help-desk-42").send().await.expect("healthz");
    assert_eq!(res.headers().get("X-Request-Id").and_then(|v| v.to_str().ok()), Some("help-desk-42"), "kept");
    let res = app.http.get(app.url("/healthz")).header("X-Request-Id", "not plain!").send().await.expect("healthz");
    let replaced = res.headers().get("X-Request-Id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(replaced.len() == 16 && replaced != "not plain!", "replaced: {replaced}");
    // A page that is not there: the reference on the page is the one in the header.
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let res = staff.client.get(app.url("/families/99999999")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let id = res.headers().get("X-Request-Id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let html = res.text().await.expect("html");
    assert!(html.contains(&format!("quote this reference: <code>{id}</code>")), "{html}");
    // The API's errors carry it in the header.
    let res = app.http.get(app.url("/api/v1/families/1")).send().await.expect("api");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get("X-Request-Id").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_log_has_a_line_per_request_and_nobodys_personal_data() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("server.log");
    let secret = cribs::auth::token::random_secret_key();
    let env = [("RUST_LOG", "info".to_string())];
    let server = start_logging(&app, Some(&secret), None, &env, Some(&log)).await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/v1/tokens", server.base))
        .json(&json!({"email": "staff@demo.cribs", "password": crate::common::PASSWORD}))
        .send()
        .await
        .expect("token");
    let token = res.json::<serde_json::Value>().await.expect("json")["token"].as_str().expect("token").to_string();
    let family = crate::common::fixtures::family()
        .named("Zelda", "O'Brien-Núñez")
        .set("/caregiver/phone", json!("410-555-9876"))
        .set("/address/line1", json!("77 Quiet Lane"))
        .with_infant_born(crate::common::fixtures::days_ago(3))
        .build();
    let res = http.post(format!("{}/api/v1/families", server.base)).bearer_auth(&token).json(&family).send().await;
    let created = res.expect("register").json::<serde_json::Value>().await.expect("json");
    let fid = created["id"].as_i64().expect("family");
    let res = http
        .post(format!("{}/api/v1/families/{fid}/consent", server.base))
        .bearer_auth(&token)
        .json(&json!({"email": "zelda.private@example.org"}))
        .send()
        .await
        .expect("consent");
    assert_eq!(res.status(), StatusCode::OK);
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT unsubscribe_token FROM message_consents WHERE family_id = {fid}"),
        ))
        .await
        .expect("read")
        .expect("the consent");
    let unsubscribe: String = row.try_get("", "unsubscribe_token").expect("token");
    let res = http.get(format!("{}/messages/unsubscribe/{unsubscribe}", server.base)).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let res = http.get(format!("{}/families?q=Zelda", server.base)).send().await.expect("search");
    assert!(res.status().is_redirection() || res.status().is_client_error());
    let res =
        http.get(format!("{}/api/v1/families?q=Zelda", server.base)).bearer_auth(&token).send().await.expect("search");
    assert_eq!(res.status(), StatusCode::OK);
    // A request without a token is an ordinary 401: one INFO line, no warning beside it.
    let res = http.get(format!("{}/api/v1/families/{fid}", server.base)).send().await.expect("no token");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    drop(server);
    let text = std::fs::read_to_string(&log).expect("the log");
    assert!(text.contains("GET /api/v1/families/<id> 401"), "the 401's line: {text}");
    assert!(!text.contains("Request guard") && !text.contains(" WARN "), "no warning for a 401: {text}");
    assert!(text.contains("POST /api/v1/families 201"), "a line per request: {text}");
    assert!(text.contains("GET /messages/unsubscribe/<token> 200"), "the route, not the path: {text}");
    assert!(text.lines().filter(|l| l.contains(" id=")).count() >= 6, "{text}");
    for secret in [
        "Zelda",
        "Brien",
        "9876",
        "Quiet Lane",
        "zelda.private",
        crate::common::PASSWORD,
        token.as_str(),
        unsubscribe.as_str(),
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no colour codes in a log file");
}
