//! Real `cribs serve` processes sending mail to a real SMTP server (`common::smtp`): a
//! server killed with SIGKILL after a message was committed, before it was sent, leaves it
//! to the next server, which sends it once; two servers sending from one database send each
//! message exactly once (on PostgreSQL the claims skip each other's locked rows).

use crate::common::smtp::SmtpServer;
use crate::common::TestApp;
use crate::processes::start_with_env;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::time::Duration;

const NURSE: &str = "nurse@demo.cribs";

/// A held request (the nurse's, accepted at Cherry Hill), through the test app's API.
async fn held_request(app: &TestApp, last: &str, phone: &str) -> i64 {
    let nurse = app.token(NURSE).await;
    let body = json!({
        "caregiver": {"first_name": "Ana", "last_name": last, "date_of_birth": "1990-01-0".to_string() + &phone[phone.len() - 1..], "phone": phone},
        "address": {"line1": "900 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "preferred_language": "en",
        "infant": {"date_of_birth": crate::common::fixtures::days_ago(1).to_string()},
        "discharge_date": crate::common::fixtures::today().to_string(),
        "education_given_in_hospital": true,
        "preferred_site_id": 2
    });
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r["id"].as_i64().expect("id")
}

/// The environment of a server that sends mail, looking every `poll` seconds.
fn mailing(smtp: &SmtpServer, poll: u64) -> Vec<(&'static str, String)> {
    vec![
        ("CRIBS_SMTP_URL", smtp.url()),
        ("CRIBS_MAIL_FROM", "Crib program <cribs@cribs.test>".into()),
        ("CRIBS_OUTBOX_POLL_SECONDS", poll.to_string()),
    ]
}

/// Wait until `done` says yes (at most 30 s).
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn message_ids(smtp: &SmtpServer, prefix: &str) -> Vec<String> {
    smtp.to(NURSE).iter().filter_map(|r| r.header("Message-ID")).filter(|m| m.starts_with(prefix)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn a_server_killed_after_the_commit_leaves_the_message_to_the_next_one_which_sends_it_once() {
    let app = TestApp::spawn().await;
    let smtp = SmtpServer::start().await;
    let secret = cribs::auth::token::random_secret_key();
    let id = held_request(&app, "Killed", "410-555-7201").await;
    // Server A sends mail, but its sender has just looked and sleeps for an hour.
    let mut a = start_with_env(&app, Some(&secret), None, &mailing(&smtp, 3600)).await;
    let manager = crate::processes::token_at(&a.base, "manager@demo.cribs").await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/referrals/{id}/accept", a.base))
        .bearer_auth(&manager)
        .json(&json!({"site_id": 2, "crib_model_id": 1}))
        .send()
        .await
        .expect("accept");
    assert_eq!(res.status(), StatusCode::OK, "the acceptance committed");
    a.child.kill().expect("SIGKILL");
    let _ = a.child.wait();
    assert!(message_ids(&smtp, &format!("<referral.{id}.")).is_empty(), "nothing was sent before the kill");
    // Server B starts, and its sender finds the message.
    let _b = start_with_env(&app, Some(&secret), None, &mailing(&smtp, 1)).await;
    let accepted = format!("<referral.{id}.accepted@");
    until(|| !message_ids(&smtp, &accepted).is_empty()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(message_ids(&smtp, &accepted).len(), 1, "delivered once");
    let sent = app.count_where("messages", &format!("dedupe_key = 'referral:{id}:accepted' AND status = 'sent'")).await;
    assert_eq!(sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn two_servers_on_one_database_send_each_message_exactly_once() {
    let app = TestApp::spawn().await;
    let smtp = SmtpServer::start().await;
    let id = held_request(&app, "Twice", "410-555-7202").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, r) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    // Sixty messages about the held request, each its own key, due now.
    let backend = app.db.get_database_backend();
    let now = cribs::clock::now().format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string();
    let cast = if backend == sea_orm::DbBackend::Postgres { "::timestamptz" } else { "" };
    for i in 0..60 {
        let sql = format!(
            "INSERT INTO messages (dedupe_key, kind, user_id, referral_id, language, status, not_before, attempts, created_at, updated_at) \
             SELECT 'twice:{i}', 'request_accepted', created_by, id, 'en', 'pending', '{now}'{cast}, 0, '{now}'{cast}, '{now}'{cast} FROM referrals WHERE id = {id}"
        );
        app.db.execute_unprepared(&sql).await.expect("a message");
    }
    let secret = cribs::auth::token::random_secret_key();
    let env = mailing(&smtp, 1);
    let (_a, _b) =
        tokio::join!(start_with_env(&app, Some(&secret), None, &env), start_with_env(&app, Some(&secret), None, &env));
    until(|| message_ids(&smtp, "<twice.").len() >= 60).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut ids = message_ids(&smtp, "<twice.");
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!((n, ids.len()), (60, 60), "each of the sixty once");
    assert_eq!(app.count_where("messages", "dedupe_key LIKE 'twice:%' AND status = 'sent'").await, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn a_hold_that_lapses_while_nobody_looks_is_expired_by_the_sender_and_the_nurse_hears_of_it() {
    let app = TestApp::spawn().await;
    let smtp = SmtpServer::start().await;
    let id = held_request(&app, "Lapsed", "410-555-7203").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, r) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    // The hold ended yesterday, and no page or API call reads the request.
    let yesterday = cribs::clock::today() - chrono::Duration::days(1);
    app.db
        .execute_unprepared(&format!("UPDATE referrals SET reserved_until = '{yesterday}' WHERE id = {id}"))
        .await
        .expect("lapse");
    let secret = cribs::auth::token::random_secret_key();
    let _server = start_with_env(&app, Some(&secret), None, &mailing(&smtp, 1)).await;
    let expired = format!("<referral.{id}.expired@");
    until(|| !message_ids(&smtp, &expired).is_empty()).await;
    assert_eq!(message_ids(&smtp, &expired).len(), 1, "the nurse heard the hold ended");
    assert_eq!(app.count_where("referrals", &format!("id = {id} AND status = 'expired'")).await, 1);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(cribs_no_smtp, ignore = "no SMTP server for tests: install aiosmtpd (see .ci/smtp/README.md)")]
async fn a_server_stopped_mid_batch_gives_back_what_it_claimed_and_the_next_sends_each_once() {
    let app = TestApp::spawn().await;
    let smtp = SmtpServer::start().await;
    let id = held_request(&app, "Stopped", "410-555-7203").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, r) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let backend = app.db.get_database_backend();
    let now = cribs::clock::now().format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string();
    let cast = if backend == sea_orm::DbBackend::Postgres { "::timestamptz" } else { "" };
    for i in 0..30 {
        let sql = format!(
            "INSERT INTO messages (dedupe_key, kind, user_id, referral_id, language, status, not_before, attempts, created_at, updated_at) \
             SELECT 'stopped:{i}', 'request_accepted', created_by, id, 'en', 'pending', '{now}'{cast}, 0, '{now}'{cast}, '{now}'{cast} FROM referrals WHERE id = {id}"
        );
        app.db.execute_unprepared(&sql).await.expect("a message");
    }
    // Server A's mail server takes the connection and never answers: A claims a batch and
    // is stuck on its first message.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a silent mail server");
    let silent_port = silent.local_addr().expect("port").port();
    let held = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = silent.accept().await {
            keep.lock().await.push(conn);
        }
    });
    let secret = cribs::auth::token::random_secret_key();
    let env = vec![
        ("CRIBS_SMTP_URL", format!("smtp://127.0.0.1:{silent_port}")),
        ("CRIBS_MAIL_FROM", "Crib program <cribs@cribs.test>".into()),
        ("CRIBS_OUTBOX_POLL_SECONDS", "1".into()),
    ];
    let mut a = start_with_env(&app, Some(&secret), None, &env).await;
    let claimed = "dedupe_key LIKE 'stopped:%' AND status = 'sending'";
    for _ in 0..300 {
        if app.count_where("messages", claimed).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A batch of 20 claimed (with the request's own messages, due too) and stuck on its first.
    let in_hand = app.count_where("messages", claimed).await;
    assert!((1..=20).contains(&in_hand), "a batch claimed and stuck: {in_hand}");
    let all_in_hand = app.count_where("messages", "status = 'sending'").await;
    // SIGTERM: A exits 0 within its bound, and gives back all it claimed.
    let pid = a.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let stopping = std::time::Instant::now();
    let status = loop {
        if let Some(status) = a.child.try_wait().expect("wait") {
            break status;
        }
        assert!(stopping.elapsed() < Duration::from_secs(20), "A did not stop within 20 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(app.count_where("messages", "status = 'sending'").await, 0, "nothing left claimed by a stopped server");
    assert_eq!(
        app.count_where("messages", "dedupe_key LIKE 'stopped:%' AND status = 'pending' AND attempts = 0").await,
        30,
        "all pending again, no try counted"
    );
    println!("A stopped {:?} after SIGTERM, its {all_in_hand} claimed messages given back", stopping.elapsed());
    // Server B, with a mail server that answers, sends each of the thirty once, now.
    let _b = start_with_env(&app, Some(&secret), None, &mailing(&smtp, 1)).await;
    until(|| message_ids(&smtp, "<stopped.").len() >= 30).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut ids = message_ids(&smtp, "<stopped.");
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!((n, ids.len()), (30, 30), "each of the thirty once");
}
