//! Foundation: launch, health, seeds, migrations, error shapes, security headers.

use crate::common::{Options, TestApp};
use migrations::{Migrator, MigratorTrait};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_ok_with_the_database() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/healthz")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body, serde_json::json!({"status": "ok", "database": "ok"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_load_reference_and_demo_data() {
    let app = TestApp::spawn().await;
    assert_eq!(app.count("csas").await, 55);
    assert_eq!(app.count("neighborhoods").await, 278);
    assert_eq!(app.count("poverty_guidelines").await, 7, "2024–2026 contiguous, 2025–2026 Alaska and Hawaii");
    assert_eq!(app.count("policies").await, 1);
    assert_eq!(app.count("users").await, 6);
    let sites = app.count("sites").await;
    assert!(sites >= 6, "three distribution sites, a warehouse and two hospitals: {sites}");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_twice_changes_no_counts() {
    let first = TestApp::spawn().await;
    let tables = [
        "csas",
        "neighborhoods",
        "zip_csas",
        "crib_models",
        "poverty_guidelines",
        "policies",
        "sites",
        "users",
        "stock_movements",
        "stock_balances",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(first.count(t).await);
    }
    // A second boot on the same database, and the seed command's function directly.
    let second = TestApp::spawn_with(Options {
        reuse: Some((first.database_url.clone(), first.schema.clone())),
        ..Default::default()
    })
    .await;
    cribs::seed::run(&second.db, None).await.expect("seed again");
    for (t, b) in tables.iter().zip(before) {
        assert_eq!(second.count(t).await, b, "count of {t} changed on a second boot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_off_starts_with_reference_data_only() {
    let app = TestApp::spawn_with(Options { demo: Some(false), ..Default::default() }).await;
    assert_eq!(app.count("csas").await, 55);
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("sites").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unasked_the_demo_accounts_appear_only_in_an_empty_sqlite_file() {
    let app = TestApp::spawn_with(Options { leave_demo_unset: true, ..Default::default() }).await;
    let users = app.count("users").await;
    if sea_orm::ConnectionTrait::get_database_backend(&app.db) == sea_orm::DbBackend::Postgres {
        assert_eq!(users, 0, "no account with the published password on PostgreSQL unless CRIBS_DEMO=1");
        assert_eq!(app.count("csas").await, 55, "the reference data is there");
    } else {
        assert!(users > 0, "the README's first command starts the demo on its SQLite file");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_go_down_and_up_again() {
    let app = TestApp::spawn().await;
    app.stop();
    Migrator::down(app.db.pool(), None).await.expect("down");
    let remaining = Migrator::get_applied_migrations(&app.db).await.expect("applied");
    assert!(remaining.is_empty());
    Migrator::up(app.db.pool(), None).await.expect("up again");
    cribs::seed::run(&app.db, Some(true)).await.expect("seed after up");
    assert_eq!(app.count("csas").await, 55);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_path_answers_json_404() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/api/v1/no-such-thing")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_are_json_for_bad_bodies() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post_raw("x", "/api/v1/tokens", "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_request");
    let big = format!("{{\"email\": \"{}\", \"password\": \"x\"}}", "a".repeat(70 * 1024));
    let (status, body) = app.post_raw("x", "/api/v1/tokens", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"], "payload_too_large");
    let (status, body) = app.post_raw("x", "/api/v1/tokens", r#"{"email": 5, "password": "x"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "validation_failed");
    assert!(body["fields"]["email"].is_array(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/login", "/healthz", "/api/v1/me", "/api/openapi.json", "/nowhere"] {
        let res = app.http.get(app.url(path)).send().await.expect("GET");
        let h = res.headers();
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"), "{path}");
        assert!(h.get("referrer-policy").is_some(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_the_operations() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/api/openapi.json")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in
        ["/healthz", "/api/v1/tokens", "/api/v1/me", "/api/v1/sites", "/api/v1/neighborhoods", "/api/v1/crib-models"]
    {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_lists_answer_signed_in_callers() {
    let app = TestApp::spawn().await;
    let token = app.token("staff@demo.cribs").await;
    let (status, hoods) = app.get(&token, "/api/v1/neighborhoods").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hoods.as_array().map(Vec::len), Some(278));
    let cherry =
        hoods.as_array().and_then(|a| a.iter().find(|n| n["name"] == "Cherry Hill")).cloned().expect("Cherry Hill");
    assert_eq!(cherry["csa_name"], "Cherry Hill");
    let (_, by_zip) = app.get(&token, "/api/v1/neighborhoods?zip=21225").await;
    assert!(by_zip.as_array().is_some_and(|a| a.iter().any(|n| n["name"] == "Cherry Hill")));
    let (status, models) = app.get(&token, "/api/v1/crib-models").await;
    assert_eq!(status, StatusCode::OK);
    assert!(models.as_array().is_some_and(|a| a.len() >= 2));
    let (status, _) = app.get("wrong-token", "/api/v1/crib-models").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_database_url_ends_launch_with_one_clear_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cribs"))
        .arg("migrate")
        .env("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .output()
        .expect("run cribs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect to the database"), "{err}");
    assert!(!err.contains("secret"), "the password is not printed: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_deletes_only_what_is_past_its_keeping_time() {
    use cribs::entity::{idempotency_key, login_attempt, user_session};
    use cribs::store::housekeeping::{sweep, Swept, KEEP_IDEMPOTENCY, KEEP_LOGIN_ATTEMPTS, KEEP_SESSIONS};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    // The server sweeps once as it starts, in the background, with the real clock; the
    // rows here are dated a year ahead so that sweep (whenever it runs) cannot reach
    // them and only the sweep called below, as of that later `now`, decides.
    let now = cribs::clock::now() + chrono::Duration::days(365);
    let hour = chrono::Duration::hours(1);
    for (key, at) in
        [("old", now - KEEP_IDEMPOTENCY - hour), ("day-old", now - chrono::Duration::days(1)), ("new", now)]
    {
        idempotency_key::ActiveModel {
            user_id: Set(1),
            key: Set(format!("sweep-{key}")),
            request_hash: Set("h".into()),
            status: Set(201),
            body: Set("{}".into()),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("key");
    }
    for (email, at) in [("old@x.test", now - KEEP_LOGIN_ATTEMPTS - hour), ("new@x.test", now - hour)] {
        login_attempt::ActiveModel {
            email: Set(email.into()),
            ip: Set("127.0.0.1".into()),
            succeeded: Set(false),
            at: Set(at),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("attempt");
    }
    for (name, expires) in [("old", now - KEEP_SESSIONS - hour), ("recent", now - hour)] {
        user_session::ActiveModel {
            user_id: Set(1),
            token_hash: Set(format!("{name:0>64}")),
            created_at: Set(expires - chrono::Duration::hours(12)),
            last_seen_at: Set(expires - chrono::Duration::hours(12)),
            expires_at: Set(expires),
            ended_at: Set(None),
            ip: Set(None),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("session");
    }
    let swept = sweep(&app.db, now).await.expect("sweep");
    assert_eq!(swept, Swept { idempotency_keys: 1, login_attempts: 1, sessions: 1 });
    let keys: Vec<String> = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Key.starts_with("sweep-"))
        .all(&app.db)
        .await
        .expect("keys")
        .into_iter()
        .map(|k| k.key)
        .collect();
    assert_eq!(keys.len(), 2, "a day-old answer still replays: {keys:?}");
    assert!(!keys.contains(&"sweep-old".to_string()));
    assert_eq!(sweep(&app.db, now).await.expect("again"), Swept::default(), "nothing left to sweep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_that_waits_too_long_for_the_database_is_told_busy_and_nothing_changes() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn_with(Options { pool_size: Some(1), ..Options::default() }).await;
    let m = app.token("manager@demo.cribs").await;
    let s = app.token("staff@demo.cribs").await;
    let movements = app.count("stock_movements").await;
    // Hold the stock row (PostgreSQL) or the write lock (SQLite) from outside the server.
    let txn = cribs::db::begin_write(&app.db).await.expect("begin");
    if sea_orm::ConnectionTrait::get_database_backend(&app.db) == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SELECT on_hand FROM stock_balances WHERE site_id = 1 FOR UPDATE").await.expect("lock");
    } else {
        txn.execute_unprepared("UPDATE stock_balances SET on_hand = on_hand WHERE site_id = 1").await.expect("lock");
    }
    // A receipt takes the server's only connection and waits for the lock …
    let writer = {
        let http = app.http.clone();
        let url = app.url("/api/v1/sites/1/receipts");
        let m = m.clone();
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(m)
                .header("Idempotency-Key", "busy-receipt")
                .json(&serde_json::json!({"crib_model_id": 1, "quantity": 3}))
                .send()
                .await
                .map(|r| r.status())
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // … so a search finds no connection within the acquire timeout: 503 with a sentence.
    let (status, body) = app.get(&s, "/api/v1/families?q=Brooks").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "busy");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("try again")), "{body}");
    txn.commit().await.expect("release");
    let status = writer.await.expect("join").expect("answer");
    assert!(status == StatusCode::CREATED || status == StatusCode::SERVICE_UNAVAILABLE, "{status}");
    // Whatever the first answer was, the retry with the same key lands exactly one receipt.
    let (status, _) = app
        .post_idem(
            &m,
            "/api/v1/sites/1/receipts",
            "busy-receipt",
            &serde_json::json!({"crib_model_id": 1, "quantity": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.count("stock_movements").await, movements + 1);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_key_migration_fills_existing_families_in_any_alphabet() {
    use sea_orm::{EntityTrait, QueryOrder};
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let body = crate::common::fixtures::family()
        .named("ÉLODIE", "Ñúñez-Brooks")
        .with_infant_born(crate::common::fixtures::days_ago(3))
        .build();
    let (status, _) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED);
    app.stop();
    // Back to before m0009 (the keys are gone; every later migration undone first), then up
    // again: the migration fills them.
    let after_m0008 = u32::try_from(Migrator::migrations().len() - 8).expect("a few migrations");
    Migrator::down(app.db.pool(), Some(after_m0008)).await.expect("down to m0008");
    Migrator::up(app.db.pool(), None).await.expect("up");
    let fam = cribs::entity::family::Entity::find()
        .order_by_desc(cribs::entity::family::Column::Id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the family");
    // Migration m0009 lower-cased them; m0014 folds accents (issue 19), so after every
    // migration the keys are folded.
    assert_eq!((fam.search_first.as_deref(), fam.search_last.as_deref()), (Some("elodie"), Some("nunez-brooks")));
}
