//! Every main page of every role, with real data behind it (families, a hand-out and its
//! follow-up call, hospital requests open and held, a transfer on its way, a report range
//! with a crib in it, families' e-mail consents and messages): `seed` writes the data through the API and returns the pages, which
//! `browser::every_page_holds_on_a_phone_and_a_tablet` walks in Chromium and
//! `every_page_is_written_out_for_the_html_checker` here writes to `target/html/` for the
//! Nu HTML checker that `.ci/run` runs over that folder (any error fails CI).

use crate::common::fixtures::{days_ago, days_ahead, family, today};
use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use std::path::{Path, PathBuf};

/// One role's pages: who signs in, where they land, and (name, path) of each page.
pub struct RolePages {
    pub email: &'static str,
    pub role: &'static str,
    pub home: &'static str,
    pub pages: Vec<(String, String)>,
}

/// Write the data every page needs and return the pages of each role.
pub async fn seed(app: &TestApp) -> Vec<RolePages> {
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let nurse = app.token("nurse@demo.cribs").await;

    // Ana Lopez: checked, taught, a crib handed out (a receipt, a follow-up call due).
    let (status, ana) = app
        .post(&staff, "/api/v1/families", &family().named("Ana", "Lopez").with_infant_born(days_ago(20)).build())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    let ana_id = ana["id"].as_i64().expect("family id");
    let ana_infant = ana["infant_ids"][0].as_i64().expect("infant id");
    let (status, c) = app.post(&staff, &format!("/api/v1/families/{ana_id}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let abcd = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking", "room_sharing_without_bed_sharing"], "caregiver_attestation": "Ana Lopez"});
    let (status, e) = app.post(&staff, &format!("/api/v1/families/{ana_id}/education"), &abcd).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let handout =
        json!({"family_id": ana_id, "infant_id": ana_infant, "site_id": 1, "crib_model_id": 1, "lot": "LOT-2026-07"});
    let (status, h) = app.post(&staff, "/api/v1/handouts", &handout).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let handout_id = h["id"].as_i64().expect("handout id");
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared("UPDATE follow_ups SET due_on = '2020-01-01'").await.expect("a call due");

    // Rosa Núñez (Spanish): checked and taught, ready for the hand-out form.
    let rosa_body = family()
        .named("Rosa", "O'Brien-Núñez")
        .with_infant_born(days_ago(9))
        .set("/caregiver/phone", json!("410-555-0199"))
        .set("/preferred_language", json!("es"))
        .build();
    let (status, rosa) = app.post(&staff, "/api/v1/families", &rosa_body).await;
    assert_eq!(status, StatusCode::CREATED, "{rosa}");
    let rosa_id = rosa["id"].as_i64().expect("family id");
    let rosa_infant = rosa["infant_ids"][0].as_i64().expect("infant id");
    let (status, c) = app.post(&staff, &format!("/api/v1/families/{rosa_id}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let abcd = json!({"mode": "site", "language": "es", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Rosa O'Brien-Núñez"});
    let (status, e) = app.post(&staff, &format!("/api/v1/families/{rosa_id}/education"), &abcd).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");

    // Hospital requests: one open (for triage), one held at Cherry Hill.
    let request = |first: &str, last: &str, phone: &str, born: i64| {
        json!({
            "caregiver": {"first_name": first, "last_name": last, "date_of_birth": format!("199{born}-06-01"), "phone": phone},
            "address": {"line1": format!("{born}00 Cherry Hill Rd"), "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
            "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
            "preferred_language": "en", "infant": {"date_of_birth": days_ago(born).to_string()},
            "discharge_date": today().to_string(), "education_given_in_hospital": true, "preferred_site_id": 2,
            "note": "Mother prefers a morning pickup; her sister drives."
        })
    };
    let (status, open) = app.post(&nurse, "/api/v1/referrals", &request("Maya", "Reed", "410-555-4040", 1)).await;
    assert_eq!(status, StatusCode::CREATED, "{open}");
    let (status, held) = app.post(&nurse, "/api/v1/referrals", &request("Imani", "Grant", "410-555-3030", 2)).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let held_id = held["id"].as_i64().expect("request id");
    let (status, accepted) = app
        .post(&manager, &format!("/api/v1/referrals/{held_id}/accept"), &json!({"site_id": 2, "crib_model_id": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");

    // Messages (issue 21): Rosa agreed to e-mails in Spanish (her unsubscribe page); the
    // held request's family agreed too, and its hold was moved (a reminder in its log).
    let (status, c) = app
        .post(
            &staff,
            &format!("/api/v1/families/{rosa_id}/consent"),
            &json!({"email": "rosa@example.org", "language": "es"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let unsubscribe_token = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT unsubscribe_token FROM message_consents WHERE family_id = {rosa_id}"),
        ))
        .await
        .expect("query")
        .and_then(|row| row.try_get::<String>("", "unsubscribe_token").ok())
        .expect("an unsubscribe token");
    let held_family = accepted["family_id"].as_i64().expect("the request's family");
    let (status, c) = app
        .post(&manager, &format!("/api/v1/families/{held_family}/consent"), &json!({"email": "imani@example.org"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let until =
        accepted["reserved_until"].as_str().and_then(|d| d.parse::<chrono::NaiveDate>().ok()).expect("held until");
    let moved = json!({"until": (until + chrono::Duration::days(1)).to_string()});
    let (status, m) = app.post(&manager, &format!("/api/v1/referrals/{held_id}/hold"), &moved).await;
    assert_eq!(status, StatusCode::OK, "{m}");

    // Stock: a restock with a lot, and a transfer on its way from the warehouse to Druid Heights.
    let (status, r) = app
        .post(&manager, "/api/v1/sites/4/receipts", &json!({"crib_model_id": 1, "quantity": 20, "lot": "LOT-W-20"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let transfer = json!({"from_site_id": 4, "to_site_id": 1, "crib_model_id": 1, "quantity": 6, "lot": "LOT-W-20"});
    let (status, t) = app.post(&manager, "/api/v1/transfers", &transfer).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");

    // The survey (issue 23): Ana's hand-out a month ago, so her link shows the questions,
    // and its 1-month round owed a call.
    let month_ago = today().checked_sub_months(chrono::Months::new(1)).expect("a month ago");
    let owed = cribs::domain::survey::calls_due_by(today());
    for sql in [
        format!("UPDATE handouts SET handed_out_on = '{month_ago}' WHERE id = {handout_id}"),
        format!("UPDATE follow_ups SET due_on = '{owed}' WHERE handout_id = {handout_id} AND round_months = 1"),
    ] {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, &sql).await.expect("a month ago");
    }
    let one = |sql: String| {
        let db = app.db.clone();
        async move {
            db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("query")
                .expect("a row")
        }
    };
    let survey_token: String = one(format!("SELECT survey_token FROM handouts WHERE id = {handout_id}"))
        .await
        .try_get_by_index(0)
        .expect("a survey link");
    let round: i64 = one(format!("SELECT id FROM follow_ups WHERE handout_id = {handout_id} AND round_months = 1"))
        .await
        .try_get_by_index(0)
        .expect("the 1-month round");
    let admin_edits = app.user_id("staff@demo.cribs").await;
    // Two hospital systems, one revoked, for the administrator's page.
    let admin = app.token("admin@demo.cribs").await;
    for (name, hospital) in [("Hopkins Epic interface", 5), ("Mercy Cerner bridge", 6)] {
        let body = json!({"name": name, "hospital_site_id": hospital, "jwks": crate::fhir_systems::jwks(),
            "scopes": "system/ServiceRequest.crs system/Task.rus system/Patient.rs system/RelatedPerson.rs system/Procedure.rs"});
        let (status, c) = app.post(&admin, "/api/v1/fhir-clients", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        if hospital == 6 {
            let (status, _) = app.post(&admin, &format!("/api/v1/fhir-clients/{}/revoke", c["id"]), &json!({})).await;
            assert_eq!(status, StatusCode::OK);
        }
    }
    let range = format!("from={}&to={}", days_ago(60), days_ahead(0));
    let p = |name: &str, path: String| (name.to_string(), path);
    vec![
        RolePages {
            email: "staff@demo.cribs",
            role: "staff",
            home: "/checkin",
            pages: vec![
                p("checkin", "/checkin".into()),
                p("checkin-results", "/checkin?q=Lopez".into()),
                p("register", "/families/new".into()),
                p("family", format!("/families/{ana_id}")),
                p("family-es", format!("/families/{rosa_id}")),
                p("education", format!("/families/{rosa_id}/education")),
                p("handout", format!("/families/{rosa_id}/handout?infant_id={rosa_infant}")),
                p("receipt", format!("/handouts/{handout_id}/receipt")),
                p("correct", format!("/families/{ana_id}/correct")),
                p("correct-baby", format!("/families/{ana_id}/infants/{ana_infant}/correct")),
                p("add-baby", format!("/families/{ana_id}/infants/new")),
                p("paper-entry", format!("/families/{ana_id}/paper")),
                p("follow-ups", "/follow-ups".into()),
                p("follow-up-call", format!("/follow-ups/{round}")),
                p("survey", format!("/s/{survey_token}")),
                p("survey-es", format!("/s/{survey_token}?lang=es")),
                p("stock", "/stock".into()),
                p("site-stock", "/stock/sites/1".into()),
                p("paper", "/paper".into()),
                p("paper-slips", "/paper/slips?site=1&count=2".into()),
                p("paper-sign-in", "/paper/sign-in?site=1".into()),
                p("account", "/account".into()),
                p("unsubscribe", format!("/messages/unsubscribe/{unsubscribe_token}")),
            ],
        },
        RolePages {
            email: "manager@demo.cribs",
            role: "manager",
            home: "/",
            pages: vec![
                p("home", "/".into()),
                p("checkin-results", "/checkin?q=Lopez".into()),
                p("family", format!("/families/{ana_id}")),
                p("export", format!("/families/{ana_id}/export")),
                p("triage", "/triage".into()),
                p("policy", "/policy".into()),
                p("policy-new", "/policy/new".into()),
                p("stock", "/stock".into()),
                p("site-stock", "/stock/sites/1".into()),
                p("restock", "/stock/restock".into()),
                p("transfer", "/stock/transfer".into()),
                p("adjust", "/stock/adjust".into()),
                p("count", "/stock/sites/1/count".into()),
                p("lots", "/stock/lots?lot=LOT-2026-07".into()),
                p("follow-ups", "/follow-ups".into()),
                p("reports", format!("/reports?{range}")),
                p("reports-neighborhoods", format!("/reports?{range}&group=neighborhood")),
                p("outcomes", format!("/reports/outcomes?{range}")),
                p("safe-sleep", format!("/reports/safe-sleep?{range}&group=csa")),
                p("audit", "/audit".into()),
                p("messages", "/messages".into()),
                p("family-messages", format!("/families/{held_family}")),
                p("request-held", format!("/requests/{held_id}")),
                p("account", "/account".into()),
            ],
        },
        RolePages {
            email: "nurse@demo.cribs",
            role: "nurse",
            home: "/",
            pages: vec![
                p("home", "/".into()),
                p("request-new", "/requests/new".into()),
                p("requests", "/requests".into()),
                p("request", format!("/requests/{held_id}")),
            ],
        },
        RolePages {
            email: "admin@demo.cribs",
            role: "admin",
            home: "/",
            pages: vec![
                p("home", "/".into()),
                p("users", "/admin/users".into()),
                p("user-new", "/admin/users/new".into()),
                p("user-edit", format!("/admin/users/{admin_edits}")),
                p("systems", "/admin/systems".into()),
                p("messages", "/messages".into()),
            ],
        },
    ]
}

/// Where each page's HTML is written for the Nu HTML checker.
pub fn html_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/html")
}

/// Every page of every role answers 200 and is written to `target/html/<role>-<page>.html`
/// as the server sent it; `.ci/run` runs the Nu HTML checker over that folder.
#[tokio::test]
async fn every_page_is_written_out_for_the_html_checker() {
    let app = TestApp::spawn().await;
    let roles = seed(&app).await;
    let dir = html_dir();
    std::fs::create_dir_all(&dir).expect("target/html");
    let mut written = 0;
    for role in &roles {
        let client = app.browser_signed_in(role.email).await;
        for (name, path) in &role.pages {
            let (status, html) = client.get(path).await;
            assert_eq!(status, StatusCode::OK, "{} {path}: {html}", role.role);
            assert!(html.starts_with("<!DOCTYPE html>"), "{} {path} is a whole page", role.role);
            std::fs::write(dir.join(format!("{}-{name}.html", role.role)), html).expect("write the page");
            written += 1;
        }
    }
    assert!(written >= 40, "every main page: {written}");
    println!("{written} pages written to {}", dir.display());
}

/// The words people read: the family page names education modes and topics and the policy
/// version instead of codes and slugs, and a baby with a crib says so instead of repeating
/// its check; the audit page names families (linked), sites and crib models, and its
/// `<time datetime>` is to the second.
#[tokio::test]
async fn pages_show_names_and_words_not_codes() {
    let app = TestApp::spawn().await;
    let roles = seed(&app).await;
    let path = |role: &str, name: &str| {
        let r = roles.iter().find(|r| r.role == role).expect("role");
        r.pages.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone()).expect("page")
    };
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let (status, page) = staff.get(&path("staff", "family")).await;
    assert_eq!(status, StatusCode::OK);
    for code in ["room_sharing_without_bed_sharing", "no_smoking", ">site<", "baltimore-portable-crib"] {
        assert!(!page.contains(code), "no code {code} on the family page");
    }
    assert!(page.contains("Share the room, not the bed") && page.contains(">At the site<"), "topics and mode in words");
    assert!(
        page.contains("Crib handed out") && page.contains("class=\"past-check\""),
        "the card says the crib was handed out"
    );
    assert!(page.contains(">Version 1<"), "the policy by its version");

    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, page) = manager.get("/audit").await;
    assert_eq!(status, StatusCode::OK);
    let page = page.replace("&#x2F;", "/").replace("&#x27;", "'");
    assert!(page.contains(">Ana Lopez</a>") && page.contains("href=\"/families/"), "the family by name, linked");
    assert!(
        page.contains("Central Crib Warehouse</a>") && page.contains("Portable play yard kit"),
        "site and model names"
    );
    assert!(page.contains("Received stock") && page.contains("Handed out a crib"), "actions in words");
    let text: String = {
        let mut out = String::new();
        let mut in_tag = false;
        for c in page.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    for kind in ["family", "site", "model", "infant"] {
        let numbered = words.windows(2).find(|w| {
            let id = w[1].trim_end_matches([',', ':', ';']);
            w[0] == kind && !id.is_empty() && id.chars().all(|c| c.is_ascii_digit())
        });
        assert!(numbered.is_none(), "no \"{kind} <id>\" in the audit rows: {numbered:?}");
    }
    for at in page.split("datetime=\"").skip(1) {
        let value = &at[..at.find('"').unwrap_or(0)];
        assert!(value.len() == 20 && value.ends_with('Z') && !value.contains('.'), "to the second: {value}");
    }
}
