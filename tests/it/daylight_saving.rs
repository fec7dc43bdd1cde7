//! Issue 24, the two days New York changes its clocks, on a real `cribs serve` whose clock
//! the test sets (`CRIBS_TEST_CLOCK`, a file the server reads for "now"):
//! - fall back, 2026-11-01: 01:30 happens twice (05:30 and 06:30 UTC) and the day has 25
//!   hours; a hand-out at each 01:30 and at 23:30 that evening (04:30 UTC on the 2nd) is
//!   dated 2026-11-01, counts once in that day's report (and in no other day's), and its
//!   follow-up rounds fall due a month and three months on, on the 1st;
//! - spring forward, 2027-03-14: 02:00–03:00 does not exist; a hold until that day still
//!   holds at 03:30 that morning and has ended, its crib back on the shelf, the next day.

use crate::outages::{call, serve_with, token};
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// A family registered, checked eligible and taught at the server's "now"; (family, infant).
async fn ready(base: &str, staff: &str, n: u32, born: NaiveDate) -> (i64, i64) {
    let body = crate::common::fixtures::family()
        .named("Clock", &format!("Family{n}"))
        .set("/caregiver/phone", json!(format!("410-557-{:04}", 100 + n)))
        .with_infant_born(born)
        .build();
    let res = call(base, staff, "POST", "/api/v1/families", None, body).await;
    let status = res.status();
    let f: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (fid, iid) = (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"));
    let res = call(base, staff, "POST", &format!("/api/v1/families/{fid}/eligibility-checks"), None, json!({})).await;
    let c: Value = res.json().await.expect("json");
    assert_eq!(c["result"], "eligible", "{c}");
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "C F"});
    let res = call(base, staff, "POST", &format!("/api/v1/families/{fid}/education"), None, edu).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    (fid, iid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hand_outs_holds_reports_and_follow_ups_are_right_on_both_clock_change_days() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = dir.path().join("clock");
    let set = |instant: &str| std::fs::write(&clock, instant).expect("set the test clock");
    set("2026-10-31T16:00:00Z");
    let url = format!("sqlite://{}/cribs.db?mode=rwc", dir.path().display());
    let clock_path = clock.display().to_string();
    let server = serve_with(&url, &[("CRIBS_TEST_CLOCK", clock_path.as_str())]).await;
    let base = server.base.as_str();
    let staff = token(base, "staff@demo.cribs").await;
    let manager = token(base, "manager@demo.cribs").await;

    // Fall back: 01:30 EDT (05:30 UTC), then 01:30 EST (06:30 UTC), the same day.
    let mut receipts = Vec::new();
    // And 23:30 EST that evening (04:30 UTC on the 2nd): the day had 25 hours.
    for (n, instant) in [(1, "2026-11-01T05:30:00Z"), (2, "2026-11-01T06:30:00Z"), (3, "2026-11-02T04:30:00Z")] {
        set(instant);
        let (fid, iid) = ready(base, &staff, n, day("2026-10-20")).await;
        let body = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1});
        let res = call(base, &staff, "POST", "/api/v1/handouts", None, body).await;
        let status = res.status();
        let h: Value = res.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "{h}");
        assert_eq!(h["handed_out_on"], "2026-11-01", "the hand-out at {instant}: {h}");
        receipts.push((fid, h));
    }
    for (fid, _) in &receipts {
        let res = call(base, &staff, "GET", &format!("/api/v1/families/{fid}"), None, json!({})).await;
        let rec: Value = res.json().await.expect("json");
        let due: Vec<&str> = rec["follow_ups"]
            .as_array()
            .map(|f| f.iter().filter_map(|r| r["due_on"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(due, ["2026-12-01", "2027-02-01"], "the rounds a month and three months on: {rec}");
    }
    let report = |from: &str, to: &str| format!("/api/v1/reports/distribution-by-neighborhood?from={from}&to={to}");
    let mut counts = Vec::new();
    for (from, to) in [("2026-10-31", "2026-10-31"), ("2026-11-01", "2026-11-01"), ("2026-11-02", "2026-11-02")] {
        let res = call(base, &manager, "GET", &report(from, to), None, json!({})).await;
        let r: Value = res.json().await.expect("json");
        counts.push(r["totals"]["cribs"].as_i64().unwrap_or(-1));
    }
    assert_eq!(counts, [0, 3, 0], "the three hand-outs on 2026-11-01, once each");

    // Spring forward: a hold until 2027-03-14, the day 02:00–03:00 does not exist.
    set("2027-03-08T15:00:00Z");
    let nurse = token(base, "nurse@demo.cribs").await;
    let request = json!({
        "caregiver": {"first_name": "Ana", "last_name": "Springer", "phone": "410-557-0999"},
        "address": {"line1": "1 Clock St", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "enrollments": ["WIC"], "has_safe_sleep_space": false,
        "infant": {"date_of_birth": "2027-03-06"}, "discharge_date": "2027-03-07"
    });
    let res = call(base, &nurse, "POST", "/api/v1/referrals", None, request).await;
    let status = res.status();
    let r: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().expect("id");
    let res = call(
        base,
        &manager,
        "POST",
        &format!("/api/v1/referrals/{id}/accept"),
        None,
        json!({"site_id": 2, "crib_model_id": 1}),
    )
    .await;
    let status = res.status();
    let held: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held["reserved_until"], "2027-03-14", "{held}");
    // A hand-out at 23:30 EDT on the 14th (03:30 UTC on the 15th): the day had 23 hours.
    set("2027-03-15T03:30:00Z");
    let (fid, iid) = ready(base, &staff, 4, day("2027-03-01")).await;
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1});
    let res = call(base, &staff, "POST", "/api/v1/handouts", None, body).await;
    let h: Value = res.json().await.expect("json");
    assert_eq!(h["handed_out_on"], "2027-03-14", "{h}");
    let res = call(base, &manager, "GET", &report("2027-03-14", "2027-03-14"), None, json!({})).await;
    let r: Value = res.json().await.expect("json");
    assert_eq!(r["totals"]["cribs"], 1, "{r}");
    // 03:30 EDT on the 14th (07:30 UTC): still held, the last day.
    set("2027-03-14T07:30:00Z");
    let res = call(base, &nurse, "GET", &format!("/api/v1/referrals/{id}"), None, json!({})).await;
    let now: Value = res.json().await.expect("json");
    assert_eq!(now["status"], "reserved", "still held on its last day: {now}");
    // 00:30 EDT on the 15th (04:30 UTC): the hold has ended, the crib is back.
    set("2027-03-15T04:30:00Z");
    let res = call(base, &nurse, "GET", &format!("/api/v1/referrals/{id}"), None, json!({})).await;
    let after: Value = res.json().await.expect("json");
    assert_eq!(after["status"], "expired", "the hold ended after its last day: {after}");
    let res = call(base, &manager, "GET", "/api/v1/sites", None, json!({})).await;
    let sites: Value = res.json().await.expect("json");
    let reserved = sites
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"] == 2))
        .and_then(|s| s["stock"].as_array().and_then(|st| st.iter().find(|x| x["crib_model_id"] == 1)).cloned())
        .map(|st| st["reserved"].clone());
    assert_eq!(reserved, Some(json!(0)), "{sites}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cribs"))
        .arg("check-ledger")
        .env("DATABASE_URL", &url)
        .output()
        .expect("check-ledger");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("drift 0"), "{text}");
    drop(server);
}
