//! Trust at the edges (issue 18): forwarded addresses believed only from a configured
//! proxy, and no answer carrying anyone's data kept in a browser's cache.

use crate::common::{Options, TestApp, PASSWORD};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

/// POST /api/v1/tokens with these headers; the status.
async fn token_with_headers(app: &TestApp, email: &str, password: &str, headers: &[(&str, String)]) -> StatusCode {
    let mut req = app.http.post(app.url("/api/v1/tokens")).json(&json!({"email": email, "password": password}));
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.expect("POST tokens").status()
}

/// The addresses of every recorded sign-in attempt, oldest first.
async fn attempt_addresses(app: &TestApp) -> Vec<String> {
    use cribs::entity::login_attempt;
    login_attempt::Entity::find()
        .order_by_asc(login_attempt::Column::Id)
        .all(&app.db)
        .await
        .expect("attempts")
        .into_iter()
        .map(|a| a.ip)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_choose_the_address_it_is_throttled_and_audited_under() {
    let app = TestApp::spawn().await;
    // Twenty failures from one address (each for another e-mail, so only the address
    // limit applies), each claiming another address in both headers a proxy would set.
    for n in 0..20 {
        let forged = vec![("X-Real-IP", format!("10.9.0.{n}")), ("X-Forwarded-For", format!("10.8.0.{n}"))];
        let status = token_with_headers(&app, &format!("nobody{n}@x.test"), "wrong-password", &forged).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let forged = vec![("X-Real-IP", "10.9.9.9".to_string()), ("X-Forwarded-For", "10.8.8.8".to_string())];
    assert_eq!(
        token_with_headers(&app, "admin@demo.cribs", PASSWORD, &forged).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is throttled whatever the headers claim"
    );
    let addresses = attempt_addresses(&app).await;
    assert_eq!(addresses.len(), 20);
    assert!(addresses.iter().all(|a| a == "127.0.0.1"), "the connection's address is stored: {addresses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_configured_proxy_the_forwarded_client_is_used() {
    let opts = Options { settings: vec![("cribs_trusted_proxies", "127.0.0.1, ::1".into())], ..Default::default() };
    let app = TestApp::spawn_with(opts).await;
    let via_proxy = vec![("X-Forwarded-For", "1.2.3.4, 198.51.100.7".to_string())];
    assert_eq!(token_with_headers(&app, "nobody@x.test", "wrong-password", &via_proxy).await, StatusCode::UNAUTHORIZED);
    // The proxy appended the address it saw (198.51.100.7); what the client wrote to its
    // left is not believed.
    assert_eq!(attempt_addresses(&app).await, vec!["198.51.100.7".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_trusted_proxy_setting_stops_the_start_with_a_clear_reason() {
    let figment = rocket::Config::figment()
        .merge(("database_url", "sqlite::memory:"))
        .merge(("cribs_trusted_proxies", "proxy.local"));
    match cribs::build(figment).ignite().await {
        Ok(_) => panic!("a proxy list that is not IP addresses must not start"),
        Err(e) => assert!(matches!(e.kind(), rocket::error::ErrorKind::FailedFairings(_)), "{e}"),
    }
}

/// The Cache-Control of a GET, with the session of this browser.
async fn cache_control(client: &reqwest::Client, url: String, token: Option<&str>) -> String {
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("GET");
    assert!(res.status().as_u16() < 500, "{}", res.status());
    res.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_with_family_data_are_never_cached_and_static_files_may_be() {
    let app = TestApp::spawn().await;
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    for path in ["/", "/checkin", "/stock/sites/1", "/stock/sites/1/movements.csv", "/audit", "/login"] {
        assert_eq!(cache_control(&manager.client, app.url(path), None).await, "no-store", "{path}");
    }
    let token = app.token("staff@demo.cribs").await;
    for path in ["/api/v1/me", "/api/v1/families?q=a", "/fhir/r4/ServiceRequest/1", "/api/v1/nothing-here"] {
        assert_eq!(cache_control(&app.http, app.url(path), Some(&token)).await, "no-store", "{path}");
    }
    let css = cache_control(&app.http, app.url("/static/app.css"), None).await;
    assert!(!css.contains("no-store"), "a style sheet may be cached: {css:?}");
}

/// POST a raw body (not built from a `Value`, so it can repeat a key) with a bearer token.
async fn post_raw(app: &TestApp, token: &str, path: &str, body: &str) -> (StatusCode, serde_json::Value) {
    let res = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_are_refused_everywhere_with_the_field_named_and_nothing_stored() {
    use crate::common::fixtures::{days_ago, family};
    let app = TestApp::spawn().await;
    let before = (app.count("families").await, app.count("login_attempts").await);

    // Anonymous sign-in, on the page and through the API: NUL is a 422, not PostgreSQL's 500.
    let b = app.browser();
    let csrf = b.csrf("/login").await;
    let res = b
        .post_form("/login", &[("email", "admin@demo.cribs\u{0}"), ("password", PASSWORD), ("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert!(html.contains("email") && html.contains("U+0000"), "the page names the field and the character");
    let (status, body) = {
        let res = app
            .http
            .post(app.url("/api/v1/tokens"))
            .json(&json!({"email": "admin@demo.cribs\u{0}", "password": PASSWORD}))
            .send()
            .await
            .expect("POST");
        (res.status(), res.json::<serde_json::Value>().await.expect("json"))
    };
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["email"].is_array(), "the field is named: {body}");
    assert_eq!(app.count("login_attempts").await, before.1, "no sign-in attempt was recorded");

    // A right-to-left override and a bell in a family's names; a tab in a one-line name.
    let token = app.token("staff@demo.cribs").await;
    for (name, bad) in [("first_name", "Ann\u{202e}gpj.exe"), ("last_name", "Brooks\u{7}"), ("first_name", "Tan\tya")] {
        let mut body = family().with_infant_born(days_ago(10)).build();
        body["caregiver"][name] = json!(bad);
        let (status, answer) = app.post(&token, "/api/v1/families", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {answer}");
        let fields = answer["fields"].as_object().map(|f| f.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        assert!(fields.iter().any(|f| f.ends_with(name)), "{bad:?} names {name}: {answer}");
    }

    // In a query string, for the API and for a page.
    let (status, answer) = app.get(&token, "/api/v1/families?q=Br%00ooks").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["fields"]["q"].is_array(), "{answer}");
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let (status, html) = staff.get("/checkin?q=Br%E2%80%AEooks").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("direction"), "the page says why");

    // A real name with accents and an apostrophe, and text that looks like markup, still pass.
    let mut body = family().with_infant_born(days_ago(10)).build();
    body["caregiver"]["last_name"] = json!("O'Brien-Núñez <script>");
    let (status, answer) = app.post(&token, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    assert_eq!(app.count("families").await, before.0 + 1, "only the good family was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_given_twice_is_refused_not_settled_by_the_last() {
    let app = TestApp::spawn().await;
    let manager = app.token("manager@demo.cribs").await;
    let movements = app.count("stock_movements").await;
    let (status, answer) =
        post_raw(&app, &manager, "/api/v1/sites/1/receipts", r#"{"crib_model_id": 1, "quantity": 1, "quantity": 250}"#)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("quantity")), "the key is named: {answer}");
    assert_eq!(app.count("stock_movements").await, movements, "nothing stored");
    let (status, _) =
        post_raw(&app, &manager, "/api/v1/sites/1/receipts", r#"{"crib_model_id": 1, "quantity": 2}"#).await;
    assert_eq!(status, StatusCode::CREATED, "the same body with the key once is fine");
}

/// Set every recorded sign-in attempt's time to `minutes` ago (time passing).
async fn attempts_were(app: &TestApp, minutes: i64) {
    use cribs::entity::login_attempt;
    use sea_orm::sea_query::Expr;
    login_attempt::Entity::update_many()
        .col_expr(login_attempt::Column::At, Expr::value(chrono::Utc::now() - chrono::Duration::minutes(minutes)))
        .exec(&app.db)
        .await
        .expect("age the attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_from_one_address_does_not_lock_the_owner_out_elsewhere_and_waits_grow() {
    let opts = Options { settings: vec![("cribs_trusted_proxies", "127.0.0.1, ::1".into())], ..Default::default() };
    let app = TestApp::spawn_with(opts).await;
    let from = |ip: &str| vec![("X-Forwarded-For", ip.to_string())];
    let (attacker, owner) = (from("198.51.100.7"), from("203.0.113.5"));
    for n in 0..5 {
        let status = token_with_headers(&app, "admin@demo.cribs", "guess", &attacker).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    assert_eq!(token_with_headers(&app, "admin@demo.cribs", PASSWORD, &attacker).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        token_with_headers(&app, "admin@demo.cribs", PASSWORD, &owner).await,
        StatusCode::CREATED,
        "the owner, from a source that has not failed, signs in"
    );
    // Administrators see the lock-out.
    let admin = app.browser_signed_in("admin@demo.cribs").await;
    let (status, page) = admin.get("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    let section = &page[page.find("Sign-in lock-outs").expect("the section")..];
    assert!(section.contains("198.51.100.7") && section.contains("admin@demo.cribs"), "{section}");

    // After 15 minutes the guesser may try again; one more failure makes the wait 30 minutes.
    attempts_were(&app, 16).await;
    assert_eq!(token_with_headers(&app, "admin@demo.cribs", "guess", &attacker).await, StatusCode::UNAUTHORIZED);
    attempts_were(&app, 16).await;
    assert_eq!(
        token_with_headers(&app, "admin@demo.cribs", PASSWORD, &attacker).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the sixth failure doubled the wait"
    );
    attempts_were(&app, 31).await;
    assert_eq!(token_with_headers(&app, "admin@demo.cribs", PASSWORD, &attacker).await, StatusCode::CREATED);
    let (_, page) = admin.get("/admin/users").await;
    assert!(page.contains("No account is waiting to sign in."), "the lock-out is over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_tls_proxy_the_public_url_makes_cookies_secure_and_sends_hsts() {
    for (public, secure) in [(None, false), (Some("https://cribs.example.org"), true)] {
        let settings = public.map(|u| vec![("cribs_public_url", u.to_string())]).unwrap_or_default();
        let app = TestApp::spawn_with(Options { settings, ..Default::default() }).await;
        let b = app.browser();
        let csrf = b.csrf("/login").await;
        let res = b
            .post_form("/login", &[("email", "staff@demo.cribs"), ("password", PASSWORD), ("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let hsts = res.headers().get("strict-transport-security").is_some();
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("cribs_session="))
            .expect("a session cookie")
            .to_string();
        assert_eq!(cookie.contains("; Secure"), secure, "{public:?}: {cookie}");
        assert_eq!(hsts, secure, "{public:?}: HSTS only when people come over https");
    }
}

/// The latest audit row with this action.
async fn latest_audit(app: &TestApp, action: &str) -> cribs::entity::audit_event::Model {
    use cribs::entity::audit_event;
    use sea_orm::{ColumnTrait, QueryFilter};
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_desc(audit_event::Column::Id)
        .one(&app.db)
        .await
        .expect("audit")
        .expect("an audit row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_open_their_sites_families_and_find_the_rest_as_minimal_matches() {
    use crate::common::fixtures::{days_ago, family, today};
    let app = TestApp::spawn().await;
    let (staff, staff2) = (app.token("staff@demo.cribs").await, app.token("staff2@demo.cribs").await);
    // Registered at site 1 by its staff.
    let (status, f) = app.post(&staff, "/api/v1/families", &family().with_infant_born(days_ago(9)).build()).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("id");

    // Site 2's staff: not the record, not a check, but a minimal match in search.
    assert_eq!(app.get(&staff2, &format!("/api/v1/families/{fid}")).await.0, StatusCode::NOT_FOUND);
    let checks = app.count("eligibility_checks").await;
    let (status, _) = app.post(&staff2, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("eligibility_checks").await, checks, "nothing stored");
    let (status, found) = app.get(&staff2, "/api/v1/families?q=Brooks").await;
    assert_eq!(status, StatusCode::OK);
    let hit = found.as_array().and_then(|a| a.iter().find(|r| r["id"] == fid)).expect("found city-wide").clone();
    assert_eq!(hit["registered_elsewhere"], true, "{hit}");
    assert!(hit["phone"].is_null(), "no phone in a minimal match: {hit}");
    assert_eq!(hit["last_name"], "Brooks");
    let search = latest_audit(&app, "family.search").await;
    let detail = search.detail.unwrap_or_default();
    assert!(detail.contains("Brooks") && detail.contains(&fid.to_string()), "the query and the ids: {detail}");
    // Site 1's staff see it whole.
    let (_, mine) = app.get(&staff, "/api/v1/families?q=Brooks").await;
    let hit = mine.as_array().and_then(|a| a.iter().find(|r| r["id"] == fid)).expect("found").clone();
    assert_eq!(hit["registered_elsewhere"], false);
    assert!(hit["phone"].is_string(), "{hit}");

    // Checking the family in at site 2 needs a reason, and then opens the record there.
    let path = format!("/api/v1/families/{fid}/check-in-here");
    let (status, answer) = app.post(&staff2, &path, &json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["fields"]["reason"].is_array(), "{answer}");
    let (status, answer) =
        app.post(&staff2, &path, &json!({"site_id": 1, "reason": "She moved near Cherry Hill"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not one of staff2's sites: {answer}");
    let (status, answer) = app.post(&staff2, &path, &json!({"reason": "She moved near Cherry Hill"})).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["site_id"], 2);
    let row = latest_audit(&app, "family.check_in_here").await;
    assert_eq!(row.entity_id, Some(fid));
    assert!(row.detail.unwrap_or_default().contains("moved near Cherry Hill"));
    assert_eq!(app.get(&staff2, &format!("/api/v1/families/{fid}")).await.0, StatusCode::OK);

    // A family that exists only on a hospital request: the nurse and managers, not site staff.
    let nurse = app.token("nurse@demo.cribs").await;
    let request = json!({
        "caregiver": {"first_name": "Ola", "last_name": "Quill", "phone": "410-555-7878"},
        "address": {"line1": "2 Test St", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "enrollments": ["WIC"], "has_safe_sleep_space": false,
        "infant": {"date_of_birth": days_ago(1).to_string()}, "discharge_date": today().to_string()
    });
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let ref_family = r["family_id"].as_i64().expect("family");
    for token in [&staff, &staff2] {
        assert_eq!(app.get(token, &format!("/api/v1/families/{ref_family}")).await.0, StatusCode::NOT_FOUND);
    }
    let manager = app.token("manager@demo.cribs").await;
    assert_eq!(app.get(&manager, &format!("/api/v1/families/{ref_family}")).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_pages_a_family_from_another_site_is_checked_in_here_with_a_reason() {
    use crate::common::fixtures::{days_ago, family};
    use crate::common::form_token;
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (status, f) = app.post(&staff, "/api/v1/families", &family().with_infant_born(days_ago(9)).build()).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("id");

    let b = app.browser_signed_in("staff2@demo.cribs").await;
    assert_eq!(b.get(&format!("/families/{fid}")).await.0, StatusCode::NOT_FOUND);
    let (status, html) = b.get("/checkin?q=Brooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Registered at another site"), "the minimal match says so");
    assert!(html.contains(&format!("/families/{fid}/check-in-here")), "and leads to checking in here");
    assert!(!html.contains("410-555-0101"), "no phone for a family registered elsewhere");
    let (status, html) = b.get(&format!("/families/{fid}/check-in-here")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Brooks") && !html.contains("410-555-0101") && !html.contains("Druid Hill Ave"), "minimal");
    let csrf = b.csrf(&format!("/families/{fid}/check-in-here")).await;
    let token = form_token();
    let fields = [("csrf_token", csrf.as_str()), ("form_token", token.as_str()), ("reason", "")];
    let res = b.post_form(&format!("/families/{fid}/check-in-here"), &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "a reason is needed");
    let fields = [("csrf_token", csrf.as_str()), ("form_token", token.as_str()), ("reason", "The family moved here")];
    let res = b.post_form(&format!("/families/{fid}/check-in-here"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, html) = b.get(&format!("/families/{fid}")).await;
    assert_eq!(status, StatusCode::OK, "the record opens at site 2 now");
    assert!(html.contains("410-555-0101"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_that_shows_a_family_leaves_a_row_naming_it() {
    use crate::common::fixtures::{days_ago, today};
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let request = json!({
        "caregiver": {"first_name": "Ida", "last_name": "Shown", "phone": "410-555-9090"},
        "address": {"line1": "3 Test St", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "enrollments": ["WIC"], "has_safe_sleep_space": false,
        "infant": {"date_of_birth": days_ago(1).to_string()}, "discharge_date": today().to_string()
    });
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (rid, fid) = (r["id"].as_i64().expect("id"), r["family_id"].as_i64().expect("family"));
    let names_family = |row: &cribs::entity::audit_event::Model, shown_by: &str| {
        let detail = row.detail.clone().unwrap_or_default();
        detail.contains(shown_by) && detail.split(['"', ',']).any(|part| part == fid.to_string())
    };

    let (status, _) = app.get(&nurse, "/api/v1/referrals").await;
    assert_eq!(status, StatusCode::OK);
    let row = latest_audit(&app, "family.view").await;
    assert!(names_family(&row, "requests list"), "the nurse's list: {row:?}");
    let (status, _) = app.get(&nurse, &format!("/api/v1/referrals/{rid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(names_family(&latest_audit(&app, "family.view").await, "request"));
    let res =
        app.http.get(app.url(&format!("/fhir/r4/ServiceRequest/{rid}"))).bearer_auth(&nurse).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let row = latest_audit(&app, "family.view").await;
    assert!(names_family(&row, "request") && row.entity_id == Some(fid), "the FHIR read: {row:?}");

    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, _) = manager.get("/triage").await;
    assert_eq!(status, StatusCode::OK);
    let views =
        app.count_where("audit_events", "action IN ('family.view', 'family.list') AND detail LIKE '%triage%'").await;
    assert_eq!(views, 1, "one row for the triage page");
}
