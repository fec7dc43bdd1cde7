//! Check-in pages through a cookie-keeping browser: staff home, search with the register
//! link after the results, the day's queue, registering through the form (once per form
//! token), refused forms that keep what was typed, possible duplicates, narrowing the
//! neighborhood list without JavaScript, the family page with explained rules and an audit
//! row per view, escaping, CSRF, role limits, and publishing a policy version.

use crate::common::fixtures::{days_ago, days_ahead, family, today};
use crate::common::{Browser, TestApp};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

type Fields = Vec<(String, String)>;

fn pairs(fields: &Fields) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn set(fields: &mut Fields, name: &str, value: &str) {
    fields.retain(|(k, _)| k != name);
    fields.push((name.to_string(), value.to_string()));
}

/// A registration as the form sends it: eligible, Druid Heights (65), WIC, twins.
fn form_fields(first: &str, last: &str) -> Fields {
    let born = days_ago(20).to_string();
    [
        ("caregiver.first_name", first),
        ("caregiver.last_name", last),
        ("caregiver.date_of_birth", "1994-06-02"),
        ("caregiver.phone", "443-555-0177"),
        ("preferred_language", "es"),
        ("address.line1", "1200 Druid Hill Ave"),
        ("address.city", "Baltimore"),
        ("address.state", "MD"),
        ("address.zip", "21217"),
        ("hood_name", ""),
        ("address.neighborhood_id", "65"),
        ("household_size", "4"),
        ("annual_income", "31200.50"),
        ("enrollments", "WIC"),
        ("enrollments", "SNAP"),
        ("has_safe_sleep_space", "no"),
        ("race_ethnicity", "prefer_not_to_say"),
        ("infants[0].name", "Ana"),
        ("infants[0].date_of_birth", born.as_str()),
        ("infants[0].expected_due_date", ""),
        ("infants[0].weight_lb", "8.5"),
        ("infants[1].name", "Luz"),
        ("infants[1].date_of_birth", born.as_str()),
        ("infants[1].expected_due_date", ""),
        ("infants[1].weight_lb", ""),
        ("action", "save"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The value of the first input named `name` on a page (HTML entities decoded).
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag = &html[at..at + html[at..].find('>')?];
    let v = tag.find("value=\"")? + 7;
    Some(unescape(&tag[v..v + tag[v..].find('"')?]))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// Every hidden input of the page's registration form, in order.
fn hidden_inputs(html: &str) -> Fields {
    let mut out = Vec::new();
    let Some(form) = html.find("action=\"/families/new\"") else { return out };
    let mut rest = &html[form..];
    while let Some(at) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[at + 27..];
        let Some(end) = rest.find('"') else { break };
        let name = rest[..end].to_string();
        let Some(v) = rest.find("value=\"") else { break };
        let after = &rest[v + 7..];
        let Some(vend) = after.find('"') else { break };
        out.push((name, unescape(&after[..vend])));
        rest = after;
    }
    out
}

/// A fresh registration form's CSRF and per-form token added to the fields.
async fn with_tokens(b: &Browser, path: &str, mut fields: Fields) -> Fields {
    let (status, html) = b.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    set(&mut fields, "csrf_token", &input_value(&html, "csrf_token").expect("csrf"));
    set(&mut fields, "form_token", &input_value(&html, "form_token").expect("form token"));
    fields
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

async fn count_where(app: &TestApp, sql: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {sql}")))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn register_api(app: &TestApp, token: &str, body: &Value) -> i64 {
    let (status, created) = app.post(token, "/api/v1/families", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().expect("id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_start_at_check_in_and_managers_keep_the_home_page() {
    let app = TestApp::spawn().await;
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let res = staff.client.get(app.url("/")).send().await.expect("GET /");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/checkin");
    let (status, html) = staff.get("/checkin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Check-in</a>"), "nav link");
    assert!(html.contains("Today at Druid Heights Family Center"), "{html}");
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, html) = manager.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Policy</a>") && html.contains(">Check-in</a>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_lists_matches_before_the_register_link_and_the_queue_is_this_sites() {
    let app = TestApp::spawn().await;
    let token = app.token("staff@demo.cribs").await;
    let other = app.token("staff2@demo.cribs").await;
    let id = register_api(&app, &token, &family().with_infant_born(days_ago(30)).build()).await;
    let elsewhere = family().named("Cherry", "Elsewhere").set("/caregiver/phone", json!("410-555-0999"));
    register_api(&app, &other, &elsewhere.with_infant_born(days_ago(3)).build()).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (status, html) = b.get("/checkin?q=Brooks").await;
    assert_eq!(status, StatusCode::OK);
    let result = html.find(&format!("href=\"/families/{id}\">Tanya Brooks</a>")).expect("the family is listed");
    let register = html.find("id=\"register-link\"").expect("register link");
    assert!(result < register, "the register link comes after the results");
    assert!(html.contains("Not checked yet") && html.contains(&today().to_string()), "status and last visit");
    let queue = &html[html.find("id=\"queue-title\"").expect("queue")..];
    assert!(queue.contains("Tanya Brooks") && queue.contains("Registered"), "{queue}");
    assert!(!queue.contains("Elsewhere"), "another site's family is not in this site's queue");
    let (_, none) = b.get("/checkin?q=Zzyzx").await;
    assert!(none.contains("No family matches"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_through_the_form_saves_once_per_form() {
    let app = TestApp::spawn().await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let before = (app.count("families").await, app.count("infants").await);
    let fields = with_tokens(&b, "/families/new", form_fields("Marisol", "Quintero")).await;
    let first = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let to = location(&first);
    assert!(to.starts_with("/families/"), "{to}");
    let again = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER, "a double click replays");
    assert_eq!(location(&again), to);
    assert_eq!((app.count("families").await, app.count("infants").await), (before.0 + 1, before.1 + 2));
    let id: i64 = to.trim_start_matches("/families/").parse().expect("id");
    let row = cribs::store::families::get(&app.db, id).await.expect("stored");
    assert_eq!(row.neighborhood_id, Some(65));
    assert_eq!(row.annual_income_cents, Some(3_120_050));
    assert_eq!(row.enrollments, "WIC,SNAP");
    assert_eq!((row.has_safe_sleep_space, row.preferred_language.as_str()), (Some(false), "es"));
    assert_eq!(row.race_ethnicity.as_deref(), Some("prefer_not_to_say"));
    assert_eq!(
        count_where(&app, &format!("audit_events WHERE action = 'family.create' AND entity_id = {id}")).await,
        1
    );
    let (status, html) = b.get(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("This form was already saved"), "the replay says so");
    assert!(html.contains("Druid Heights") && html.contains("$31,200.50"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn income_typed_with_a_thousands_comma_and_a_dollar_sign_is_saved() {
    let app = TestApp::spawn().await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let mut fields = with_tokens(&b, "/families/new", form_fields("Comma", "Income")).await;
    set(&mut fields, "annual_income", "$31,200.50");
    let res = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id: i64 = location(&res).trim_start_matches("/families/").parse().expect("id");
    let row = cribs::store::families::get(&app.db, id).await.expect("stored");
    assert_eq!(row.annual_income_cents, Some(3_120_050));
    // A comma out of its place is still refused, with what was typed kept.
    let mut fields = with_tokens(&b, "/families/new", form_fields("Bad", "Comma")).await;
    set(&mut fields, "annual_income", "31,20");
    let res = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(html.contains("value=\"31,20\"") && html.contains("Write the yearly income as a number of dollars"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_keeps_what_was_typed_and_says_why() {
    let app = TestApp::spawn().await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let before = app.count("families").await;
    let mut fields = with_tokens(&b, "/families/new", form_fields("Keep", "Typed")).await;
    let future = days_ahead(5).to_string();
    set(&mut fields, "household_size", "0");
    set(&mut fields, "caregiver.date_of_birth", &future);
    // Only the second baby row is filled: its problem must point at row 2.
    set(&mut fields, "infants[0].name", "");
    set(&mut fields, "infants[0].date_of_birth", "");
    set(&mut fields, "infants[0].weight_lb", "");
    set(&mut fields, "infants[1].date_of_birth", &future);
    let res = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    for typed in ["value=\"Keep\"", "value=\"Typed\"", "value=\"0\"", &format!("value=\"{future}\""), "value=\"Luz\""] {
        assert!(html.contains(typed), "keeps {typed}");
    }
    assert!(html.contains("The household size must be from 1 to 30 people living in the home now; 0 is not."));
    assert!(html.contains("The caregiver&#x27;s date of birth cannot be in the future"), "{html}");
    assert!(html.contains("id=\"household_size-error\""));
    assert!(html.contains("aria-describedby=\"household_size-error household_size-hint\" aria-invalid=\"true\""));
    assert!(html.contains("id=\"infants-1-date_of_birth-error\""), "the problem is on the second row");
    assert!(html.contains("<option value=\"65\" selected>Druid Heights</option>"), "the neighborhood stays chosen");
    assert!(html.contains("id=\"enrollment-SNAP\" name=\"enrollments\" value=\"SNAP\" checked"));
    assert_eq!(app.count("families").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn possible_duplicates_are_asked_about_before_saving() {
    let app = TestApp::spawn().await;
    let token = app.token("staff@demo.cribs").await;
    let existing = register_api(&app, &token, &family().with_infant_born(days_ago(10)).build()).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let before = app.count("families").await;
    // Same last name and caregiver date of birth as the registered Tanya Brooks.
    let mut fields = with_tokens(&b, "/families/new", form_fields("Tania", "Brooks")).await;
    set(&mut fields, "caregiver.date_of_birth", "1996-04-12");
    let res = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(html.contains("Is this family already registered?"));
    assert!(html.contains(&format!("href=\"/families/{existing}\">This is them</a>")));
    assert_eq!(app.count("families").await, before, "nothing saved yet");
    // "A different family — register": the page's own hidden fields, sent back.
    let hidden = hidden_inputs(&html);
    assert!(hidden.contains(&("confirm_not_duplicate".to_string(), "1".to_string())));
    let mut confirm = hidden.clone();
    confirm.push(("action".into(), "save".into()));
    let res = b.post_form("/families/new", &pairs(&confirm)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("families").await, before + 1);
    let id: i64 = location(&res).trim_start_matches("/families/").parse().expect("id");
    let row = cribs::store::families::get(&app.db, id).await.expect("stored");
    assert_eq!((row.first_name.as_str(), row.last_name.as_str()), ("Tania", "Brooks"));
    assert_eq!(cribs::store::families::infants(&app.db, id).await.expect("infants").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_neighborhood_list_narrows_by_zip_without_javascript() {
    let app = TestApp::spawn().await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (_, blank) = b.get("/families/new").await;
    assert!(blank.contains(">Canton</option>") && blank.contains("<optgroup label=\"Cherry Hill\">"));
    assert!(blank.contains("value=\"Baltimore\"") && blank.contains("value=\"MD\""), "city and state defaults");
    assert!(blank.contains("<option value=\"outside\">Outside Baltimore City</option>"));
    let mut fields = with_tokens(&b, "/families/new", form_fields("Narrow", "Ing")).await;
    set(&mut fields, "address.zip", "21225");
    set(&mut fields, "address.neighborhood_id", "");
    set(&mut fields, "action", "narrow");
    let before = app.count("families").await;
    let res = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(html.contains(">Cherry Hill</option>"), "Cherry Hill is in 21225");
    assert!(!html.contains(">Canton</option>"), "Canton is not");
    assert!(html.contains("value=\"Narrow\"") && html.contains("value=\"21225\""), "typed values kept");
    set(&mut fields, "hood_name", "cherry");
    let (_, by_name) = {
        let res = b.post_form("/families/new", &pairs(&fields)).await;
        (res.status(), res.text().await.expect("body"))
    };
    assert!(by_name.contains(">Cherry Hill</option>") && !by_name.contains(">Brooklyn</option>"));
    assert_eq!(app.count("families").await, before, "narrowing saves nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_page_explains_each_rule_and_every_view_is_audited() {
    let app = TestApp::spawn().await;
    let token = app.token("staff@demo.cribs").await;
    let id = register_api(&app, &token, &family().with_infant_born(days_ago(30)).build()).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let views = format!("audit_events WHERE action = 'family.view' AND entity_id = {id}");
    let (status, html) = b.get(&format!("/families/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Druid Heights") && html.contains("Not checked yet."));
    assert!(html.contains(">Check eligibility</button>"));
    assert_eq!(count_where(&app, &views).await, 1);
    let infant = input_value(&html, "infant_id").expect("infant id");
    let form = vec![
        ("csrf_token".to_string(), input_value(&html, "csrf_token").expect("csrf")),
        ("form_token".to_string(), input_value(&html, "form_token").expect("token")),
        ("infant_id".to_string(), infant.clone()),
    ];
    let res = b.post_form(&format!("/families/{id}/check"), &pairs(&form)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/families/{id}#infant-{infant}"));
    let again = b.post_form(&format!("/families/{id}/check"), &pairs(&form)).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("eligibility_checks").await, 1, "the same button twice checks once");
    let (_, html) = b.get(&format!("/families/{id}")).await;
    assert!(html.contains("That check was already made; its answer is below."), "the resend is told");
    assert_eq!(html.matches("<span class=\"verdict\">passed</span>").count(), 6, "six rules passed");
    assert!(html.contains("Enrolled in WIC, so income does not matter."));
    assert!(html.contains("Lives in a Baltimore City neighborhood."));
    assert!(html.contains("✓") && html.contains("class=\"answer answer-eligible\""));
    assert!(html.contains(&format!("href=\"/families/{id}/education\">Record safe-sleep education</a>")));
    assert!(html.contains(">Version 1<"), "history names the policy version");
    assert!(!html.contains("baltimore-portable-crib"), "not its slug");
    assert_eq!(count_where(&app, &views).await, 2, "an audit row per view");
    assert_eq!(
        count_where(&app, &format!("audit_events WHERE action = 'eligibility.check' AND entity_id = {id}")).await,
        1
    );

    // A family with a safe place to sleep: the failing rule says so, in words.
    let safe = family().named("Safe", "Sleeper").set("/caregiver/phone", json!(null));
    let id2 = register_api(
        &app,
        &token,
        &safe.set("/has_safe_sleep_space", json!(true)).with_infant_born(days_ago(9)).build(),
    )
    .await;
    let (_, html) = b.get(&format!("/families/{id2}")).await;
    let form = vec![
        ("csrf_token".to_string(), input_value(&html, "csrf_token").expect("csrf")),
        ("form_token".to_string(), input_value(&html, "form_token").expect("token")),
        ("infant_id".to_string(), input_value(&html, "infant_id").expect("infant")),
    ];
    b.post_form(&format!("/families/{id2}/check"), &pairs(&form)).await;
    let (_, html) = b.get(&format!("/families/{id2}")).await;
    assert!(html.contains("<span class=\"verdict\">failed</span>"));
    assert!(html.contains("The family has a safe place for the baby to sleep."));
    assert!(html.contains("✗") && html.contains(">Check eligibility again</button>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_looking_names_are_shown_escaped_and_stored_exactly() {
    let app = TestApp::spawn().await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (first, last) = ("<script>alert(1)</script>", "O'Brien-Núñez");
    let fields = with_tokens(&b, "/families/new", form_fields(first, last)).await;
    let res = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    let id: i64 = to.trim_start_matches("/families/").parse().expect("id");
    let row = cribs::store::families::get(&app.db, id).await.expect("stored");
    assert_eq!((row.first_name.as_str(), row.last_name.as_str()), (first, last));
    for page in [to.clone(), "/checkin?q=Brien".to_string()] {
        let (_, html) = b.get(&page).await;
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "{page}");
        assert!(!html.contains("<script>alert(1)"), "{page}");
        assert!(html.contains("O&#x27;Brien-Núñez"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_csrf_field_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token("staff@demo.cribs").await;
    let id = register_api(&app, &token, &family().with_infant_born(days_ago(30)).build()).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let before = (app.count("families").await, app.count("eligibility_checks").await, app.count("policies").await);
    let mut fields = form_fields("No", "Token");
    set(&mut fields, "form_token", "a-token-that-is-long-enough");
    let res = b.post_form("/families/new", &pairs(&fields)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    set(&mut fields, "csrf_token", "forged");
    assert_eq!(b.post_form("/families/new", &pairs(&fields)).await.status(), StatusCode::FORBIDDEN);
    let infant = cribs::store::families::infants(&app.db, id).await.expect("infants")[0].id.to_string();
    let res = b.post_form(&format!("/families/{id}/check"), &[("infant_id", infant.as_str())]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let res = manager
        .post_form("/policy/new", &[("effective_from", &days_ahead(30).to_string()), ("action", "publish")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        (app.count("families").await, app.count("eligibility_checks").await, app.count("policies").await),
        before
    );
}

/// The publish form as the page pre-fills it, with a new income limit and date.
async fn policy_fields(b: &Browser, percent: &str, effective: &str) -> Fields {
    let (status, html) = b.get("/policy/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"income_limit_percent\" type=\"text\" value=\"185\""), "copies the current version");
    let mut f: Fields = [
        "csrf_token",
        "form_token",
        "max_infant_age_months",
        "min_weeks_pregnant",
        "full_term_weeks",
        "overdue_due_date_days",
        "max_infant_weight_lb",
        "eligibility_valid_days",
        "education_valid_days",
        "reservation_days_after_discharge",
        "sample_household_size",
        "sample_annual_income",
        "sample_days_old",
    ]
    .iter()
    .map(|n| (n.to_string(), input_value(&html, n).unwrap_or_else(|| panic!("{n} on the form"))))
    .collect();
    for (k, v) in [
        ("require_city_residency", "yes"),
        ("require_no_safe_sleep_space", "yes"),
        ("poverty_region", "contiguous_us_dc"),
        ("qualifying_enrollments", "WIC"),
        ("qualifying_enrollments", "Medicaid"),
        ("qualifying_enrollments", "SNAP"),
        ("qualifying_enrollments", "TCA"),
        ("notes", "Raise the income limit."),
    ] {
        f.push((k.into(), v.into()));
    }
    set(&mut f, "income_limit_percent", percent);
    set(&mut f, "effective_from", effective);
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_preview_and_publish_a_future_version_that_waits_for_its_date() {
    let app = TestApp::spawn().await;
    let b = app.browser_signed_in("manager@demo.cribs").await;
    let (status, html) = b.get("/policy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("A baby must be checked before turning 8 months."));
    assert!(html.contains("Income at or below 185% of the federal poverty guideline"));
    let effective = days_ahead(30).to_string();

    // Preview: the sample at $52,000 fails at 185% and passes at 200%; nothing is stored.
    let mut f = policy_fields(&b, "200", &effective).await;
    set(&mut f, "sample_annual_income", "52000.00");
    set(&mut f, "action", "preview");
    let res = b.post_form("/policy/new", &pairs(&f)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(html.contains("new version <strong>eligible</strong>"), "{html}");
    assert!(html.contains("version in force <strong>not eligible</strong>"));
    assert!(html.contains("Income $52,000.00 is above the limit"));
    assert!(html.contains("value=\"52000.00\"") && html.contains("value=\"200\""), "typed values kept");
    assert_eq!(app.count("policies").await, 1);

    // A date in the past is refused next to the field.
    let mut past = policy_fields(&b, "200", &days_ago(1).to_string()).await;
    set(&mut past, "action", "publish");
    let res = b.post_form("/policy/new", &pairs(&past)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(html.contains("id=\"effective_from-error\"") && html.contains("cannot take effect in the past"));
    let mut bad = policy_fields(&b, "0", &effective).await;
    set(&mut bad, "action", "publish");
    let res = b.post_form("/policy/new", &pairs(&bad)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("body").contains("id=\"income_limit_percent-error\""));
    assert_eq!(app.count("policies").await, 1);

    // Publish (twice with the same form: once).
    let mut f = policy_fields(&b, "200", &effective).await;
    set(&mut f, "action", "publish");
    for _ in 0..2 {
        let res = b.post_form("/policy/new", &pairs(&f)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/policy");
    }
    assert_eq!(app.count("policies").await, 2);
    assert_eq!(count_where(&app, "audit_events WHERE action = 'policy.publish'").await, 1);
    let (_, html) = b.get("/policy").await;
    assert!(html.contains("This form already published version 2"), "the replay says so");
    assert!(html.contains(&format!("In force today ({}): baltimore-portable-crib version 1", today())));
    assert!(html.contains("baltimore-portable-crib v2") && html.contains(&effective) && html.contains("Scheduled"));
    assert!(html.contains("Income at or below 200% of the federal poverty guideline"));
    let now = cribs::store::policy::in_force(&app.db, today()).await.expect("in force");
    assert_eq!((now.row.version, now.params.income_limit_percent), (1, 185));
    let later = cribs::store::policy::in_force(&app.db, days_ahead(30)).await.expect("in force later");
    assert_eq!((later.row.version, later.params.income_limit_percent), (2, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nurses_and_staff_stay_out_of_what_is_not_theirs() {
    let app = TestApp::spawn().await;
    let token = app.token("staff@demo.cribs").await;
    let id = register_api(&app, &token, &family().with_infant_born(days_ago(30)).build()).await;
    let nurse = app.browser_signed_in("nurse@demo.cribs").await;
    for path in ["/families/new", "/policy", "/policy/new", "/checkin"] {
        assert_eq!(nurse.get(path).await.0, StatusCode::FORBIDDEN, "nurse on {path}");
    }
    assert_eq!(nurse.get(&format!("/families/{id}")).await.0, StatusCode::NOT_FOUND, "not on her hospital's requests");
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    assert_eq!(staff.get("/policy").await.0, StatusCode::FORBIDDEN);
    assert_eq!(staff.get("/families/999999").await.0, StatusCode::NOT_FOUND);
    let (status, _) = app.browser().get("/checkin").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out: to the sign-in page");
}
