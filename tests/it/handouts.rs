//! Education and handouts: every gate refuses with its code and writes nothing; the race for
//! the last cribs; the same infant from two requests; idempotent replay; void and re-issue;
//! follow-ups.

use crate::common::fixtures::{days_ago, family};
use crate::common::TestApp;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DRUID: i64 = 1;
const MODEL: i64 = 1;

fn abcd() -> Value {
    json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking", "pacifier"], "caregiver_attestation": "Tanya Brooks"})
}

/// Register a family (distinct by `n`), optionally check it and record education.
async fn family_ready(app: &TestApp, token: &str, n: usize, check: bool, educate: bool) -> (i64, i64) {
    let body = family()
        .named("Parent", &format!("Family{n}"))
        .set("/caregiver/phone", json!(format!("410-555-{:04}", 1000 + n)))
        .with_infant_born(days_ago(20))
        .build();
    let (status, created) = app.post(token, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (fid, iid) = (created["id"].as_i64().expect("id"), created["infant_ids"][0].as_i64().expect("infant"));
    if check {
        let (status, c) = app.post(token, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(c["result"], "eligible", "{c}");
    }
    if educate {
        let (status, e) = app.post(token, &format!("/api/v1/families/{fid}/education"), &abcd()).await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
    }
    (fid, iid)
}

fn handout_body(fid: i64, iid: i64) -> Value {
    json!({"family_id": fid, "infant_id": iid, "site_id": DRUID, "crib_model_id": MODEL, "lot": "LOT-7"})
}

async fn set_stock(app: &TestApp, manager: &str, n: i64) {
    let (status, body) = app
        .post(manager, &format!("/api/v1/sites/{DRUID}/counts"), &json!({"crib_model_id": MODEL, "counted": n}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn written(app: &TestApp) -> (i64, i64, i64) {
    (app.count("handouts").await, app.count("stock_movements").await, app.count("follow_ups").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handout_takes_one_crib_copies_the_lot_and_gives_a_receipt() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (fid, iid) = family_ready(&app, &staff, 1, true, true).await;
    let (status, h) = app.post(&staff, "/api/v1/handouts", &handout_body(fid, iid)).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert!(h["receipt_number"].as_str().is_some_and(|r| r.starts_with("CR-")));
    assert_eq!(h["lot"], "LOT-7");
    assert_eq!(h["neighborhood_id"], 65, "the neighborhood at that moment");
    assert_eq!(h["voided"], false);
    let (_, rec) = app.get(&staff, &format!("/api/v1/families/{fid}")).await;
    assert_eq!(rec["infants"][0]["has_crib"], true);
    assert_eq!(rec["handouts"][0]["id"], h["id"]);
    assert_eq!(app.count("follow_ups").await, 2, "the survey's rounds at 1 and 3 months");
    // The ledger row, the follow-up and the audit row go in as one batch: each value in its
    // own statement's place.
    use sea_orm::{ConnectionTrait, Statement};
    let hid = h["id"].as_i64().expect("id");
    let row = |sql: String| {
        let db = &app.db;
        async move {
            db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("query")
                .expect("a row")
        }
    };
    let m = row(format!(
        "SELECT kind, quantity, lot, site_id, crib_model_id FROM stock_movements WHERE handout_id = {hid}"
    ))
    .await;
    assert_eq!(m.try_get::<String>("", "kind").ok().as_deref(), Some("handout"));
    assert_eq!(m.try_get::<i32>("", "quantity").ok(), Some(-1));
    assert_eq!(m.try_get::<Option<String>>("", "lot").ok().flatten().as_deref(), Some("LOT-7"));
    assert_eq!(m.try_get::<i64>("", "site_id").ok(), Some(DRUID));
    assert_eq!(m.try_get::<i64>("", "crib_model_id").ok(), Some(MODEL));
    for (months, months_on) in [(1, 1), (3, 3)] {
        let f = row(format!(
            "SELECT status, site_id, attempts, due_on FROM follow_ups WHERE handout_id = {hid} AND round_months = {months}"
        ))
        .await;
        assert_eq!(f.try_get::<String>("", "status").ok().as_deref(), Some("due"));
        assert_eq!(f.try_get::<i64>("", "site_id").ok(), Some(DRUID));
        assert_eq!(f.try_get::<i32>("", "attempts").ok(), Some(0));
        let due: chrono::NaiveDate = f.try_get("", "due_on").expect("due_on");
        let today = cribs::clock::today();
        assert_eq!(due, cribs::domain::survey::due_on(today, months_on), "month {months}, clamped as the rules do");
    }
    let a =
        row(format!("SELECT action, detail FROM audit_events WHERE entity = 'handout' AND entity_id = {hid}")).await;
    assert_eq!(a.try_get::<String>("", "action").ok().as_deref(), Some("handout.create"));
    let receipt = h["receipt_number"].as_str().unwrap_or_default();
    assert_eq!(a.try_get::<Option<String>>("", "detail").ok().flatten(), Some(format!("receipt {receipt}")));
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_gate_refuses_in_order_with_its_code_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let staff2 = app.token("staff2@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    // Scope: a site the caller does not work at.
    let (fid, iid) = family_ready(&app, &staff, 1, true, true).await;
    let before = written(&app).await;
    let (status, body) = app.post(&staff2, "/api/v1/handouts", &handout_body(fid, iid)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    // Eligibility before education: a family with neither answers `ineligible`.
    let (fid2, iid2) = family_ready(&app, &staff, 2, false, false).await;
    let (status, body) = app.post(&staff, "/api/v1/handouts", &handout_body(fid2, iid2)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("ineligible")), "{body}");
    // A failed check carries the failed rules.
    let (fid3, iid3) = family_ready(&app, &staff, 3, false, true).await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!("UPDATE families SET has_safe_sleep_space = TRUE WHERE id = {fid3}"))
        .await
        .expect("update");
    let (_, c) = app.post(&staff, &format!("/api/v1/families/{fid3}/eligibility-checks"), &json!({})).await;
    assert_eq!(c["result"], "ineligible");
    let (status, body) = app.post(&staff, "/api/v1/handouts", &handout_body(fid3, iid3)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("ineligible")));
    assert_eq!(body["rules"][0]["rule"], "no_safe_sleep_space", "{body}");
    // Education: checked but not educated.
    let (fid4, iid4) = family_ready(&app, &staff, 4, true, false).await;
    let (status, body) = app.post(&staff, "/api/v1/handouts", &handout_body(fid4, iid4)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("education_required")),
        "{body}"
    );
    // Stock: nothing available.
    let (fid5, iid5) = family_ready(&app, &staff, 5, true, true).await;
    set_stock(&app, &manager, 0).await;
    let before_stock = written(&app).await;
    let (status, body) = app.post(&staff, "/api/v1/handouts", &handout_body(fid5, iid5)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")), "{body}");
    assert_eq!(written(&app).await, before_stock, "a refused handout writes nothing");
    // Already received: the same infant again.
    set_stock(&app, &manager, 5).await;
    let (status, _) = app.post(&staff, "/api/v1/handouts", &handout_body(fid, iid)).await;
    assert_eq!(status, StatusCode::CREATED);
    let after_first = written(&app).await;
    let (status, body) = app.post(&staff, "/api/v1/handouts", &handout_body(fid, iid)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("already_received")));
    assert_eq!(written(&app).await, after_first);
    assert_eq!(before.0, 0, "no handout was written by the refused requests before the first success");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_families_race_for_three_cribs_and_exactly_three_win() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let mut ready = Vec::new();
    for n in 0..20 {
        ready.push(family_ready(&app, &staff, n, true, true).await);
    }
    set_stock(&app, &manager, 3).await;
    let bodies: Vec<Value> = ready.iter().map(|(f, i)| handout_body(*f, *i)).collect();
    let results = join_all(bodies.iter().map(|b| app.post(&staff, "/api/v1/handouts", b))).await;
    let won = results.iter().filter(|r| r.0 == StatusCode::CREATED).count();
    let out = results.iter().filter(|r| r.0 == StatusCode::CONFLICT && r.1["error"] == "out_of_stock").count();
    assert_eq!((won, out), (3, 17), "{:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
    assert_eq!(app.count("handouts").await, 3);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_infant_from_two_requests_at_once_gets_one_crib() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    for round in 0..5 {
        let (fid, iid) = family_ready(&app, &staff, round, true, true).await;
        let body = handout_body(fid, iid);
        let (a, b) =
            tokio::join!(app.post(&staff, "/api/v1/handouts", &body), app.post(&manager, "/api/v1/handouts", &body));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "round {round}: {a:?} {b:?}");
        let loser = if a.0 == StatusCode::CONFLICT { a.1 } else { b.1 };
        assert_eq!(loser["error"], "already_received");
    }
    assert_eq!(app.count("handouts").await, 5);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_handout_replays_the_identical_answer() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (fid, iid) = family_ready(&app, &staff, 1, true, true).await;
    let body = handout_body(fid, iid);
    let first = app.post_idem(&staff, "/api/v1/handouts", "door-1", &body).await;
    let second = app.post_idem(&staff, "/api/v1/handouts", "door-1", &body).await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(first, second);
    assert_eq!(app.count("handouts").await, 1);
    let (fid2, iid2) = family_ready(&app, &staff, 2, true, true).await;
    let other = app.post_idem(&staff, "/api/v1/handouts", "door-1", &handout_body(fid2, iid2)).await;
    assert_eq!((other.0, other.1["error"].as_str()), (StatusCode::CONFLICT, Some("idempotency_conflict")));
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn void_returns_the_crib_and_the_infant_may_receive_again() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    set_stock(&app, &manager, 1).await;
    let (fid, iid) = family_ready(&app, &staff, 1, true, true).await;
    let (_, h) = app.post(&staff, "/api/v1/handouts", &handout_body(fid, iid)).await;
    let id = h["id"].as_i64().expect("id");
    let (status, _) =
        app.post(&staff, &format!("/api/v1/handouts/{id}/void"), &json!({"reason": "wrong family"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "staff may not void");
    let (status, body) = app.post(&manager, &format!("/api/v1/handouts/{id}/void"), &json!({"reason": ""})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")));
    let (status, v) = app
        .post(&manager, &format!("/api/v1/handouts/{id}/void"), &json!({"reason": "Crib was damaged in the box"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["voided"], true);
    assert_eq!(v["void_reason"], "Crib was damaged in the box");
    let (status, again) = app.post(&manager, &format!("/api/v1/handouts/{id}/void"), &json!({"reason": "twice"})).await;
    assert_eq!((status, again["error"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    // The crib is back (1 available again) and the same infant may receive.
    let (status, h2) = app.post(&staff, "/api/v1/handouts", &handout_body(fid, iid)).await;
    assert_eq!(status, StatusCode::CREATED, "{h2}");
    let (_, rec) = app.get(&staff, &format!("/api/v1/families/{fid}")).await;
    assert_eq!(rec["handouts"].as_array().map(Vec::len), Some(2), "the voided handout stays visible");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn education_needs_every_abcd_topic_and_an_attestation() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let nurse = app.token("nurse@demo.cribs").await;
    let (fid, _) = family_ready(&app, &staff, 1, false, false).await;
    let before = app.count("education_sessions").await;
    let mut missing = abcd();
    missing["topics"] = json!(["alone", "back", "crib"]);
    let (status, body) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["topics"][0].as_str().is_some_and(|m| m.contains("no_smoking")), "{body}");
    let mut unsigned = abcd();
    unsigned["caregiver_attestation"] = json!("");
    let (status, body) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &unsigned).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["caregiver_attestation"].is_array());
    let mut future = abcd();
    future["delivered_at"] = json!("2999-01-01T00:00:00Z");
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &future).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.post(&nurse, &format!("/api/v1/families/{fid}/education"), &abcd()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a family not on her hospital's request");
    assert_eq!(app.count("education_sessions").await, before);
    let (status, e) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &abcd()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(e["curriculum_version"], "ABCD-2026.1");
    assert_eq!(e["topics"], json!(["alone", "back", "crib", "no_smoking", "pacifier"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_override_needs_a_reason_and_staff_cannot_give_one() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (fid, iid) = family_ready(&app, &staff, 1, false, true).await;
    let mut body = handout_body(fid, iid);
    body["override_reason"] = json!("Family lost everything in a fire; income papers pending");
    let (status, _) = app.post(&staff, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, h) = app.post(&manager, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["override_reason"], "Family lost everything in a fire; income papers pending");
    assert!(h["eligibility_check_id"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_close_when_reached_or_after_three_unanswered_calls() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let staff2 = app.token("staff2@demo.cribs").await;
    for n in 0..2 {
        let (fid, iid) = family_ready(&app, &staff, n, true, true).await;
        let (status, _) = app.post(&staff, "/api/v1/handouts", &handout_body(fid, iid)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, due) = app.get(&staff, "/api/v1/follow-ups").await;
    assert_eq!(due, json!([]), "the first round is due in a month, not today");
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE follow_ups SET due_on = '2020-01-01' WHERE round_months = 1")
        .await
        .expect("make due");
    let (_, due) = app.get(&staff, "/api/v1/follow-ups").await;
    let ids: Vec<i64> = due.as_array().expect("list").iter().filter_map(|f| f["id"].as_i64()).collect();
    assert_eq!(ids.len(), 2);
    let (_, other_site) = app.get(&staff2, "/api/v1/follow-ups").await;
    assert_eq!(other_site, json!([]));
    let (status, _) =
        app.post(&staff2, &format!("/api/v1/follow-ups/{}/calls", ids[0]), &json!({"reached": false})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for attempt in 1..=3 {
        let (status, f) = app
            .post(
                &staff,
                &format!("/api/v1/follow-ups/{}/calls", ids[0]),
                &json!({"reached": false, "note": "no answer"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(f["attempts"], attempt);
        assert_eq!(f["status"], if attempt < 3 { "due" } else { "lost_to_follow_up" });
    }
    let (status, _) =
        app.post(&staff, &format!("/api/v1/follow-ups/{}/calls", ids[0]), &json!({"reached": false})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A made-up answer is refused with the question named, and nothing is written.
    let url = format!("/api/v1/follow-ups/{}/calls", ids[1]);
    let (status, e) = app.post(&staff, &url, &json!({"reached": true, "answers": {"position": "upside_down"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("answers.position"), "{e}");
    assert_eq!(app.count("survey_answers").await, 0);
    let sheet = json!({"crib_in_use": "yes", "position": "back", "bed_sharing": "prefer_not", "smoke_in_home": "no"});
    let (status, f) = app.post(&staff, &url, &json!({"reached": true, "answers": sheet})).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    assert_eq!(f["status"], "completed");
    assert_eq!(f["round_months"], 1);
    assert_eq!(f["answers"]["mode"], "phone");
    assert_eq!(f["answers"]["answers"], sheet, "kept as given, prefer not to say included");
    let (_, rec) = app.get(&staff, &format!("/api/v1/families/{}", f["family_id"])).await;
    let rounds = rec["follow_ups"].as_array().expect("the family's rounds");
    assert_eq!(rounds.len(), 2, "{rec}");
    assert_eq!(rounds[0]["answers"]["answers"]["position"], "back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_receipt_number_is_told_apart_from_a_second_crib() {
    use cribs::store::handouts::{refused_unique, UniqueRefusal};
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    set_stock(&app, &manager, 5).await;
    let (fid, iid) = family_ready(&app, &staff, 1, true, true).await;
    let (status, h) = app.post(&staff, "/api/v1/handouts", &handout_body(fid, iid)).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let (fid2, iid2) = family_ready(&app, &staff, 2, false, false).await;
    // The same row again, for another infant (only the receipt number is taken), for the
    // same infant with a new receipt number, and with no receipt number at all.
    let copy = |receipt: &str, family: &str, infant: &str| {
        format!(
            "INSERT INTO handouts (receipt_number, family_id, infant_id, site_id, crib_model_id, handed_out_at, \
             handed_out_on, created_by) SELECT {receipt}, {family}, {infant}, site_id, crib_model_id, handed_out_at, \
             handed_out_on, created_by FROM handouts WHERE infant_id = {iid}"
        )
    };
    let attempt = |sql: String| {
        let db = &app.db;
        async move { db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await }
    };
    let taken = attempt(copy("receipt_number", &fid2.to_string(), &iid2.to_string())).await.expect_err("receipt taken");
    assert_eq!(refused_unique(&taken), Some(UniqueRefusal::Receipt), "{taken}");
    let second = attempt(copy("'CR-TEST-OTHER'", "family_id", "infant_id")).await.expect_err("second crib");
    assert_eq!(refused_unique(&second), Some(UniqueRefusal::Infant), "{second}");
    let missing = attempt(copy("NULL", &fid2.to_string(), &iid2.to_string())).await.expect_err("no receipt");
    assert_eq!(refused_unique(&missing), None, "{missing}");
    assert_eq!(app.count("handouts").await, 1);
    app.assert_no_drift().await;
}
