//! Stock ledger: receipts, transfers, adjustments, counts; the race for the last cribs;
//! idempotent replay; bad input changes nothing; check-ledger finds no drift.

use crate::common::TestApp;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DRUID: i64 = 1; // staff@demo.cribs works here
const CHERRY: i64 = 2; // staff2@demo.cribs works here
const MODEL: i64 = 1;

async fn available(app: &TestApp, token: &str, site: i64, model: i64) -> i64 {
    let (_, sites) = app.get(token, "/api/v1/sites").await;
    sites
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"] == site))
        .and_then(|s| s["stock"].as_array().and_then(|st| st.iter().find(|x| x["crib_model_id"] == model)).cloned())
        .and_then(|x| x["available"].as_i64())
        .unwrap_or(0)
}

async fn set_stock(app: &TestApp, token: &str, site: i64, n: i64) {
    let (status, body) =
        app.post(token, &format!("/api/v1/sites/{site}/counts"), &json!({"crib_model_id": MODEL, "counted": n})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_adds_stock_through_the_ledger() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let before = available(&app, &m, DRUID, MODEL).await;
    let (status, body) = app
        .post(
            &m,
            "/api/v1/sites/1/receipts",
            &json!({"crib_model_id": MODEL, "quantity": 50, "lot": "LOT-A1", "note": "from the county"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["movement"]["kind"], "receipt");
    assert_eq!(body["movement"]["quantity"], 50);
    assert_eq!(body["movement"]["lot"], "LOT-A1");
    assert_eq!(body["balance"]["on_hand"].as_i64(), Some(before + 50));
    assert_eq!(available(&app, &m, DRUID, MODEL).await, before + 50);
    let (_, page) = app.get(&m, "/api/v1/sites/1/movements?per_page=1").await;
    assert_eq!(page["items"][0]["id"], body["movement"]["id"], "newest first");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_takers_race_for_ten_cribs_and_exactly_ten_win() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    set_stock(&app, &m, DRUID, 10).await;
    let body = json!({"from_site_id": DRUID, "to_site_id": CHERRY, "crib_model_id": MODEL, "quantity": 1});
    let requests = (0..50).map(|_| app.post(&m, "/api/v1/transfers", &body));
    let results = join_all(requests).await;
    let won = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    let lost: Vec<&Value> = results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).map(|(_, b)| b).collect();
    assert_eq!(won, 10, "statuses: {:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
    assert_eq!(lost.len(), 40);
    assert!(lost.iter().all(|b| b["error"] == "out_of_stock"));
    assert_eq!(available(&app, &m, DRUID, MODEL).await, 0);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_replays_the_first_answer() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let movements_before = app.count("stock_movements").await;
    let body = json!({"crib_model_id": MODEL, "quantity": 5});
    let first = app.post_idem(&m, "/api/v1/sites/1/receipts", "restock-42", &body).await;
    let again = app
        .post_idem(&m, "/api/v1/sites/1/receipts", "restock-42", &json!({"quantity": 5, "crib_model_id": MODEL}))
        .await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(first, again, "the same key and the same JSON value replay the same status and body");
    assert_eq!(app.count("stock_movements").await, movements_before + 1);
    let other = app
        .post_idem(&m, "/api/v1/sites/1/receipts", "restock-42", &json!({"crib_model_id": MODEL, "quantity": 6}))
        .await;
    assert_eq!(other.0, StatusCode::CONFLICT);
    assert_eq!(other.1["error"], "idempotency_conflict");
    assert_eq!(app.count("stock_movements").await, movements_before + 1);
    // A 4xx answer is kept too.
    let bad = app
        .post_idem(
            &m,
            "/api/v1/transfers",
            "t-1",
            &json!({"from_site_id": DRUID, "to_site_id": CHERRY, "crib_model_id": MODEL, "quantity": 9999}),
        )
        .await;
    assert_eq!(bad.0, StatusCode::CONFLICT);
    let bad_again = app
        .post_idem(
            &m,
            "/api/v1/transfers",
            "t-1",
            &json!({"from_site_id": DRUID, "to_site_id": CHERRY, "crib_model_id": MODEL, "quantity": 9999}),
        )
        .await;
    assert_eq!(bad, bad_again);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_write_once() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let before = app.count("stock_movements").await;
    let body = json!({"crib_model_id": MODEL, "quantity": 3});
    let results = join_all((0..12).map(|_| app.post_idem(&m, "/api/v1/sites/2/receipts", "double-click", &body))).await;
    assert!(results.iter().all(|r| r == &results[0]), "every retry gets the first answer: {results:?}");
    assert_eq!(results[0].0, StatusCode::CREATED);
    assert_eq!(app.count("stock_movements").await, before + 1);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_that_would_overdraw_changes_nothing() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    set_stock(&app, &m, DRUID, 4).await;
    let (movements, transfers) = (app.count("stock_movements").await, app.count("transfers").await);
    let (status, body) = app
        .post(
            &m,
            "/api/v1/transfers",
            &json!({"from_site_id": DRUID, "to_site_id": CHERRY, "crib_model_id": MODEL, "quantity": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "out_of_stock");
    assert_eq!(app.count("stock_movements").await, movements);
    assert_eq!(app.count("transfers").await, transfers);
    assert_eq!(available(&app, &m, DRUID, MODEL).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_leave_at_once_and_arrive_on_receipt() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let staff = app.token("staff@demo.cribs").await;
    let staff2 = app.token("staff2@demo.cribs").await;
    let (from0, to0) = (available(&app, &m, DRUID, MODEL).await, available(&app, &m, CHERRY, MODEL).await);
    let (status, t) = app
        .post(
            &m,
            "/api/v1/transfers",
            &json!({"from_site_id": DRUID, "to_site_id": CHERRY, "crib_model_id": MODEL, "quantity": 3, "lot": "L-9"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["status"], "in_transit");
    assert_eq!(available(&app, &m, DRUID, MODEL).await, from0 - 3);
    assert_eq!(available(&app, &m, CHERRY, MODEL).await, to0);
    let id = t["id"].as_i64().expect("id");
    // Staff of the sending site cannot receive at another site: 404, not 403.
    let (status, _) = app.post(&staff, &format!("/api/v1/transfers/{id}/receive"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, got) = app.post(&staff2, &format!("/api/v1/transfers/{id}/receive"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["status"], "received");
    assert_eq!(available(&app, &m, CHERRY, MODEL).await, to0 + 3);
    let (status, again) = app.post(&staff2, &format!("/api/v1/transfers/{id}/receive"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["error"], "conflict");
    // A second transfer, cancelled: the cribs go back.
    let (_, t2) = app
        .post(
            &m,
            "/api/v1/transfers",
            &json!({"from_site_id": DRUID, "to_site_id": CHERRY, "crib_model_id": MODEL, "quantity": 2}),
        )
        .await;
    let id2 = t2["id"].as_i64().expect("id");
    let (status, c) = app.post(&m, &format!("/api/v1/transfers/{id2}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["status"], "cancelled");
    assert_eq!(available(&app, &m, DRUID, MODEL).await, from0 - 3);
    let (status, _) = app.post(&staff2, &format!("/api/v1/transfers/{id2}/receive"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a cancelled transfer cannot be received");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adjustments_need_a_reason_and_cannot_go_below_reserved() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    set_stock(&app, &m, DRUID, 6).await;
    let (status, body) = app
        .post(&m, "/api/v1/sites/1/adjustments", &json!({"crib_model_id": MODEL, "delta": -2, "reason": "damaged"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["balance"]["on_hand"], 4);
    // Hold 3 for a referral, then try to take 2: only 1 is unreserved.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE stock_balances SET reserved = 3 WHERE site_id = 1 AND crib_model_id = 1")
        .await
        .expect("reserve");
    let before = app.count("stock_movements").await;
    let (status, body) = app
        .post(&m, "/api/v1/sites/1/adjustments", &json!({"crib_model_id": MODEL, "delta": -2, "reason": "lost"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["delta"][0].as_str().is_some_and(|m| m.contains("reserved")));
    assert_eq!(app.count("stock_movements").await, before);
    let (status, body) = app
        .post(&m, "/api/v1/sites/1/adjustments", &json!({"crib_model_id": MODEL, "delta": 1, "reason": "other"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "other needs a note: {body}");
    let (status, _) = app
        .post(
            &m,
            "/api/v1/sites/1/adjustments",
            &json!({"crib_model_id": MODEL, "delta": 1, "reason": "other", "note": "returned by a family"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_write_the_correction_and_respect_scope() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let staff = app.token("staff@demo.cribs").await;
    let on_hand = available(&app, &m, DRUID, MODEL).await;
    let (status, body) =
        app.post(&staff, "/api/v1/sites/1/counts", &json!({"crib_model_id": MODEL, "counted": on_hand - 2})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["movement"]["kind"], "count_correction");
    assert_eq!(body["movement"]["quantity"], -2);
    let (status, body) =
        app.post(&staff, "/api/v1/sites/1/counts", &json!({"crib_model_id": MODEL, "counted": on_hand - 2})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["movement"].is_null(), "a matching count writes no movement");
    let (status, _) = app.post(&staff, "/api/v1/sites/2/counts", &json!({"crib_model_id": MODEL, "counted": 1})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another site's stock is out of scope");
    let (status, _) = app.get(&staff, "/api/v1/sites/2/movements").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_and_nurses_may_not_restock_or_move_stock() {
    let app = TestApp::spawn().await;
    for who in ["staff@demo.cribs", "nurse@demo.cribs"] {
        let t = app.token(who).await;
        let (status, body) =
            app.post(&t, "/api/v1/sites/1/receipts", &json!({"crib_model_id": MODEL, "quantity": 1})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(body["error"], "forbidden");
        let (status, _) = app
            .post(
                &t,
                "/api/v1/transfers",
                &json!({"from_site_id": 1, "to_site_id": 2, "crib_model_id": 1, "quantity": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_fields_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let before = (app.count("stock_movements").await, app.count("transfers").await, app.count("audit_events").await);
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 1, "quantity": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 1, "quantity": -5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 1, "quantity": 10001}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 1, "quantity": 1e300}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 1, "quantity": "ten"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 999, "quantity": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "crib_model_id",
        ),
        ("/api/v1/sites/1/receipts", json!({"crib_model_id": 1}), StatusCode::UNPROCESSABLE_ENTITY, "quantity"),
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 1, "quantity": 1, "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "colour",
        ),
        (
            "/api/v1/sites/1/receipts",
            json!({"crib_model_id": 1, "quantity": 1, "lot": "x".repeat(101)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lot",
        ),
        (
            "/api/v1/transfers",
            json!({"from_site_id": 1, "to_site_id": 1, "crib_model_id": 1, "quantity": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "to_site_id",
        ),
        (
            "/api/v1/transfers",
            json!({"from_site_id": 1, "to_site_id": 999, "crib_model_id": 1, "quantity": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "to_site_id",
        ),
        (
            "/api/v1/sites/1/adjustments",
            json!({"crib_model_id": 1, "delta": 0, "reason": "lost"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "delta",
        ),
        (
            "/api/v1/sites/1/adjustments",
            json!({"crib_model_id": 1, "delta": 1, "reason": "<script>"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason",
        ),
        (
            "/api/v1/sites/1/counts",
            json!({"crib_model_id": 1, "counted": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "counted",
        ),
    ];
    for (path, body, want, field) in cases {
        let (status, answer) = app.post(&m, path, &body).await;
        assert_eq!(status, want, "{path} {body}: {answer}");
        assert_eq!(answer["error"], "validation_failed", "{path} {body}");
        assert!(answer["fields"][field].is_array(), "{path} {body} names {field}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|s| s.len() > 10));
    }
    let (status, answer) =
        app.post(&m, "/api/v1/sites/999/receipts", &json!({"crib_model_id": 1, "quantity": 1})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, _) = app.post(&m, "/api/v1/sites/abc/receipts", &json!({"crib_model_id": 1, "quantity": 1})).await;
    assert!(status == StatusCode::NOT_FOUND || status == StatusCode::UNPROCESSABLE_ENTITY);
    let after = (app.count("stock_movements").await, app.count("transfers").await, app.count("audit_events").await);
    assert_eq!(before, after, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_mark_sites_low() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    set_stock(&app, &m, DRUID, 8).await;
    let (status, b) =
        app.post(&m, "/api/v1/sites/1/thresholds", &json!({"crib_model_id": MODEL, "low_stock_threshold": 10})).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["low"], true);
    let (_, sites) = app.get(&m, "/api/v1/sites").await;
    let druid = sites.as_array().and_then(|a| a.iter().find(|s| s["id"] == DRUID)).cloned().expect("site");
    let stock =
        druid["stock"].as_array().and_then(|a| a.iter().find(|x| x["crib_model_id"] == MODEL)).cloned().expect("stock");
    assert_eq!(stock["low"], true);
    assert_eq!(stock["low_stock_threshold"], 10);
}
