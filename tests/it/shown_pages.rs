//! Information stored and shown (issue 20): the nurse's home is her hospital's requests
//! with their states in words; the request page shows everything she sent (as sent, never
//! the family's record as it stands) and the eligibility preview in sentences; triage
//! shows and honours her pickup site, delivery choice and note; the site holding a crib
//! says so on the family page and at check-in; staff home lists the transfers to receive;
//! the manager's dashboard says discharges in words; the hand-out form offers the lots the
//! site received and an explicit "no lot number on the box"; the recall lookup counts and
//! lists the hand-outs with no lot where and when the lot was at hand.

use crate::common::fixtures::{days_ago, days_ahead, family, today};
use crate::common::{extract_csrf, TestApp};
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DRUID: i64 = 1;
const CHERRY: i64 = 2;
const WAREHOUSE: i64 = 4;
const MODEL: i64 = 1;

/// A nurse's request body: distinct by `last` (name, caregiver birth date, phone).
fn request(last: &str, n: u32, discharge: NaiveDate) -> Value {
    json!({
        "caregiver": {"first_name": "Ayana", "last_name": last, "date_of_birth": format!("19{}-0{}-1{}", 80 + n, 1 + n % 9, n % 10), "phone": format!("410-555-71{n:02}")},
        "address": {"line1": format!("{} Cherry Hill Rd", 900 + n), "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 3, "annual_income": "15000.00", "enrollments": ["WIC"], "has_safe_sleep_space": false,
        "preferred_language": "es",
        "infant": {"date_of_birth": days_ago(i64::from(n) + 1).to_string()},
        "discharge_date": discharge.to_string(),
        "education_given_in_hospital": true,
        "preferred_site_id": CHERRY,
        "note": format!("Call after 5 pm, request {n}.")
    })
}

async fn submit(app: &TestApp, nurse: &str, body: &Value) -> Value {
    let (status, r) = app.post(nurse, "/api/v1/referrals", body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

/// Where `needle` first appears in `html` (it must).
fn at(html: &str, needle: &str) -> usize {
    html.find(needle).unwrap_or_else(|| panic!("{needle:?} not on the page"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_home_is_her_hospitals_requests_in_words_and_a_request_shows_what_she_sent() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let waiting = submit(&app, &nurse, &request("Waits", 1, days_ahead(2))).await;
    let held = submit(&app, &nurse, &request("Holds", 2, today())).await;
    let declined = submit(&app, &nurse, &request("Declines", 3, days_ago(1))).await;
    let cancelled = submit(&app, &nurse, &request("Cancels", 4, today())).await;
    let lapsed = submit(&app, &nurse, &request("Lapses", 5, days_ago(10))).await;
    let mut home = request("Delivers", 6, today());
    home["preferred_site_id"] = Value::Null;
    home["home_delivery"] = json!(true);
    home["infant"] = json!({"expected_due_date": days_ahead(5).to_string()});
    let delivered = submit(&app, &nurse, &home).await;
    let accept = json!({"site_id": CHERRY, "crib_model_id": MODEL});
    for r in [&held, &lapsed] {
        let (status, body) = app.post(&manager, &format!("/api/v1/referrals/{}/accept", id_of(r)), &accept).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let reason = json!({"reason": "The family already has a crib from the program."});
    let (status, _) = app.post(&manager, &format!("/api/v1/referrals/{}/decline", id_of(&declined)), &reason).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(&nurse, &format!("/api/v1/referrals/{}/cancel", id_of(&cancelled)), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // The hold of one request lapsed yesterday: the next read expires it.
    use sea_orm::ConnectionTrait;
    let yesterday = days_ago(1);
    app.db
        .execute_unprepared(&format!(
            "UPDATE referrals SET reserved_until = '{yesterday}' WHERE id = {}",
            id_of(&lapsed)
        ))
        .await
        .expect("lapse");

    let b = app.browser_signed_in("nurse@demo.cribs").await;
    let (status, page) = b.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Crib stock"), "her home is not the stock table");
    for words in [
        "Waiting for the program to hold a crib (discharge in 2 days).",
        "Crib held at Cherry Hill Community Site until",
        "Declined on",
        "The family already has a crib from the program.",
        "Cancelled on",
        "Expired: the crib held at Cherry Hill Community Site until",
        "home delivery",
    ] {
        assert!(page.contains(words), "{words:?} on the nurse's home:\n{page}");
    }
    // Open ones first, the most urgent first; then the answered ones.
    let (open, answered) = (at(&page, "id=\"open-title\""), at(&page, "id=\"answered-title\""));
    assert!(open < answered);
    let pos = |id: i64| at(&page, &format!("href=\"/requests/{id}\""));
    assert!(pos(id_of(&waiting)) < answered && pos(id_of(&held)) < answered && pos(id_of(&delivered)) < answered);
    assert!(pos(id_of(&declined)) > answered && pos(id_of(&cancelled)) > answered && pos(id_of(&lapsed)) > answered);
    assert!(pos(id_of(&delivered)) < pos(id_of(&waiting)), "discharged today comes before in 2 days");
    assert!(pos(id_of(&waiting)) < pos(id_of(&held)), "discharge in 2 days before a hold that runs a week");
    assert_eq!(app.count_where("referrals", "status = 'expired'").await, 1, "the lapsed hold expired");
    // Another hospital's nurse sees none of it.
    let b2 = app.browser_signed_in("nurse2@demo.cribs").await;
    let (_, other) = b2.get("/").await;
    assert!(!other.contains("Waits") && !other.contains("Holds"), "{other}");
    assert!(other.contains("No requests yet."));

    // A staff member corrects the family's phone: the nurse still reads what she sent.
    let (status, fixed) = app
        .patch(
            &manager,
            &format!("/api/v1/families/{}", waiting["family_id"]),
            &json!({"caregiver": {"phone": "443-555-9999"}, "reason": "The mother gave a new number."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    let (status, one) = b.get(&format!("/requests/{}", id_of(&waiting))).await;
    assert_eq!(status, StatusCode::OK);
    for sent in [
        "Ayana Waits",
        "410-555-7101",
        "901 Cherry Hill Rd, Baltimore, MD 21225",
        "Cherry Hill",
        &format!("born {}", days_ago(2)),
        &format!("{} <span class=\"muted\">(discharge in 2 days)</span>", days_ahead(2)),
        "Pickup at Cherry Hill Community Site",
        "Call after 5 pm, request 1.",
        "Español",
        "Waiting for the program to hold a crib",
    ] {
        assert!(one.contains(sent), "{sent:?} on the request page:\n{one}");
    }
    assert!(!one.contains("443-555-9999"), "never the record as it stands");
    // The preview: one sentence per rule, in a list item of its own.
    let rules = one.matches("<li class=\"rule pass\">").count() + one.matches("<li class=\"rule fail\">").count();
    assert_eq!(rules, 6, "six rules");
    assert!(one.contains("<span class=\"sentence\">"), "each rule's sentence in one element");
    let (_, due) = b.get(&format!("/requests/{}", id_of(&delivered))).await;
    assert!(due.contains("Home delivery") && due.contains(&format!("expected {}", days_ahead(5))), "{due}");
    let (status, _) = b2.get(&format!("/requests/{}", id_of(&waiting))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_shows_the_nurses_pickup_site_delivery_choice_and_note_and_holds_her_site() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let pickup = submit(&app, &nurse, &request("Pickup", 1, today())).await;
    let mut home = request("Homebound", 2, today());
    home["preferred_site_id"] = Value::Null;
    home["home_delivery"] = json!(true);
    home["note"] = json!("Second floor, the bell <b>does not</b> work.");
    submit(&app, &nurse, &home).await;
    let m = app.browser_signed_in("manager@demo.cribs").await;
    let (status, page) = m.get("/triage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Pickup at <strong>Cherry Hill Community Site</strong>"), "{page}");
    assert!(page.contains("Call after 5 pm, request 1."));
    assert!(page.contains("Asks for <strong>home delivery</strong>"));
    assert!(
        page.contains("the bell &lt;b&gt;does not&lt;&#x2F;b&gt; work")
            || page.contains("the bell &lt;b&gt;does not&lt;/b&gt; work")
    );
    // Her pickup site comes chosen (not the first option, which is the biggest stock).
    let form = &page[at(&page, &format!("action=\"/triage/{}/accept\"", id_of(&pickup)))..];
    let form = &form[..at(form, "</form>")];
    assert!(form.contains("<option value=\"2-1\" selected>"), "{form}");
    assert!(form.contains("the nurse&#x27;s choice") || form.contains("the nurse's choice"), "{form}");
    assert_eq!(form.matches(" selected>").count(), 1, "one option chosen");
    // Accepting as offered holds the crib where she asked.
    let accept = format!("/triage/{}/accept", id_of(&pickup));
    let res = m.submit("/triage", &accept, &[("choice", "2-1")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let held = app.count_where("referrals", &format!("id = {} AND reserved_site_id = {CHERRY}", id_of(&pickup))).await;
    assert_eq!(held, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_holding_a_crib_says_so_on_the_family_page_and_at_check_in() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let mut body = request("Heldhere", 7, today());
    body["note"] = json!("The baby's father will pick it up.");
    let r = submit(&app, &nurse, &body).await;
    let (status, acc) = app
        .post(
            &manager,
            &format!("/api/v1/referrals/{}/accept", id_of(&r)),
            &json!({"site_id": CHERRY, "crib_model_id": MODEL}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acc}");
    let until = acc["reserved_until"].as_str().expect("until").to_string();
    let fid = r["family_id"].as_i64().expect("family");
    let sentence = format!("A crib is held here for this family until {until} (request from Johns Hopkins Hospital).");

    let staff2 = app.browser_signed_in("staff2@demo.cribs").await;
    let (status, page) = staff2.get(&format!("/families/{fid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&sentence), "{page}");
    assert!(
        page.contains("The baby&#x27;s father will pick it up.") || page.contains("The baby's father will pick it up.")
    );
    // Check-in: the search result row says so; after a check there today, the queue row too.
    let (_, found) = staff2.get("/checkin?q=Heldhere").await;
    assert_eq!(found.matches(&sentence).count(), 1, "{found}");
    let api2 = app.token("staff2@demo.cribs").await;
    let (status, _) = app.post(&api2, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, both) = staff2.get("/checkin?q=Heldhere").await;
    assert_eq!(both.matches(&sentence).count(), 2, "the result row and the queue row: {both}");
    let (_, queue_only) = staff2.get("/checkin").await;
    assert_eq!(queue_only.matches(&sentence).count(), 1, "the queue row");
    // A manager reads where it is held; another site's staff see only a minimal match.
    let m = app.browser_signed_in("manager@demo.cribs").await;
    let (_, page) = m.get(&format!("/families/{fid}")).await;
    assert!(page.contains("A crib is held at Cherry Hill Community Site for this family until"), "{page}");
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let (_, elsewhere) = staff.get("/checkin?q=Heldhere").await;
    assert!(elsewhere.contains("Registered at another site") && !elsewhere.contains("A crib is held"), "{elsewhere}");
    // The hand-out form there says so too, with the held crib's model chosen.
    let (status, form) = staff2.get(&format!("/families/{fid}/handout?infant_id={}", r["infant_id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&sentence), "{form}");
    assert!(form.contains("name=\"crib_model_id\" value=\"1\" checked>"), "the held model is chosen: {form}");
    assert!(!form.contains("value=\"2\" checked>"), "only that one");
    // Handed out there, the hold is gone and so is the sentence.
    let (status, _) = app
        .post(
            &api2,
            &format!("/api/v1/families/{fid}/education"),
            &json!({"mode": "site", "language": "es",
            "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Ayana Heldhere"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let h = json!({"family_id": fid, "infant_id": r["infant_id"], "site_id": CHERRY, "crib_model_id": MODEL, "lot": "DEMO-2026-01"});
    let (status, out) = app.post(&api2, "/api/v1/handouts", &h).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (_, after) = staff2.get(&format!("/families/{fid}")).await;
    assert!(!after.contains("A crib is held"), "{after}");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_home_lists_the_transfers_waiting_to_be_received_at_their_sites() {
    let app = TestApp::spawn().await;
    let manager = app.token("manager@demo.cribs").await;
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let (_, before) = staff.get("/checkin").await;
    assert!(!before.contains("Cribs on their way here"), "nothing to receive yet");
    let send =
        json!({"from_site_id": WAREHOUSE, "to_site_id": DRUID, "crib_model_id": MODEL, "quantity": 3, "lot": "TR-55"});
    let (status, t) = app.post(&manager, "/api/v1/transfers", &send).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let tid = t["id"].as_i64().or_else(|| t["transfer"]["id"].as_i64()).expect("transfer id");
    let (status, home) = staff.get("/checkin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Cribs on their way here"), "{home}");
    assert!(
        home.contains("<strong>3 cribs</strong>")
            && home.contains("from Central Crib Warehouse")
            && home.contains("lot TR-55")
    );
    assert!(home.contains(&format!("<a href=\"/stock/sites/{DRUID}#incoming\">Receive transfer #{tid}</a>")), "{home}");
    // The link lands where the Receive button is.
    let (status, site) = staff.get(&format!("/stock/sites/{DRUID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(site.contains("id=\"incoming\"") && site.contains(&format!("/stock/transfers/{tid}/receive")));
    // Another site's staff are not told; once received, it is gone.
    let staff2 = app.browser_signed_in("staff2@demo.cribs").await;
    let (_, other) = staff2.get("/checkin").await;
    assert!(!other.contains("Cribs on their way here"));
    let res = staff.submit(&format!("/stock/sites/{DRUID}"), &format!("/stock/transfers/{tid}/receive"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, after) = staff.get("/checkin").await;
    assert!(!after.contains("Cribs on their way here"), "{after}");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_says_discharges_in_words_never_minus_days() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let m = app.browser_signed_in("manager@demo.cribs").await;
    submit(&app, &nurse, &request("Later", 1, days_ahead(2))).await;
    let (status, home) = m.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Oldest: discharge in 2 days."), "{home}");
    assert!(!home.contains("-2 day"), "no negative days");
    assert!(
        home.contains("class=\"dash-figures\"") && !home.contains("class=\"summary\""),
        "the dashboard's own layout"
    );
    submit(&app, &nurse, &request("Today", 2, today())).await;
    let (_, home) = m.get("/").await;
    assert!(home.contains("Oldest: discharged today."), "{home}");
    submit(&app, &nurse, &request("Earlier", 3, days_ago(3))).await;
    let (_, home) = m.get("/").await;
    assert!(home.contains("Oldest: discharged 3 days ago."), "{home}");
}

/// A family at Druid Heights with a passing check and education, ready for a crib.
async fn ready_family(app: &TestApp, token: &str, last: &str) -> (i64, i64) {
    let n = last.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 9000;
    let body = family()
        .named("Kima", last)
        .set("/caregiver/phone", json!(format!("410-55{}-{:04}", n % 10, n)))
        .with_infant_born(days_ago(i64::from(5 + n % 20)))
        .build();
    let (status, f) = app.post(token, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (fid, iid) = (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"));
    let (status, _) = app.post(token, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": format!("Kima {last}")});
    let (status, _) = app.post(token, &format!("/api/v1/families/{fid}/education"), &edu).await;
    assert_eq!(status, StatusCode::CREATED);
    (fid, iid)
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let rest = &html[at(html, &needle) + needle.len()..];
    rest[..rest.find('"').expect("quote")].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hand_out_form_offers_the_lots_received_there_and_an_explicit_no_lot() {
    let app = TestApp::spawn().await;
    let manager = app.token("manager@demo.cribs").await;
    let api = app.token("staff@demo.cribs").await;
    for (site, lot) in [(DRUID, "LOT-HERE"), (CHERRY, "LOT-THERE")] {
        let (status, body) = app
            .post(
                &manager,
                &format!("/api/v1/sites/{site}/receipts"),
                &json!({"crib_model_id": MODEL, "quantity": 5, "lot": lot}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (fid, iid) = ready_family(&app, &api, "Lotless").await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let form_page = format!("/families/{fid}/handout?infant_id={iid}");
    let (status, form) = b.get(&form_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("value=\"lot:LOT-HERE\"") && form.contains("value=\"lot:DEMO-2026-01\""), "{form}");
    assert!(!form.contains("LOT-THERE"), "another site's lot is not offered");
    assert!(form.contains("No lot number on the box"));
    // Each model with its availability beside it, as text a phone shows (not inside a select).
    assert!(form.contains("type=\"radio\" id=\"model-1\""), "{form}");
    assert!(form.contains("<span class=\"available\">29 available</span>"), "{form}");
    let csrf = extract_csrf(&form).expect("csrf");
    let token = hidden(&form, "form_token");
    let iid_s = iid.to_string();
    let base = [
        ("csrf_token", csrf.as_str()),
        ("form_token", token.as_str()),
        ("infant_id", iid_s.as_str()),
        ("site_id", "1"),
        ("crib_model_id", "1"),
    ];
    // No answer about the lot: refused next to the field, nothing written.
    let mut blank = base.to_vec();
    blank.push(("lot", "  "));
    let res = b.post_form(&format!("/families/{fid}/handout/confirm"), &blank).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = res.text().await.expect("html");
    assert!(refused.contains("id=\"err-lot\"") && refused.contains("No lot number on the box"), "{refused}");
    let res = b.post_form(&format!("/families/{fid}/handout"), &blank).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("handouts").await, 0);
    // "No lot number on the box": confirmed in words, recorded as such.
    let mut none = base.to_vec();
    none.extend([("lot_choice", "none"), ("lot", "")]);
    let res = b.post_form(&format!("/families/{fid}/handout/confirm"), &none).await;
    assert_eq!(res.status(), StatusCode::OK);
    let confirm = res.text().await.expect("html");
    assert!(confirm.contains("<strong>no lot number on the box</strong>"), "{confirm}");
    assert!(confirm.contains("name=\"lot_choice\" value=\"none\""));
    let res = b.post_form(&format!("/families/{fid}/handout"), &none).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("handouts", "lot IS NULL AND no_lot_on_box = TRUE").await, 1);
    let (_, record) = b.get(&format!("/families/{fid}")).await;
    assert!(record.contains("no lot number on the box"), "the family's history says so");
    // A listed lot is recorded as the ledger spells it; a listed and another typed is refused.
    let (fid2, iid2) = ready_family(&app, &api, "Listed").await;
    let (_, form2) = b.get(&format!("/families/{fid2}/handout?infant_id={iid2}")).await;
    let token2 = hidden(&form2, "form_token");
    let iid2_s = iid2.to_string();
    let pick = |choice: &'static str, typed: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("form_token", token2.clone()),
            ("infant_id", iid2_s.clone()),
            ("site_id", "1".into()),
            ("crib_model_id", "1".into()),
            ("lot_choice", choice.into()),
            ("lot", typed.into()),
        ]
    };
    let res = b
        .client
        .post(app.url(&format!("/families/{fid2}/handout")))
        .form(&pick("lot:LOT-HERE", "OTHER"))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = b
        .client
        .post(app.url(&format!("/families/{fid2}/handout")))
        .form(&pick("lot:LOT-HERE", ""))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("handouts", "lot = 'LOT-HERE' AND no_lot_on_box = FALSE").await, 1);
    // The API keeps taking a lot string; "no lot on the box" is a flag, not with a lot.
    let (fid3, iid3) = ready_family(&app, &api, "Apilot").await;
    let both = json!({"family_id": fid3, "infant_id": iid3, "site_id": DRUID, "crib_model_id": MODEL, "lot": "X-1", "no_lot_on_box": true});
    let (status, answer) = app.post(&api, "/api/v1/handouts", &both).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["fields"]["lot"].is_array(), "{answer}");
    let plain = json!({"family_id": fid3, "infant_id": iid3, "site_id": DRUID, "crib_model_id": MODEL, "lot": "X-1"});
    let (status, h) = app.post(&api, "/api/v1/handouts", &plain).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["lot"], "X-1");
    assert!(h.get("no_lot_on_box").is_none(), "the answer's shape is unchanged: {h}");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recall_lookup_counts_and_lists_the_hand_outs_with_no_lot_where_the_lot_was() {
    let app = TestApp::spawn().await;
    let manager = app.token("manager@demo.cribs").await;
    let staff = app.token("staff@demo.cribs").await;
    let (status, body) = app
        .post(
            &manager,
            &format!("/api/v1/sites/{DRUID}/receipts"),
            &json!({"crib_model_id": MODEL, "quantity": 10, "lot": "RECALL-9"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hand_out = |fid: i64, iid: i64, extra: Value| {
        let mut b = json!({"family_id": fid, "infant_id": iid, "site_id": DRUID, "crib_model_id": MODEL});
        if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        b
    };
    let (a, ai) = ready_family(&app, &staff, "Withlot").await;
    let (n, ni) = ready_family(&app, &staff, "Notasked").await;
    let (x, xi) = ready_family(&app, &staff, "Nolotbox").await;
    let (m, mi) = ready_family(&app, &staff, "Othermodel").await;
    for (body, _) in [
        (hand_out(a, ai, json!({"lot": "RECALL-9"})), "lot"),
        (hand_out(n, ni, json!({})), "nobody said"),
        (hand_out(x, xi, json!({"no_lot_on_box": true})), "no lot on the box"),
    ] {
        let (status, h) = app.post(&staff, "/api/v1/handouts", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{h}");
    }
    // Another model at the same site, without a lot: not within the lot's reach.
    let other = json!({"family_id": m, "infant_id": mi, "site_id": DRUID, "crib_model_id": 2});
    let (status, h) = app.post(&staff, "/api/v1/handouts", &other).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");

    let b = app.browser_signed_in("manager@demo.cribs").await;
    let (status, page) = b.get("/stock/lots?lot=RECALL-9").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Kima Withlot"), "the family that got the lot");
    assert!(page.contains("<strong>2 hand-outs</strong>"), "{page}");
    assert!(page.contains("(1 marked &ldquo;no lot number on the box&rdquo;, the rest not asked)"), "{page}");
    assert!(!page.contains("Kima Notasked"), "listed only on asking");
    let link = "/stock/lots?lot=RECALL-9&amp;unrecorded=1#unrecorded";
    assert!(page.contains(link), "{page}");
    let audits = app.count_where("audit_events", "action = 'lot.lookup'").await;
    let (status, list) = b.get("/stock/lots?lot=RECALL-9&unrecorded=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Kima Notasked") && list.contains("Kima Nolotbox"), "{list}");
    assert!(!list.contains("Kima Othermodel"), "another model is out of the lot's reach");
    assert!(list.contains("lot not recorded") && list.contains("· no lot number on the box"), "{list}");
    assert_eq!(app.count_where("audit_events", "action = 'lot.lookup'").await, audits + 2, "the lookup and the list");
    // A lot no site received cannot be narrowed; it says so.
    let (_, nowhere) = b.get("/stock/lots?lot=NEVER-RECEIVED").await;
    assert!(nowhere.contains("No site received this lot by the ledger"), "{nowhere}");
}
