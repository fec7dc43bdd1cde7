//! Issue 20's dead ends, each proved through the pages over real HTTP: a manager voids a
//! hand-out from the pages (the ledger reversed as the API does, once, staff refused and
//! told whom to ask, the refusal of a second crib pointing there); "not eligible" is no
//! success; policy publishing starts from the latest version, refuses a second version on
//! the same day, confirms what changes and lets a manager withdraw a version that has not
//! started; and a form sent after its session ended comes back, filled in, to the same
//! person only. (The secret key kept with the data: `processes.rs`.)

use crate::common::fixtures::{days_ago, days_ahead, family, today};
use crate::common::{extract_csrf, hidden_fields_of, Browser, TestApp};
use reqwest::{Response, StatusCode};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

fn location(res: &Response) -> String {
    res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string()
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html.find(&needle).unwrap_or_else(|| panic!("no hidden {name}"));
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("closing quote")].to_string()
}

/// A family (eligible, checked, educated) with a crib handed out at site 1 through the API:
/// (family, infant, handout, receipt number).
async fn handed_out(app: &TestApp, first: &str) -> (i64, i64, i64, String) {
    let staff = app.token("staff@demo.cribs").await;
    let body = family().named(first, "Voidtest").with_infant_born(days_ago(20)).build();
    let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("family");
    let iid = f["infant_ids"][0].as_i64().expect("infant");
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "A Parent"});
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, h) = app
        .post(
            &staff,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    (fid, iid, h["id"].as_i64().expect("handout"), h["receipt_number"].as_str().expect("receipt").to_string())
}

async fn on_hand(app: &TestApp, site: i64, model: i64) -> i32 {
    use cribs::entity::stock_balance;
    stock_balance::Entity::find()
        .filter(stock_balance::Column::SiteId.eq(site))
        .filter(stock_balance::Column::CribModelId.eq(model))
        .one(&app.db)
        .await
        .expect("query")
        .expect("a balance")
        .on_hand
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_voids_a_hand_out_from_the_pages_once_and_the_crib_goes_back() {
    let app = TestApp::spawn().await;
    let before = on_hand(&app, 1, 1).await;
    let (fid, iid, hid, receipt) = handed_out(&app, "Vera").await;
    assert_eq!(on_hand(&app, 1, 1).await, before - 1);
    let m = app.browser_signed_in("manager@demo.cribs").await;

    // The family page's hand-out history offers the void; so does the receipt.
    let (status, page) = m.get(&format!("/families/{fid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("href=\"/handouts/{hid}/void\"")), "the history offers the void");
    let (_, printed) = m.get(&format!("/handouts/{hid}/receipt")).await;
    assert!(printed.contains(&format!("href=\"/handouts/{hid}/void\"")), "the receipt offers it too");

    // The form: a reason is required, next to the field; nothing is written.
    let (status, form) = m.get(&format!("/handouts/{hid}/void")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&receipt) && form.contains("Druid Heights Family Center"), "names the hand-out");
    let csrf = extract_csrf(&form).expect("csrf");
    let token = hidden(&form, "form_token");
    let confirm = format!("/handouts/{hid}/void/confirm");
    let res = m.post_form(&confirm, &[("csrf_token", &csrf), ("form_token", &token), ("reason", " ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(html.contains("id=\"err-reason\"") && html.contains("Say why this hand-out is voided"), "{html}");

    // The confirmation names the baby, the receipt and the site, and says where the crib goes.
    let reason = "Entered for the wrong family";
    let fields = [("csrf_token", csrf.as_str()), ("form_token", token.as_str()), ("reason", reason)];
    let res = m.post_form(&confirm, &fields).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    let baby = format!("Baby born {}", days_ago(20));
    assert!(html.contains(&baby) && html.contains(&receipt), "names the baby and the receipt: {html}");
    assert!(html.contains("The crib returns to Druid Heights Family Center's stock"), "{html}");
    assert!(hidden_fields_of(&html, &format!("/handouts/{hid}/void")).is_some(), "the form that voids");
    assert_eq!(app.count_where("handouts", "voided_at IS NOT NULL").await, 0, "nothing written before confirming");

    // A double submit voids once, through the API's store function: one reversing movement.
    let void = format!("/handouts/{hid}/void");
    for i in 0..2 {
        let res = m.post_form(&void, &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("/families/{fid}"), "to the family page, its flash in view");
        let (_, page) = m.get(&format!("/families/{fid}")).await;
        let said = if i == 0 {
            "is voided: the crib is back in Druid Heights Family Center"
        } else {
            "was already voided with this form"
        };
        assert!(page.contains(said), "the flash says so: {said}");
    }
    assert_eq!(app.count_where("handouts", &format!("id = {hid} AND voided_at IS NOT NULL")).await, 1);
    assert_eq!(app.count_where("stock_movements", &format!("kind = 'handout_void' AND handout_id = {hid}")).await, 1);
    assert_eq!(app.count_where("audit_events", &format!("action = 'handout.void' AND entity_id = {hid}")).await, 1);
    assert_eq!(on_hand(&app, 1, 1).await, before, "the crib is back in the site's stock");
    app.assert_no_drift().await;
    let (_, page) = m.get(&format!("/families/{fid}")).await;
    assert!(page.contains("Voided</strong>: Entered for the wrong family"), "the history says so");
    assert!(!page.contains(&format!("href=\"/handouts/{hid}/void\"")), "no void of a void");

    // Another form for the same hand-out: refused with a sentence, nothing more written.
    let (_, again) = m.get(&format!("/handouts/{hid}/void")).await;
    assert!(again.contains("This hand-out was voided"), "the page says it is done");
    let res = m
        .post_form(&void, &[("csrf_token", &csrf), ("form_token", &crate::common::form_token()), ("reason", reason)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("body").contains("already voided"));
    assert_eq!(app.count_where("stock_movements", "kind = 'handout_void'").await, 1);

    // Afterwards the baby can get a crib again, as the rules say (a passing check first).
    let staff = app.token("staff@demo.cribs").await;
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, h2) = app
        .post(
            &staff,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h2}");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_cannot_void_are_told_whom_to_ask_and_the_second_crib_refusal_points_there() {
    let app = TestApp::spawn().await;
    let (fid, iid, hid, receipt) = handed_out(&app, "Wanda").await;
    let s = app.browser_signed_in("staff@demo.cribs").await;
    let (status, page) = s.get(&format!("/families/{fid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(&format!("/handouts/{hid}/void")), "no dead button for staff");
    assert!(
        page.contains(&format!("Only a program manager can void it: ask Morgan Manager, giving receipt {receipt}.")),
        "whom to ask"
    );
    assert_eq!(s.get(&format!("/handouts/{hid}/void")).await.0, StatusCode::FORBIDDEN);
    let csrf = extract_csrf(&page).expect("csrf");
    let fields = [("csrf_token", csrf.as_str()), ("form_token", "a-form-token-long-enough"), ("reason", "Mistake")];
    for path in [format!("/handouts/{hid}/void/confirm"), format!("/handouts/{hid}/void")] {
        assert_eq!(s.post_form(&path, &fields).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.count_where("handouts", "voided_at IS NOT NULL").await, 0);

    // A second crib for the same baby from the hand-out page: refused, pointing to the void.
    let (_, form) = s.get(&format!("/families/{fid}/handout?infant_id={iid}")).await;
    let token = hidden(&form, "form_token");
    let iid_s = iid.to_string();
    let res = s
        .post_form(
            &format!("/families/{fid}/handout"),
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", token.as_str()),
                ("infant_id", iid_s.as_str()),
                ("site_id", "1"),
                ("crib_model_id", "1"),
                ("lot_choice", "none"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("body");
    assert!(html.contains(&format!("(receipt {receipt})")), "names the first receipt: {html}");
    assert!(html.contains("a program manager voids it on the family&#x27;s page"), "{html}");
    assert!(html.contains(&format!("href=\"/families/{fid}#handouts\"")), "links to the history");
    // The API says the same.
    let token = app.token("staff@demo.cribs").await;
    let (status, body) = app
        .post(
            &token,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}),
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::CONFLICT, Some("already_received")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("program manager voids it")), "{body}");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_eligible_is_flashed_as_a_warning_not_a_success() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let not = family().named("Nell", "Notelig").set("/has_safe_sleep_space", json!(true)).with_infant_born(days_ago(9));
    let (status, f) = app.post(&staff, "/api/v1/families", &not.build()).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (fid, iid) = (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"));
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (_, page) = b.get(&format!("/families/{fid}")).await;
    let check = format!("/families/{fid}/check");
    let mut fields = hidden_fields_of(&page, &check).expect("the check form");
    fields.push(("infant_id".into(), iid.to_string()));
    let res = b.client.post(app.url(&check)).form(&fields).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = b.get(&format!("/families/{fid}")).await;
    assert!(page.contains("class=\"flash flash-warning\" role=\"status\">Checked: not eligible."), "{page}");
    assert!(!page.contains("flash-success"), "not in the success style");
}

// ---- Policy publishing ----

/// Every field of the publish form as the page fills it, with `changes` applied.
async fn policy_form(b: &Browser, changes: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let (status, html) = b.get("/policy/new").await;
    assert_eq!(status, StatusCode::OK);
    let mut f = hidden_fields_of(&html, "/policy/new").expect("the publish form");
    let value = |name: &str| {
        let needle = format!("name=\"{name}\" type=\"text\" value=\"");
        let at = html.find(&needle)? + needle.len();
        Some(html[at..at + html[at..].find('"')?].to_string())
    };
    for name in [
        "max_infant_age_months",
        "min_weeks_pregnant",
        "full_term_weeks",
        "overdue_due_date_days",
        "max_infant_weight_lb",
        "income_limit_percent",
        "eligibility_valid_days",
        "education_valid_days",
        "reservation_days_after_discharge",
        "sample_household_size",
        "sample_annual_income",
        "sample_days_old",
    ] {
        f.push((name.into(), value(name).unwrap_or_else(|| panic!("{name} on the form"))));
    }
    let date = {
        let needle = "name=\"effective_from\" type=\"date\" value=\"";
        let at = html.find(needle).expect("date") + needle.len();
        html[at..at + 10].to_string()
    };
    f.push(("effective_from".into(), date));
    for (k, v) in [
        ("require_city_residency", "yes"),
        ("require_no_safe_sleep_space", "yes"),
        ("poverty_region", "contiguous_us_dc"),
        ("qualifying_enrollments", "WIC"),
        ("qualifying_enrollments", "Medicaid"),
    ] {
        f.push((k.into(), v.into()));
    }
    for (k, v) in changes {
        f.retain(|(name, _)| name != k);
        f.push((k.to_string(), v.to_string()));
    }
    (html, f)
}

async fn post(b: &Browser, path: &str, fields: &[(String, String)]) -> Response {
    b.client.post(format!("{}{path}", b.base)).form(fields).send().await.expect("POST")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_starts_from_the_latest_version_confirms_and_never_doubles_a_date() {
    let app = TestApp::spawn().await;
    let b = app.browser_signed_in("manager@demo.cribs").await;
    let d30 = days_ahead(30).to_string();
    let d60 = days_ahead(60).to_string();
    // Version 2, scheduled: reviewed first (what changes, in plain words), then published.
    let (html, f) =
        policy_form(&b, &[("income_limit_percent", "200"), ("effective_from", &d30), ("action", "review")]).await;
    assert!(html.contains("This copies version 1, the version in force today"), "{html}");
    let res = post(&b, "/policy/new", &f).await;
    assert_eq!(res.status(), StatusCode::OK);
    let confirm = res.text().await.expect("body");
    assert!(confirm.contains("Publish version 2?") && confirm.contains(&format!("takes effect on {d30}")));
    assert!(confirm.contains("Was: Income at or below 185% of the federal poverty guideline"), "{confirm}");
    assert!(confirm.contains("Now: Income at or below 200% of the federal poverty guideline"), "{confirm}");
    assert!(!confirm.contains("Was: A baby must be checked"), "only what changes");
    assert_eq!(app.count("policies").await, 1, "nothing published by the review");
    let mut publish = hidden_fields_of(&confirm, "/policy/new").expect("the confirmation's form");
    publish.push(("action".into(), "publish".into()));
    let res = post(&b, "/policy/new", &publish).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/policy".to_string()));
    assert_eq!(app.count("policies").await, 2);

    // The next form starts from version 2 (scheduled), and says so.
    let (html, _) = policy_form(&b, &[]).await;
    assert!(html.contains("name=\"income_limit_percent\" type=\"text\" value=\"200\""), "copies version 2");
    assert!(
        html.contains(&format!("This copies version 2, the latest version, scheduled to take effect on {d30}")),
        "{html}"
    );

    // A second version on version 2's date is refused with a sentence, at review and at publish.
    for action in ["review", "publish"] {
        let (_, f) =
            policy_form(&b, &[("income_limit_percent", "210"), ("effective_from", &d30), ("action", action)]).await;
        let res = post(&b, "/policy/new", &f).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        let html = res.text().await.expect("body");
        assert!(html.contains(&format!("Version 2 already takes effect on {d30}")), "{action}: {html}");
        assert!(html.contains("id=\"effective_from-error\""), "next to the field");
    }
    assert_eq!(app.count("policies").await, 2);

    // Version 3 from version 2; a form still holding version 2's copy is then refused.
    let (_, stale) = policy_form(
        &b,
        &[("income_limit_percent", "220"), ("effective_from", &days_ahead(90).to_string()), ("action", "publish")],
    )
    .await;
    let (_, f) =
        policy_form(&b, &[("income_limit_percent", "250"), ("effective_from", &d60), ("action", "publish")]).await;
    assert_eq!(post(&b, "/policy/new", &f).await.status(), StatusCode::SEE_OTHER);
    let res = post(&b, "/policy/new", &stale).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("body").contains("is now the latest"), "a stale copy is refused");
    assert_eq!(app.count("policies").await, 3);
    assert_eq!(app.count_where("audit_events", "action = 'policy.publish'").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_withdraws_a_version_that_has_not_started_and_checks_stay_as_they_were() {
    let app = TestApp::spawn().await;
    // A check stored under version 1, before anything is published or withdrawn.
    let staff = app.token("staff@demo.cribs").await;
    let (status, f) = app.post(&staff, "/api/v1/families", &family().with_infant_born(days_ago(10)).build()).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{}/eligibility-checks", f["id"]), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let checks_before: Vec<_> = cribs::entity::eligibility_check::Entity::find().all(&app.db).await.expect("checks");

    let b = app.browser_signed_in("manager@demo.cribs").await;
    let d30 = days_ahead(30).to_string();
    let (_, f) =
        policy_form(&b, &[("income_limit_percent", "300"), ("effective_from", &d30), ("action", "publish")]).await;
    assert_eq!(post(&b, "/policy/new", &f).await.status(), StatusCode::SEE_OTHER);
    let v2 = cribs::store::policy::in_force(&app.db, days_ahead(30)).await.expect("v2");
    assert_eq!(v2.row.version, 2);
    let (_, index) = b.get("/policy").await;
    assert!(
        index.contains(&format!("href=\"/policy/{}/withdraw\"", v2.row.id)),
        "a scheduled version can be withdrawn"
    );
    let v1_id = cribs::store::policy::in_force(&app.db, today()).await.expect("v1").row.id;
    assert!(!index.contains(&format!("href=\"/policy/{v1_id}/withdraw\"")), "not the version in force");

    // The withdraw page says what then applies; a reason is required.
    let path = format!("/policy/{}/withdraw", v2.row.id);
    let (status, page) = b.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("on {d30} version 1 stays in force")), "{page}");
    let mut fields = hidden_fields_of(&page, &path).expect("the withdraw form");
    let mut empty = fields.clone();
    empty.push(("reason".into(), "".into()));
    let res = post(&b, &path, &empty).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("body").contains("id=\"reason-error\""));
    fields.push(("reason".into(), "The income limit was a typo".into()));
    for i in 0..2 {
        let res = post(&b, &path, &fields).await;
        assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/policy".to_string()));
        let (_, index) = b.get("/policy").await;
        let said = if i == 0 {
            "Version 2 is withdrawn: it will not take effect"
        } else {
            "This form already withdrew version 2"
        };
        assert!(index.contains(said), "the flash says so: {said}");
    }
    assert_eq!(app.count_where("audit_events", "action = 'policy.withdraw'").await, 1, "once");
    assert_eq!(app.count_where("policies", "withdrawn_at IS NOT NULL").await, 1);
    // It never applies: version 1 stays in force on its date, for checks and hand-outs alike.
    let then = cribs::store::policy::in_force(&app.db, days_ahead(30)).await.expect("then");
    assert_eq!((then.row.version, then.params.income_limit_percent), (1, 185));
    let (_, index) = b.get("/policy").await;
    assert!(index.contains("Withdrawn: never applies") && index.contains("The income limit was a typo"), "{index}");
    // Its date is free again; a version in force cannot be withdrawn.
    let (html, f) =
        policy_form(&b, &[("income_limit_percent", "190"), ("effective_from", &d30), ("action", "publish")]).await;
    assert!(html.contains("This copies version 1"), "a withdrawn version is not copied: {html}");
    assert_eq!(post(&b, "/policy/new", &f).await.status(), StatusCode::SEE_OTHER);
    let v1_path = format!("/policy/{v1_id}/withdraw");
    let (status, page) = b.get(&v1_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("a version that has started cannot be withdrawn"), "{page}");
    let f = [
        ("csrf_token".to_string(), extract_csrf(&page).expect("csrf")),
        ("form_token".to_string(), crate::common::form_token()),
        ("reason".to_string(), "Try it".to_string()),
    ];
    let res = post(&b, &v1_path, &f).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("body").contains("a version that has started cannot be withdrawn"));
    // Checks already stored are never rewritten.
    let checks_after: Vec<_> = cribs::entity::eligibility_check::Entity::find().all(&app.db).await.expect("checks");
    assert_eq!(checks_before, checks_after);
    // Staff may not.
    let s = app.browser_signed_in("staff@demo.cribs").await;
    assert_eq!(s.get(&path).await.0, StatusCode::FORBIDDEN);
}

// ---- A session that ends mid-form ----

/// End every open session of a person as 31 idle minutes would.
async fn idle_out(app: &TestApp, email: &str) {
    use cribs::entity::user_session;
    let id = app.user_id(email).await;
    user_session::Entity::update_many()
        .col_expr(user_session::Column::LastSeenAt, Expr::value(cribs::clock::now() - chrono::Duration::minutes(31)))
        .filter(user_session::Column::UserId.eq(id))
        .exec(&app.db)
        .await
        .expect("idle out");
}

fn register_fields(hidden: &[(String, String)], first: &str) -> Vec<(String, String)> {
    let mut f = hidden.to_vec();
    for (k, v) in [
        ("caregiver.first_name", first),
        ("caregiver.last_name", "Keptform"),
        ("caregiver.date_of_birth", "1991-02-03"),
        ("caregiver.phone", "410-555-0177"),
        ("address.line1", "12 Kept Lane"),
        ("address.city", "Baltimore"),
        ("address.state", "MD"),
        ("address.zip", "21217"),
        ("address.neighborhood_id", "65"),
        ("household_size", "3"),
        ("annual_income", "21000"),
        ("enrollments", "WIC"),
        ("has_safe_sleep_space", "no"),
        ("preferred_language", "en"),
        ("infants[0].date_of_birth", &days_ago(14).to_string()),
    ] {
        f.push((k.to_string(), v.to_string()));
    }
    f
}

async fn sign_in_again(b: &Browser, email: &str) -> Response {
    let csrf = b.csrf("/login").await;
    b.post_form("/login", &[("email", email), ("password", crate::common::PASSWORD), ("csrf_token", &csrf)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_sent_after_the_session_ended_comes_back_to_the_same_person_only() {
    let app = TestApp::spawn().await;
    let families_before = app.count("families").await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let hidden = b.hidden_fields("/families/new", "/families/new").await;
    let old_csrf = hidden.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.clone()).expect("csrf");
    let form_token = hidden.iter().find(|(k, _)| k == "form_token").map(|(_, v)| v.clone()).expect("token");
    idle_out(&app, "staff@demo.cribs").await;

    // Sent after the session ended: to the sign-in page, which says why; nothing written.
    let res = post(&b, "/families/new", &register_fields(&hidden, "Kimberly")).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/login".to_string()));
    let (_, login) = b.get("/login").await;
    assert!(login.contains("Your session ended, sign in again to continue — what you typed is kept"), "{login}");
    assert_eq!(app.count("families").await, families_before);
    let kept = app.count_where("kept_forms", "fields LIKE '%Kimberly%'").await;
    assert_eq!(kept, 1, "kept on the server");
    assert_eq!(app.count_where("kept_forms", &format!("fields LIKE '%{old_csrf}%'")).await, 0, "never the CSRF token");

    // Signed in again: back to the same form, filled in as typed, not sent.
    let res = sign_in_again(&b, "staff@demo.cribs").await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/families/new".to_string()));
    let (status, form) = b.get("/families/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("What you typed is below: check it and send it again."), "says so");
    assert!(form.contains("value=\"Kimberly\"") && form.contains("value=\"12 Kept Lane\""), "as typed");
    assert!(form.contains(&format!("name=\"form_token\" value=\"{form_token}\"")), "the same form, once");
    let new_csrf = extract_csrf(&form).expect("csrf");
    assert_eq!(app.count("families").await, families_before, "not sent by itself");
    assert_eq!(app.count("kept_forms").await, 0, "shown once");
    let (_, again) = b.get("/families/new").await;
    assert!(!again.contains("Kimberly"), "only once");
    // The old CSRF token never counts again; sent with the page's own, it registers.
    let mut fields = register_fields(&[("form_token".into(), form_token.clone())], "Kimberly");
    fields.push(("csrf_token".into(), old_csrf.clone()));
    if old_csrf != new_csrf {
        assert_eq!(post(&b, "/families/new", &fields).await.status(), StatusCode::FORBIDDEN);
    }
    fields.retain(|(k, _)| k != "csrf_token");
    fields.push(("csrf_token".into(), new_csrf));
    fields.push(("confirm_not_duplicate".into(), "1".into()));
    let res = post(&b, "/families/new", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    assert_eq!(app.count("families").await, families_before + 1);

    // On a shared tablet, the next person to sign in never sees it.
    let hidden = b.hidden_fields("/families/new", "/families/new").await;
    idle_out(&app, "staff@demo.cribs").await;
    let res = post(&b, "/families/new", &register_fields(&hidden, "Priscilla")).await;
    assert_eq!(location(&res), "/login");
    let res = sign_in_again(&b, "manager@demo.cribs").await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/".to_string()), "not to the form");
    let (_, form) = b.get("/families/new").await;
    assert!(!form.contains("Priscilla"), "another person never sees it");
    assert_eq!(app.count("kept_forms").await, 0, "and it is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_out_sent_after_the_session_ended_comes_back_filled_in_and_unsent() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (status, f) = app
        .post(&staff, "/api/v1/families", &family().named("Hana", "Kept").with_infant_born(days_ago(11)).build())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (fid, iid) = (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"));
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let page = format!("/families/{fid}/handout?infant_id={iid}");
    let confirm = format!("/families/{fid}/handout/confirm");
    let mut fields = b.hidden_fields(&page, &confirm).await;
    let token = fields.iter().find(|(k, _)| k == "form_token").map(|(_, v)| v.clone()).expect("token");
    for (k, v) in [
        ("infant_id", iid.to_string()),
        ("site_id", "1".into()),
        ("crib_model_id", "1".into()),
        ("lot", "LOT-KEPT-77".into()),
    ] {
        fields.push((k.into(), v));
    }
    idle_out(&app, "staff@demo.cribs").await;
    let res = post(&b, &confirm, &fields).await;
    assert_eq!(location(&res), "/login");
    let res = sign_in_again(&b, "staff@demo.cribs").await;
    assert_eq!(location(&res), format!("/families/{fid}/handout"));
    let (status, html) = b.get(&format!("/families/{fid}/handout")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"LOT-KEPT-77\""), "the lot as typed");
    assert!(
        html.contains(&format!("id=\"infant-{iid}\" name=\"infant_id\" value=\"{iid}\" checked")),
        "the baby chosen"
    );
    assert!(html.contains(&format!("name=\"form_token\" value=\"{token}\"")));
    assert!(html.contains("check it and send it again"));
    assert_eq!(app.count("handouts").await, 0, "nothing handed out by itself");

    // A form that does not come back says so on the sign-in page.
    let (_, family_page) = b.get(&format!("/families/{fid}")).await;
    let check = format!("/families/{fid}/check");
    let mut fields = hidden_fields_of(&family_page, &check).expect("check form");
    fields.push(("infant_id".into(), iid.to_string()));
    idle_out(&app, "staff@demo.cribs").await;
    let res = post(&b, &check, &fields).await;
    assert_eq!(location(&res), "/login");
    let (_, login) = b.get("/login").await;
    assert!(login.contains("What you typed on that form could not be kept"), "{login}");
    assert_eq!(app.count("eligibility_checks").await, 0);
    // Never signed in: a plain sign-in, no talk of a session.
    let anonymous = app.browser();
    let csrf = anonymous.csrf("/login").await;
    let res = anonymous.post_form("/families/new", &[("csrf_token", &csrf)]).await;
    assert_eq!(location(&res), "/login");
    let (_, login) = anonymous.get("/login").await;
    assert!(!login.contains("session ended"), "{login}");
}
