//! The family record over time (issue 19): found whoever typed it, one crib per baby across
//! records, corrections kept as versions (a past check flagged, never rewritten), a birth
//! recorded and a baby added, and a manager's merge that keeps one crib per baby and leaves
//! ids that resolve.

use crate::common::fixtures::{days_ago, days_ahead, family};
use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DRUID: i64 = 1;

fn abcd(name: &str) -> Value {
    json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": name})
}

/// María Hernández, born 1994-02-03, with a baby born `born`.
fn maria(born: chrono::NaiveDate) -> Value {
    family()
        .named("María", "Hernández")
        .set("/caregiver/date_of_birth", json!("1994-02-03"))
        .set("/caregiver/phone", json!("410-555-3131"))
        .with_infant_born(born)
        .build()
}

/// The same mother typed again: no accents, no phone.
fn maria_again(born: chrono::NaiveDate) -> Value {
    family()
        .named("Maria", "Hernandez")
        .set("/caregiver/date_of_birth", json!("1994-02-03"))
        .set("/caregiver/phone", Value::Null)
        .with_infant_born(born)
        .build()
}

async fn register(app: &TestApp, token: &str, body: &Value) -> (i64, i64) {
    let (status, f) = app.post(token, "/api/v1/families", body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"))
}

/// Check and educate, then hand out; the answer.
async fn hand_out(app: &TestApp, token: &str, fid: i64, iid: i64) -> (StatusCode, Value) {
    let (status, c) = app.post(token, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, e) = app.post(token, &format!("/api/v1/families/{fid}/education"), &abcd("María")).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": DRUID, "crib_model_id": 1});
    app.post(token, "/api/v1/handouts", &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_mother_typed_without_accents_is_found_and_her_baby_gets_one_crib() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let born = days_ago(9);
    let (first, baby) = register(&app, &staff, &maria(born)).await;
    // Search folds accents, case and spacing.
    let (status, found) = app.get(&staff, "/api/v1/families?q=maria%20%20HERNANDEZ").await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.as_array().is_some_and(|a| a.iter().any(|f| f["id"] == json!(first))), "{found}");
    // And by the last 4 or 7 digits of her phone (410-555-3131).
    for tail in ["3131", "555-3131", "5553131"] {
        let (status, found) = app.get(&staff, &format!("/api/v1/families?q={tail}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(found.as_array().is_some_and(|a| a.iter().any(|f| f["id"] == json!(first))), "{tail}: {found}");
    }
    // And as it sounds, typed another way.
    let (_, found) = app.get(&staff, "/api/v1/families?q=Hernandes").await;
    assert!(found.as_array().is_some_and(|a| a.iter().any(|f| f["id"] == json!(first))), "by sound: {found}");
    let (_, none) = app.get(&staff, "/api/v1/families?q=3132").await;
    assert_eq!(none, json!([]), "another number");
    // Registering her again without accents and without a phone is stopped as a duplicate.
    let (status, dup) = app.post(&staff, "/api/v1/families", &maria_again(born)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{dup}");
    assert!(dup["duplicates"].as_array().is_some_and(|d| d.iter().any(|f| f["id"] == json!(first))), "{dup}");
    // Said to be different anyway, the record is made, but the same baby gets no second crib.
    let mut again = maria_again(born);
    again["confirm_not_duplicate"] = json!(true);
    let (second, twin) = register(&app, &staff, &again).await;
    // The check-in page says the two look like one family: staff are told to ask a manager,
    // a manager gets the link to compare and merge them.
    let (status, html) = app.browser_signed_in("staff@demo.cribs").await.get("/checkin?q=hernandez").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("These look like the same family (the same birth date and last name)"), "{html}");
    assert!(html.contains("Ask a program manager to merge them") && !html.contains("/merge?other="), "{html}");
    let (_, html) = app.browser_signed_in("manager@demo.cribs").await.get("/checkin?q=hernandez").await;
    assert!(html.contains(&format!("href=\"/families/{first}/merge?other={second}\"")), "{html}");
    // The baby is found by her name (folded) and by her birth date.
    let (status, named) = app
        .patch(&staff, &format!("/api/v1/infants/{twin}"), &json!({"name": "Lucía Hernández", "reason": "Named"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{named}");
    for q in ["lucia", "LUCÍA%20hern", &born.to_string()] {
        let (_, found) = app.get(&staff, &format!("/api/v1/families?q={q}")).await;
        assert!(found.as_array().is_some_and(|a| a.iter().any(|f| f["id"] == json!(second))), "{q}: {found}");
    }
    let (_, found) = app.get(&staff, "/api/v1/families?q=lucia%20brooks").await;
    assert_eq!(found, json!([]), "the other word must start the caregiver's name");
    let (status, h) = hand_out(&app, &staff, first, baby).await;
    assert_eq!(status, StatusCode::CONFLICT, "the first record's baby waits too: {h}");
    assert_eq!(h["error"], "possible_same_baby");
    let (status, h) = hand_out(&app, &staff, second, twin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{h}");
    assert_eq!(h["error"], "possible_same_baby");
    let said = h["message"].as_str().unwrap_or("");
    assert!(said.contains(&format!("family record {first}")) && said.contains(&born.to_string()), "{said}");
    let (_, record) = app.get(&staff, &format!("/api/v1/families/{second}")).await;
    assert_eq!(record["possible_same_babies"][0]["other_infant_id"], json!(baby), "{record}");
    assert_eq!(app.count("handouts").await, 0);
    // Staff who know they are different babies say so, with a reason; the hand-out goes ahead.
    let path = format!("/api/v1/infants/{twin}/not-same");
    let (status, said) = app.post(&staff, &path, &json!({"other_infant_id": baby, "reason": "no"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is needed: {said}");
    let reason = json!({"other_infant_id": baby, "reason": "Different mothers: checked their IDs at the door"});
    let (status, said) = app.post(&staff, &path, &reason).await;
    assert_eq!(status, StatusCode::OK, "{said}");
    let body = json!({"family_id": second, "infant_id": twin, "site_id": DRUID, "crib_model_id": 1});
    let (status, h) = app.post(&staff, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(app.count_where("audit_events", "action = 'infant.not_same'").await, 1);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_makes_two_records_one_keeps_one_crib_per_baby_and_old_ids_resolve() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let born = days_ago(12);
    let (first, baby) = register(&app, &staff, &maria(born)).await;
    let (status, h) = hand_out(&app, &staff, first, baby).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let receipt = h["receipt_number"].as_str().unwrap_or("").to_string();
    let mut again = maria_again(born);
    again["confirm_not_duplicate"] = json!(true);
    let (second, twin) = register(&app, &staff, &again).await;
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{second}/education"), &abcd("Maria")).await;
    assert_eq!(status, StatusCode::CREATED);
    let movements = app.count("stock_movements").await;

    // Only managers merge; a reason is needed.
    let merge = json!({"other_family_id": second, "reason": "The same mother, registered twice"});
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{first}/merge"), &merge).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&manager, &format!("/api/v1/families/{first}/merge"), &json!({"other_family_id": second, "reason": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, done) = app.post_idem(&manager, &format!("/api/v1/families/{first}/merge"), "m-1", &merge).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["infants"], json!([[twin, baby]]), "the same baby became one");
    let (status, replay) = app.post_idem(&manager, &format!("/api/v1/families/{first}/merge"), "m-1", &merge).await;
    assert_eq!((status, &replay), (StatusCode::OK, &done), "a retry with its key answers the same");
    // The old id resolves; the survivor holds everything; the baby still has one crib.
    let (status, record) = app.get(&manager, &format!("/api/v1/families/{second}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["id"], json!(first));
    assert_eq!(record["infants"].as_array().map(Vec::len), Some(1), "{record}");
    assert_eq!(record["education"].as_array().map(Vec::len), Some(2), "both records' education");
    assert_eq!(record["handouts"][0]["receipt_number"], json!(receipt));
    assert!(record["possible_same_babies"].as_array().is_some_and(Vec::is_empty), "{record}");
    let (status, found) = app.get(&staff, "/api/v1/families?q=Hernandez").await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.as_array().is_some_and(|a| a.iter().all(|f| f["id"] != json!(second))), "the tombstone is not found");
    let body = json!({"family_id": first, "infant_id": baby, "site_id": DRUID, "crib_model_id": 1});
    let (status, h) = app.post(&staff, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{h}");
    assert_eq!(h["error"], "already_received");
    assert_eq!(app.count("stock_movements").await, movements, "nothing in the ledger changed");
    let (_, history) = app.get(&manager, &format!("/api/v1/families/{first}/history")).await;
    assert_eq!(history[0]["action"], "family.merge", "{history}");
    app.assert_no_drift().await;

    // A third record of the same baby with its own crib (wrongly said to be different):
    // merging it would give one baby two cribs, so the merge stops and names both receipts.
    let mut third = maria_again(born);
    third["confirm_not_duplicate"] = json!(true);
    third["caregiver"]["first_name"] = json!("Mari");
    let (other, triplet) = register(&app, &staff, &third).await;
    let path = format!("/api/v1/infants/{triplet}/not-same");
    let (status, _) = app.post(&staff, &path, &json!({"other_infant_id": baby, "reason": "They told us twins"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, h2) = hand_out(&app, &staff, other, triplet).await;
    assert_eq!(status, StatusCode::CREATED, "{h2}");
    let merge = json!({"other_family_id": other, "reason": "The same mother, a third time"});
    let families = app.count("families").await;
    let (status, refused) = app.post(&manager, &format!("/api/v1/families/{first}/merge"), &merge).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let said = refused["message"].as_str().unwrap_or("");
    assert!(said.contains(&receipt) && said.contains(h2["receipt_number"].as_str().unwrap_or("?")), "{said}");
    assert_eq!(app.count("families").await, families);
    assert_eq!(app.count_where("families", &format!("id = {other} AND merged_into_id IS NULL")).await, 1, "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_is_a_version_and_a_check_it_changed_is_flagged_not_rewritten() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (fid, _) = register(&app, &staff, &maria(days_ago(30))).await;
    let (status, check) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{check}");
    let path = format!("/api/v1/families/{fid}");
    // A typo in the phone, fixed with a reason.
    let (status, change) =
        app.patch(&staff, &path, &json!({"caregiver": {"phone": "410-555-3232"}, "reason": "phone typed wrong"})).await;
    assert_eq!(status, StatusCode::OK, "{change}");
    assert_eq!(change["before"]["caregiver.phone"], "410-555-3131");
    assert_eq!(change["after"]["caregiver.phone"], "410-555-3232");
    // No reason, an unknown field, a control character, nothing new: refused, nothing saved.
    for (bad, why) in [
        (json!({"caregiver": {"phone": "410-555-3333"}}), "no reason"),
        (json!({"infants": [], "reason": "add babies here"}), "babies are corrected one by one"),
        (json!({"caregiver": {"last_name": "Hernández\u{0007}"}, "reason": "bell"}), "control character"),
        (json!({"caregiver": {"phone": "410-555-3232"}, "reason": "again"}), "nothing to change"),
    ] {
        let (status, body) = app.patch(&staff, &path, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
    }
    // The household size is a fact the stored check used: said so before it is saved.
    let bigger = json!({"household_size": 5, "reason": "her sister moved in"});
    let (status, warned) = app.patch(&staff, &path, &bigger).await;
    assert_eq!(status, StatusCode::CONFLICT, "{warned}");
    assert!(warned["message"].as_str().unwrap_or("").contains("household_size"), "{warned}");
    let mut confirmed = bigger.clone();
    confirmed["confirm_past_decisions"] = json!(true);
    let (status, _) = app.patch(&staff, &path, &confirmed).await;
    assert_eq!(status, StatusCode::OK);
    let (_, record) = app.get(&staff, &path).await;
    assert_eq!(record["household_size"], 5);
    assert_eq!(record["caregiver"]["phone"], "410-555-3232");
    let flagged = record["checks"][0]["corrected_since"].as_str().unwrap_or("");
    assert!(flagged.contains("family's details"), "the old check is flagged: {record}");
    assert_eq!(record["checks"][0]["id"], check["id"], "and kept as it was");
    let (status, history) = app.get(&staff, &format!("{path}/history")).await;
    assert_eq!(status, StatusCode::OK);
    let versions = history.as_array().cloned().unwrap_or_default();
    assert_eq!(versions.len(), 2, "{history}");
    assert_eq!(versions[0]["after"]["household_size"], 5);
    assert_eq!(versions[1]["reason"], "phone typed wrong");
    assert_eq!(app.count_where("audit_events", "action = 'family.correct'").await, 2);
    // Another site's staff cannot correct (or see) it.
    let staff2 = app.token("staff2@demo.cribs").await;
    let (status, _) = app.patch(&staff2, &path, &json!({"household_size": 2, "reason": "not mine"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birth_is_recorded_and_a_returning_familys_new_baby_added() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let body = family().with_infant_due(days_ahead(20)).build();
    let (fid, baby) = register(&app, &staff, &body).await;
    let born = days_ago(1);
    let path = format!("/api/v1/infants/{baby}");
    let (status, change) = app
        .patch(
            &staff,
            &path,
            &json!({"date_of_birth": born.to_string(), "name": "Amara", "weight_lb": "7.4", "reason": "born early"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{change}");
    assert_eq!(change["after"]["date_of_birth"], json!(born));
    assert_eq!(change["after"]["expected_due_date"], Value::Null, "the birth replaces the due date");
    assert_eq!(change["before"]["expected_due_date"], json!(days_ahead(20)));
    let (status, bad) =
        app.patch(&staff, &path, &json!({"date_of_birth": days_ahead(3).to_string(), "reason": "typo"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a birth in the future: {bad}");
    let (status, added) = app
        .post(
            &staff,
            &format!("/api/v1/families/{fid}/infants"),
            &json!({"expected_due_date": days_ahead(200).to_string(), "reason": "expecting again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (_, record) = app.get(&staff, &format!("/api/v1/families/{fid}")).await;
    let infants = record["infants"].as_array().cloned().unwrap_or_default();
    assert_eq!(infants.len(), 2, "{record}");
    assert_eq!(infants[0]["name"], "Amara");
    let (_, history) = app.get(&staff, &format!("/api/v1/families/{fid}/history")).await;
    assert_eq!(history[0]["action"], "infant.add");
    assert_eq!(history[1]["action"], "infant.correct");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correction_form_takes_income_with_a_thousands_comma() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (fid, _) = register(&app, &staff, &maria(days_ago(8))).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let page = format!("/families/{fid}/correct");
    let (_, html) = b.get(&page).await;
    let mut fields = crate::common::hidden_fields_of(&html, &page).expect("the form");
    let typed = [
        ("caregiver.first_name", "María"),
        ("caregiver.last_name", "Hernández"),
        ("caregiver.date_of_birth", "1994-02-03"),
        ("caregiver.phone", "410-555-3131"),
        ("preferred_language", "en"),
        ("address.line1", "1200 Druid Hill Ave"),
        ("address.city", "Baltimore"),
        ("address.state", "MD"),
        ("address.zip", "21217"),
        ("address.neighborhood_id", "65"),
        ("household_size", "2"),
        ("annual_income", "$28,000"),
        ("enrollments", "WIC"),
        ("has_safe_sleep_space", "no"),
        ("reason", "income given at the door"),
    ];
    fields.extend(typed.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let res = b.client.post(app.url(&page)).form(&fields).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    let row = cribs::store::families::get(&app.db, fid).await.expect("stored");
    assert_eq!(row.annual_income_cents, Some(2_800_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_fix_a_typo_record_a_birth_and_clear_a_possible_same_baby_on_the_pages() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let born = days_ago(8);
    let (fid, _) = register(&app, &staff, &maria(born)).await;
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let page = format!("/families/{fid}/correct");
    let (status, html) = b.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"410-555-3131\""), "the form holds what is on record");
    // A typo fixed: every field is sent as the form holds it, with the new phone.
    let mut fields = crate::common::hidden_fields_of(&html, &page).expect("the form");
    let on_record = [
        ("caregiver.first_name", "María"),
        ("caregiver.last_name", "Hernández"),
        ("caregiver.date_of_birth", "1994-02-03"),
        ("caregiver.phone", "410-555-3232"),
        ("preferred_language", "en"),
        ("address.line1", "1200 Druid Hill Ave"),
        ("address.city", "Baltimore"),
        ("address.state", "MD"),
        ("address.zip", "21217"),
        ("address.neighborhood_id", "65"),
        ("household_size", "2"),
        ("annual_income", "18000.00"),
        ("enrollments", "WIC"),
        ("has_safe_sleep_space", "no"),
        ("reason", "phone typed wrong"),
    ];
    fields.extend(on_record.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (_, record) = app.get(&staff, &format!("/api/v1/families/{fid}")).await;
    for (k, v) in [("annual_income", &record["annual_income"]), ("enrollments", &record["enrollments"][0])] {
        assert_eq!(fields.iter().find(|(n, _)| n == k).map(|(_, x)| x.as_str()), v.as_str(), "fixture value of {k}");
    }
    let res = b.client.post(app.url(&page)).form(&fields).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    let (_, html) = b.get(&format!("/families/{fid}")).await;
    assert!(html.contains("Changes to the record") && html.contains("phone typed wrong"), "the history shows it");
    assert!(html.contains("phone: 410-555-3131 → 410-555-3232"), "before and after");
    assert!(!html.contains("caregiver.phone"), "no internal field names");
    // A change to what the stored check used asks first, then saves when confirmed.
    let (_, html) = b.get(&page).await;
    let mut fields = crate::common::hidden_fields_of(&html, &page).expect("the form");
    let mut values: Vec<(String, String)> = on_record.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for (k, v) in values.iter_mut() {
        match k.as_str() {
            "household_size" => *v = "4".into(),
            "reason" => *v = "two more children live there".into(),
            _ => {}
        }
    }
    fields.extend(values);
    let res = b.client.post(app.url(&page)).form(&fields).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("Check before saving") && html.contains("confirm_past_decisions"), "asked first");
    let mut again = crate::common::hidden_fields_of(&html, &page).expect("the form again");
    again.extend(fields.into_iter().filter(|(k, _)| k != "form_token" && k != "csrf_token"));
    again.push(("confirm_past_decisions".into(), "1".into()));
    let res = b.client.post(app.url(&page)).form(&again).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get(&format!("/families/{fid}")).await;
    assert!(html.contains("since corrected: run a new check"), "the old check is flagged on the page");

    // A new baby from the page.
    let res = b
        .submit(
            &format!("/families/{fid}/infants/new"),
            &format!("/families/{fid}/infants/new"),
            &[("expected_due_date", &days_ahead(100).to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("infants", &format!("family_id = {fid}")).await, 2);

    // The same mother registered again: the page shows the question and takes the answer.
    let mut again = maria_again(born);
    again["confirm_not_duplicate"] = json!(true);
    let (second, twin) = register(&app, &staff, &again).await;
    let (_, html) = b.get(&format!("/families/{second}")).await;
    assert!(html.contains("the same baby as on another record?"), "the question is on the page");
    let action = format!("/families/{second}/infants/{twin}/not-same");
    let res = b.submit(&format!("/families/{second}"), &action, &[("reason", "Different mother, seen her ID")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("infant_matches", "status = 'open'").await, 0);
}

/// Every report a manager reads, as JSON, for the last year.
async fn all_reports(app: &TestApp, manager: &str) -> Vec<Value> {
    let from = days_ago(365);
    let to = days_ahead(1);
    let mut out = Vec::new();
    for r in ["distribution-by-neighborhood", "equity", "education", "eligibility", "referrals", "follow-ups", "stock"]
    {
        let (status, body) = app.get(manager, &format!("/api/v1/reports/{r}?from={from}&to={to}")).await;
        assert_eq!(status, StatusCode::OK, "{r}: {body}");
        out.push(body);
    }
    for group in ["csa", "race_ethnicity"] {
        let (_, body) = app
            .get(manager, &format!("/api/v1/reports/distribution-by-neighborhood?from={from}&to={to}&group={group}"))
            .await;
        out.push(body);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_everything_and_an_erasure_removes_identity_but_no_count() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (fid, baby) = register(&app, &staff, &maria(days_ago(15))).await;
    let (status, h) = hand_out(&app, &staff, fid, baby).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let (status, _) = app
        .patch(
            &staff,
            &format!("/api/v1/families/{fid}"),
            &json!({"caregiver": {"phone": "410-555-3999"}, "reason": "new phone"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _) = app.get(&staff, "/api/v1/families?q=hernandez").await;

    // The export: the record, its rules in sentences, the hand-out, the version, who looked.
    let (status, _) = app.get(&staff, &format!("/api/v1/families/{fid}/export")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "managers answer export requests");
    let (status, out) = app.get(&manager, &format!("/api/v1/families/{fid}/export")).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["family"]["caregiver"]["last_name"], "Hernández");
    assert!(out["family"]["checks"][0]["rules"][0]["explanation"].as_str().is_some_and(|s| !s.is_empty()), "{out}");
    assert_eq!(out["family"]["handouts"][0]["receipt_number"], h["receipt_number"]);
    assert_eq!(out["versions"][0]["after"]["caregiver.phone"], "410-555-3999");
    let actions: Vec<&str> =
        out["access"].as_array().map(|a| a.iter().filter_map(|x| x["action"].as_str()).collect()).unwrap_or_default();
    for a in ["family.create", "family.correct", "family.search"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(app.count_where("audit_events", "action = 'family.export'").await, 1);

    // Erasure: identity goes, every report total and the ledger stay.
    let before = all_reports(&app, &manager).await;
    let (status, _) = app.post(&manager, &format!("/api/v1/families/{fid}/erase"), &json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, erased) = app
        .post(&manager, &format!("/api/v1/families/{fid}/erase"), &json!({"reason": "The family asked on the phone"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(all_reports(&app, &manager).await, before, "every report gives the same totals");
    app.assert_no_drift().await;
    let (_, record) = app.get(&manager, &format!("/api/v1/families/{fid}")).await;
    let text = record.to_string();
    for gone in
        ["Hernández", "María", "410-555-3999", "410-555-3131", "1200 Druid Hill", "18000", "1994-02-03", "María"]
    {
        assert!(!text.contains(gone), "{gone} is gone: {record}");
    }
    assert_eq!(record["caregiver"]["date_of_birth"], "1994-02-01", "kept as its year and month");
    assert_eq!(record["address"]["neighborhood_id"], 65, "the neighborhood stays");
    assert_eq!(record["handouts"].as_array().map(Vec::len), Some(1), "the hand-out stays");
    let (_, found) = app.get(&staff, "/api/v1/families?q=hernandez").await;
    assert_eq!(found, json!([]), "no longer found by name");
    let (status, again) = app
        .post(&manager, &format!("/api/v1/families/{fid}/erase"), &json!({"reason": "The family asked again"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retention_period_erases_families_without_contact_and_says_so() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (old, _) = register(&app, &staff, &maria(days_ago(30))).await;
    let (recent, _) =
        register(&app, &staff, &family().named("Recent", "Contact").with_infant_born(days_ago(3)).build()).await;
    // The first family was last seen eight years ago.
    let eight_years_ago = chrono::Utc::now() - chrono::Duration::days(8 * 365);
    let backend = app.db.get_database_backend();
    let sql = if backend == sea_orm::DbBackend::Postgres {
        "UPDATE families SET created_at = $1 WHERE id = $2"
    } else {
        "UPDATE families SET created_at = ? WHERE id = ?"
    };
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [eight_years_ago.into(), old.into()]))
        .await
        .expect("back-date");
    let erased = cribs::store::erasure::apply_retention(&app.db, 7, chrono::Utc::now()).await.expect("retention");
    assert_eq!(erased, vec![old], "only the family without contact for seven years");
    assert_eq!(app.count_where("families", &format!("id = {recent} AND erased_at IS NULL")).await, 1);
    assert_eq!(app.count_where("audit_events", &format!("action = 'family.erase' AND entity_id = {old}")).await, 1);
    let none = cribs::store::erasure::apply_retention(&app.db, 0, chrono::Utc::now()).await.expect("off");
    assert!(none.is_empty(), "0 turns it off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_slip_entered_afterwards_records_once_on_its_own_day() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    // The site has had its stock for ten days.
    app.back_date_stock(10).await;
    let (fid, baby) = register(&app, &staff, &maria(days_ago(20))).await;
    let happened = chrono::Utc::now() - chrono::Duration::days(2);
    let paper_day = cribs::clock::date_in_new_york(happened);
    // The slip's answers: the check for that day, the education given then.
    let (status, check) =
        app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({"on": paper_day})).await;
    assert_eq!(status, StatusCode::CREATED, "{check}");
    assert_eq!(check["checked_on"], json!(paper_day));
    let mut education = abcd("María Hernández");
    education["delivered_at"] = json!(happened - chrono::Duration::minutes(10));
    let (status, e) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &education).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let body = |at: chrono::DateTime<chrono::Utc>, slip: &str| {
        json!({"family_id": fid, "infant_id": baby, "site_id": DRUID, "crib_model_id": 1,
            "occurred_at": at.to_rfc3339(), "paper_slip": slip})
    };
    // Refused with a sentence, nothing written: no slip number, a future time, before the stock.
    let handouts = app.count("handouts").await;
    let (status, _) = app
        .post(&staff, "/api/v1/handouts", &json!({"family_id": fid, "infant_id": baby, "site_id": DRUID, "crib_model_id": 1, "occurred_at": happened.to_rfc3339()}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) =
        app.post(&staff, "/api/v1/handouts", &body(chrono::Utc::now() + chrono::Duration::days(1), "A-0001")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, before) =
        app.post(&staff, "/api/v1/handouts", &body(chrono::Utc::now() - chrono::Duration::days(30), "A-0001")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{before}");
    assert!(before["fields"]["occurred_at"][0].as_str().unwrap_or("").contains("first had a crib"), "{before}");
    assert_eq!(app.count("handouts").await, handouts);
    // Entered: dated when it happened, marked as from paper.
    let (status, h) = app.post(&staff, "/api/v1/handouts", &body(happened, "A-0001")).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["handed_out_on"], json!(paper_day));
    assert_eq!(h["paper_slip"], "A-0001");
    assert_eq!(h["eligibility_check_id"], check["id"]);
    let moved = app
        .count_where(
            "stock_movements",
            &format!(
                "handout_id = {} AND created_at < '{}'",
                h["id"],
                (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d")
            ),
        )
        .await;
    assert_eq!(moved, 1, "the crib left the shelf on the paper day");
    // The same slip entered again (another device, no key): recorded once.
    let (status, again) = app.post(&staff, "/api/v1/handouts", &body(happened, "A-0001")).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], h["id"]);
    assert_eq!(app.count("handouts").await, handouts + 1);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_slip_is_checked_under_the_policy_of_its_day_not_todays() {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    app.back_date_stock(10).await;
    let (fid, baby) = register(&app, &staff, &maria(days_ago(20))).await;
    let happened = chrono::Utc::now() - chrono::Duration::days(3);
    let paper_day = cribs::clock::date_in_new_york(happened);
    // Since yesterday a new version no longer takes babies past their first month.
    let first = cribs::entity::policy::Entity::find().all(&app.db).await.expect("policies");
    assert_eq!(first.len(), 1);
    let mut params: Value = serde_json::from_str(&first[0].params_json).expect("params");
    params["max_infant_age_months"] = json!(0);
    let newer = cribs::entity::policy::ActiveModel {
        name: Set(first[0].name.clone()),
        version: Set(first[0].version + 1),
        effective_from: Set(days_ago(1)),
        params_json: Set(params.to_string()),
        notes: Set(Some("Newborns only".into())),
        published_at: Set(chrono::Utc::now() - chrono::Duration::days(5)),
        published_by: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("a newer version");
    // Today the baby (20 days old) is refused under the new version...
    let (status, today) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{today}");
    assert_eq!(today["result"], "ineligible", "{today}");
    assert_eq!(today["policy"]["id"], json!(newer.id));
    // ...but the slip's day was under the old one, and the slip is entered under it.
    let (status, then) =
        app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({"on": paper_day})).await;
    assert_eq!(status, StatusCode::CREATED, "{then}");
    assert_eq!((then["result"].as_str(), then["checked_on"].clone()), (Some("eligible"), json!(paper_day)), "{then}");
    assert_eq!(then["policy"]["id"], json!(first[0].id));
    let mut education = abcd("María Hernández");
    education["delivered_at"] = json!(happened - chrono::Duration::minutes(10));
    let (status, e) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &education).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    // A hand-out today is refused (today's check failed); the slip of three days ago lands.
    let handouts = app.count("handouts").await;
    let (status, live) = hand_out(&app, &staff, fid, baby).await;
    assert!(status.is_client_error(), "{status} {live}");
    assert_eq!(app.count("handouts").await, handouts);
    let slip = json!({"family_id": fid, "infant_id": baby, "site_id": DRUID, "crib_model_id": 1,
        "occurred_at": happened.to_rfc3339(), "paper_slip": "B-0042"});
    let (status, h) = app.post(&staff, "/api/v1/handouts", &slip).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["eligibility_check_id"], then["id"], "the check of the slip's day, not today's");
    assert_eq!(h["handed_out_on"], json!(paper_day));
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_merges_exports_and_erases_on_the_pages() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let born = days_ago(6);
    let mut spanish = maria(born);
    spanish["preferred_language"] = json!("es");
    let (first, _) = register(&app, &staff, &spanish).await;
    let mut again = maria_again(born);
    again["confirm_not_duplicate"] = json!(true);
    again["caregiver"]["phone"] = json!("410-555-7777");
    let (second, _) = register(&app, &staff, &again).await;
    // Staff are told to ask a manager; the manager is offered the comparison.
    let s = app.browser_signed_in("staff@demo.cribs").await;
    let (_, html) = s.get(&format!("/families/{first}")).await;
    assert!(html.contains("Ask a program manager to merge"), "staff are told who merges");
    let m = app.browser_signed_in("manager@demo.cribs").await;
    let (_, html) = m.get(&format!("/families/{first}")).await;
    let compare = format!("/families/{first}/merge?other={second}");
    assert!(html.contains(&compare), "the manager is offered the comparison");
    let (status, html) = m.get(&compare).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("410-555-3131") && html.contains("410-555-7777"), "side by side");
    // The other record's phone is the right one.
    let res = m
        .submit(
            &compare,
            &format!("/families/{first}/merge"),
            &[("use_other", "caregiver.phone"), ("reason", "Same mother, two visits")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let manager = app.token("manager@demo.cribs").await;
    let (_, record) = app.get(&manager, &format!("/api/v1/families/{second}")).await;
    assert_eq!(record["id"], json!(first), "the old number opens the survivor");
    assert_eq!(record["caregiver"]["phone"], "410-555-7777", "the chosen value survived");
    assert_eq!(record["caregiver"]["last_name"], "Hernández", "the rest kept this record's");
    assert_eq!(record["infants"].as_array().map(Vec::len), Some(1));
    // The export page in the family's language, then the erasure.
    let page = format!("/families/{first}/export");
    let (status, html) = m.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Lo que el programa guarda sobre su familia"), "in Spanish");
    let res =
        m.submit(&page, &format!("/families/{first}/erase"), &[("reason", "La familia lo pidió por teléfono")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("families", &format!("id = {first} AND erased_at IS NOT NULL")).await, 1);
    let (status, _) = s.get(&page).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "staff do not export");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_prints_slips_and_enters_a_days_paper_afterwards_once() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let ten_days_ago = chrono::Utc::now() - chrono::Duration::days(10);
    let backend = app.db.get_database_backend();
    let sql = if backend == sea_orm::DbBackend::Postgres {
        "UPDATE stock_movements SET created_at = $1"
    } else {
        "UPDATE stock_movements SET created_at = ?"
    };
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [ten_days_ago.into()]))
        .await
        .expect("back-date");
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (status, html) = b.get(&format!("/paper/slips?site={DRUID}&count=3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("class=\"slip\"").count(), 3, "three numbered slips");
    assert!(html.contains("Cuna para dormir seguro") && html.contains("Safe-sleep crib"), "English and Spanish");
    let (status, html) = b.get(&format!("/paper/sign-in?site={DRUID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Hoja de registro"));
    let (status, _) = b.get("/paper/slips?site=2").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another site's slips");

    // Back-entry of one slip: the check for that day, the education, the crib, in one go.
    let (fid, baby) = register(&app, &staff, &maria(days_ago(20))).await;
    let day = days_ago(1);
    let page = format!("/families/{fid}/paper");
    let fields = [
        ("paper_slip", "DRUID-TEST-01"),
        ("date", &day.to_string()),
        ("time", "10:30"),
        ("site_id", "1"),
        ("infant_id", &baby.to_string()),
        ("crib_model_id", "1"),
        ("caregiver_attestation", "María Hernández"),
        ("topics", "alone"),
        ("topics", "back"),
        ("topics", "crib"),
        ("topics", "no_smoking"),
    ];
    let res = b.submit(&page, &page, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    let (_, record) = app.get(&staff, &format!("/api/v1/families/{fid}")).await;
    assert_eq!(record["handouts"][0]["handed_out_on"], json!(day), "{record}");
    assert_eq!(record["handouts"][0]["paper_slip"], "DRUID-TEST-01");
    assert_eq!(record["checks"][0]["checked_on"], json!(day), "checked for the paper day");
    assert_eq!(record["education"].as_array().map(Vec::len), Some(1));
    // The same slip typed again from another form: recorded once.
    let res = b.submit(&page, &page, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("handouts").await, 1);
    assert_eq!(app.count("education_sessions").await, 1, "nothing recorded twice");
    let (_, html) = b.get(&format!("/families/{fid}")).await;
    assert!(html.contains("On paper slip DRUID-TEST-01"), "marked where it appears");
    let receipt = format!("/handouts/{}/receipt", record["handouts"][0]["id"]);
    let (_, html) = b.get(&receipt).await;
    assert!(html.contains("Written on paper slip") && html.contains("DRUID-TEST-01"), "and on the receipt");
    app.assert_no_drift().await;
}
