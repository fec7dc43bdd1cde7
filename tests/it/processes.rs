//! Real `cribs serve` processes on one database: two instances share the race for the last
//! cribs, idempotent retries and sessions (keys and sessions live in the database and signed
//! cookies, never in process memory); and a server killed with SIGKILL mid-run loses no
//! answered handout, invents none, and leaves the ledger without drift.

use crate::common::fixtures::{days_ago, family};
use crate::common::TestApp;
use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One `cribs serve` process.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

async fn start(app: &TestApp, secret: &str) -> Server {
    start_with(app, Some(secret), None).await
}

/// A `cribs serve` on the test app's database: with this secret key, or none (the key is
/// then the one kept with the data: beside the SQLite file, or in `data_dir`).
async fn start_with(app: &TestApp, secret: Option<&str>, data_dir: Option<&std::path::Path>) -> Server {
    start_with_env(app, secret, data_dir, &[]).await
}

/// `start_with`, and more environment (e.g. `CRIBS_SMTP_URL`).
pub(crate) async fn start_with_env(
    app: &TestApp,
    secret: Option<&str>,
    data_dir: Option<&std::path::Path>,
    env: &[(&str, String)],
) -> Server {
    start_logging(app, secret, data_dir, env, None).await
}

/// `start_with_env`, with the server's standard output and error written to `log` (and
/// `RUST_LOG` as `env` says, else errors only).
pub(crate) async fn start_logging(
    app: &TestApp,
    secret: Option<&str>,
    data_dir: Option<&std::path::Path>,
    env: &[(&str, String)],
    log: Option<&std::path::Path>,
) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cribs"));
    cmd.arg("serve")
        .env("DATABASE_URL", &app.database_url)
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string());
    match secret {
        Some(secret) => cmd.env("ROCKET_SECRET_KEY", secret),
        None => cmd.env_remove("ROCKET_SECRET_KEY"),
    };
    if let Some(dir) = data_dir {
        cmd.env("CRIBS_DATA_DIR", dir);
    } else {
        cmd.env_remove("CRIBS_DATA_DIR");
    }
    cmd.env("ROCKET_LOG_LEVEL", "off").env("RUST_LOG", "error");
    match log.map(std::fs::File::create) {
        Some(Ok(file)) => {
            let err = file.try_clone().expect("the log file, twice");
            cmd.stdout(Stdio::from(file)).stderr(Stdio::from(err));
        }
        Some(Err(e)) => panic!("cannot write the server's log: {e}"),
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    if let Some(schema) = &app.schema {
        cmd.env("ROCKET_DATABASE_SCHEMA", schema);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    let child = cmd.spawn().expect("start cribs serve");
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let http = Client::new();
    for _ in 0..300 {
        if http.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cribs serve did not answer /healthz within 30 s");
}

/// `n` families, each checked eligible and educated, through the test app's API.
async fn eligible_families(app: &TestApp, n: usize) -> Vec<(i64, i64)> {
    let staff = app.token("staff@demo.cribs").await;
    let mut out = Vec::new();
    for i in 0..n {
        let body = family()
            .named("Proc", &format!("Family{i}"))
            .set("/caregiver/phone", json!(format!("443-555-{:04}", 2000 + i)))
            .with_infant_born(days_ago(15))
            .build();
        let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{f}");
        let fid = f["id"].as_i64().expect("id");
        let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Proc Parent"});
        let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
        assert_eq!(status, StatusCode::CREATED);
        out.push((fid, f["infant_ids"][0].as_i64().expect("infant")));
    }
    out
}

async fn set_stock(app: &TestApp, n: i64) {
    let manager = app.token("manager@demo.cribs").await;
    let (status, body) = app.post(&manager, "/api/v1/sites/1/counts", &json!({"crib_model_id": 1, "counted": n})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// An API token from a running server.
pub(crate) async fn token_at(base: &str, email: &str) -> String {
    token(base, email).await
}

async fn token(base: &str, email: &str) -> String {
    let res = Client::new()
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({"email": email, "password": crate::common::PASSWORD}))
        .send()
        .await
        .expect("token");
    let body: Value = res.json().await.expect("json");
    body["token"].as_str().expect("token").to_string()
}

async fn handout(
    http: &Client,
    base: &str,
    token: &str,
    key: &str,
    fid: i64,
    iid: i64,
) -> Result<(StatusCode, Value), String> {
    let res = http
        .post(format!("{base}/api/v1/handouts"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    Ok((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_races_retries_and_sessions() {
    let app = TestApp::spawn().await;
    let families = eligible_families(&app, 10).await;
    set_stock(&app, 4).await;
    app.stop();
    let secret = cribs::auth::token::random_secret_key();
    let (a, b) = (start(&app, &secret).await, start(&app, &secret).await);
    let staff = token(&a.base, "staff@demo.cribs").await;
    let http = Client::new();
    // The race for the last 4 cribs, half the requests to each instance.
    let results = join_all(families.iter().enumerate().map(|(i, (fid, iid))| {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let (http, staff) = (&http, &staff);
        async move { handout(http, base, staff, &format!("race-{i}"), *fid, *iid).await }
    }))
    .await;
    let results: Vec<(StatusCode, Value)> = results.into_iter().map(|r| r.expect("answered")).collect();
    let won: Vec<usize> =
        results.iter().enumerate().filter(|(_, r)| r.0 == StatusCode::CREATED).map(|(i, _)| i).collect();
    let out = results.iter().filter(|r| r.0 == StatusCode::CONFLICT && r.1["error"] == "out_of_stock").count();
    assert_eq!((won.len(), out), (4, 6), "{results:?}");
    // A retry that lands on the other instance replays the first answer.
    for &i in &won {
        let other = if i % 2 == 0 { &b.base } else { &a.base };
        let (fid, iid) = families[i];
        let replay = handout(&http, other, &staff, &format!("race-{i}"), fid, iid).await.expect("replay");
        assert_eq!(replay, results[i], "replayed by the other instance");
    }
    // A session signed in on one instance works on the other.
    let browser = app.browser();
    let b_on_a = crate::common::Browser { client: browser.client.clone(), base: a.base.clone() };
    let csrf = b_on_a.csrf("/login").await;
    let res = b_on_a
        .post_form(
            "/login",
            &[("email", "manager@demo.cribs"), ("password", crate::common::PASSWORD), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = browser.client.get(format!("{}/", b.base)).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK, "the session cookie from instance A works on B");
    assert_eq!(app.count("handouts").await, 4);
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_run_keeps_every_answered_handout_and_no_other() {
    let app = TestApp::spawn().await;
    let families = eligible_families(&app, 24).await;
    set_stock(&app, 100).await;
    app.stop();
    let secret = cribs::auth::token::random_secret_key();
    let server = start(&app, &secret).await;
    let staff = token(&server.base, "staff@demo.cribs").await;
    let http = Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    let answered = std::sync::Arc::new(tokio::sync::Mutex::new(0usize));
    let mut server = server;
    let base = server.base.clone();
    // Four lanes of handouts; the server is killed after the fifth answer.
    let lanes = families.chunks(6).enumerate().map(|(lane, chunk)| {
        let (http, staff, base, answered) = (http.clone(), staff.clone(), base.clone(), answered.clone());
        let chunk = chunk.to_vec();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for (j, (fid, iid)) in chunk.into_iter().enumerate() {
                let key = format!("crash-{lane}-{j}");
                let r = handout(&http, &base, &staff, &key, fid, iid).await;
                if r.is_ok() {
                    *answered.lock().await += 1;
                }
                out.push((key, fid, iid, r));
            }
            out
        })
    });
    let lanes: Vec<_> = lanes.collect();
    loop {
        if *answered.lock().await >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    let mut outcomes = Vec::new();
    for l in lanes {
        outcomes.extend(l.await.expect("lane"));
    }
    let created: Vec<i64> = outcomes
        .iter()
        .filter_map(|(_, _, _, r)| {
            r.as_ref().ok().filter(|(s, _)| *s == StatusCode::CREATED).and_then(|(_, b)| b["id"].as_i64())
        })
        .collect();
    let lost = outcomes.iter().filter(|(_, _, _, r)| r.is_err()).count();
    assert!(created.len() >= 5 && lost > 0, "the kill landed mid-run: {} answered, {lost} unanswered", created.len());
    // After a restart: every answered handout is there.
    let restarted = start(&app, &secret).await;
    use sea_orm::EntityTrait;
    for id in &created {
        let h = cribs::entity::handout::Entity::find_by_id(*id).one(&app.db).await.expect("query");
        assert!(h.is_some(), "handout {id} was answered 201 and must survive the crash");
    }
    // An unanswered request is resolved by retrying its key: it replays if it had committed,
    // or runs now; either way one handout per infant and no more.
    for (key, fid, iid, r) in &outcomes {
        if r.is_err() {
            let (status, body) =
                handout(&http, &restarted.base, &staff, key, *fid, *iid).await.expect("retry answered");
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    assert_eq!(app.count("handouts").await as usize, families.len(), "exactly one handout per infant");
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_key_that_is_set_but_unusable_stops_the_start_with_the_reason() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cribs"));
    cmd.arg("serve")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", free_port().to_string())
        .env("ROCKET_SECRET_KEY", "not-a-key")
        .stdout(Stdio::null());
    let stderr = refused_start(cmd, "an unusable secret key").await;
    assert!(stderr.contains("ROCKET_SECRET_KEY is set but is not a usable key"), "{stderr}");
}

/// Run a `cribs serve` that must refuse to start (within 20 s): what it said on stderr.
async fn refused_start(mut cmd: Command, with: &str) -> String {
    let mut child = cmd.stderr(Stdio::piped()).spawn().expect("start cribs serve");
    let mut status = None;
    for _ in 0..200 {
        status = child.try_wait().expect("wait");
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("the server started with {with} (it should refuse)");
    };
    assert!(!status.success(), "a refusal, not a start");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("read stderr");
    stderr
}

/// Where a `cribs serve` with no secret key keeps the one it generates for this test app:
/// beside the SQLite file, or (PostgreSQL) in a data directory of the test's own.
fn key_home(app: &TestApp, scratch: &tempfile::TempDir) -> (std::path::PathBuf, Option<std::path::PathBuf>) {
    match cribs::db::sqlite_file_path(&app.database_url) {
        Some(file) => {
            let dir = std::path::Path::new(file).parent().expect("the file's directory").to_path_buf();
            (dir.join("secret_key"), None)
        }
        None => (scratch.path().join("secret_key"), Some(scratch.path().to_path_buf())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_secret_key_set_a_restart_keeps_sessions_and_the_key_stays_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    app.stop();
    let scratch = tempfile::tempdir().expect("scratch dir");
    let (key_file, data_dir) = key_home(&app, &scratch);
    assert!(!key_file.exists(), "no key before the first start");
    let first = start_with(&app, None, data_dir.as_deref()).await;
    let mode = std::fs::metadata(&key_file).expect("the key is kept with the data").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "readable by its owner only");
    let key = std::fs::read_to_string(&key_file).expect("key");
    // Sign in on the first start.
    let browser = app.browser();
    let on_first = crate::common::Browser { client: browser.client.clone(), base: first.base.clone() };
    let csrf = on_first.csrf("/login").await;
    let res = on_first
        .post_form(
            "/login",
            &[("email", "staff@demo.cribs"), ("password", crate::common::PASSWORD), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = browser.client.get(format!("{}/checkin", first.base)).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK, "signed in");
    drop(first);
    // Started again on the same data: the same key, the session still open.
    let second = start_with(&app, None, data_dir.as_deref()).await;
    assert_eq!(std::fs::read_to_string(&key_file).expect("key"), key, "the same key");
    let res = browser.client.get(format!("{}/checkin", second.base)).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK, "the session survived the restart");
    drop(second);
    // A configured key still wins (the kept one is left alone), and the old cookie then fails.
    let third = start_with(&app, Some(&cribs::auth::token::random_secret_key()), data_dir.as_deref()).await;
    let res = browser.client.get(format!("{}/checkin", third.base)).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "another key: signed out");
    assert_eq!(std::fs::read_to_string(&key_file).expect("key"), key, "the kept key untouched");
    drop(third);
    // A key file others can read stops the start, saying what to do.
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cribs"));
    cmd.arg("serve")
        .env("DATABASE_URL", &app.database_url)
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env_remove("ROCKET_SECRET_KEY")
        .stdout(Stdio::null());
    match &data_dir {
        Some(dir) => cmd.env("CRIBS_DATA_DIR", dir),
        None => cmd.env_remove("CRIBS_DATA_DIR"),
    };
    if let Some(schema) = &app.schema {
        cmd.env("ROCKET_DATABASE_SCHEMA", schema);
    }
    let stderr = refused_start(cmd, "a key file others can read").await;
    assert!(
        stderr.contains("can be read or changed by other users (mode 0644)") && stderr.contains("chmod 600"),
        "{stderr}"
    );
}

/// How long a stopped server may take to finish what it was doing and exit.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_mid_run_finishes_what_is_in_flight_exits_0_and_a_retrying_client_loses_nothing() {
    let app = TestApp::spawn().await;
    let families = eligible_families(&app, 24).await;
    set_stock(&app, 100).await;
    app.stop();
    let secret = cribs::auth::token::random_secret_key();
    let mut server = start(&app, &secret).await;
    let staff = token(&server.base, "staff@demo.cribs").await;
    let http = Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    let answered = std::sync::Arc::new(tokio::sync::Mutex::new(0usize));
    let base = server.base.clone();
    let lanes: Vec<_> = families
        .chunks(6)
        .enumerate()
        .map(|(lane, chunk)| {
            let (http, staff, base, answered) = (http.clone(), staff.clone(), base.clone(), answered.clone());
            let chunk = chunk.to_vec();
            tokio::spawn(async move {
                let mut out = Vec::new();
                for (j, (fid, iid)) in chunk.into_iter().enumerate() {
                    let key = format!("term-{lane}-{j}");
                    let r = handout(&http, &base, &staff, &key, fid, iid).await;
                    if r.is_ok() {
                        *answered.lock().await += 1;
                    }
                    out.push((key, fid, iid, r));
                }
                out
            })
        })
        .collect();
    while *answered.lock().await < 5 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let pid = server.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
    assert!(sent.success());
    let stopping = std::time::Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(stopping.elapsed() < SHUTDOWN_BOUND, "the server did not exit within {SHUTDOWN_BOUND:?} of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "a stop on SIGTERM exits 0: {status:?}");
    println!("exited {:?} after SIGTERM", stopping.elapsed());
    let mut outcomes = Vec::new();
    for l in lanes {
        outcomes.extend(l.await.expect("lane"));
    }
    // Every answer that came was a 2xx or a 503 (never a 500), and every 201 is kept.
    for (key, _, _, r) in &outcomes {
        if let Ok((s, body)) = r {
            assert!(s.is_success() || *s == StatusCode::SERVICE_UNAVAILABLE, "{key}: {s} {body}");
        }
    }
    let created: Vec<i64> = outcomes
        .iter()
        .filter_map(|(_, _, _, r)| {
            r.as_ref().ok().filter(|(s, _)| *s == StatusCode::CREATED).and_then(|(_, b)| b["id"].as_i64())
        })
        .collect();
    assert!(created.len() >= 5, "{} answered before the stop", created.len());
    // Another instance takes over: the client retries what got no 2xx with its keys.
    let next = start(&app, &secret).await;
    use sea_orm::EntityTrait;
    for id in &created {
        let h = cribs::entity::handout::Entity::find_by_id(*id).one(&app.db).await.expect("query");
        assert!(h.is_some(), "handout {id} was answered 201 and is kept");
    }
    for (key, fid, iid, r) in &outcomes {
        if !r.as_ref().is_ok_and(|(s, _)| s.is_success()) {
            let (status, body) = handout(&http, &next.base, &staff, key, *fid, *iid).await.expect("retry answered");
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    assert_eq!(app.count("handouts").await as usize, families.len(), "exactly one handout per infant");
    app.assert_no_drift().await;
}

/// Stop a server with SIGTERM; it must exit 0 within `SHUTDOWN_BOUND`. Returns how long.
async fn stop_gracefully(server: &mut Server) -> Duration {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM").success());
    let stopping = std::time::Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            assert!(status.success(), "a stop on SIGTERM exits 0: {status:?}");
            return stopping.elapsed();
        }
        assert!(stopping.elapsed() < SHUTDOWN_BOUND, "the server did not exit within {SHUTDOWN_BOUND:?} of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_of_two_instances_loses_no_request_and_hands_out_each_crib_once() {
    let app = TestApp::spawn().await;
    let families = eligible_families(&app, 48).await;
    set_stock(&app, 100).await;
    app.stop();
    let secret = cribs::auth::token::random_secret_key();
    let (mut a, mut b) = tokio::join!(start(&app, &secret), start(&app, &secret));
    let staff = token(&a.base, "staff@demo.cribs").await;
    // The "load balancer": the two addresses the clients use, changed as servers come back.
    let pool = std::sync::Arc::new(std::sync::Mutex::new(vec![a.base.clone(), b.base.clone()]));
    let http = Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let lanes: Vec<_> = families
        .chunks(8)
        .enumerate()
        .map(|(lane, chunk)| {
            let (http, staff, pool, done) = (http.clone(), staff.clone(), pool.clone(), done.clone());
            let chunk = chunk.to_vec();
            tokio::spawn(async move {
                let mut seen: Vec<String> = Vec::new();
                let mut finals = Vec::new();
                for (j, (fid, iid)) in chunk.into_iter().enumerate() {
                    let key = format!("roll-{lane}-{j}");
                    let mut attempt = lane + j;
                    let started = std::time::Instant::now();
                    let last = loop {
                        let base = {
                            let p = pool.lock().expect("pool");
                            p[attempt % p.len()].clone()
                        };
                        attempt += 1;
                        match handout(&http, &base, &staff, &key, fid, iid).await {
                            Ok((s, body)) if s.is_success() => break (s, body),
                            Ok((s, body)) => seen.push(format!("{key}: {s} {body}")),
                            // Refused or cut: the instance is stopping or starting; try again.
                            Err(_) => {}
                        }
                        assert!(started.elapsed() < Duration::from_secs(60), "{key} got no 2xx in 60 s: {seen:?}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    };
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    finals.push((key, last));
                    tokio::time::sleep(Duration::from_millis(400)).await;
                }
                (seen, finals)
            })
        })
        .collect();
    // Restart A, then B, while the hand-outs go on.
    while done.load(std::sync::atomic::Ordering::SeqCst) < 6 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took_a = stop_gracefully(&mut a).await;
    let a2 = start(&app, &secret).await;
    pool.lock().expect("pool")[0] = a2.base.clone();
    let midway = done.load(std::sync::atomic::Ordering::SeqCst);
    let took_b = stop_gracefully(&mut b).await;
    let b2 = start(&app, &secret).await;
    pool.lock().expect("pool")[1] = b2.base.clone();
    let mut refusals = Vec::new();
    let mut answered = 0;
    for l in lanes {
        let (seen, finals) = l.await.expect("lane");
        refusals.extend(seen);
        answered += finals.len();
    }
    // Only 503s (or no answer at all) before a 2xx: never a 500, never a 4xx.
    assert!(refusals.iter().all(|r| r.contains(" 503 ")), "{refusals:?}");
    assert_eq!(answered, families.len());
    assert!(midway < families.len(), "B was restarted while hand-outs were still coming ({midway} done)");
    assert_eq!(app.count("handouts").await as usize, families.len(), "exactly one hand-out per infant");
    println!(
        "rolling restart: A stopped in {took_a:?}, B in {took_b:?}; {} hand-outs each once, {} answered 503 on the way",
        families.len(),
        refusals.len()
    );
    drop((a2, b2));
    app.assert_no_drift().await;
}
