//! Outcome reports: known records in, exact numbers out — education by mode and language
//! with ABCD, eligibility by result and failures by rule, the referral funnel with its
//! median days and expired holds, follow-ups by status with the families' answers, stock
//! per site per New York month (a movement at 23:59 on a month's last day stays in that
//! month) with the running balance equal to the ledger; CSV equal to JSON; bad parameters
//! (422 with fields, nothing written); roles; the page and the manager's dashboard.

use crate::common::fixtures::{days_ago, family, today};
use crate::common::TestApp;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use cribs::entity::{follow_up, stock_movement};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

const DRUID: i64 = 1;
const CHERRY: i64 = 2;
const MODEL: i64 = 1;

fn education(mode: &str, language: &str) -> Value {
    json!({"mode": mode, "language": language, "topics": ["alone", "back", "crib", "no_smoking", "no_soft_bedding"], "caregiver_attestation": "A Parent"})
}

/// Register a family with `infants` babies, check each, educate; returns (family, infants).
async fn ready(app: &TestApp, token: &str, n: usize, infants: usize, mode: &str, language: &str) -> (i64, Vec<i64>) {
    let mut b = family()
        .named("Outcome", &format!("Family{n}"))
        .set("/caregiver/phone", json!(format!("410-555-{:04}", 3000 + n)));
    for _ in 0..infants {
        b = b.with_infant_born(days_ago(10));
    }
    let (status, created) = app.post(token, "/api/v1/families", &b.build()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("id");
    let ids: Vec<i64> = created["infant_ids"].as_array().expect("infants").iter().filter_map(Value::as_i64).collect();
    for iid in &ids {
        let (status, c) =
            app.post(token, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({"infant_id": iid})).await;
        assert_eq!((status, c["result"].as_str()), (StatusCode::CREATED, Some("eligible")), "{c}");
    }
    let (status, e) = app.post(token, &format!("/api/v1/families/{fid}/education"), &education(mode, language)).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    (fid, ids)
}

async fn hand_out(app: &TestApp, token: &str, fid: i64, iid: i64, site: i64) -> i64 {
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": site, "crib_model_id": MODEL});
    let (status, h) = app.post(token, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    h["id"].as_i64().expect("handout id")
}

fn period() -> String {
    format!("from={}&to={}", days_ago(40), today())
}

/// The share with this key in a list of shares: (count, percent).
fn share(list: &Value, key: &str) -> (i64, Option<f64>) {
    let s = list
        .as_array()
        .and_then(|a| a.iter().find(|s| s["key"] == key))
        .unwrap_or_else(|| panic!("no {key} in {list}"));
    (s["count"].as_i64().expect("count"), s["percent"].as_f64())
}

async fn get_csv(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let res =
        app.http.get(app.url(path)).bearer_auth(token).header("Accept", "text/csv").send().await.expect("GET csv");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().expect("header").iter().map(str::to_string).collect();
    let rows = r.records().map(|r| r.expect("record").iter().map(str::to_string).collect()).collect();
    (header, rows)
}

fn pct(v: &Value) -> String {
    v.as_f64().map(|p| format!("{p:.1}")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn education_eligibility_and_follow_ups_count_what_happened() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let s = app.token("staff@demo.cribs").await;
    // One baby taught at the site in English; twins taught at home in Spanish.
    let (a, a_inf) = ready(&app, &s, 1, 1, "site", "en").await;
    let (b, b_inf) = ready(&app, &s, 2, 2, "home_visit", "es").await;
    let ha = hand_out(&app, &s, a, a_inf[0], DRUID).await;
    hand_out(&app, &s, b, b_inf[0], DRUID).await;
    hand_out(&app, &s, b, b_inf[1], DRUID).await;
    // A voided handout (taught by video) counts nowhere.
    let (v, v_inf) = ready(&app, &s, 3, 1, "video", "en").await;
    let hv = hand_out(&app, &s, v, v_inf[0], DRUID).await;
    let (status, _) = app.post(&m, &format!("/api/v1/handouts/{hv}/void"), &json!({"reason": "entered twice"})).await;
    assert_eq!(status, StatusCode::OK);
    // A family that is not eligible on two rules: high income, no program, a safe crib at home.
    let body = family()
        .named("Outcome", "NotEligible")
        .set("/caregiver/phone", json!("410-555-3999"))
        .set("/annual_income", json!("250000.00"))
        .set("/enrollments", json!([]))
        .set("/has_safe_sleep_space", json!(true))
        .with_infant_born(days_ago(5))
        .build();
    let (status, c) = app.post(&s, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, check) = app.post(&s, &format!("/api/v1/families/{}/eligibility-checks", c["id"]), &json!({})).await;
    assert_eq!((status, check["result"].as_str()), (StatusCode::CREATED, Some("ineligible")), "{check}");

    let (status, e) = app.get(&m, &format!("/api/v1/reports/education?{}", period())).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["handouts"], 3, "twins are two cribs; the void is out: {e}");
    assert_eq!(share(&e["by_mode"], "site"), (1, Some(33.3)));
    assert_eq!(share(&e["by_mode"], "home_visit"), (2, Some(66.7)));
    assert_eq!(share(&e["by_mode"], "video"), (0, Some(0.0)), "the voided handout's video education is out");
    assert_eq!(share(&e["by_mode"], "hospital_discharge"), (0, Some(0.0)));
    assert_eq!(e["by_mode"].as_array().map(Vec::len), Some(4), "every mode, no 'not recorded' row: {e}");
    assert_eq!(share(&e["by_language"], "en"), (1, Some(33.3)));
    assert_eq!(share(&e["by_language"], "es"), (2, Some(66.7)));
    assert_eq!((e["all_abcd"]["count"].as_i64(), e["all_abcd"]["percent"].as_f64()), (Some(3), Some(100.0)));
    // A site with none of these handouts has zeros and no percentages.
    let (_, e2) = app.get(&m, &format!("/api/v1/reports/education?{}&site_id={CHERRY}", period())).await;
    assert_eq!(e2["handouts"], 0);
    assert_eq!(share(&e2["by_mode"], "site"), (0, None));

    let (status, el) = app.get(&m, &format!("/api/v1/reports/eligibility?{}", period())).await;
    assert_eq!(status, StatusCode::OK, "{el}");
    assert_eq!(el["checks"], 5, "one check per infant (twins: two), the voided family's, the failed one: {el}");
    assert_eq!(el["families"], 4);
    assert_eq!(share(&el["by_result"], "eligible"), (4, Some(80.0)));
    assert_eq!(share(&el["by_result"], "ineligible"), (1, Some(20.0)));
    assert_eq!(share(&el["failures_by_rule"], "income_or_enrollment"), (1, Some(100.0)));
    assert_eq!(share(&el["failures_by_rule"], "no_safe_sleep_space"), (1, Some(100.0)));
    assert_eq!(share(&el["failures_by_rule"], "age_window"), (0, Some(0.0)));
    assert_eq!(el["failures_by_rule"].as_array().map(Vec::len), Some(6), "every rule has a row");
    assert_eq!(el["handouts_by_override"], 0);
    // The checks were run at Druid Heights: Cherry Hill has none.
    let (_, el2) = app.get(&m, &format!("/api/v1/reports/eligibility?{}&site_id={CHERRY}", period())).await;
    assert_eq!(el2["checks"], 0, "{el2}");

    // Follow-ups: reach family A (crib in use, on the back); one of the twins' is overdue.
    let fu_a = follow_up::Entity::find()
        .filter(follow_up::Column::HandoutId.eq(ha))
        .filter(follow_up::Column::RoundMonths.eq(1))
        .one(&app.db)
        .await
        .expect("q")
        .expect("a follow-up");
    let call = json!({"reached": true, "answers": {"crib_in_use": "yes", "position": "back", "bed_sharing": "always"}});
    let (status, r) = app.post(&s, &format!("/api/v1/follow-ups/{}/calls", fu_a.id), &call).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let twin = follow_up::Entity::find()
        .filter(follow_up::Column::Status.eq("due"))
        .filter(follow_up::Column::RoundMonths.eq(1))
        .order_by_asc(follow_up::Column::Id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("a due follow-up");
    follow_up::Entity::update_many()
        .col_expr(follow_up::Column::DueOn, Expr::value(days_ago(8)))
        .filter(follow_up::Column::Id.eq(twin.id))
        .exec(&app.db)
        .await
        .expect("make it overdue");
    let (_, due) = app.get(&s, "/api/v1/follow-ups").await;
    let due = due.as_array().expect("due list");
    assert_eq!(due.len(), 1, "only the twin's round, a week past due, is owed a call: {due:?}");
    assert_eq!((due[0]["caregiver"].as_str(), due[0]["id"].as_i64()), (Some("Outcome Family2"), Some(twin.id)));
    let (status, f) = app.get(&m, &format!("/api/v1/reports/follow-ups?{}", period())).await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["follow_ups"], 6, "two rounds per live hand-out; the voided hand-out's are out: {f}");
    assert_eq!(share(&f["by_status"], "completed"), (1, Some(16.7)));
    assert_eq!(share(&f["by_status"], "due"), (5, Some(83.3)));
    assert_eq!(share(&f["by_status"], "lost_to_follow_up"), (0, Some(0.0)));
    assert_eq!(f["overdue"], 1);
    assert_eq!(f["reached"], 1);
    let answer =
        |q: &str| f["answers"].as_array().and_then(|a| a.iter().find(|x| x["question"] == q)).cloned().expect("answer");
    assert_eq!(answer("crib_in_use")["yes"], 1);
    assert_eq!(answer("crib_in_use")["percent_yes"], 100.0);
    assert_eq!(answer("back_sleep")["yes"], 1);
    assert_eq!(answer("no_bed_sharing")["no"], 1, "always shares a bed");
    assert_eq!(answer("no_soft_objects")["not_answered"], 1, "skipped");

    // CSV = JSON, table by table.
    let (status, text) = get_csv(&app, &m, &format!("/api/v1/reports/education?{}&table=by_mode", period())).await;
    assert_eq!(status, StatusCode::OK);
    let (header, rows) = parse_csv(&text);
    assert_eq!(header, ["mode", "label", "handouts", "percent"]);
    let json_rows: Vec<Vec<String>> = e["by_mode"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|s| {
            vec![
                s["key"].as_str().unwrap_or("").to_string(),
                s["label"].as_str().unwrap_or("").to_string(),
                s["count"].to_string(),
                pct(&s["percent"]),
            ]
        })
        .collect();
    assert_eq!(rows, json_rows);
    let (_, text) =
        get_csv(&app, &m, &format!("/api/v1/reports/eligibility?{}&table=failures_by_rule", period())).await;
    let (_, rows) = parse_csv(&text);
    let income = rows.iter().find(|r| r[0] == "income_or_enrollment").expect("income row");
    assert_eq!((income[2].as_str(), income[3].as_str()), ("1", "100.0"));
    let (_, text) = get_csv(&app, &m, &format!("/api/v1/reports/follow-ups?{}&table=answers", period())).await;
    let (header, rows) = parse_csv(&text);
    assert_eq!(header, ["question", "label", "yes", "no", "not_answered", "percent_yes"]);
    assert_eq!(rows[0], ["back_sleep", "Laid on the back to sleep", "1", "0", "0", "100.0"]);
    assert_eq!(rows[1], ["crib_in_use", "The program's crib is in use", "1", "0", "0", "100.0"]);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referral_funnel_counts_holds_handouts_and_days_waited() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let m = app.token("manager@demo.cribs").await;
    let staff2 = app.token("staff2@demo.cribs").await;
    let submit = |last: &'static str, phone: &'static str| {
        let body = json!({
            "caregiver": {"first_name": "Maya", "last_name": last, "date_of_birth": format!("19{}-06-01", 70 + last.bytes().map(u32::from).sum::<u32>() % 30), "phone": phone},
            "address": {"line1": "900 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
            "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
            "preferred_language": "en", "infant": {"date_of_birth": days_ago(1).to_string()},
            "discharge_date": today().to_string(), "education_given_in_hospital": true, "preferred_site_id": CHERRY
        });
        let app = &app;
        let nurse = &nurse;
        async move {
            let (status, r) = app.post(nurse, "/api/v1/referrals", &body).await;
            assert_eq!(status, StatusCode::CREATED, "{r}");
            r
        }
    };
    let fulfilled = submit("Funnel", "410-555-7101").await;
    let lapsed = submit("Lapsed", "410-555-7102").await;
    let declined = submit("Declined", "410-555-7103").await;
    let _waiting = submit("Waiting", "410-555-7104").await;
    let accept = |id: i64| {
        let app = &app;
        let m = &m;
        async move {
            let (status, r) = app
                .post(m, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": CHERRY, "crib_model_id": MODEL}))
                .await;
            assert_eq!(status, StatusCode::OK, "{r}");
        }
    };
    let id = |r: &Value| r["id"].as_i64().expect("id");
    accept(id(&fulfilled)).await;
    accept(id(&lapsed)).await;
    let (status, _) = app
        .post(&m, &format!("/api/v1/referrals/{}/decline", id(&declined)), &json!({"reason": "family moved away"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // The family picks the crib up; its discharge was 3 days ago.
    let fid = fulfilled["family_id"].as_i64().expect("family");
    let (_, c) = app.post(&staff2, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(c["result"], "eligible", "{c}");
    let body = json!({"family_id": fid, "infant_id": fulfilled["infant_id"], "site_id": CHERRY, "crib_model_id": MODEL, "referral_id": id(&fulfilled)});
    let (status, h) = app.post(&staff2, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let three_days_ago = days_ago(3);
    app.db
        .execute_unprepared(&format!(
            "UPDATE referrals SET discharge_date = '{three_days_ago}' WHERE id = {}",
            id(&fulfilled)
        ))
        .await
        .expect("discharged earlier");
    // The other hold lapses; the report sees it expired (the stored state is settled first).
    app.db
        .execute_unprepared(&format!("UPDATE referrals SET reserved_until = '2020-01-01' WHERE id = {}", id(&lapsed)))
        .await
        .expect("lapse");

    // The lists read in batches still pair each request with its own family and sites.
    let (_, list) = app.get(&nurse, "/api/v1/referrals").await;
    let mut seen: Vec<(String, String, Option<String>)> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|r| {
            (
                r["caregiver"].as_str().unwrap_or("").to_string(),
                r["status"].as_str().unwrap_or("").to_string(),
                r["reserved_site"]["name"].as_str().map(str::to_string),
            )
        })
        .collect();
    seen.sort();
    let cherry = Some("Cherry Hill Community Site".to_string());
    assert_eq!(
        seen,
        [
            ("Maya Declined".to_string(), "declined".to_string(), None),
            ("Maya Funnel".to_string(), "fulfilled".to_string(), cherry.clone()),
            ("Maya Lapsed".to_string(), "expired".to_string(), cherry),
            ("Maya Waiting".to_string(), "submitted".to_string(), None),
        ]
    );
    let (status, r) = app.get(&m, &format!("/api/v1/reports/referrals?{}", period())).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(share(&r["funnel"], "submitted"), (4, Some(100.0)));
    assert_eq!(share(&r["funnel"], "reserved"), (2, Some(50.0)), "the lapsed hold was a hold: {r}");
    assert_eq!(share(&r["funnel"], "fulfilled"), (1, Some(25.0)));
    assert_eq!(share(&r["by_status"], "expired"), (1, Some(25.0)));
    assert_eq!(share(&r["by_status"], "declined"), (1, Some(25.0)));
    assert_eq!(share(&r["by_status"], "submitted"), (1, Some(25.0)));
    assert_eq!(share(&r["by_status"], "reserved"), (0, Some(0.0)));
    assert_eq!(r["expired_holds"], 1);
    assert_eq!(r["median_days_to_handout"], 3.0);
    assert_eq!(r["handouts_timed"], 1);
    // Johns Hopkins (site 5) sent them all; Druid Heights neither sent nor held any.
    let (_, r5) = app.get(&m, &format!("/api/v1/reports/referrals?{}&site_id=5", period())).await;
    assert_eq!(share(&r5["funnel"], "submitted"), (4, Some(100.0)));
    let (_, r1) = app.get(&m, &format!("/api/v1/reports/referrals?{}&site_id={DRUID}", period())).await;
    assert_eq!(share(&r1["funnel"], "submitted"), (0, None));
    assert!(r1["median_days_to_handout"].is_null());
    // A period before the discharges has none.
    let (_, old) = app.get(&m, "/api/v1/reports/referrals?from=2020-01-01&to=2020-12-31").await;
    assert_eq!(share(&old["funnel"], "submitted"), (0, None));

    let (_, text) = get_csv(&app, &m, &format!("/api/v1/reports/referrals?{}&table=timing", period())).await;
    let (header, rows) = parse_csv(&text);
    assert_eq!(header, ["measure", "label", "value"]);
    assert_eq!(rows[0][2], "3");
    assert_eq!(rows[2], ["expired_holds", "Holds that expired", "1"]);
    app.assert_no_drift().await;
}

/// A site's row for a month in the stock report.
fn site_month<'a>(report: &'a Value, site: i64, month: &str) -> &'a Value {
    report["by_site_month"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["site_id"] == site && r["month"] == month))
        .unwrap_or_else(|| panic!("no row for site {site} in {month}: {report}"))
}

fn month_key(d: NaiveDate) -> String {
    format!("{}-{:02}", d.year(), d.month())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_by_site_and_month_follows_the_ledger_in_new_york_time() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let s = app.token("staff@demo.cribs").await;
    let first_this = NaiveDate::from_ymd_opt(today().year(), today().month(), 1).expect("first");
    let last_prev = first_this - Duration::days(1);
    let q =
        format!("from={}&to={}", NaiveDate::from_ymd_opt(last_prev.year(), last_prev.month(), 1).expect("d"), today());
    let (status, before) = app.get(&m, &format!("/api/v1/reports/stock?{q}")).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let this = month_key(today());
    let prev = month_key(last_prev);
    let b = site_month(&before, DRUID, &this).clone();

    let (status, r) =
        app.post(&m, &format!("/api/v1/sites/{DRUID}/receipts"), &json!({"crib_model_id": MODEL, "quantity": 7})).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, r) = app
        .post(
            &m,
            &format!("/api/v1/sites/{DRUID}/adjustments"),
            &json!({"crib_model_id": MODEL, "delta": -2, "reason": "damaged", "note": "two torn"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, r) = app
        .post(
            &m,
            "/api/v1/transfers",
            &json!({"from_site_id": DRUID, "to_site_id": CHERRY, "crib_model_id": MODEL, "quantity": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (f, inf) = ready(&app, &s, 1, 1, "site", "en").await;
    hand_out(&app, &s, f, inf[0], DRUID).await;

    let (_, after) = app.get(&m, &format!("/api/v1/reports/stock?{q}")).await;
    let a = site_month(&after, DRUID, &this);
    let delta = |k: &str| a[k].as_i64().unwrap_or(0) - b[k].as_i64().unwrap_or(0);
    assert_eq!(
        (delta("received"), delta("adjusted"), delta("transferred_out"), delta("handed_out"), delta("on_hand_at_end")),
        (7, -2, 3, 1, 7 - 2 - 3 - 1),
        "{a}"
    );
    // The month's end balance is the ledger's balance now.
    let (_, sites) = app.get(&m, "/api/v1/sites").await;
    let on_hand: i64 = sites
        .as_array()
        .and_then(|x| x.iter().find(|s| s["id"] == DRUID))
        .and_then(|s| s["stock"].as_array())
        .map(|st| st.iter().map(|x| x["on_hand"].as_i64().unwrap_or(0)).sum())
        .expect("stock");
    assert_eq!(a["on_hand_at_end"], on_hand);
    let now = after["now"].as_array().and_then(|x| x.iter().find(|r| r["site_id"] == DRUID)).expect("now row");
    assert_eq!((now["on_hand"].as_i64(), now["in_transit_out"].as_i64()), (Some(on_hand), Some(3)));
    let in_transit =
        |r: &Value, month: &str| site_month(r, CHERRY, month)["in_transit_in_at_end"].as_i64().unwrap_or(-1);
    assert_eq!(in_transit(&after, &this) - in_transit(&before, &this), 3, "on the way to Cherry Hill at the end");
    assert_eq!(in_transit(&after, &prev), in_transit(&before, &prev), "not yet sent last month");
    let cherry_now = after["now"].as_array().and_then(|x| x.iter().find(|r| r["site_id"] == CHERRY)).expect("now row");
    assert_eq!(cherry_now["in_transit_in"], 3);

    // Move the receipt to 23:59 on last month's last day, New York time: it is last month's.
    let receipt = stock_movement::Entity::find()
        .filter(stock_movement::Column::SiteId.eq(DRUID))
        .filter(stock_movement::Column::Kind.eq("receipt"))
        .filter(stock_movement::Column::Quantity.eq(7))
        .one(&app.db)
        .await
        .expect("q")
        .expect("the receipt");
    let late = chrono_tz::America::New_York
        .from_local_datetime(&last_prev.and_hms_opt(23, 59, 0).expect("t"))
        .single()
        .expect("instant")
        .with_timezone(&chrono::Utc);
    stock_movement::Entity::update_many()
        .col_expr(stock_movement::Column::CreatedAt, Expr::value(late))
        .filter(stock_movement::Column::Id.eq(receipt.id))
        .exec(&app.db)
        .await
        .expect("move the receipt");
    let (_, moved) = app.get(&m, &format!("/api/v1/reports/stock?{q}")).await;
    let p_before = site_month(&after, DRUID, &prev);
    let p_after = site_month(&moved, DRUID, &prev);
    assert_eq!(p_after["received"].as_i64().unwrap_or(0) - p_before["received"].as_i64().unwrap_or(0), 7);
    assert_eq!(p_after["on_hand_at_end"].as_i64().unwrap_or(0) - p_before["on_hand_at_end"].as_i64().unwrap_or(0), 7);
    assert_eq!(site_month(&moved, DRUID, &this)["on_hand_at_end"], on_hand, "the end balance is unchanged");
    // A long period (months found by a nested CASE) puts every movement in the same month.
    let long_from = NaiveDate::from_ymd_opt(today().year() - 3, 1, 1).expect("d");
    let (_, long) = app.get(&m, &format!("/api/v1/reports/stock?from={long_from}&to={}", today())).await;
    for month in [&prev, &this] {
        for site in [DRUID, CHERRY] {
            assert_eq!(site_month(&long, site, month), site_month(&moved, site, month), "{month} at {site}");
        }
    }
    let months: std::collections::BTreeSet<String> = long["by_site_month"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["month"].as_str().map(str::to_string))
        .collect();
    assert_eq!(months.len() as u32, 36 + today().month(), "every month from {long_from}");
    // One minute later it is this month's again.
    let next = late + Duration::minutes(1);
    stock_movement::Entity::update_many()
        .col_expr(stock_movement::Column::CreatedAt, Expr::value(next))
        .filter(stock_movement::Column::Id.eq(receipt.id))
        .exec(&app.db)
        .await
        .expect("move it on");
    let (_, back) = app.get(&m, &format!("/api/v1/reports/stock?{q}")).await;
    assert_eq!(site_month(&back, DRUID, &this)["received"], a["received"]);

    // One site only; CSV = JSON.
    let (_, one) = app.get(&m, &format!("/api/v1/reports/stock?{q}&site_id={DRUID}")).await;
    assert_eq!(one["by_site_month"].as_array().map(Vec::len), Some(2), "one site, two months: {one}");
    let (status, text) = get_csv(&app, &m, &format!("/api/v1/reports/stock?{q}&site_id={DRUID}")).await;
    assert_eq!(status, StatusCode::OK);
    let (header, rows) = parse_csv(&text);
    assert_eq!(header[..3], ["site_id", "site_name", "month"]);
    for (row, j) in rows.iter().zip(one["by_site_month"].as_array().expect("rows")) {
        let from_json: Vec<String> = header
            .iter()
            .map(|k| match &j[k.as_str()] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        assert_eq!(row, &from_json);
    }
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_and_roles_are_refused_with_reasons() {
    let app = TestApp::spawn().await;
    let m = app.token("manager@demo.cribs").await;
    let s = app.token("staff@demo.cribs").await;
    let audit_before = app.count("audit_events").await;
    for report in ["education", "eligibility", "referrals", "follow-ups", "stock"] {
        let path = format!("/api/v1/reports/{report}");
        let (status, body) =
            app.get(&m, &format!("{path}?from=2026-05-01&to=2026-04-01&site_id=9999&table=nope")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}: {body}");
        for field in ["from", "site_id", "table"] {
            assert!(
                body["fields"][field][0].as_str().is_some_and(|m| m.len() > 10),
                "{report}: {field} explained: {body}"
            );
        }
        let (status, body) = app.get(&m, &format!("{path}?from=1990-01-01&to=2026-01-01")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}: over 20 years: {body}");
        let (status, body) = app.get(&m, &format!("{path}?from=0001-01-01")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}: year 1: {body}");
        let (status, body) = app.get(&m, &format!("{path}?site_id=99999999999999999999999")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}: huge id: {body}");
        let (status, _) = app.get(&s, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{report}: staff may not");
        let (status, _) = app.get("", &path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{report}: anonymous");
        let (status, body) = app.get(&m, &path).await;
        assert_eq!(status, StatusCode::OK, "{report}: the defaults (this calendar year): {body}");
        assert_eq!(body["from"], format!("{}-01-01", today().year()));
    }
    assert_eq!(app.count("audit_events").await, audit_before, "reading reports writes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_every_section_and_the_dashboard_compares_months() {
    let app = TestApp::spawn().await;
    let s = app.token("staff@demo.cribs").await;
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, home) = manager.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Cribs handed out this month"), "{home}");
    let count_this_month = |html: &str| -> i64 {
        let at = html.find("Cribs handed out this month").expect("the figure");
        let rest = &html[at..];
        let big = rest.find("class=\"big\">").expect("big number") + "class=\"big\">".len();
        rest[big..].split('<').next().and_then(|n| n.trim().parse().ok()).expect("a number")
    };
    let before = count_this_month(&home);
    // A family whose name looks hostile; its crib moves this month's figure by one.
    let body = family()
        .named("<script>alert(1)</script>", "O'Brien-Núñez")
        .set("/caregiver/phone", json!("410-555-3111"))
        .with_infant_born(days_ago(3))
        .build();
    let (status, f) = app.post(&s, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("id");
    let iid = f["infant_ids"][0].as_i64().expect("infant");
    let (status, _) = app.post(&s, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.post(&s, &format!("/api/v1/families/{fid}/education"), &education("site", "en")).await;
    assert_eq!(status, StatusCode::CREATED);
    hand_out(&app, &s, fid, iid, DRUID).await;
    let (_, home) = manager.get("/").await;
    assert_eq!(count_this_month(&home), before + 1);
    for link in ["/triage", "/follow-ups", "/reports/outcomes#referrals", "/reports/outcomes#stock"] {
        assert!(home.contains(&format!("href=\"{link}\"")), "the dashboard links to {link}");
    }

    let (status, page) = manager.get(&format!("/reports/outcomes?{}", period())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for heading in [
        "Safe-sleep education",
        "Eligibility checks",
        "Hospital requests",
        "Follow-up calls",
        "Stock by site and month",
    ] {
        assert!(page.contains(heading), "section {heading}");
    }
    assert!(page.contains("<svg class=\"chart\""), "the funnel and modes charts");
    assert!(!page.contains("<script>alert"), "nothing unescaped");
    // Each table's download link answers with the CSV the API gives.
    let links: Vec<String> = page
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with("/reports/outcomes/"))
        .map(|h| h.replace("&amp;", "&"))
        .collect();
    let tables: usize = cribs::store::outcomes::Outcome::ALL.iter().map(|o| o.table_keys().len()).sum();
    assert_eq!(links.len(), tables, "every table has a download: {links:?}");
    for link in &links {
        let (status, text) = manager.get(link).await;
        assert_eq!(status, StatusCode::OK, "{link}");
        let api = link.replace("/reports/outcomes/", "/api/v1/reports/").replace(".csv?", "?");
        let m = app.token("manager@demo.cribs").await;
        let (status, from_api) = get_csv(&app, &m, &api).await;
        assert_eq!(status, StatusCode::OK, "{api}");
        assert_eq!(text, from_api, "{link} = {api}");
    }
    let (status, bad) = manager.get("/reports/outcomes?from=2026-13-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("is not a date"), "{bad}");
    let (status, _) = manager.get("/reports/outcomes/nothing.csv").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = manager.get("/reports/outcomes/stock.csv?table=nope").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
