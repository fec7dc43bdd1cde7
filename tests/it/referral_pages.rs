//! The request pages: a nurse submits the form and sees the preview; the manager's triage
//! queue accepts it; the nurse sees where the crib waits; other hospitals see nothing.

use crate::common::fixtures::{days_ago, today};
use crate::common::{extract_csrf, TestApp};
use reqwest::StatusCode;

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html.find(&needle).unwrap_or_else(|| panic!("no hidden {name}"));
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("quote")].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_request_goes_through_triage_and_shows_where_the_crib_waits() {
    let app = TestApp::spawn().await;
    let nurse = app.browser_signed_in("nurse@demo.cribs").await;
    let (status, form) = nurse.get("/requests/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("<optgroup label=\"Cherry Hill\">"), "neighborhoods grouped by CSA");
    let csrf = extract_csrf(&form).expect("csrf");
    let token = hidden(&form, "form_token");
    let dob = days_ago(1).to_string();
    let discharge = today().to_string();
    let fields = vec![
        ("csrf_token", csrf.as_str()),
        ("form_token", token.as_str()),
        ("first_name", "Imani"),
        ("last_name", "<i>Grant</i>"),
        ("phone", "410-555-3030"),
        ("language", "en"),
        ("baby", "born"),
        ("baby_date", dob.as_str()),
        ("discharge_date", discharge.as_str()),
        ("line1", "2700 Cherry Hill Rd"),
        ("zip", "21225"),
        ("neighborhood_id", "46"),
        ("household_size", "3"),
        ("annual_income", ""),
        ("enrollments", "WIC"),
        ("safe_space", "no"),
        ("education", "yes"),
        ("topics", "alone"),
        ("topics", "back"),
        ("topics", "crib"),
        ("topics", "no_smoking"),
        ("pickup", "site-2"),
        ("note", ""),
    ];
    let res = nurse.post_form("/requests/new", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("location").to_string();
    let again = nurse.post_form("/requests/new", &fields).await;
    assert_eq!(again.headers()["location"].to_str().expect("location"), location, "a double submit makes one request");
    assert_eq!(app.count("referrals").await, 1);
    assert_eq!(app.count("education_sessions").await, 1, "hospital education recorded");
    let (_, page) = nurse.get(&location).await;
    assert!(page.contains("class=\"rule pass\"") && page.contains("Waiting for the program"), "the preview and status");
    assert!(page.contains("&lt;i&gt;Grant&lt;&#x2F;i&gt;") || page.contains("&lt;i&gt;Grant&lt;/i&gt;"), "escaped");
    // Triage.
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, queue) = manager.get("/triage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("Cherry Hill Community Site") && queue.contains("same CSA"), "same CSA suggested first");
    let id = location.rsplit('/').next().expect("id").to_string();
    let accept = format!("/triage/{id}/accept");
    let mut fields = manager.hidden_fields("/triage", &accept).await;
    fields.push(("choice".into(), "2-1".into()));
    for _ in 0..2 {
        // The accept form sent twice (a double click): one crib held, the second told the same.
        let res = manager.client.post(app.url(&accept)).form(&fields).send().await.expect("POST");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count_where("stock_balances", "reserved = 1").await, 1, "one crib held");
    let (_, list) = nurse.get("/requests").await;
    assert!(list.contains("Cherry Hill Community Site until"), "{list}");
    // Another hospital's nurse sees none of it.
    let nurse2 = app.browser_signed_in("nurse2@demo.cribs").await;
    let (status, _) = nurse2.get(&location).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list2) = nurse2.get("/requests").await;
    assert!(!list2.contains("Grant"));
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_keeps_the_typed_values() {
    let app = TestApp::spawn().await;
    let nurse = app.browser_signed_in("nurse@demo.cribs").await;
    let (_, form) = nurse.get("/requests/new").await;
    let csrf = extract_csrf(&form).expect("csrf");
    let token = hidden(&form, "form_token");
    let res = nurse
        .post_form(
            "/requests/new",
            &[
                ("csrf_token", &csrf),
                ("form_token", &token),
                ("first_name", "Imani"),
                ("last_name", ""),
                ("baby", "born"),
                ("baby_date", "2999-01-01"),
                ("discharge_date", "2020-01-01"),
                ("education", "yes"),
                ("topics", "alone"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("html");
    assert!(page.contains("value=\"Imani\""));
    assert!(page.contains("Enter the caregiver&#x27;s last name."), "{}", &page[..page.len().min(300)]);
    assert!(page.contains("Tick every ABCD topic"));
    assert_eq!(app.count("referrals").await, 0);
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let (status, _) = staff.get("/requests/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = staff.get("/triage").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
