//! Issue 23's follow-up survey end to end, on whichever database the suite runs on: the
//! family's link (not yet open, answered once, refused when tampered, unknown or expired, in
//! Spanish), a void closing the rounds, and the safe-sleep report's shares, response rates
//! and suppression computed by hand on a small fixture.

use crate::common::fixtures::{days_ago, family};
use crate::common::TestApp;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

const DRUID: i64 = 1;
const MODEL: i64 = 1;

/// A family handed a crib at Druid Heights: (family id, hand-out id).
async fn handed_out(app: &TestApp, staff: &str, n: usize, race: &str, lang: &str, baby: &str) -> (i64, i64) {
    let body = family()
        .named("Survey", &format!("Parent{n}"))
        .set("/caregiver/phone", json!(format!("410-555-{:04}", 2000 + n)))
        .set("/preferred_language", json!(lang))
        .with_infant_born(days_ago(10 + n as i64))
        .build();
    let mut body = body;
    body["infants"][0]["name"] = json!(baby);
    body["race_ethnicity"] = json!(race);
    let (status, created) = app.post(staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (fid, iid) = (created["id"].as_i64().expect("id"), created["infant_ids"][0].as_i64().expect("infant"));
    let (status, c) = app.post(staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let edu = json!({"mode": "site", "language": lang, "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "S P"});
    let (status, e) = app.post(staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": DRUID, "crib_model_id": MODEL, "baseline_sleep": "adult_bed"});
    let (status, h) = app.post(staff, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    (fid, h["id"].as_i64().expect("handout"))
}

async fn text_of(app: &TestApp, sql: &str) -> Option<String> {
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql.to_string()))
        .await
        .expect("query")?;
    row.try_get_by_index::<Option<String>>(0).expect("text")
}

/// Move a hand-out (and its rounds) `days` into the past, as if it happened then.
async fn backdate(app: &TestApp, handout: i64, days: i64) {
    let on = cribs::clock::today() - chrono::Duration::days(days);
    app.db
        .execute_unprepared(&format!("UPDATE handouts SET handed_out_on = '{on}' WHERE id = {handout}"))
        .await
        .expect("backdate");
    for months in cribs::domain::survey::ROUNDS {
        let due = cribs::domain::survey::due_on(on, months);
        app.db
            .execute_unprepared(&format!(
                "UPDATE follow_ups SET due_on = '{due}' WHERE handout_id = {handout} AND round_months = {months}"
            ))
            .await
            .expect("backdate rounds");
    }
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = reqwest::Client::new().get(app.url(path)).send().await.expect("GET");
    (res.status(), res.text().await.expect("html"))
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let res = reqwest::Client::new().post(app.url(path)).form(form).send().await.expect("POST");
    (res.status(), res.text().await.expect("html"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_answers_its_round_once_on_its_link_and_bad_links_get_a_clear_page() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (fid, hid) = handed_out(&app, &staff, 1, "black", "en", "Amara Jo").await;
    let token = text_of(&app, &format!("SELECT survey_token FROM handouts WHERE id = {hid}")).await.expect("a link");
    assert_eq!(
        text_of(&app, &format!("SELECT baseline_sleep FROM handouts WHERE id = {hid}")).await.as_deref(),
        Some("adult_bed")
    );
    let link = format!("/s/{token}");

    // The receipt carries the code and the short address.
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (status, receipt) = b.get(&format!("/handouts/{hid}/receipt")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(receipt.contains("<svg") && receipt.contains(&token), "QR and address on the receipt");

    // Today: the first round is a month away.
    let (status, html) = page(&app, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your first questions open on"), "{html}");
    assert!(!html.contains("<form"), "nothing to answer yet");

    // A month later the round is open: the baby's first name and nothing else of the family.
    backdate(&app, hid, 31).await;
    let (status, html) = page(&app, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("How is Amara sleeping?"), "{html}");
    assert!(!html.contains("Parent1") && !html.contains("410-555") && !html.contains("Jo "), "no personal data");
    assert!(html.contains("One month with your crib"));
    assert!(!html.contains("<script"), "works without JavaScript");

    // A made-up answer is refused with the form again; nothing written.
    let (status, html) = post(&app, &link, &[("lang", "en"), ("answers[position]", "upside_down")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Some answers could not be read"), "{html}");
    assert_eq!(app.count("survey_answers").await, 0);

    // Answered: kept as given, the round complete, audited with no user and no token.
    let answers = [
        ("lang", "en"),
        ("answers[crib_in_use]", "yes"),
        ("answers[slept_last_night]", "this_crib"),
        ("answers[position]", "back"),
        ("answers[bed_sharing]", "never"),
        ("answers[soft_objects]", "prefer_not"),
    ];
    let (status, html) = post(&app, &link, &answers).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Thank you. We received your answers."), "{html}");
    assert!(html.contains("Your next questions open on"), "the 3-month round comes next: {html}");
    assert_eq!(app.count("survey_answers").await, 1);
    let sheet = text_of(&app, "SELECT answers FROM survey_answers").await.expect("sheet");
    let sheet: Value = serde_json::from_str(&sheet).expect("json");
    assert_eq!(
        sheet,
        json!({"crib_in_use": "yes", "slept_last_night": "this_crib", "position": "back", "bed_sharing": "never", "soft_objects": "prefer_not"})
    );
    assert_eq!(text_of(&app, "SELECT mode FROM survey_answers").await.as_deref(), Some("self"));
    assert_eq!(app.count_where("follow_ups", &format!("handout_id = {hid} AND status = 'completed'")).await, 1);
    assert_eq!(app.count_where("audit_events", "action = 'survey.answer' AND user_id IS NULL").await, 1);
    assert_eq!(
        app.count_where("audit_events", &format!("detail LIKE '%{token}%'")).await,
        0,
        "the token is not audited"
    );

    // A second submit: thanked again, nothing more written.
    let (status, html) = post(&app, &link, &answers).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Thank you: we already received your answers."), "{html}");
    assert_eq!(app.count("survey_answers").await, 1);

    // The family's record shows the round, answered on the link.
    let (_, record) = app.get(&staff, &format!("/api/v1/families/{fid}")).await;
    assert_eq!(record["follow_ups"][0]["answers"]["mode"], "self", "{record}");

    // A tampered link (one character changed) and a made-up one: 404, a kind page, nothing read.
    let mut chars: Vec<char> = token.chars().collect();
    chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    for bad in [format!("/s/{tampered}"), "/s/short".to_string(), "/s/not-a-link-we-made-at-all".to_string()] {
        let (status, html) = page(&app, &bad).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
        assert!(html.contains("We could not find this page.") && html.contains("No encontramos esta página."));
        let (status, _) = post(&app, &bad, &answers).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.count("survey_answers").await, 1);

    // Past its last day the link has ended (410) and takes nothing.
    backdate(&app, hid, 200).await;
    let (status, html) = page(&app, &link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link has ended."), "{html}");
    let (status, _) = post(&app, &link, &answers).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(app.count("survey_answers").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_speaks_spanish_and_a_void_closes_the_rounds() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (_, hid) = handed_out(&app, &staff, 2, "hispanic_latino", "es", "Mateo").await;
    backdate(&app, hid, 31).await;
    let token = text_of(&app, &format!("SELECT survey_token FROM handouts WHERE id = {hid}")).await.expect("a link");
    let (status, html) = page(&app, &format!("/s/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<html lang="es">"#) && html.contains("¿Cómo duerme Mateo?"), "{html}");
    assert!(html.contains("¿Alguien fuma o vapea en la casa?") || html.contains("fuma"), "the questions in Spanish");
    let (_, english) = page(&app, &format!("/s/{token}?lang=en")).await;
    assert!(english.contains("How is Mateo sleeping?"));

    let (status, v) =
        app.post(&manager, &format!("/api/v1/handouts/{hid}/void"), &json!({"reason": "entered twice"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(app.count_where("follow_ups", &format!("handout_id = {hid} AND status = 'cancelled'")).await, 2);
    let (status, html) = page(&app, &format!("/s/{token}")).await;
    assert_eq!(status, StatusCode::GONE, "{html}");
    assert!(html.contains("Este enlace ya terminó."));
}

/// One round-1 answer by phone.
async fn answer(app: &TestApp, staff: &str, hid: i64, sheet: Value) {
    let id = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT id FROM follow_ups WHERE handout_id = {hid} AND round_months = 1"),
        ))
        .await
        .expect("q")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("id");
    let (status, f) =
        app.post(staff, &format!("/api/v1/follow-ups/{id}/calls"), &json!({"reached": true, "answers": sheet})).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
}

fn measure<'a>(row: &'a Value, name: &str) -> &'a Value {
    row["measures"].as_array().and_then(|m| m.iter().find(|x| x["measure"] == name)).expect("measure")
}

fn group<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["rounds"][0]["rows"].as_array().and_then(|r| r.iter().find(|x| x["key"] == key)).expect("group row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_safe_sleep_report_gives_shares_beside_response_rates_and_hides_small_cells() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, body) = app
        .post(&manager, &format!("/api/v1/sites/{DRUID}/counts"), &json!({"crib_model_id": MODEL, "counted": 40}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Fifteen families a month after their crib: ten Black, five White; one more White
    // family whose round is not due yet (not counted anywhere).
    let mut handouts = Vec::new();
    for n in 0..16 {
        let race = if n < 10 { "black" } else { "white" };
        let (_, hid) = handed_out(&app, &staff, 10 + n, race, "en", "Baby").await;
        if n < 15 {
            backdate(&app, hid, 40).await;
        }
        handouts.push(hid);
    }
    // Black: all on the back; 7 never share a bed, 3 always; 5 say no soft objects, 5 skip;
    // all prefer not to say about smoke. White: all on the side, never share a bed.
    for (n, hid) in handouts.iter().take(15).enumerate() {
        let sheet = if n < 10 {
            json!({
                "crib_in_use": "yes", "position": "back",
                "bed_sharing": if n < 7 { "never" } else { "always" },
                "soft_objects": if n < 5 { "no" } else { "" },
                "smoke_in_home": "prefer_not",
            })
        } else {
            json!({"crib_in_use": "yes", "position": "side", "bed_sharing": "never"})
        };
        answer(&app, &staff, *hid, sheet).await;
    }
    let today = cribs::clock::today();
    let q = format!("from={}&to={}&round=1", today - chrono::Duration::days(60), today + chrono::Duration::days(60));

    // The whole program, by hand: 15 due (the 16th is not due yet), 15 answered.
    let (status, r) = app.get(&manager, &format!("/api/v1/reports/safe-sleep?{q}")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let all = &r["rounds"][0]["rows"][0];
    assert_eq!(
        (all["due"].clone(), all["answered"].clone(), all["response_rate"].clone()),
        (json!(15), json!(15), json!(100.0))
    );
    let back = measure(all, "back_sleep");
    assert_eq!(
        (back["met"].clone(), back["respondents"].clone(), back["percent"].clone()),
        (json!(10), json!(15), json!(66.7))
    );
    assert_eq!(back["target_percent"], 88.9, "Healthy People 2030 beside back sleep");
    assert_eq!(measure(all, "crib_in_use")["percent"], 100.0);
    // 12 of 15 rarely or never share a bed: the 3 who do are under 5, so hidden, and the 12
    // with them (else 15 - 12 = 3); no share is given.
    let bed = measure(all, "no_bed_sharing");
    assert_eq!(
        (bed["met"].clone(), bed["respondents"].clone(), bed["percent"].clone()),
        (json!("suppressed"), json!(15), Value::Null)
    );
    let soft = measure(all, "no_soft_objects");
    assert_eq!(
        (soft["met"].clone(), soft["respondents"].clone(), soft["percent"].clone()),
        (json!(5), json!(5), json!(100.0))
    );
    let smoke = measure(all, "smoke_free");
    assert_eq!(
        (smoke["respondents"].clone(), smoke["percent"].clone()),
        (json!(0), Value::Null),
        "prefer not to say is not an answer"
    );

    // By race/ethnicity.
    let (status, g) = app.get(&manager, &format!("/api/v1/reports/safe-sleep?{q}&group=race_ethnicity")).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    let black = group(&g, "black");
    let white = group(&g, "white");
    assert_eq!((black["due"].clone(), black["response_rate"].clone()), (json!(10), json!(100.0)));
    assert_eq!((white["due"].clone(), white["response_rate"].clone()), (json!(5), json!(100.0)));
    assert_eq!(measure(black, "back_sleep")["percent"], 100.0);
    assert_eq!(measure(white, "back_sleep")["percent"], 0.0);
    assert_eq!(group(&g, "asian")["due"], 0, "every group has a row, zeros shown");
    // Bed-sharing by group: Black 7 met / 3 not (3 hidden, so the 7 too); the met column then
    // has one hidden cell, so White's 5 goes; then every line that lost one loses another.
    let bb = measure(black, "no_bed_sharing");
    let wb = measure(white, "no_bed_sharing");
    assert_eq!(bb["met"], "suppressed");
    assert_eq!(wb["met"], "suppressed", "the complement down the column");
    assert_eq!((bb["percent"].clone(), wb["percent"].clone()), (Value::Null, Value::Null));
    // No hidden count comes back by subtraction: in each of these lines, none or two or more are hidden.
    let hidden = |v: &Value| v.is_string();
    let lines = [
        vec![&bb["met"], &bb["respondents"]],
        vec![&wb["met"], &wb["respondents"]],
        vec![&bb["met"], &wb["met"], &measure(group(&g, "all"), "no_bed_sharing")["met"]],
        vec![&bb["respondents"], &wb["respondents"], &measure(group(&g, "all"), "no_bed_sharing")["respondents"]],
    ];
    for line in lines {
        assert_ne!(line.iter().filter(|v| hidden(v)).count(), 1, "{line:?}");
    }

    // CSV for funders: numerator and denominator per measure, the same numbers.
    let res = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/reports/safe-sleep?{q}&table=measures")))
        .bearer_auth(&manager)
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.expect("text");
    assert!(csv.starts_with("round,measure,label,numerator,denominator,percent,target_percent"), "{csv}");
    assert!(csv.contains("1,back_sleep,Laid on the back to sleep,10,15,66.7,88.9"), "{csv}");
    assert!(csv.contains("1,response_rate,Answered the round (of rounds due),15,15,100.0,"), "{csv}");

    // Bad parameters: every problem at once, in sentences.
    let (status, e) = app.get(&manager, "/api/v1/reports/safe-sleep?round=2&group=shoe_size").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["fields"]["round"].is_array() && e["fields"]["group"].is_array(), "{e}");
    // Staff do not read it.
    let (status, _) = app.get(&staff, "/api/v1/reports/safe-sleep").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The page shows the bars and the table.
    let b = app.browser_signed_in("manager@demo.cribs").await;
    let (status, html) = b.get(&format!("/reports/safe-sleep?{q}&group=race_ethnicity")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("66.7 %") && html.contains("Healthy People 2030 target 88.9 %"), "{html}");
    assert!(html.contains("Black or African American") && html.contains("suppressed"));
}
