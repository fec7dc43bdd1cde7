//! Hospital discharge requests: the whole lifecycle, holds that lapse and return to stock,
//! two managers accepting at once, a handout that uses the hold, nurse scoping.

use crate::common::fixtures::{days_ago, today};
use crate::common::TestApp;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CHERRY: i64 = 2;
const MODEL: i64 = 1;

fn request(last: &str, phone: &str) -> Value {
    json!({
        "caregiver": {"first_name": "Maya", "last_name": last, "date_of_birth": format!("19{}-06-01", 70 + last.bytes().map(u32::from).sum::<u32>() % 30), "phone": phone},
        "address": {"line1": "900 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "preferred_language": "en",
        "infant": {"date_of_birth": days_ago(1).to_string()},
        "discharge_date": today().to_string(),
        "education_given_in_hospital": true,
        "preferred_site_id": CHERRY
    })
}

async fn submit(app: &TestApp, nurse: &str, last: &str, phone: &str) -> Value {
    let (status, r) = app.post(nurse, "/api/v1/referrals", &request(last, phone)).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r
}

async fn reserved_at(app: &TestApp, token: &str, site: i64) -> (i64, i64) {
    let (_, sites) = app.get(token, "/api/v1/sites").await;
    let s = sites.as_array().and_then(|a| a.iter().find(|s| s["id"] == site)).cloned().expect("site");
    let st =
        s["stock"].as_array().and_then(|a| a.iter().find(|x| x["crib_model_id"] == MODEL)).cloned().expect("stock");
    (st["reserved"].as_i64().expect("reserved"), st["available"].as_i64().expect("available"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_goes_from_submitted_to_reserved_to_fulfilled() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let staff2 = app.token("staff2@demo.cribs").await;
    let r = submit(&app, &nurse, "Okafor", "410-555-7001").await;
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["eligibility"]["result"], "eligible", "{r}");
    assert_eq!(r["hospital"]["name"], "Johns Hopkins Hospital");
    let id = r["id"].as_i64().expect("id");
    // The nurse now sees the family (it is on her hospital's request), with hospital education.
    let (status, fam) = app.get(&nurse, &format!("/api/v1/families/{}", r["family_id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fam["education"][0]["mode"], "hospital_discharge");
    let (held0, avail0) = reserved_at(&app, &manager, CHERRY).await;
    let (status, acc) = app
        .post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": CHERRY, "crib_model_id": MODEL}))
        .await;
    assert_eq!(status, StatusCode::OK, "{acc}");
    assert_eq!(acc["status"], "reserved");
    assert_eq!(acc["reserved_site"]["name"], "Cherry Hill Community Site");
    assert_eq!(acc["reserved_until"], (today() + chrono::Duration::days(7)).to_string());
    assert_eq!(reserved_at(&app, &manager, CHERRY).await, (held0 + 1, avail0 - 1));
    // Check-in at Cherry Hill: check, then hand out; the hold is used, not a second crib.
    let fid = r["family_id"].as_i64().expect("family");
    let (_, c) = app.post(&staff2, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(c["result"], "eligible");
    let (status, h) = app.post(&staff2, "/api/v1/handouts", &json!({"family_id": fid, "infant_id": r["infant_id"], "site_id": CHERRY, "crib_model_id": MODEL, "referral_id": id})).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["referral_id"], id);
    assert_eq!(reserved_at(&app, &manager, CHERRY).await, (held0, avail0 - 1), "one crib left, the hold with it");
    let (_, done) = app.get(&nurse, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(done["status"], "fulfilled");
    assert_eq!(done["handout_id"], h["id"]);
    let (status, body) = app.post(&nurse, &format!("/api/v1/referrals/{id}/cancel"), &json!({})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "cancel after fulfilment");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_hold_expires_and_its_crib_returns() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let r = submit(&app, &nurse, "Lapse", "410-555-7002").await;
    let id = r["id"].as_i64().expect("id");
    let (held0, avail0) = reserved_at(&app, &manager, CHERRY).await;
    let (status, _) = app
        .post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": CHERRY, "crib_model_id": MODEL}))
        .await;
    assert_eq!(status, StatusCode::OK);
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!("UPDATE referrals SET reserved_until = '2020-01-01' WHERE id = {id}"))
        .await
        .expect("lapse");
    let (_, r) = app.get(&nurse, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(r["status"], "expired", "right when read");
    assert_eq!(reserved_at(&app, &manager, CHERRY).await, (held0, avail0));
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_managers_accepting_at_once_hold_one_crib() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let m1 = app.token("manager@demo.cribs").await;
    let m2 = app.token("admin@demo.cribs").await;
    let r = submit(&app, &nurse, "Twice", "410-555-7003").await;
    let id = r["id"].as_i64().expect("id");
    let (held0, _) = reserved_at(&app, &m1, CHERRY).await;
    let body = json!({"site_id": CHERRY, "crib_model_id": MODEL});
    let path = format!("/api/v1/referrals/{id}/accept");
    let results =
        join_all([app.post(&m1, &path, &body), app.post(&m2, &path, &body), app.post(&m1, &path, &body)]).await;
    let ok = results.iter().filter(|r| r.0 == StatusCode::OK).count();
    let conflicts = results.iter().filter(|r| r.0 == StatusCode::CONFLICT && r.1["error"] == "conflict").count();
    assert_eq!((ok, conflicts), (1, 2), "{results:?}");
    assert_eq!(reserved_at(&app, &m1, CHERRY).await.0, held0 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserving_with_nothing_available_is_out_of_stock_and_decline_releases() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, _) = app
        .post(&manager, &format!("/api/v1/sites/{CHERRY}/counts"), &json!({"crib_model_id": MODEL, "counted": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let a = submit(&app, &nurse, "First", "410-555-7004").await;
    let b = submit(&app, &nurse, "Second", "410-555-7005").await;
    let body = json!({"site_id": CHERRY, "crib_model_id": MODEL});
    let (status, _) = app.post(&manager, &format!("/api/v1/referrals/{}/accept", a["id"]), &body).await;
    assert_eq!(status, StatusCode::OK);
    let (status, e) = app.post(&manager, &format!("/api/v1/referrals/{}/accept", b["id"]), &body).await;
    assert_eq!((status, e["error"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")));
    let (_, still) = app.get(&manager, &format!("/api/v1/referrals/{}", b["id"])).await;
    assert_eq!(still["status"], "submitted", "a refused accept changes nothing");
    let (status, d) = app
        .post(
            &manager,
            &format!("/api/v1/referrals/{}/decline", a["id"]),
            &json!({"reason": "Family moved to the county; referred to county program"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["decline_reason"], "Family moved to the county; referred to county program");
    let (status, _) = app.post(&manager, &format!("/api/v1/referrals/{}/accept", b["id"]), &body).await;
    assert_eq!(status, StatusCode::OK, "the declined request's hold came back");
    let (status, c) = app.post(&nurse, &format!("/api/v1/referrals/{}/cancel", b["id"]), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["status"], "cancelled");
    assert_eq!(reserved_at(&app, &manager, CHERRY).await, (0, 1));
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nurses_see_only_their_hospitals_requests() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let nurse2 = app.token("nurse2@demo.cribs").await;
    let staff = app.token("staff@demo.cribs").await;
    let r = submit(&app, &nurse, "Scoped", "410-555-7006").await;
    let id = r["id"].as_i64().expect("id");
    let (_, mine) = app.get(&nurse, "/api/v1/referrals").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let (_, theirs) = app.get(&nurse2, "/api/v1/referrals").await;
    assert_eq!(theirs, json!([]));
    for (path, body) in [(format!("/api/v1/referrals/{id}/cancel"), json!({}))] {
        let (status, _) = app.post(&nurse2, &path, &body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = app.get(&nurse2, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&nurse2, &format!("/api/v1/families/{}", r["family_id"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another hospital's family");
    let (status, _) = app.post(&staff, "/api/v1/referrals", &request("Staff", "410-555-7007")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&nurse, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": CHERRY, "crib_model_id": MODEL}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_store_nothing() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let before = (app.count("referrals").await, app.count("families").await);
    let mut no_infant = request("Bad", "410-555-7008");
    no_infant.as_object_mut().map(|o| o.remove("infant"));
    let mut far = request("Bad", "410-555-7008");
    far["discharge_date"] = json!("2099-01-01");
    let mut garbage = request("Bad", "410-555-7008");
    garbage["discharge_date"] = json!("yesterday");
    let mut site = request("Bad", "410-555-7008");
    site["preferred_site_id"] = json!(999);
    for (body, field) in [(no_infant, "infant"), (far, "discharge_date"), (garbage, "discharge_date")] {
        let (status, e) = app.post(&nurse, "/api/v1/referrals", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["fields"][field].is_array(), "{field}: {e}");
    }
    let (status, _) = app.post(&nurse, "/api/v1/referrals", &site).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!((app.count("referrals").await, app.count("families").await), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handout_settles_a_lapsed_hold_on_the_last_crib_first() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let staff2 = app.token("staff2@demo.cribs").await;
    // One crib at Cherry Hill, held for the first request; its hold then runs out.
    let (status, _) = app
        .post(&manager, &format!("/api/v1/sites/{CHERRY}/counts"), &json!({"crib_model_id": MODEL, "counted": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let held = submit(&app, &nurse, "Heldlong", "410-555-7011").await;
    let other = submit(&app, &nurse, "Walkin", "410-555-7012").await;
    let (status, _) = app
        .post(
            &manager,
            &format!("/api/v1/referrals/{}/accept", held["id"]),
            &json!({"site_id": CHERRY, "crib_model_id": MODEL}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(&nurse, &format!("/api/v1/referrals/{}/cancel", other["id"]), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "the second family comes in without its request");
    let fid = other["family_id"].as_i64().expect("family");
    // The family walks in at Cherry Hill, where it has no history yet: checked in there first.
    let (status, _) = app
        .post(
            &staff2,
            &format!("/api/v1/families/{fid}/check-in-here"),
            &json!({"reason": "walked in without the request"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, c) = app.post(&staff2, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(c["result"], "eligible", "{c}");
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!("UPDATE referrals SET reserved_until = '2020-01-01' WHERE id = {}", held["id"]))
        .await
        .expect("lapse");
    // Nothing read it since: the lapsed hold still counts as reserved until the handout settles it.
    let body = json!({"family_id": fid, "infant_id": other["infant_id"], "site_id": CHERRY, "crib_model_id": MODEL});
    let (status, h) = app.post(&staff2, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "the lapsed hold gave its crib back first: {h}");
    assert_eq!(h["referral_id"], Value::Null);
    let (_, r) = app.get(&nurse, &format!("/api/v1/referrals/{}", held["id"])).await;
    assert_eq!(r["status"], "expired");
    assert_eq!(reserved_at(&app, &manager, CHERRY).await, (0, 0));
    app.assert_no_drift().await;
}
