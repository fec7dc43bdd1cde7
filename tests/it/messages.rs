//! Messages (issue 21) against a real SMTP server (`common::smtp`, aiosmtpd): the right
//! message reaches the right recipient in the right language, once; none for a family
//! without consent; a mail server that is down is retried with back-off and delivered when
//! it returns; a refused recipient is `failed` with the server's reason, shown on the
//! family's log; a message claimed by a sender that died is sent after its lease ends;
//! two senders at once send each message exactly once; the hold reminder moves when a
//! manager moves the hold and is suppressed when the crib is handed out first (test clock);
//! quiet hours; a low-stock crossing notifies once. Both databases.

use crate::common::smtp::SmtpServer;
use crate::common::{Options, TestApp};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use cribs::mail::sender::{run_once, Pass};
use cribs::mail::Mailer;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use serde_json::{json, Value};

const CHERRY: i64 = 2;
const MODEL: i64 = 1;
const NURSE: &str = "nurse@demo.cribs";

/// An app whose mail goes to a test SMTP server, and a sender the test drives with its
/// own clock (the app's own sender is off: `cribs_outbox_poll_seconds` 0).
struct Mail {
    app: TestApp,
    smtp: SmtpServer,
    mailer: Mailer,
}

fn mailer_for(smtp_url: &str) -> Mailer {
    let figment = rocket::figment::Figment::new()
        .merge(("cribs_smtp_url", smtp_url))
        .merge(("cribs_mail_from", "Crib program <cribs@cribs.test>"))
        .merge(("cribs_public_url", "https://cribs.test"))
        .merge(("cribs_program_phone", "410-555-0100"));
    let settings = cribs::config::Settings::from_figment(&figment).expect("settings");
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mail-templates");
    Mailer::from_settings(&settings, &templates).expect("a mailer")
}

impl Mail {
    async fn start() -> Mail {
        let smtp = SmtpServer::start().await;
        let app =
            TestApp::spawn_with(Options { settings: vec![("cribs_smtp_url", smtp.url())], ..Default::default() }).await;
        let mailer = mailer_for(&smtp.url());
        Mail { app, smtp, mailer }
    }

    /// One pass of the sender at `now`.
    async fn pass(&self, now: DateTime<Utc>) -> Pass {
        run_once(&self.app.db, &self.mailer, "test-sender", now).await.expect("a pass")
    }

    async fn rows(&self, condition: &str) -> Vec<Row> {
        let backend = self.app.db.get_database_backend();
        let sql = format!(
            "SELECT id, dedupe_key, kind, status, attempts, last_error, not_before FROM messages WHERE {condition} ORDER BY id"
        );
        Row::find_by_statement(Statement::from_string(backend, sql)).all(&self.app.db).await.expect("messages")
    }

    async fn one(&self, key: &str) -> Row {
        let rows = self.rows(&format!("dedupe_key = '{key}'")).await;
        assert_eq!(rows.len(), 1, "one message {key}: {rows:?}");
        rows.into_iter().next().expect("one")
    }
}

/// A message row as the tests read it (all of it shows in a failing assertion's `{:?}`).
#[derive(Debug, FromQueryResult)]
#[allow(dead_code)]
struct Row {
    id: i64,
    dedupe_key: String,
    kind: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    not_before: DateTime<Utc>,
}

/// A weekday afternoon in New York (not in quiet hours), some days from now.
fn afternoon(days: i64) -> DateTime<Utc> {
    let d = cribs::clock::today() + Duration::days(days);
    let at = cribs::clock::from_new_york(d, chrono::NaiveTime::from_hms_opt(14, 0, 0).expect("14:00")).expect("exists");
    // NOTE: never before the messages the test just wrote (their time is the real clock's):
    // run after 14:00 New York, 14:00 today is already past. A run between 20:00 and midnight
    // New York still meets the families' quiet hours (see the closing note of issue 24).
    at.max(cribs::clock::now() + Duration::seconds(1))
}

fn request(last: &str, phone: &str, language: &str) -> Value {
    json!({
        "caregiver": {"first_name": "Lucía", "last_name": last, "phone": phone,
            "date_of_birth": format!("19{}-03-{:02}", 70 + phone.len() % 20, 1 + phone.bytes().map(u32::from).sum::<u32>() % 28)},
        "address": {"line1": "900 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "preferred_language": language,
        "infant": {"date_of_birth": crate::common::fixtures::days_ago(1).to_string()},
        "discharge_date": crate::common::fixtures::today().to_string(),
        "education_given_in_hospital": true,
        "preferred_site_id": CHERRY
    })
}

/// A nurse's request for a new family; returns (request id, family id).
async fn submitted(app: &TestApp, last: &str, phone: &str, language: &str) -> (i64, i64) {
    let nurse = app.token(NURSE).await;
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request(last, phone, language)).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    (r["id"].as_i64().expect("id"), r["family_id"].as_i64().expect("family"))
}

async fn consent(app: &TestApp, family: i64, email: &str, language: &str) {
    let manager = app.token("manager@demo.cribs").await;
    let (status, c) = app
        .post(&manager, &format!("/api/v1/families/{family}/consent"), &json!({"email": email, "language": language}))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["active"], true);
}

async fn accept(app: &TestApp, id: i64) -> Value {
    let manager = app.token("manager@demo.cribs").await;
    let (status, r) = app
        .post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": CHERRY, "crib_model_id": MODEL}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn an_accepted_request_reaches_the_nurse_and_the_consenting_family_in_its_language_once() {
    let m = Mail::start().await;
    let (with, family) = submitted(&m.app, "Núñez", "410-555-7101", "es").await;
    let (without, _) = submitted(&m.app, "Okafor", "410-555-7102", "en").await;
    consent(&m.app, family, "lucia.nunez@example.org", "es").await;
    accept(&m.app, with).await;
    accept(&m.app, without).await;
    let now = afternoon(0);
    let pass = m.pass(now).await;
    assert_eq!(pass.sent, 3, "two nurse messages and one family message: {pass:?}");

    let nurse = m.smtp.to(NURSE);
    assert_eq!(nurse.len(), 2, "the nurse hears of both requests");
    let expected_id = format!("<referral.{with}.accepted@cribs.test>");
    let first = nurse
        .iter()
        .find(|r| r.header("Message-ID").as_deref() == Some(expected_id.as_str()))
        .expect("about the first");
    assert!(first.text().contains(&format!("Request #{with}")), "names the request: {}", first.text());
    assert!(first.text().contains("Cherry Hill"), "where: {}", first.text());
    assert!(!first.text().contains("Núñez"), "no family name in a nurse's e-mail");
    assert!(first.header("From").is_some_and(|f| f.contains("cribs@cribs.test")));

    let family_mail = m.smtp.to("lucia.nunez@example.org");
    assert_eq!(family_mail.len(), 1, "the family with consent hears once");
    let text = family_mail[0].text();
    assert!(text.contains("cuna"), "in Spanish: {text}");
    assert!(text.contains("Lucía"), "greeted by name: {text}");
    assert!(text.contains("https://cribs.test/messages/unsubscribe/"), "with the unsubscribe link");
    assert!(family_mail[0].header("List-Unsubscribe").is_some());
    assert_eq!(m.smtp.received().len(), 3, "nobody else: the family without consent got nothing");

    // Again: nothing more (each message once).
    let again = m.pass(now + Duration::minutes(5)).await;
    assert_eq!(again.sent, 0);
    assert_eq!(m.smtp.received().len(), 3);
    // The family's log says it was sent.
    let manager = m.app.token("manager@demo.cribs").await;
    let (_, log) = m.app.get(&manager, &format!("/api/v1/families/{family}/messages")).await;
    let ready = log["messages"].as_array().and_then(|a| a.iter().find(|x| x["kind"] == "crib_ready")).cloned();
    assert_eq!(ready.map(|r| r["status"].clone()), Some(json!("sent")), "{log}");
    let audited =
        m.app.count_where("audit_events", &format!("action = 'family.consent' AND entity_id = {family}")).await;
    assert_eq!(audited, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn a_mail_server_that_is_down_is_retried_with_back_off_and_delivered_when_it_returns() {
    let mut m = Mail::start().await;
    let (id, _) = submitted(&m.app, "Down", "410-555-7103", "en").await;
    accept(&m.app, id).await;
    m.smtp.down();
    let now = afternoon(0);
    let pass = m.pass(now).await;
    assert_eq!((pass.sent, pass.retried), (0, 1), "{pass:?}");
    let row = m.one(&format!("referral:{id}:accepted")).await;
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert!(row.last_error.as_deref().is_some_and(|e| !e.is_empty()), "the failure is kept: {row:?}");
    assert_eq!(row.not_before, now + Duration::minutes(1), "one minute after the first failure");
    // Still down a minute later: the second wait is two minutes.
    let pass = m.pass(now + Duration::minutes(1)).await;
    assert_eq!(pass.retried, 1);
    let row = m.one(&format!("referral:{id}:accepted")).await;
    assert_eq!((row.attempts, row.not_before), (2, now + Duration::minutes(3)));
    // Not due yet: nothing claimed.
    assert_eq!(m.pass(now + Duration::minutes(2)).await.claimed, 0);
    m.smtp.up().await;
    let pass = m.pass(now + Duration::minutes(3)).await;
    assert_eq!(pass.sent, 1, "{pass:?}");
    assert_eq!(m.smtp.to(NURSE).len(), 1);
    assert_eq!(m.one(&format!("referral:{id}:accepted")).await.status, "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn a_refused_recipient_fails_with_the_servers_reason_shown_on_the_familys_log() {
    let m = Mail::start().await;
    let (id, family) = submitted(&m.app, "Refused", "410-555-7104", "en").await;
    consent(&m.app, family, "reject.me@example.org", "en").await;
    accept(&m.app, id).await;
    let pass = m.pass(afternoon(0)).await;
    assert_eq!((pass.sent, pass.failed), (1, 1), "the nurse's goes, the family's is refused: {pass:?}");
    let row = m.one(&format!("referral:{id}:ready:family")).await;
    assert_eq!(row.status, "failed", "a permanent refusal is not retried");
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("550") || e.contains("mailbox unavailable")),
        "{row:?}"
    );
    let staff = m.app.token("manager@demo.cribs").await;
    let (_, log) = m.app.get(&staff, &format!("/api/v1/families/{family}/messages")).await;
    let failed = log["messages"].as_array().and_then(|a| a.iter().find(|x| x["status"] == "failed")).cloned();
    assert!(failed.is_some_and(|f| f["reason"].as_str().is_some_and(|r| r.contains("mailbox unavailable"))), "{log}");
    // A manager sends it again (audited); it fails again, the same way.
    let (status, again) = m.app.post(&staff, &format!("/api/v1/messages/{}/retry", row.id), &json!({})).await;
    assert_eq!((status, again["status"].as_str()), (StatusCode::OK, Some("pending")), "{again}");
    assert_eq!(m.app.count_where("audit_events", "action = 'message.retry'").await, 1);
    let (status, _) = m.app.post(&staff, &format!("/api/v1/messages/{}/retry", row.id), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a pending message is not retried");
    // Failed messages are listed for managers; staff may not see the outbox.
    let (_, failed) = m.app.get(&staff, "/api/v1/messages?status=pending").await;
    assert!(failed.as_array().is_some_and(|a| a.iter().any(|x| x["id"] == row.id)));
    let staff_token = m.app.token("staff@demo.cribs").await;
    let (status, _) = m.app.get(&staff_token, "/api/v1/messages").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = m.app.get(&staff, "/api/v1/messages?status=lost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn the_hold_reminder_moves_with_the_hold_and_is_suppressed_when_the_crib_is_handed_out_first() {
    let m = Mail::start().await;
    let (id, family) = submitted(&m.app, "Reminder", "410-555-7105", "en").await;
    consent(&m.app, family, "reminder@example.org", "en").await;
    let r = accept(&m.app, id).await;
    let until: NaiveDate = r["reserved_until"].as_str().and_then(|d| d.parse().ok()).expect("until");
    let reminder = format!("referral:{id}:reminder:family");
    let ending = format!("referral:{id}:hold-ending");
    assert_eq!(m.one(&reminder).await.not_before, cribs::domain::messages::reminder_at(until));
    // A manager holds the crib three days longer: both scheduled messages move, no new row.
    let manager = m.app.token("manager@demo.cribs").await;
    let later = until + Duration::days(3);
    let (status, moved) =
        m.app.post(&manager, &format!("/api/v1/referrals/{id}/hold"), &json!({"until": later.to_string()})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["reserved_until"], later.to_string());
    assert_eq!(m.one(&reminder).await.not_before, cribs::domain::messages::reminder_at(later));
    assert_eq!(m.one(&ending).await.not_before, cribs::domain::messages::reminder_at(later));
    assert_eq!(m.app.count_where("audit_events", &format!("action = 'referral.hold' AND entity_id = {id}")).await, 1);
    // A hold into the past is refused with a sentence, and changes nothing.
    let (status, body) =
        m.app.post(&manager, &format!("/api/v1/referrals/{id}/hold"), &json!({"until": "2020-01-01"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(m.one(&reminder).await.not_before, cribs::domain::messages::reminder_at(later));
    // Today's pass sends what is due now, not the reminders.
    m.pass(afternoon(0)).await;
    assert_eq!(m.one(&reminder).await.status, "pending");
    // The crib is handed out before the reminder's day.
    let staff2 = m.app.token("staff2@demo.cribs").await;
    let infant = m.app.get(&manager, &format!("/api/v1/referrals/{id}")).await.1["infant_id"].clone();
    let (_, c) = m.app.post(&staff2, &format!("/api/v1/families/{family}/eligibility-checks"), &json!({})).await;
    assert_eq!(c["result"], "eligible", "{c}");
    let (status, h) = m
        .app
        .post(
            &staff2,
            "/api/v1/handouts",
            &json!({"family_id": family, "infant_id": infant, "site_id": CHERRY, "crib_model_id": MODEL, "referral_id": id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    // On the reminder's day: suppressed, saying why; the nurse hears of the handout.
    let at = cribs::domain::messages::reminder_at(later) + Duration::minutes(1);
    m.pass(at).await;
    let row = m.one(&reminder).await;
    assert_eq!(row.status, "suppressed");
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("handed out")), "{row:?}");
    assert_eq!(m.one(&ending).await.status, "suppressed");
    assert_eq!(m.one(&format!("referral:{id}:handed-out")).await.status, "sent");
    assert_eq!(m.smtp.to("reminder@example.org").len(), 1, "the family got the 'ready' message only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn quiet_hours_hold_family_messages_until_eight_and_a_withdrawn_consent_suppresses_them() {
    let m = Mail::start().await;
    let (id, family) = submitted(&m.app, "Quiet", "410-555-7106", "en").await;
    consent(&m.app, family, "quiet@example.org", "en").await;
    accept(&m.app, id).await;
    // 21:30 in New York: the nurse's goes, the family's waits for 08:00 (no try counted).
    let day = cribs::clock::today();
    let late = cribs::clock::from_new_york(day, chrono::NaiveTime::from_hms_opt(21, 30, 0).expect("t")).expect("t");
    let pass = m.pass(late).await;
    assert_eq!((pass.sent, pass.quiet), (1, 1), "{pass:?}");
    let row = m.one(&format!("referral:{id}:ready:family")).await;
    let eight =
        cribs::clock::from_new_york(day + Duration::days(1), chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("t"))
            .expect("t");
    assert_eq!((row.status.as_str(), row.attempts, row.not_before), ("pending", 0, eight));
    // The family withdraws (staff record it): the waiting message is suppressed at once.
    let staff = m.app.token("manager@demo.cribs").await;
    let (status, c) = m.app.post(&staff, &format!("/api/v1/families/{family}/consent/withdraw"), &json!({})).await;
    assert_eq!((status, c["active"].as_bool()), (StatusCode::OK, Some(false)), "{c}");
    let row = m.one(&format!("referral:{id}:ready:family")).await;
    assert_eq!(row.status, "suppressed");
    assert!(m.app.count_where("audit_events", "action = 'family.consent_withdrawn'").await >= 1);
    m.pass(eight).await;
    assert!(m.smtp.to("quiet@example.org").is_empty(), "nothing reached the family");
    // Withdrawing again: nothing to withdraw.
    let (status, _) = m.app.post(&staff, &format!("/api/v1/families/{family}/consent/withdraw"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn a_message_claimed_by_a_sender_that_died_is_sent_once_its_lease_ends() {
    let m = Mail::start().await;
    let (id, _) = submitted(&m.app, "Lease", "410-555-7107", "en").await;
    accept(&m.app, id).await;
    let now = afternoon(0);
    // A sender claims the message and dies before it sends (nothing finishes it).
    let claimed = cribs::store::outbox::claim(&m.app.db, "dead-sender", now, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(m.pass(now + Duration::seconds(30)).await.claimed, 0, "the lease still holds");
    let after = now + Duration::seconds(cribs::store::outbox::LEASE_SECONDS + 1);
    let pass = m.pass(after).await;
    assert_eq!(pass.sent, 1, "{pass:?}");
    assert_eq!(m.smtp.to(NURSE).len(), 1, "delivered once");
    // The dead sender cannot record anything over the new owner's result.
    let late = cribs::store::outbox::finish(
        &m.app.db,
        claimed[0].id,
        "dead-sender",
        after,
        cribs::store::outbox::Finish::Failed("late".into()),
    )
    .await
    .expect("finish");
    assert!(!late);
    assert_eq!(m.one(&format!("referral:{id}:accepted")).await.status, "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn two_senders_at_once_send_each_message_exactly_once() {
    let m = Mail::start().await;
    let (id, _) = submitted(&m.app, "Twice", "410-555-7108", "en").await;
    accept(&m.app, id).await;
    // Forty more messages about the same held request, each its own key.
    let backend = m.app.db.get_database_backend();
    let now = cribs::clock::now();
    for i in 0..40 {
        let mut sql = format!(
            "INSERT INTO messages (dedupe_key, kind, user_id, referral_id, language, status, not_before, attempts, created_at, updated_at) \
             SELECT 'load:{i}', 'request_accepted', created_by, id, 'en', 'pending', '{t}', 0, '{t}', '{t}' FROM referrals WHERE id = {id}",
            t = now.format("%Y-%m-%d %H:%M:%S%.6f+00:00")
        );
        if backend == sea_orm::DbBackend::Postgres {
            sql = sql.replace("+00:00'", "+00:00'::timestamptz");
        }
        m.app.db.execute_unprepared(&sql).await.expect("a message");
    }
    let at = afternoon(0).max(now + Duration::seconds(1));
    let mut total = 0;
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            run_once(&m.app.db, &m.mailer, "sender-a", at),
            run_once(&m.app.db, &m.mailer, "sender-b", at)
        );
        let (a, b) = (a.expect("a"), b.expect("b"));
        total += a.sent + b.sent;
        if a.claimed + b.claimed == 0 {
            break;
        }
    }
    assert_eq!(total, 41);
    let received = m.smtp.to(NURSE);
    let mut ids: Vec<String> = received.iter().filter_map(|r| r.header("Message-ID")).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!((n, ids.len()), (41, 41), "each message once");
    assert_eq!(m.rows("status <> 'sent' AND kind = 'request_accepted'").await.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn a_site_falling_to_its_threshold_notifies_each_manager_once_per_crossing() {
    let m = Mail::start().await;
    let manager = m.app.token("manager@demo.cribs").await;
    // Cherry Hill, model 1: set the threshold to what is available now minus one.
    let (_, sites) = m.app.get(&manager, "/api/v1/sites").await;
    let stock = sites
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"] == CHERRY))
        .and_then(|s| s["stock"].as_array().and_then(|a| a.iter().find(|x| x["crib_model_id"] == MODEL)).cloned())
        .expect("stock");
    let available = stock["available"].as_i64().expect("available");
    assert!(available >= 3, "{stock}");
    let (status, t) = m
        .app
        .post(
            &manager,
            &format!("/api/v1/sites/{CHERRY}/thresholds"),
            &json!({"crib_model_id": MODEL, "low_stock_threshold": available - 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    // Two holds: the first crosses (available - 1 = threshold), the second does not.
    for (last, phone) in [("Low", "410-555-7109"), ("Lower", "410-555-7110")] {
        let (id, _) = submitted(&m.app, last, phone, "en").await;
        accept(&m.app, id).await;
    }
    let notices = m.rows("kind = 'stock_low'").await;
    let managers = m.app.count_where("users", "role = 'program_manager' AND active").await;
    assert_eq!(notices.len() as i64, managers, "one per manager for the one crossing: {notices:?}");
    m.pass(afternoon(0)).await;
    let mail = m.smtp.to("manager@demo.cribs");
    let low: Vec<_> = mail.iter().filter(|r| r.text().contains("Cherry Hill")).collect();
    assert_eq!(low.len(), 1, "{mail:?}");
    assert!(low[0].text().contains(&format!("{}", available - 2)), "available now: {}", low[0].text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_mail_server_messages_wait_and_say_so() {
    let app = TestApp::spawn().await;
    let (id, _) = submitted(&app, "NoServer", "410-555-7111", "en").await;
    accept(&app, id).await;
    let mailer = {
        let settings = cribs::config::Settings::from_figment(&rocket::figment::Figment::new()).expect("settings");
        let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mail-templates");
        Mailer::from_settings(&settings, &templates).expect("a mailer")
    };
    assert!(!mailer.configured());
    let pass = run_once(&app.db, &mailer, "test", afternoon(0)).await.expect("pass");
    assert_eq!(pass.claimed, 0);
    let manager = app.token("manager@demo.cribs").await;
    let (_, list) = app.get(&manager, "/api/v1/messages?status=pending").await;
    let accepted = list.as_array().and_then(|a| a.iter().find(|x| x["kind"] == "request_accepted")).cloned();
    assert_eq!(
        accepted.map(|a| a["reason"].clone()),
        Some(json!(cribs::store::outbox::NO_SERVER)),
        "kept, and saying why: {list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_input_is_checked_with_sentences_and_nothing_is_kept() {
    let app = TestApp::spawn().await;
    let (_, family) = submitted(&app, "Input", "410-555-7112", "en").await;
    let manager = app.token("manager@demo.cribs").await;
    for (body, field) in [
        (json!({"email": "not an address"}), "email"),
        (json!({"email": "a@example.org", "language": "fr"}), "language"),
        (json!({"email": "a@example.org\u{7}"}), "email"),
    ] {
        let (status, e) = app.post(&manager, &format!("/api/v1/families/{family}/consent"), &body).await;
        assert!(status.is_client_error(), "{body}: {status} {e}");
        assert!(e["message"].as_str().is_some_and(|s| s.len() > 10), "{e}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(e["fields"][field].is_array(), "{e}");
        }
    }
    assert_eq!(app.count("message_consents").await, 0);
    // Staff of another site cannot record consent for a family they cannot see.
    let staff = app.token("staff@demo.cribs").await;
    let (status, _) =
        app.post(&staff, &format!("/api/v1/families/{family}/consent"), &json!({"email": "a@example.org"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn each_morning_managers_get_a_digest_and_staff_the_calls_due_once_a_day() {
    let m = Mail::start().await;
    // A request waiting since three days ago, and a follow-up call due today at a staff site.
    let (id, _) = submitted(&m.app, "Waiting", "410-555-7113", "en").await;
    let backend = m.app.db.get_database_backend();
    let three_days_ago = (cribs::clock::now() - Duration::days(3)).format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string();
    let cast = if backend == sea_orm::DbBackend::Postgres { "::timestamptz" } else { "" };
    m.app
        .db
        .execute_unprepared(&format!("UPDATE referrals SET created_at = '{three_days_ago}'{cast} WHERE id = {id}"))
        .await
        .expect("backdate");
    let staff_id = m.app.user_id("staff@demo.cribs").await;
    let today = cribs::clock::today();
    // Owed a call: a round a week past due and not answered on the link.
    let owed = cribs::domain::survey::calls_due_by(today);
    let due = m
        .app
        .db
        .execute_unprepared(&format!(
            "UPDATE follow_ups SET due_on = '{owed}', status = 'due' WHERE id IN (SELECT f.id FROM follow_ups f \
             JOIN user_sites us ON us.site_id = f.site_id WHERE us.user_id = {staff_id} ORDER BY f.id LIMIT 2)"
        ))
        .await
        .expect("due")
        .rows_affected();
    // NOTE: the demo data may hold no hand-out at the staff member's site; then make one.
    if due == 0 {
        let staff = m.app.token("staff@demo.cribs").await;
        let body = crate::common::fixtures::family()
            .named("Morning", "Call")
            .with_infant_born(crate::common::fixtures::days_ago(10))
            .build();
        let (_, f) = m.app.post(&staff, "/api/v1/families", &body).await;
        let fid = f["id"].as_i64().expect("family");
        m.app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
        let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "M Call"});
        m.app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
        let site = m.app.get(&staff, "/api/v1/me").await.1["sites"][0]["id"].clone();
        let (status, h) = m
            .app
            .post(
                &staff,
                "/api/v1/handouts",
                &json!({"family_id": fid, "infant_id": f["infant_ids"][0], "site_id": site, "crib_model_id": MODEL}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{h}");
        m.app
            .db
            .execute_unprepared(&format!("UPDATE follow_ups SET due_on = '{owed}' WHERE handout_id = {}", h["id"]))
            .await
            .expect("due");
    }
    // 06:59 New York: not yet. 07:00: written; again at 07:30: not written twice.
    let at = |h: u32, mi: u32| {
        cribs::clock::from_new_york(today, chrono::NaiveTime::from_hms_opt(h, mi, 0).expect("t")).expect("t")
    };
    let mut last = None;
    cribs::mail::sender::morning_if_due(&m.app.db, at(6, 59), &mut last).await.expect("morning");
    assert_eq!(m.rows("kind IN ('manager_digest', 'calls_due')").await.len(), 0);
    cribs::mail::sender::morning_if_due(&m.app.db, at(7, 0), &mut last).await.expect("morning");
    let written = m.rows("kind IN ('manager_digest', 'calls_due')").await.len();
    assert!(written >= 2, "a digest per manager and the staff member's list");
    let mut fresh = None;
    cribs::mail::sender::morning_if_due(&m.app.db, at(7, 30), &mut fresh).await.expect("again");
    assert_eq!(m.rows("kind IN ('manager_digest', 'calls_due')").await.len(), written, "one of each a day");
    m.pass(at(7, 31)).await;
    let digest: Vec<_> = m
        .smtp
        .to("manager@demo.cribs")
        .into_iter()
        .filter(|r| r.header("Message-ID").is_some_and(|i| i.starts_with("<manager.digest.")))
        .collect();
    assert_eq!(digest.len(), 1);
    assert!(!digest[0].text().contains("requests_waiting"), "no codes in words");
    let calls: Vec<_> = m
        .smtp
        .to("staff@demo.cribs")
        .into_iter()
        .filter(|r| r.header("Message-ID").is_some_and(|i| i.starts_with("<calls.due.")))
        .collect();
    assert_eq!(calls.len(), 1, "the staff member's list");
    assert!(calls[0].text().contains("/follow-ups"), "links to the calls: {}", calls[0].text());
}

/// A family handed a crib at Druid Heights a month ago, with a named baby: (family, hand-out, link token).
async fn a_month_after_the_crib(app: &TestApp, last: &str, language: &str, baby: &str) -> (i64, i64, String) {
    let staff = app.token("staff@demo.cribs").await;
    let mut body = crate::common::fixtures::family()
        .named("Survey", last)
        .set("/preferred_language", json!(language))
        .set("/caregiver/phone", json!(format!("410-555-{:04}", 3000 + last.len())))
        .with_infant_born(crate::common::fixtures::days_ago(10 + last.bytes().map(i64::from).sum::<i64>() % 40))
        .build();
    body["infants"][0]["name"] = json!(baby);
    body["confirm_not_duplicate"] = json!(true);
    let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (fid, iid) = (f["id"].as_i64().expect("family"), f["infant_ids"][0].as_i64().expect("infant"));
    app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    let edu = json!({"mode": "site", "language": language, "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "S F"});
    app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
    let (status, h) = app
        .post(
            &staff,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": MODEL}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let hid = h["id"].as_i64().expect("handout");
    let today = cribs::clock::today();
    let on = today.checked_sub_months(chrono::Months::new(1)).expect("a month ago");
    for sql in [
        format!("UPDATE handouts SET handed_out_on = '{on}' WHERE id = {hid}"),
        format!(
            "UPDATE follow_ups SET due_on = '{}' WHERE handout_id = {hid} AND round_months = 1",
            cribs::domain::survey::due_on(on, 1)
        ),
        format!(
            "UPDATE follow_ups SET due_on = '{}' WHERE handout_id = {hid} AND round_months = 3",
            cribs::domain::survey::due_on(on, 3)
        ),
    ] {
        app.db.execute_unprepared(&sql).await.expect("a month ago");
    }
    let token = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT survey_token FROM handouts WHERE id = {hid}"),
        ))
        .await
        .expect("q")
        .expect("row")
        .try_get_by_index::<String>(0)
        .expect("token");
    (fid, hid, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consenting_family_is_invited_to_its_survey_round_once_and_not_after_answering() {
    let m = Mail::start().await;
    let (lola, _, lola_token) = a_month_after_the_crib(&m.app, "Invited", "es", "Lola María").await;
    consent(&m.app, lola, "lola.family@example.org", "es").await;
    let (ann, _, ann_token) = a_month_after_the_crib(&m.app, "Answered", "en", "Ann").await;
    consent(&m.app, ann, "ann.family@example.org", "en").await;
    // A family without consent is not written to at all.
    let (_, _, _) = a_month_after_the_crib(&m.app, "Unasked", "en", "Ned").await;

    let today = cribs::clock::today();
    let at = |h: u32, mi: u32| {
        cribs::clock::from_new_york(today, chrono::NaiveTime::from_hms_opt(h, mi, 0).expect("t")).expect("t")
    };
    let mut last = None;
    cribs::mail::sender::morning_if_due(&m.app.db, at(7, 0), &mut last).await.expect("morning");
    let invitations = m.rows("kind = 'survey_due'").await;
    assert_eq!(invitations.len(), 2, "one per consenting family's open round: {invitations:?}");
    assert!(invitations.iter().all(|r| r.not_before == at(9, 0)), "sent at 09:00 on the due date");
    let mut again = None;
    cribs::mail::sender::morning_if_due(&m.app.db, at(7, 30), &mut again).await.expect("again");
    assert_eq!(m.rows("kind = 'survey_due'").await.len(), 2, "once per round");

    // Ann answers on her link before nine: her invitation is not sent.
    let res = reqwest::Client::new()
        .post(m.app.url(&format!("/s/{ann_token}")))
        .form(&[("answers[position]", "back")])
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), StatusCode::OK);
    m.pass(at(9, 1)).await;
    let to_lola = m.smtp.to("lola.family@example.org");
    assert_eq!(to_lola.len(), 1);
    assert!(to_lola[0].text().contains("cómo duerme Lola"), "in Spanish, the first name: {}", to_lola[0].text());
    assert!(
        to_lola[0].text().contains(&format!("https://cribs.test/s/{lola_token}")),
        "her link: {}",
        to_lola[0].text()
    );
    assert!(!to_lola[0].text().contains("María"), "the first name only");
    assert!(m.smtp.to("ann.family@example.org").is_empty(), "answered first: not asked again");
    let ann_row = m.rows(&format!("kind = 'survey_due' AND family_id = {ann}")).await;
    assert_eq!(ann_row[0].status, "suppressed");
    assert!(ann_row[0].last_error.as_deref().is_some_and(|e| e.contains("no longer waiting")), "{ann_row:?}");
}
