//! A hospital request never joins a family registered before it (issue 18, finding 1): it
//! creates its own record, possible duplicates go to triage, a manager decides (the same
//! family: merged; a different one: noted), the nurse only ever reads what she sent, and
//! nothing tells a nurse about another hospital's requests.

use crate::common::fixtures::{days_ago, family, today};
use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A request for Tania Brooks (the fixture family is "Tanya Brooks", born 1996-04-12, phone
/// 410-555-0101): same phone, same last name and birth date, another spelling and address.
fn request_for(first: &str, phone: &str, baby_born: chrono::NaiveDate) -> Value {
    json!({
        "caregiver": {"first_name": first, "last_name": "Brooks", "date_of_birth": "1996-04-12", "phone": phone},
        "address": {"line1": "7 Hospital Way", "city": "Baltimore", "state": "MD", "zip": "21217", "neighborhood_id": 65},
        "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "infant": {"date_of_birth": baby_born.to_string()},
        "discharge_date": today().to_string(),
    })
}

/// The site-1 family (with income and race/ethnicity) and its baby's id.
async fn registered_family(app: &TestApp, baby_born: chrono::NaiveDate) -> (i64, i64) {
    let staff = app.token("staff@demo.cribs").await;
    let body = family().with_infant_born(baby_born).build();
    let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_request_that_matches_a_registered_family_opens_nothing_until_a_manager_merges_it() {
    let app = TestApp::spawn().await;
    let born = days_ago(5);
    let (fid, baby) = registered_family(&app, born).await;
    let nurse = app.token("nurse@demo.cribs").await;
    let nurse2 = app.token("nurse2@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;

    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request_for("Tania", "410-555-0101", born)).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().expect("id");
    let own = r["family_id"].as_i64().expect("family");
    assert_ne!(own, fid, "the request made its own record");
    assert_eq!(r["caregiver"], "Tania Brooks", "the answer is what she sent");
    assert!(r.get("possible_matches").is_none(), "a nurse is not told of matches: {r}");
    // Nothing of the registered family reaches the nurse: the record, the FHIR resource.
    let (status, _) = app.get(&nurse, &format!("/api/v1/families/{fid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, person) = app.get(&nurse, &format!("/fhir/r4/RelatedPerson/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(person["name"][0]["given"][0], "Tania");
    assert_eq!(person["address"][0]["line"][0], "7 Hospital Way");

    // Another hospital sends a request for the same baby: no 409 tells it about the first.
    let (status, r2) = app.post(&nurse2, "/api/v1/referrals", &request_for("Tanya", "410-555-0101", born)).await;
    assert_eq!(status, StatusCode::CREATED, "{r2}");
    let id2 = r2["id"].as_i64().expect("id");
    // The same hospital sending again is told of its own open request.
    let (status, again) = app.post(&nurse, "/api/v1/referrals", &request_for("Tania", "410-555-0101", born)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert!(again["message"].as_str().unwrap_or("").contains(&format!("request {id}")), "{again}");

    // The manager sees the match (the registered family) and must decide before a hold.
    let (status, seen) = app.get(&manager, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let matches = seen["possible_matches"].as_array().cloned().unwrap_or_default();
    assert!(matches.iter().any(|m| m["family"]["id"] == json!(fid) && m["status"] == "open"), "{seen}");
    let accept = json!({"site_id": 1, "crib_model_id": 1});
    let (status, refused) = app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &accept).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(refused["message"].as_str().unwrap_or("").contains("possible matches"), "{refused}");

    // The same family: the request's record is merged into the registered one.
    let path = format!("/api/v1/referrals/{id}/matches/{fid}");
    let (status, decided) = app.post_idem(&manager, &path, "merge-1", &json!({"same": true})).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["referral"]["family_id"], json!(fid));
    assert_eq!(decided["referral"]["infant_id"], json!(baby), "the same baby is one baby");
    // Replayed with its key: the same answer, nothing merged twice.
    let (status, replay) = app.post_idem(&manager, &path, "merge-1", &json!({"same": true})).await;
    assert_eq!((status, &replay), (StatusCode::OK, &decided));
    assert_eq!(app.count_where("audit_events", "action = 'family.merge'").await, 1);
    assert_eq!(app.count_where("families", &format!("id = {own} AND merged_into_id = {fid}")).await, 1);
    assert_eq!(app.count_where("infants", &format!("family_id = {own}")).await, 0);

    // The nurse still sees only what she sent; neither record opens to her.
    for f in [fid, own] {
        let (status, _) = app.get(&nurse, &format!("/api/v1/families/{f}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "family {f}");
    }
    let (status, mine) = app.get(&nurse, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["caregiver"], "Tania Brooks");
    let (_, person) = app.get(&nurse, &format!("/fhir/r4/RelatedPerson/{id}")).await;
    assert_eq!(person["address"][0]["line"][0], "7 Hospital Way", "{person}");
    assert_eq!(person["name"][0]["given"][0], "Tania");
    // The manager reads the merged record under either id.
    let (status, merged) = app.get(&manager, &format!("/api/v1/families/{own}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(merged["id"], json!(fid));

    // The second hospital's request is now a match for the same baby with an open request:
    // merging it too would give one baby two open requests, so the manager is told.
    let path2 = format!("/api/v1/referrals/{id2}/matches/{fid}");
    let (status, two) = app.post(&manager, &path2, &json!({"same": true})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{two}");
    assert!(two["message"].as_str().unwrap_or("").contains(&format!("open request {id}")), "{two}");

    // Now the hold can be made.
    let (status, held) = app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &accept).await;
    assert_eq!(status, StatusCode::OK, "{held}");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_families_sharing_a_phone_stay_two_when_the_manager_says_so() {
    let app = TestApp::spawn().await;
    let (fid, _) = registered_family(&app, days_ago(200)).await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    // The grandmother's phone: another mother, another baby.
    let mut body = request_for("Keisha", "410-555-0101", days_ago(2));
    body["caregiver"]["last_name"] = json!("Ward");
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().expect("id");
    let families = app.count("families").await;
    let (status, d) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/matches/{fid}"), &json!({"same": false})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "different");
    assert_eq!(d["referral"]["family_id"], r["family_id"]);
    assert_eq!(app.count("families").await, families);
    assert_eq!(app.count_where("families", "merged_into_id IS NOT NULL").await, 0);
    // Deciding again is refused with a sentence; the hold goes ahead.
    let (status, again) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/matches/{fid}"), &json!({"same": true})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, held) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 1, "crib_model_id": 1})).await;
    assert_eq!(status, StatusCode::OK, "{held}");
    // Only managers decide.
    let (status, _) = app.post(&nurse, &format!("/api/v1/referrals/{id}/matches/{fid}"), &json!({"same": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.count_where("audit_events", "action = 'referral.match_different'").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_decides_a_match_on_the_triage_page() {
    let app = TestApp::spawn().await;
    let born = days_ago(4);
    let (fid, _) = registered_family(&app, born).await;
    let nurse = app.token("nurse@demo.cribs").await;
    // A name that merely looks hostile, to see the flash message escaped once.
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request_for("Tani'a <b>&", "410-555-0101", born)).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().expect("id");
    let b = app.browser_signed_in("manager@demo.cribs").await;
    let (status, html) = b.get("/triage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Possible match"), "the match is shown");
    assert!(html.contains("Decide the possible match before holding a crib"), "no hold offered yet");
    let action = format!("/triage/{id}/match/{fid}");
    let res = b.submit("/triage", &action, &[("same", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get("/triage").await;
    assert!(html.contains("the two records are now one"), "the flash says what happened");
    assert!(html.contains("Tani&#x27;a &lt;b&gt;&amp; Brooks"), "the name in the flash, escaped once");
    assert!(!html.contains("&amp;#x27;") && !html.contains("&amp;lt;"), "never escaped twice");
    assert!(html.contains(&format!("/triage/{id}/accept")), "the hold is offered now");
    assert_eq!(app.count_where("referrals", &format!("id = {id} AND family_id = {fid}")).await, 1);
}
