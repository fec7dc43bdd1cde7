//! Reports: known handouts in, exact numbers out — twins, voids, zero rows, totals, a family
//! counted in two CSAs but once overall, handouts outside the city, date edges in New York
//! time, site filter, CSV equal to JSON, small-cell suppression in the equity report, bad
//! parameters (422 with fields), roles (403), and the page with its charts and downloads.

use crate::common::fixtures::{days_ago, family};
use crate::common::TestApp;
use chrono::{NaiveDate, TimeZone, Utc};
use cribs::entity::handout;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

const DRUID_SITE: i64 = 1;
const MODEL: i64 = 1;
const DRUID_CSA: i64 = 53;
const CHERRY_CSA: i64 = 7;
const DIST: &str = "/api/v1/reports/distribution-by-neighborhood";

fn abcd() -> Value {
    json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "A Parent"})
}

/// The id of a neighborhood by its exact name.
async fn hood(app: &TestApp, token: &str, name: &str) -> i64 {
    let (status, list) = app.get(token, &format!("/api/v1/neighborhoods?q={}", name.replace(' ', "%20"))).await;
    assert_eq!(status, StatusCode::OK);
    list.as_array()
        .and_then(|a| a.iter().find(|n| n["name"] == name))
        .and_then(|n| n["id"].as_i64())
        .unwrap_or_else(|| panic!("no neighborhood {name}"))
}

/// A registered, checked and educated family with `infants` babies; returns (family, infants).
async fn family_ready(
    app: &TestApp,
    token: &str,
    n: usize,
    infants: usize,
    neighborhood: i64,
    race: Option<&str>,
) -> (i64, Vec<i64>) {
    let mut b = family()
        .named("Parent", &format!("Report{n}"))
        .set("/caregiver/phone", json!(format!("410-555-{:04}", 2000 + n)))
        .set("/address/neighborhood_id", json!(neighborhood));
    for _ in 0..infants {
        b = b.with_infant_born(days_ago(20));
    }
    let mut body = b.build();
    if let Some(r) = race {
        body["race_ethnicity"] = json!(r);
    }
    let (status, created) = app.post(token, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("id");
    let ids: Vec<i64> = created["infant_ids"].as_array().expect("infants").iter().filter_map(Value::as_i64).collect();
    for iid in &ids {
        let body = if ids.len() > 1 { json!({"infant_id": iid}) } else { json!({}) };
        let (status, c) = app.post(token, &format!("/api/v1/families/{fid}/eligibility-checks"), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(c["result"], "eligible", "{c}");
    }
    let (status, e) = app.post(token, &format!("/api/v1/families/{fid}/education"), &abcd()).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    (fid, ids)
}

/// Hand out a crib at the Druid Heights site; returns the handout id.
async fn hand_out(app: &TestApp, token: &str, fid: i64, iid: i64) -> i64 {
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": DRUID_SITE, "crib_model_id": MODEL});
    let (status, h) = app.post(token, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    h["id"].as_i64().expect("handout id")
}

/// Place a handout at an exact instant; its New York date is given too, as the app stores it.
async fn place(app: &TestApp, id: i64, on: &str, at_utc: (i32, u32, u32, u32, u32)) {
    let on = NaiveDate::parse_from_str(on, "%Y-%m-%d").expect("date");
    let (y, m, d, h, min) = at_utc;
    let at = Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("instant");
    assert_eq!(cribs::clock::date_in_new_york(at), on, "the fixture is consistent");
    handout::Entity::update_many()
        .col_expr(handout::Column::HandedOutOn, Expr::value(on))
        .col_expr(handout::Column::HandedOutAt, Expr::value(at))
        .filter(handout::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("place handout");
}

fn row(report: &Value, csa_id: i64) -> &Value {
    report["rows"].as_array().and_then(|r| r.iter().find(|r| r["csa_id"] == csa_id)).expect("a row for the CSA")
}

fn counts(v: &Value) -> (i64, i64, i64) {
    (v["cribs"].as_i64().unwrap_or(-1), v["infants"].as_i64().unwrap_or(-1), v["families"].as_i64().unwrap_or(-1))
}

fn sums(report: &Value) -> (i64, i64) {
    let rows = report["rows"].as_array().expect("rows");
    (
        rows.iter().map(|r| r["cribs"].as_i64().unwrap_or(0)).sum(),
        rows.iter().map(|r| r["infants"].as_i64().unwrap_or(0)).sum(),
    )
}

async fn get_csv(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, String) {
    let res =
        app.http.get(app.url(path)).bearer_auth(token).header("Accept", "text/csv").send().await.expect("GET csv");
    let status = res.status();
    let ctype = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, ctype, res.text().await.unwrap_or_default())
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("csv record").iter().map(str::to_string).collect())
        .collect()
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twins_voids_zero_rows_moves_and_the_outside_row_add_up() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let druid = hood(&app, &m, "Druid Heights").await;
    let cherry = hood(&app, &m, "Cherry Hill").await;
    // Twins in Druid Heights: 2 cribs, 2 infants, 1 family.
    let (a, twins) = family_ready(&app, &m, 1, 2, druid, None).await;
    hand_out(&app, &m, a, twins[0]).await;
    hand_out(&app, &m, a, twins[1]).await;
    // A voided handout in Cherry Hill is left out.
    let (b, bi) = family_ready(&app, &m, 2, 1, cherry, None).await;
    let voided = hand_out(&app, &m, b, bi[0]).await;
    let (status, v) =
        app.post(&m, &format!("/api/v1/handouts/{voided}/void"), &json!({"reason": "wrong family"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (c, ci) = family_ready(&app, &m, 3, 1, cherry, None).await;
    hand_out(&app, &m, c, ci[0]).await;
    // Twins whose family moved between the two handouts: one crib in each CSA.
    let (f, fi) = family_ready(&app, &m, 4, 2, druid, None).await;
    hand_out(&app, &m, f, fi[0]).await;
    app.db
        .execute_unprepared(&format!("UPDATE families SET neighborhood_id = {cherry} WHERE id = {f}"))
        .await
        .expect("move");
    hand_out(&app, &m, f, fi[1]).await;
    // A family living outside the city (no CSA stored on the handout).
    let (g, gi) = family_ready(&app, &m, 5, 1, druid, None).await;
    let outside = hand_out(&app, &m, g, gi[0]).await;
    app.db
        .execute_unprepared(&format!("UPDATE handouts SET csa_id = NULL, neighborhood_id = NULL WHERE id = {outside}"))
        .await
        .expect("outside");

    let (status, r) = app.get(&m, DIST).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let year = cribs::domain::reports::Period::year_of(cribs::clock::today());
    assert_eq!((r["from"].as_str(), r["to"].as_str()), (Some(&*year.from.to_string()), Some(&*year.to.to_string())));
    let mut keys: Vec<&String> = r.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["from", "rows", "to", "totals"], "exactly the documented shape");
    let rows = r["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 56, "55 CSAs and the row outside the city");
    assert_eq!(counts(row(&r, DRUID_CSA)), (3, 3, 2));
    assert_eq!(counts(row(&r, CHERRY_CSA)), (2, 2, 2));
    assert_eq!(counts(row(&r, 1)), (0, 0, 0), "zeros included");
    assert_eq!(row(&r, 1)["csa_name"], "Allendale/Irvington/S. Hilton");
    let last = rows.last().expect("last");
    assert_eq!((last["csa_id"].clone(), last["csa_name"].clone()), (Value::Null, json!("Outside Baltimore City")));
    assert_eq!(counts(last), (1, 1, 1));
    assert_eq!(counts(&r["totals"]), (6, 6, 4), "the moved family counts once");
    assert_eq!(sums(&r), (6, 6), "totals are the sums of the rows");
    let ids: Vec<i64> = rows.iter().filter_map(|r| r["csa_id"].as_i64()).collect();
    assert_eq!(ids, (1..=55).collect::<Vec<_>>(), "by CSA id");

    // The same by neighborhood: every neighborhood, the stored one.
    let (status, n) = app.get(&m, &format!("{DIST}?group=neighborhood")).await;
    assert_eq!(status, StatusCode::OK, "{n}");
    let nrows = n["rows"].as_array().expect("rows");
    assert_eq!(nrows.len(), 279, "278 neighborhoods and the row outside the city");
    let by_name = |name: &str| nrows.iter().find(|r| r["neighborhood_name"] == name).expect("neighborhood row");
    assert_eq!(counts(by_name("Druid Heights")), (3, 3, 2));
    assert_eq!(by_name("Druid Heights")["csa_id"], DRUID_CSA);
    assert_eq!(by_name("Druid Heights")["neighborhood_id"], druid);
    assert_eq!(counts(by_name("Cherry Hill")), (2, 2, 2));
    assert_eq!(counts(&n["totals"]), (6, 6, 4));
    assert_eq!(sums(&n), (6, 6));
    assert!(r["rows"][0].get("neighborhood_id").is_none(), "CSA rows carry no neighborhood fields");

    // A site with none of these handouts.
    let (_, s) = app.get(&m, &format!("{DIST}?site_id=2")).await;
    assert_eq!(counts(&s["totals"]), (0, 0, 0));
    assert_eq!(s["rows"].as_array().map(Vec::len), Some(55));
    let (_, s) = app.get(&m, &format!("{DIST}?site_id={DRUID_SITE}")).await;
    assert_eq!(counts(&s["totals"]), (6, 6, 4));
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_dates_are_inclusive_in_new_york_time() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let cherry = hood(&app, &m, "Cherry Hill").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let (fid, infants) = family_ready(&app, &m, 10 + n, 1, cherry, None).await;
        ids.push(hand_out(&app, &m, fid, infants[0]).await);
    }
    // 23:59 in New York on the last day (03:59 UTC the next day): in.
    place(&app, ids[0], "2025-06-30", (2025, 7, 1, 3, 59)).await;
    // Midnight in New York on the day after: out.
    place(&app, ids[1], "2025-07-01", (2025, 7, 1, 4, 0)).await;
    // Midnight in New York on the first day: in.
    place(&app, ids[2], "2025-04-01", (2025, 4, 1, 4, 0)).await;
    // 23:59 in New York the day before (03:59 UTC on the first day): out.
    place(&app, ids[3], "2025-03-31", (2025, 4, 1, 3, 59)).await;
    // Winter time: 23:30 in New York on 2024-12-31 is 04:30 UTC on 2025-01-01.
    place(&app, ids[4], "2024-12-31", (2025, 1, 1, 4, 30)).await;

    let (status, r) = app.get(&m, &format!("{DIST}?from=2025-04-01&to=2025-06-30")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["rows"].as_array().map(Vec::len), Some(55), "every CSA, nothing outside");
    assert_eq!(counts(row(&r, CHERRY_CSA)), (2, 2, 2));
    assert_eq!(counts(&r["totals"]), (2, 2, 2));
    let (_, r) = app.get(&m, &format!("{DIST}?from=2025-07-01&to=2025-07-01")).await;
    assert_eq!(counts(&r["totals"]), (1, 1, 1), "a one-day report");
    let (_, r) = app.get(&m, &format!("{DIST}?from=2025-01-01&to=2025-12-31")).await;
    assert_eq!(counts(&r["totals"]), (4, 4, 4), "the handout of New Year's Eve belongs to 2024");
    let (_, r) = app.get(&m, &format!("{DIST}?from=2024-12-31&to=2024-12-31")).await;
    assert_eq!(counts(&r["totals"]), (1, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_carries_the_same_rows_as_json() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let druid = hood(&app, &m, "Druid Heights").await;
    let (a, twins) = family_ready(&app, &m, 1, 2, druid, None).await;
    hand_out(&app, &m, a, twins[0]).await;
    hand_out(&app, &m, a, twins[1]).await;
    for group in ["csa", "neighborhood"] {
        let path = format!("{DIST}?group={group}");
        let (_, json_report) = app.get(&m, &path).await;
        let (status, ctype, text) = get_csv(&app, &m, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.starts_with("text/csv"), "{ctype}");
        let header = text.lines().next().expect("header");
        let expected_header = if group == "csa" {
            "csa_id,csa_name,cribs,infants,families"
        } else {
            "csa_id,csa_name,neighborhood_id,neighborhood_name,cribs,infants,families"
        };
        assert_eq!(header, expected_header);
        let columns: Vec<&str> = header.split(',').collect();
        let records = parse_csv(&text);
        let rows = json_report["rows"].as_array().expect("rows");
        assert_eq!(records.len(), rows.len());
        for (record, row) in records.iter().zip(rows) {
            let from_json: Vec<String> = columns.iter().map(|c| cell(&row[*c])).collect();
            assert_eq!(record, &from_json);
        }
    }
    // The CSV of a bad request is still a JSON error.
    let (status, _, text) = get_csv(&app, &m, &format!("{DIST}?from=nope")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("validation_failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_answer_422_with_their_fields() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let cases: [(&str, &[&str]); 8] = [
        ("from=2025-06-01&to=2025-05-31", &["from"]),
        ("site_id=9999", &["site_id"]),
        ("site_id=abc", &["site_id"]),
        ("from=2000-01-01&to=2025-12-31", &["to"]),
        ("from=yesterday&to=2025-02-30", &["from", "to"]),
        ("from=2025-1-1", &["from"]),
        ("group=zip", &["group"]),
        ("from=garbage&site_id=9999&group=zip", &["from", "group", "site_id"]),
    ];
    for (query, fields) in cases {
        let (status, body) = app.get(&m, &format!("{DIST}?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"], "validation_failed", "{query}");
        let got: Vec<&String> = body["fields"].as_object().expect("fields").keys().collect();
        assert_eq!(got, fields, "{query}: {body}");
    }
    // Exactly 20 years is allowed.
    let (status, _) = app.get(&m, &format!("{DIST}?from=2006-01-01&to=2025-12-31")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get(&m, "/api/v1/reports/equity?to=2025-01-01&from=2025-02-01&table=pie").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let got: Vec<&String> = body["fields"].as_object().expect("fields").keys().collect();
    assert_eq!(got, ["from", "table"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_managers_read_reports() {
    let app = TestApp::spawn().await;
    for email in ["staff@demo.cribs", "nurse@demo.cribs"] {
        let t = app.token(email).await;
        for path in [DIST, "/api/v1/reports/equity"] {
            let (status, body) = app.get(&t, path).await;
            assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{email} {path}");
        }
        let b = app.browser_signed_in(email).await;
        for path in ["/reports", "/reports/distribution.csv", "/reports/equity.csv"] {
            let (status, _) = b.get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email} {path}");
        }
    }
    let res = app.http.get(app.url(DIST)).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let admin = app.token("admin@demo.cribs").await;
    let (status, _) = app.get(&admin, DIST).await;
    assert_eq!(status, StatusCode::OK);
    // An empty program still draws its page (every CSA at zero).
    let b = app.browser_signed_in("admin@demo.cribs").await;
    let (status, html) = b.get("/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<title>Cherry Hill: 0 cribs</title>"));
    // The OpenAPI document lists both operations with the CSV content type.
    let (_, doc) = app.get(&admin, "/api/openapi.json").await;
    for path in [DIST, "/api/v1/reports/equity"] {
        let op = &doc["paths"][path]["get"];
        assert!(op["responses"]["200"]["content"]["text/csv"].is_object(), "{path}");
        for code in ["401", "403", "422"] {
            assert!(op["responses"][code].is_object(), "{path} {code}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equity_suppresses_small_cells_but_counts_them_first() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let druid = hood(&app, &m, "Druid Heights").await;
    let cherry = hood(&app, &m, "Cherry Hill").await;
    let mut n = 0;
    let mut ids = Vec::new();
    let plan: [(Option<&str>, i64, usize); 9] = [
        (Some("black"), druid, 1),
        (Some("black"), druid, 1),
        (Some("black"), druid, 1),
        (Some("black"), druid, 1),
        (Some("black"), cherry, 2),
        (Some("white"), cherry, 1),
        (Some("white"), cherry, 1),
        (Some("prefer_not_to_say"), druid, 1),
        (None, druid, 1),
    ];
    for (race, hood_id, babies) in plan {
        n += 1;
        let (fid, infants) = family_ready(&app, &m, 100 + n, babies, hood_id, race).await;
        for iid in infants {
            ids.push(hand_out(&app, &m, fid, iid).await);
        }
    }
    let (status, r) = app.get(&m, "/api/v1/reports/equity").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let rows = r["rows"].as_array().expect("rows");
    let by = |code: Value| rows.iter().find(|row| row["race_ethnicity"] == code).expect("race row").clone();
    // Black: 6 cribs (twins), 6 infants, 5 families — all shown.
    let black = by(json!("black"));
    assert_eq!(
        (black["cribs"].clone(), black["infants"].clone(), black["families"].clone()),
        (json!(6), json!(6), json!(5))
    );
    assert_eq!(black["label"], "Black or African American");
    let white = by(json!("white"));
    assert_eq!((white["cribs"].clone(), white["families"].clone()), (json!("<5"), json!("<5")));
    assert_eq!(by(json!("prefer_not_to_say"))["cribs"], "<5");
    let not_recorded = by(Value::Null);
    assert_eq!((not_recorded["label"].clone(), not_recorded["cribs"].clone()), (json!("Not recorded"), json!("<5")));
    assert_eq!(by(json!("asian"))["cribs"], 0, "zeros are shown");
    assert_eq!(rows.len(), 10, "nine answers and not recorded");
    assert_eq!(r["totals"], json!({"cribs": 10, "infants": 10, "families": 9}));
    // The cross table: black × Upton/Druid Heights = 4 → "<5"; black × Cherry Hill = 2 → "<5".
    let cross = r["by_csa"].as_array().expect("by_csa");
    assert_eq!(cross.len(), 10 * 55);
    let at = |code: Value, csa: i64| {
        cross.iter().find(|c| c["race_ethnicity"] == code && c["csa_id"] == csa).expect("cell")["cribs"].clone()
    };
    assert_eq!(at(json!("black"), DRUID_CSA), json!("<5"));
    assert_eq!(at(json!("white"), CHERRY_CSA), json!("<5"));
    assert_eq!(at(json!("white"), DRUID_CSA), json!(0));
    // One twin's handout stored in Druid Heights' CSA (the family moved between the two):
    // the family counts once in its race/ethnicity and overall, the cells move with the crib.
    handout::Entity::update_many()
        .col_expr(handout::Column::CsaId, Expr::value(DRUID_CSA as i32))
        .filter(handout::Column::Id.eq(ids[4]))
        .exec(&app.db)
        .await
        .expect("move one twin's handout");
    let (_, moved) = app.get(&m, "/api/v1/reports/equity").await;
    let black =
        moved["rows"].as_array().and_then(|r| r.iter().find(|row| row["race_ethnicity"] == "black")).expect("black");
    assert_eq!((black["cribs"].clone(), black["families"].clone()), (json!(6), json!(5)), "{moved}");
    assert_eq!(moved["totals"], json!({"cribs": 10, "infants": 10, "families": 9}));
    let cell_of = |code: &str, csa: i64| {
        moved["by_csa"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["race_ethnicity"] == code && c["csa_id"] == csa))
            .expect("cell")["cribs"]
            .clone()
    };
    assert_eq!(cell_of("black", DRUID_CSA), json!(5), "four singles and one twin");
    assert_eq!(cell_of("black", CHERRY_CSA), json!("<5"), "the other twin");
    handout::Entity::update_many()
        .col_expr(handout::Column::CsaId, Expr::value(CHERRY_CSA as i32))
        .filter(handout::Column::Id.eq(ids[4]))
        .exec(&app.db)
        .await
        .expect("move it back");

    // CSV: the same cells, "<5" included.
    let (status, ctype, text) = get_csv(&app, &m, "/api/v1/reports/equity").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/csv"));
    let records = parse_csv(&text);
    assert_eq!(records.len(), rows.len());
    for (record, row) in records.iter().zip(rows) {
        let from_json: Vec<String> =
            ["race_ethnicity", "label", "cribs", "infants", "families"].iter().map(|c| cell(&row[*c])).collect();
        assert_eq!(record, &from_json);
    }
    let (_, _, text) = get_csv(&app, &m, "/api/v1/reports/equity?table=race_by_csa").await;
    let records = parse_csv(&text);
    assert_eq!(records.len(), cross.len());
    assert!(records.iter().any(|r| r[0] == "white" && r[2] == CHERRY_CSA.to_string() && r[4] == "<5"));
    // Totals that are small are suppressed too: a period holding two handouts.
    place(&app, ids[0], "2025-03-03", (2025, 3, 3, 15, 0)).await;
    place(&app, ids[1], "2025-03-04", (2025, 3, 4, 15, 0)).await;
    let (_, small) = app.get(&m, "/api/v1/reports/equity?from=2025-03-01&to=2025-03-31").await;
    assert_eq!(small["totals"], json!({"cribs": "<5", "infants": "<5", "families": "<5"}));

    // The page shows the same.
    let b = app.browser_signed_in("manager@demo.cribs").await;
    let (_, html) = b.get("/reports").await;
    assert!(html.contains("&lt;5"), "suppressed cells on the page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_page_draws_charts_tables_and_downloads() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let cherry = hood(&app, &m, "Cherry Hill").await;
    let (fid, infants) = family_ready(&app, &m, 1, 2, cherry, Some("black")).await;
    for iid in infants {
        hand_out(&app, &m, fid, iid).await;
    }
    let b = app.browser_signed_in("manager@demo.cribs").await;
    let (status, html) = b.get("/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">Reports</a>"), "the nav links to reports");
    assert_eq!(html.matches("<svg class=\"chart").count(), 4, "map, bars, scatter, months");
    assert_eq!(html.matches("<path d=\"M").count(), 56, "55 CSAs and the jail");
    assert!(html.contains("<title>Cherry Hill: 2 cribs</title>"), "the map says each CSA's value");
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("<caption>"));
    assert!(html.contains("<th scope=\"row\">Cherry Hill</th>"));
    assert!(!html.contains("style="), "no inline styles (CSP)");
    assert!(!html.contains("<script"), "no scripts");
    assert!(html.len() < 400_000, "the page is {} bytes", html.len());
    // Infant mortality beside each CSA: Cherry Hill's latest year with data is 2018.
    let rates = cribs::domain::reports::infant_mortality();
    let cherry_rate = rates.get(&7).expect("Cherry Hill rate");
    assert!(html.contains(&format!("{:.1}", cherry_rate.per_1000)));
    // Every download link on the page answers.
    let links: Vec<String> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&amp;", "&").replace("&#x2F;", "/"))
        .filter(|h| {
            h.starts_with("/reports/") && !h.starts_with("/reports/outcomes") && !h.starts_with("/reports/safe-sleep")
        })
        .collect();
    assert_eq!(links.len(), 6, "{links:?}");
    assert!(html.contains("href=\"/reports/outcomes?from="), "the outcome reports are one link away, same period");
    assert!(html.contains("href=\"/reports/safe-sleep\""), "so is the safe-sleep report");
    for link in &links {
        let (status, body) = b.get(link).await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert!(body.starts_with("<svg") || body.contains(','), "{link}");
    }
    // Downloads.
    let (status, csv_text) = b.get("/reports/distribution.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv_text.starts_with("csa_id,csa_name,cribs,infants,families,infant_mortality_per_1000,infant_mortality_year")
    );
    assert!(csv_text.contains("7,Cherry Hill,2,2,1,"));
    let (status, csv_text) = b.get("/reports/months.csv?from=2025-01-01&to=2025-12-31").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_text.lines().count(), 13);
    let (status, svg) = b.get("/reports/charts/cribs-by-csa.svg").await;
    assert_eq!(status, StatusCode::OK);
    assert!(svg.starts_with("<svg") && svg.contains("Cherry Hill: 2"));
    let (status, _) = b.get("/reports/equity.csv?table=race_by_csa").await;
    assert_eq!(status, StatusCode::OK);
    // The session cookie reads the API too (GET).
    let (status, _) = b.get(DIST).await;
    assert_eq!(status, StatusCode::OK);
    // Neighborhood rows.
    let (status, html) = b.get("/reports?group=neighborhood").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<th scope=\"row\">Middle Branch/Reedbird Parks</th>")
            || html.contains("Middle Branch&#x2F;Reedbird Parks")
    );
    // Refused filters are shown next to their fields, with what was typed.
    let (status, html) = b.get("/reports?from=2025-05-01&to=2025-04-01&site_id=777").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"from-error\""));
    assert!(html.contains("id=\"site-error\""));
    assert!(html.contains("value=\"2025-05-01\""));
}
