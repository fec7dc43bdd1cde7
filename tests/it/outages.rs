//! Issue 24's database outage, with a real PostgreSQL of the test's own (initdb'd in a
//! scratch directory, on a free port, so stopping it stops no other test) and a real
//! `cribs serve`: while PostgreSQL is stopped every request answers 503 with `Retry-After`
//! within a bounded time (the API in JSON, a page in words), `/healthz` says the database is
//! unreachable; started again, the server recovers without a restart, the write answered
//! before the outage is there, a write refused during it and sent again with its key lands
//! exactly once, and the ledger has no drift.
//!
//! It needs PostgreSQL's server binaries and root (to run them as the `postgres` user), as
//! CI has: it runs in the PostgreSQL pass (`TEST_DATABASE_URL` set), where missing either is
//! a failure; in the SQLite pass it says it is skipped.

use crate::common::{Browser, PASSWORD};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A PostgreSQL cluster of this test's own.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    /// Make and start one, or say why it cannot be.
    fn start() -> Result<Cluster, String> {
        let uid = Command::new("id").arg("-u").output().map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not root: PostgreSQL's server runs as the postgres user here".into());
        }
        let versions = std::fs::read_dir("/usr/lib/postgresql").map_err(|e| format!("no PostgreSQL server: {e}"))?;
        let mut versions: Vec<PathBuf> = versions.filter_map(|v| v.ok().map(|v| v.path().join("bin"))).collect();
        versions.sort();
        let bin = versions.pop().filter(|b| b.join("pg_ctl").exists()).ok_or("no pg_ctl")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let chown =
            Command::new("chown").arg("-R").arg("postgres").arg(dir.path()).status().map_err(|e| e.to_string())?;
        if !chown.success() {
            return Err("cannot give the scratch directory to postgres".into());
        }
        let c = Cluster { dir, bin, port: free_port() };
        let data = c.dir.path().join("data");
        c.as_postgres(&format!("{}/initdb -D {} -U postgres --auth=trust -E UTF8", c.bin.display(), data.display()))?;
        c.pg_ctl("start")?;
        Ok(c)
    }

    fn as_postgres(&self, command: &str) -> Result<(), String> {
        let out = Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c", command])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{command}: {}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// `pg_ctl start` or `stop -m fast` (waiting until it is done).
    fn pg_ctl(&self, action: &str) -> Result<(), String> {
        let d = self.dir.path();
        let how = if action == "stop" { "stop -m fast" } else { action };
        self.as_postgres(&format!(
            "{}/pg_ctl -D {} -l {} -w -t 60 -o '-p {} -c listen_addresses=127.0.0.1 -k {}' {how}",
            self.bin.display(),
            d.join("data").display(),
            d.join("log").display(),
            self.port,
            d.display()
        ))
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl("stop");
    }
}

pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a served process's errors go: the file `CRIBS_TEST_SERVER_LOG` names (to read
/// when a test fails), else nowhere.
fn server_log() -> Stdio {
    match std::env::var_os("CRIBS_TEST_SERVER_LOG").map(std::fs::File::create) {
        Some(Ok(f)) => Stdio::from(f),
        _ => Stdio::null(),
    }
}

pub(crate) async fn serve(url: &str) -> Server {
    serve_with(url, &[]).await
}

/// `serve`, with more environment (e.g. `CRIBS_TEST_CLOCK`).
pub(crate) async fn serve_with(url: &str, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_cribs"))
        .envs(env.iter().copied())
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("CRIBS_DEMO", "1")
        .env("CRIBS_DEMO_HISTORY", "0")
        .env("CRIBS_SECOND_FACTOR", "optional")
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_SECRET_KEY", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=")
        .env("ROCKET_LOG_LEVEL", "off")
        .env("RUST_LOG", "error")
        .env_remove("CRIBS_DATA_DIR")
        .stdout(server_log())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cribs serve");
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    wait_healthy(&server.base, Duration::from_secs(60)).await;
    server
}

pub(crate) async fn wait_healthy(base: &str, within: Duration) {
    let deadline = Instant::now() + within;
    let http = Client::new();
    while Instant::now() < deadline {
        if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{base} was not healthy within {within:?}");
}

pub(crate) async fn call(
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let http = Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let mut req = match method {
        "GET" => http.get(format!("{base}{path}")),
        _ => http.post(format!("{base}{path}")).json(&body),
    }
    .bearer_auth(token);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.expect("an answer")
}

pub(crate) async fn token(base: &str, email: &str) -> String {
    let res = Client::new()
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("token");
    let body: Value = res.json().await.expect("json");
    body["token"].as_str().expect("token").to_string()
}

/// A family checked eligible and educated: (family, infant).
pub(crate) async fn ready_family(base: &str, staff: &str, n: u32) -> (i64, i64) {
    let body = crate::common::fixtures::family()
        .named("Outage", &format!("Family{n}"))
        .set("/caregiver/phone", json!(format!("410-555-{:04}", 7000 + n)))
        .with_infant_born(crate::common::fixtures::days_ago(5 + i64::from(n)))
        .build();
    let res = call(base, staff, "POST", "/api/v1/families", None, body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let f: Value = res.json().await.expect("json");
    let (fid, iid) = (f["id"].as_i64().expect("id"), f["infant_ids"][0].as_i64().expect("infant"));
    let res = call(base, staff, "POST", &format!("/api/v1/families/{fid}/eligibility-checks"), None, json!({})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "O F"});
    let res = call(base, staff, "POST", &format!("/api/v1/families/{fid}/education"), None, edu).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    (fid, iid)
}

pub(crate) fn handout(fid: i64, iid: i64) -> Value {
    json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_then_started_answers_503_and_recovers_with_nothing_lost() {
    let required = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    let pg = match Cluster::start() {
        Ok(pg) => pg,
        Err(why) if !required => {
            eprintln!("skipped (the PostgreSQL pass runs it): {why}");
            return;
        }
        Err(why) => panic!("the outage test needs its own PostgreSQL: {why}"),
    };
    let server = serve(&pg.url()).await;
    let base = server.base.as_str();
    let staff = token(base, "staff@demo.cribs").await;
    let manager = token(base, "manager@demo.cribs").await;
    let res =
        call(base, &manager, "POST", "/api/v1/sites/1/counts", None, json!({"crib_model_id": 1, "counted": 10})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (f1, i1) = ready_family(base, &staff, 1).await;
    let (f2, i2) = ready_family(base, &staff, 2).await;
    let res = call(base, &staff, "POST", "/api/v1/handouts", Some("outage-before"), handout(f1, i1)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "before the outage");
    // A page, signed in before the outage.
    let page = Browser {
        client: Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        base: base.to_string(),
    };
    let csrf = page.csrf("/login").await;
    let res = page
        .client
        .post(format!("{base}/login"))
        .form(&[("email", "staff@demo.cribs"), ("password", PASSWORD), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    pg.pg_ctl("stop").expect("PostgreSQL stops");
    // Every answer during the outage: 503 with Retry-After, in bounded time, nothing else.
    let bound = Duration::from_secs(20);
    let started = Instant::now();
    let health = Client::new().get(format!("{base}/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = health.json().await.expect("json");
    assert_eq!(body["database"], "unreachable", "{body}");
    for attempt in 0..2 {
        let t = Instant::now();
        let res = call(base, &staff, "POST", "/api/v1/handouts", Some("outage-during"), handout(f2, i2)).await;
        assert!(t.elapsed() < bound, "attempt {attempt}: answered in {:?}", t.elapsed());
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "attempt {attempt}");
        assert!(res.headers().get("retry-after").is_some(), "Retry-After");
        let e: Value = res.json().await.expect("json");
        assert!(matches!(e["error"].as_str(), Some("database_unavailable" | "busy")), "{e}");
        assert!(e["message"].as_str().is_some_and(|m| m.contains("try again")), "{e}");
    }
    let res = call(base, &staff, "GET", &format!("/api/v1/families/{f1}"), None, json!({})).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "a read too");
    let t = Instant::now();
    let (status, html) = page.get("/checkin").await;
    assert!(t.elapsed() < bound);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
    assert!(html.to_lowercase().contains("try again"), "the page says what to do: {html}");
    println!("outage answers in {:?} in all", started.elapsed());

    pg.pg_ctl("start").expect("PostgreSQL starts again");
    wait_healthy(base, Duration::from_secs(60)).await;
    // The refused write, sent again with its key, lands once; sent a third time, it replays.
    let res = call(base, &staff, "POST", "/api/v1/handouts", Some("outage-during"), handout(f2, i2)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "after the outage");
    let first: Value = res.json().await.expect("json");
    let res = call(base, &staff, "POST", "/api/v1/handouts", Some("outage-during"), handout(f2, i2)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let again: Value = res.json().await.expect("json");
    assert_eq!(first["id"], again["id"], "the same hand-out, not a second");
    let (status, _) = page.get("/checkin").await;
    assert_eq!(status, StatusCode::OK, "the page session survived");
    // Both hand-outs are there, once each, and the ledger has no drift.
    for (fid, n) in [(f1, 1), (f2, 1)] {
        let res = call(base, &staff, "GET", &format!("/api/v1/families/{fid}"), None, json!({})).await;
        let rec: Value = res.json().await.expect("json");
        assert_eq!(rec["handouts"].as_array().map(Vec::len), Some(n), "{rec}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cribs"))
        .arg("check-ledger")
        .env("DATABASE_URL", pg.url())
        .output()
        .expect("check-ledger");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("drift 0"), "{text}");
    drop(server);
}
