//! The pages of the handout path: education checklist → hand out with confirmation →
//! printed receipt (escaped, in the family's language), double submits, refused gates,
//! follow-up calls.

use crate::common::fixtures::{days_ago, family};
use crate::common::{extract_csrf, Browser, TestApp};
use reqwest::StatusCode;
use serde_json::json;

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html.find(&needle).unwrap_or_else(|| panic!("no hidden {name}"));
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("closing quote")].to_string()
}

async fn registered(app: &TestApp, body: serde_json::Value, check: bool) -> (i64, i64) {
    let token = app.token("staff@demo.cribs").await;
    let (status, created) = app.post(&token, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("id");
    if check {
        let (status, _) = app.post(&token, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    (fid, created["infant_ids"][0].as_i64().expect("infant"))
}

async fn educate(b: &Browser, fid: i64) -> reqwest::Response {
    let (_, html) = b.get(&format!("/families/{fid}/education")).await;
    let csrf = extract_csrf(&html).expect("csrf");
    let token = hidden(&html, "form_token");
    b.post_form(
        &format!("/families/{fid}/education"),
        &[
            ("csrf_token", &csrf),
            ("form_token", &token),
            ("language", "en"),
            ("mode", "site"),
            ("topics", "alone"),
            ("topics", "back"),
            ("topics", "crib"),
            ("topics", "no_smoking"),
            ("caregiver_attestation", "Tanya Brooks"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_go_from_education_to_a_printed_receipt_once() {
    let app = TestApp::spawn().await;
    let (fid, iid) =
        registered(&app, family().named("Ana", "<b>O'Brien-Núñez</b>").with_infant_born(days_ago(12)).build(), true)
            .await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let res = educate(&b, fid).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("education_sessions").await, 1);
    // The hand-out form, its confirmation naming the infant and the site, then the write.
    let (status, form) = b.get(&format!("/families/{fid}/handout?infant_id={iid}")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = extract_csrf(&form).expect("csrf");
    let token = hidden(&form, "form_token");
    let iid_s = iid.to_string();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("form_token", token.as_str()),
        ("infant_id", iid_s.as_str()),
        ("site_id", "1"),
        ("crib_model_id", "1"),
        ("lot", "LOT-<9>"),
    ];
    let res = b.post_form(&format!("/families/{fid}/handout/confirm"), &fields).await;
    assert_eq!(res.status(), StatusCode::OK);
    let confirm = res.text().await.expect("html");
    assert!(confirm.contains("Druid Heights Family Center"), "names the site");
    assert!(confirm.contains("Baby born"), "names the infant");
    assert_eq!(app.count("handouts").await, 0, "nothing written before confirming");
    let first = b.post_form(&format!("/families/{fid}/handout"), &fields).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let location = first.headers()["location"].to_str().expect("location").to_string();
    assert!(location.ends_with("/receipt"), "{location}");
    let again = b.post_form(&format!("/families/{fid}/handout"), &fields).await;
    assert_eq!(
        again.headers()["location"].to_str().expect("location"),
        location,
        "a double submit lands on the same receipt"
    );
    assert_eq!(app.count("handouts").await, 1);
    let (status, receipt) = b.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(receipt.contains("CR-"));
    assert!(
        receipt.contains("A — Alone") && receipt.contains("B — on the Back") && receipt.contains("C — in a Crib"),
        "ABC reminders"
    );
    assert!(receipt.contains("D — Don&#x27;t smoke"), "D reminder, escaped apostrophe");
    assert!(
        receipt.contains("&lt;b&gt;O&#x27;Brien-Núñez&lt;&#x2F;b&gt;")
            || receipt.contains("&lt;b&gt;O&#x27;Brien-Núñez&lt;/b&gt;"),
        "escaped name"
    );
    assert!(!receipt.contains("<b>O'Brien"), "never raw");
    assert!(receipt.contains("LOT-&lt;9&gt;"));
    assert!(!receipt.contains("<nav"), "no navigation on the printed page");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_speaks_the_familys_language() {
    let app = TestApp::spawn().await;
    let (fid, iid) =
        registered(&app, family().set("/preferred_language", json!("es")).with_infant_born(days_ago(12)).build(), true)
            .await;
    let token = app.token("staff@demo.cribs").await;
    let (status, _) = app
        .post(&token, &format!("/api/v1/families/{fid}/education"), &json!({"mode": "site", "language": "es", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Tanya Brooks"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, h) = app
        .post(
            &token,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (_, receipt) = b.get(&format!("/handouts/{}/receipt", h["id"])).await;
    assert!(receipt.contains("Recibo de cuna portátil"));
    assert!(receipt.contains("Boca arriba"));
    assert!(receipt.contains("lang=\"es\""));
    let (_, checklist) = b.get(&format!("/families/{fid}/education")).await;
    assert!(checklist.contains("Sueño seguro"), "the checklist opens in the family's language");
    let b2 = app.browser_signed_in("staff2@demo.cribs").await;
    let (status, _) = b2.get(&format!("/handouts/{}/receipt", h["id"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another site's receipt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_forms_keep_what_was_typed_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (fid, iid) = registered(&app, family().with_infant_born(days_ago(12)).build(), true).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (_, html) = b.get(&format!("/families/{fid}/education")).await;
    let csrf = extract_csrf(&html).expect("csrf");
    let token = hidden(&html, "form_token");
    let res = b
        .post_form(
            &format!("/families/{fid}/education"),
            &[
                ("csrf_token", &csrf),
                ("form_token", &token),
                ("language", "en"),
                ("mode", "site"),
                ("topics", "alone"),
                ("caregiver_attestation", "Typed Name"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("html");
    assert!(page.contains("Still to do: B — on the Back, C — in a Crib and D — Don&#x27;t smoke."), "{page}");
    assert!(!page.contains("no_smoking;") && !page.contains("missing:"), "no topic code reaches a person");
    assert!(page.contains("value=\"Typed Name\""), "the typed name is kept");
    assert_eq!(app.count("education_sessions").await, 0);
    // Without education the handout is refused with its reason on the form.
    let (_, form) = b.get(&format!("/families/{fid}/handout?infant_id={iid}")).await;
    let token = hidden(&form, "form_token");
    let iid_s = iid.to_string();
    let res = b
        .post_form(
            &format!("/families/{fid}/handout"),
            &[
                ("csrf_token", &csrf),
                ("form_token", &token),
                ("infant_id", &iid_s),
                ("site_id", "1"),
                ("crib_model_id", "1"),
                ("lot_choice", "none"),
                ("lot", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Record the safe-sleep education"));
    assert_eq!(app.count("handouts").await, 0);
    // Without CSRF: refused, nothing written.
    let res = b
        .post_form(
            &format!("/families/{fid}/education"),
            &[("form_token", "x"), ("mode", "site"), ("topics", "alone"), ("caregiver_attestation", "A B")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("education_sessions").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_up_calls_are_recorded_from_the_list() {
    let app = TestApp::spawn().await;
    let (fid, iid) = registered(&app, family().with_infant_born(days_ago(12)).build(), true).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    assert_eq!(educate(&b, fid).await.status(), StatusCode::SEE_OTHER);
    let token = app.token("staff@demo.cribs").await;
    let (status, _) = app
        .post(
            &token,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    use sea_orm::ConnectionTrait;
    // Due yesterday: the family still has a week to answer on the link before a call is owed.
    let yesterday = cribs::clock::today() - chrono::Duration::days(1);
    app.db
        .execute_unprepared(&format!("UPDATE follow_ups SET due_on = '{yesterday}' WHERE round_months = 1"))
        .await
        .expect("due");
    let (_, list) = b.get("/follow-ups").await;
    assert!(!list.contains("410-555-0101"), "not owed a call yet: {list}");
    app.db.execute_unprepared("UPDATE follow_ups SET due_on = '2020-01-01' WHERE round_months = 1").await.expect("due");
    let (status, list) = b.get("/follow-ups").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Tanya Brooks") && list.contains("410-555-0101"));
    assert!(list.contains("1 month"), "the round is named: {list}");
    let id = 1; // the first hand-out's 1-month round
    let page = format!("/follow-ups/{id}");
    let action = format!("/follow-ups/{id}/call");

    // "Not reached", sent twice from the same page (a double click, a resent form): one attempt.
    let form = b.hidden_fields(&page, &action).await;
    let mut not_reached: Vec<(String, String)> = form.clone();
    not_reached.extend([("reached".to_string(), "no".to_string()), ("note".to_string(), "voicemail".to_string())]);
    for _ in 0..3 {
        let res = b.client.post(app.url(&action)).form(&not_reached).send().await.expect("POST");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("follow_up_calls").await, 1, "one call recorded, not three");
    let (_, list) = b.get("/follow-ups").await;
    assert!(list.contains("410-555-0101"), "one unanswered attempt leaves the follow-up open");
    assert!(list.contains("That call was already recorded."), "the resend is told: {list}");

    // A note longer than 500 characters is refused, not cut short (the API refuses it too),
    // on the call page again with what was typed.
    let long = "x".repeat(501);
    let res = b.submit(&page, &action, &[("reached", "yes"), ("answers[position]", "back"), ("note", &long)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("A note has at most 500 characters."), "{html}");
    assert!(html.contains(r#"value="back" checked"#), "the answer chosen is kept: {html}");
    assert_eq!(app.count("follow_up_calls").await, 1);
    // An answer the page never offered: the question is named, nothing written.
    let res = b.submit(&page, &action, &[("reached", "yes"), ("answers[position]", "upside_down")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("Choose one of the answers shown."));

    let res = b
        .submit(
            &page,
            &action,
            &[
                ("reached", "yes"),
                ("answers[crib_in_use]", "yes"),
                ("answers[position]", "back"),
                ("answers[smoke_in_home]", "prefer_not"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = b.get("/follow-ups").await;
    assert!(list.contains("the 1-month round is complete"), "flash: {list}");
    assert!(!list.contains("410-555-0101"), "closed follow-ups leave the list");
    let (_, record) = b.get(&format!("/families/{fid}")).await;
    assert!(record.contains("Answered by phone"), "{record}");
    assert!(record.contains("How do you most often lay your baby down to sleep? On the back"), "{record}");
    assert!(record.contains("Does anyone smoke or vape in the home? Prefer not to say"), "{record}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recall_lookup_lists_every_family_that_got_the_lot() {
    let app = TestApp::spawn().await;
    let (fid, iid) =
        registered(&app, family().named("Rosa", "Recall").with_infant_born(days_ago(12)).build(), true).await;
    let token = app.token("staff@demo.cribs").await;
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Rosa Recall"});
    let (status, _) = app.post(&token, &format!("/api/v1/families/{fid}/education"), &edu).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, h) = app
        .post(
            &token,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1, "lot": "RECALL-7"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, page) = manager.get("/stock/lots?lot=RECALL-7").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Rosa Recall") && page.contains("410-555-0101"), "the family and its phone");
    assert!(page.contains(h["receipt_number"].as_str().expect("receipt")));
    let (_, none) = manager.get("/stock/lots?lot=NO-SUCH-LOT").await;
    assert!(none.contains("No handout recorded this lot."));
}

/// The two rules the faces once answered differently (decision 0017) now give one answer:
/// a non-manager's override reason is refused by the page and the API alike (never dropped),
/// and so is a follow-up note over 500 characters (never cut short).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_the_api_refuse_the_same_things_with_the_same_sentence() {
    let app = TestApp::spawn().await;
    let (fid, iid) = registered(&app, family().with_infant_born(days_ago(12)).build(), true).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    assert_eq!(educate(&b, fid).await.status(), StatusCode::SEE_OTHER);
    let only_managers = "Only a program manager can hand out without a passing eligibility check.";

    // Site staff send an override reason: the API refuses it on the field.
    let token = app.token("staff@demo.cribs").await;
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1,
        "override_reason": "the family is in a hurry"});
    let (status, answer) = app.post(&token, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["fields"]["override_reason"][0], only_managers);
    // The same through the page (a crafted form: the page shows the field to managers only).
    let iid_s = iid.to_string();
    let page = format!("/families/{fid}/handout?infant_id={iid}");
    let mut fields = b.hidden_fields(&page, &format!("/families/{fid}/handout/confirm")).await;
    for (k, v) in
        [("infant_id", iid_s.as_str()), ("site_id", "1"), ("crib_model_id", "1"), ("override_reason", "in a hurry")]
    {
        fields.push((k.to_string(), v.to_string()));
    }
    let res = b.client.post(app.url(&format!("/families/{fid}/handout"))).form(&fields).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains(only_managers));
    assert_eq!(app.count("handouts").await, 0, "refused on both faces, nothing written");

    // A manager may send one (this family's check passes, so the crib goes out on the check).
    let manager = app.token("manager@demo.cribs").await;
    let (status, h) = app.post(&manager, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");

    // A follow-up note over 500 characters: refused by the API on the field, as by the page.
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared("UPDATE follow_ups SET due_on = '2020-01-01'").await.expect("due");
    let id = 1; // the hand-out's 1-month round
    let long = "x".repeat(501);
    let (status, answer) =
        app.post(&token, &format!("/api/v1/follow-ups/{id}/calls"), &json!({"reached": false, "note": long})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["fields"]["note"][0], "A note has at most 500 characters.");
    let res = b
        .submit(&format!("/follow-ups/{id}"), &format!("/follow-ups/{id}/call"), &[("reached", "no"), ("note", &long)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("A note has at most 500 characters."));
    assert_eq!(app.count("follow_up_calls").await, 0, "nothing recorded by either face");
}
