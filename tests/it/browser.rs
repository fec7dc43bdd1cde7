//! Browser tests: each user group's main path in a real headless Chromium, driven from Rust
//! through chromedriver (thirtyfour), against the app started in-process by
//! `TestApp::spawn()`: staff (check-in search → family page → eligibility → the education
//! checklist by keyboard → hand-out form → confirmation → receipt → follow-ups), a nurse
//! (request form → request page → the list shows where the crib waits once a manager
//! accepted it), a manager (triage → restock with its confirmation → the report's map →
//! audit; Swagger UI); and every main page of every role at 390×844 and 1024×768
//! (`every_page_holds_on_a_phone_and_a_tablet`: no sideways scrolling, no text on top of
//! other text, axe-core, a whole-page screenshot each). Every page on the way is checked for an error page and for browser
//! console errors (CSP violations included), and each main page is checked with axe-core
//! (WCAG 2 A and AA; any "serious" or "critical" violation fails). Each path ends with a
//! screenshot under `target/screenshots/`.
//!
//! The test starts `/usr/bin/chromedriver` itself on a free 127.0.0.1 port and points it
//! at `/usr/bin/chromium` with a temporary profile. Without Chromium or chromedriver the
//! tests are listed as ignored with the reason in `cargo test`'s own output (`build.rs`
//! sets `cfg(cribs_no_browser)`; likewise `the_accessibility_checker_is_installed` without
//! axe-core), unless `CRIBS_REQUIRE_BROWSER` is set (as `.ci/run` does): then they fail.
//! axe-core comes from `.ci/axe/node_modules` (`npm install` there); it is injected with
//! WebDriver's execute-script, which the app's CSP (no inline script) does not govern.
//! On PostgreSQL (`TEST_DATABASE_URL` set) the tests are skipped: the pages are the same.
//! One Chromium at a time: the tests take a shared lock.

use crate::common::fixtures::{days_ago, family, today};
use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;
use thirtyfour::{ChromiumLikeCapabilities, LoggingPrefsLogLevel};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// One browser at a time, whatever the test harness's parallelism.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether a missing browser is a failure (`CRIBS_REQUIRE_BROWSER` set and not "0").
fn browser_required() -> bool {
    std::env::var("CRIBS_REQUIRE_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Whether this test runs here; prints why when it does not.
fn browser_available(test: &str) -> bool {
    if crate::common::postgres_url().is_some() {
        println!("browser test {test}: skipped on PostgreSQL (the SQLite run drives the same pages)");
        return false;
    }
    if Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        !browser_required(),
        "CRIBS_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing: apt-get install chromium chromium-driver"
    );
    println!(
        "browser test {test}: SKIPPED: {CHROMEDRIVER} not found (apt-get install chromium chromium-driver; \
         CRIBS_REQUIRE_BROWSER=1 makes this a failure)"
    );
    false
}

/// axe-core's script text, or None (a failure when the browser is required).
fn axe_source() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(
                !browser_required(),
                "CRIBS_REQUIRE_BROWSER is set but {} cannot be read ({e}): run `npm install` in .ci/axe",
                path.display()
            );
            println!("accessibility checks SKIPPED: {} missing (npm install in .ci/axe)", path.display());
            None
        }
    }
}

/// Without axe-core this test is listed as ignored, and says why (`build.rs`): every
/// browser test then runs without its accessibility checks, which only a line in their
/// captured output would otherwise tell.
#[test]
#[cfg_attr(
    cribs_no_axe,
    ignore = "axe-core is missing (npm install in .ci/axe): pages are not checked for accessibility"
)]
fn the_accessibility_checker_is_installed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/axe/node_modules/axe-core/axe.min.js");
    let script = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(script.contains("axe"), "axe-core's script");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0").local_addr().expect("local addr").port()
}

fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// The chromedriver process, killed when dropped.
struct DriverProcess(Child);

impl Drop for DriverProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Chromium through chromedriver, with the app's base URL and the checks every page gets.
struct Browser {
    driver: WebDriver,
    base: String,
    axe: Option<String>,
    _process: DriverProcess,
    _profile: tempfile::TempDir,
}

/// What the page-check script finds on a page.
#[derive(Debug, serde::Deserialize)]
struct PageState {
    ready: bool,
    error_page: bool,
    heading: String,
    path: String,
}

const PAGE_STATE_JS: &str = r#"
const h1 = document.querySelector('h1');
const heading = h1 ? h1.textContent.trim() : '';
const reasons = ['Bad Request', 'Unauthorized', 'Forbidden', 'Not Found', 'Method Not Allowed',
  'Unprocessable Entity', 'Payload Too Large', 'Too Many Requests', 'Internal Server Error',
  'Service Unavailable'];
const error_page = !!document.getElementById('error-page') || reasons.includes(heading)
  || /^\d{3}: /.test(heading);
return { ready: document.readyState === 'complete', error_page, heading, path: location.pathname };
"#;

/// Every keyboard stop a form on the page should have: one per control, one per radio group.
const STOPS_JS: &str = r#"
const key = (e) => e.type === 'radio' ? 'radio:' + e.name : (e.id || e.name || e.tagName + ':' + e.textContent.trim());
const els = [...document.querySelectorAll('main form input, main form select, main form textarea, main form button')]
  .filter((e) => e.type !== 'hidden' && !e.disabled && e.offsetParent !== null);
return [...new Set(els.map(key))];
"#;

const ACTIVE_JS: &str = r#"
const e = document.activeElement;
if (!e || e === document.body) return '';
return e.type === 'radio' ? 'radio:' + e.name : (e.id || e.name || e.tagName + ':' + e.textContent.trim());
"#;

const AXE_RUN_JS: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })
  .then((r) => done({ passes: r.passes.length, violations: r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 160), summary: n.failureSummary })),
  })) }))
  .catch((e) => done({ axe_error: String(e) }));
"#;

impl Browser {
    async fn start(app: &TestApp) -> Browser {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let process = DriverProcess(child);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = reqwest::get(format!("{url}/status")).await.ok().map(|r| r.status().is_success());
            if ready == Some(true) {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer on {url} within 20 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1280,1000",
            "--lang=en-US",
        ] {
            caps.add_arg(arg).expect("arg");
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display())).expect("profile arg");
        caps.set_browser_log_level(LoggingPrefsLogLevel::All).expect("logging prefs");
        let driver = WebDriver::new(url, caps).await.expect("a Chromium session");
        Browser { driver, base: app.base.clone(), axe: axe_source(), _process: process, _profile: profile }
    }

    async fn quit(self) {
        let Browser { driver, _process, _profile, .. } = self;
        driver.quit().await.expect("quit");
    }

    async fn goto(&self, path: &str) {
        self.driver.goto(format!("{}{}", self.base, path)).await.expect("navigate");
        self.settle().await;
    }

    async fn path(&self) -> String {
        self.driver.current_url().await.expect("url").path().to_string()
    }

    async fn state(&self) -> PageState {
        self.driver.execute(PAGE_STATE_JS, vec![]).await.expect("page state").convert().expect("page state json")
    }

    /// Wait until the document has loaded.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.state().await.ready {
            assert!(Instant::now() < deadline, "the page did not finish loading");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Mark the document now shown, so that `wait_for_path` waits for the next one even when
    /// a form posts back to the same path (the old page is still "loaded" until it goes).
    async fn mark_page(&self) {
        self.driver.execute("window.__cribsOld = true;", vec![]).await.expect("mark the page");
    }

    /// Whether the document shown is a new one since `mark_page` (or was never marked).
    async fn is_new_page(&self) -> bool {
        let old = self.driver.execute("return window.__cribsOld === true;", vec![]).await;
        old.map(|v| v.json() == &json!(false)).unwrap_or(false)
    }

    /// Wait until the address bar's path satisfies `want` (after a form submit) on a new page.
    async fn wait_for_path(&self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let path = self.path().await;
            if want(&path) && self.is_new_page().await {
                self.settle().await;
                return path;
            }
            if Instant::now() >= deadline {
                // What the page says is what explains it (a refusal's sentence).
                let said = self.text().await;
                panic!("waited for {what}; still at {path}, which says: {said}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Console entries since the last read (the buffer empties on each read).
    async fn console(&self) -> Vec<String> {
        let entries = self.driver.browser_log().await.expect("browser log");
        entries.into_iter().filter(|e| e.level == "SEVERE").map(|e| e.message).collect()
    }

    /// Wait (up to 10 s) for a console error containing `needle`: the browser delivers its
    /// log asynchronously, so a message may arrive a moment after what caused it. Returns
    /// every error seen while waiting, for the failure message.
    async fn console_until(&self, needle: &str) -> (bool, Vec<String>) {
        let mut seen = Vec::new();
        for _ in 0..50 {
            seen.extend(self.console().await);
            if seen.iter().any(|m| m.contains(needle)) {
                return (true, seen);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (false, seen)
    }

    /// Fail on an error page or a console error.
    async fn assert_page_ok(&self, label: &str) {
        let state = self.state().await;
        assert!(!state.error_page, "{label}: an error page at {} (heading {:?})", state.path, state.heading);
        let errors = self.console().await;
        assert!(errors.is_empty(), "{label}: browser console errors at {}:\n{}", state.path, errors.join("\n"));
    }

    /// Run axe-core (WCAG 2 A/AA) on the page: (rules passed, violations).
    async fn axe_run(&self, label: &str) -> Option<(u64, Vec<Value>)> {
        let axe = self.axe.as_ref()?;
        self.driver.execute(axe.as_str(), vec![]).await.expect("inject axe-core");
        let loaded = self.driver.execute("return typeof axe === 'object' && typeof axe.run === 'function';", vec![]);
        assert_eq!(loaded.await.expect("axe loaded?").json(), &json!(true), "{label}: axe-core did not load");
        let ret = self.driver.execute_async(AXE_RUN_JS, vec![]).await.expect("axe.run");
        let result = ret.json().clone();
        assert!(result.get("axe_error").is_none(), "{label}: axe failed: {result}");
        let passes = result["passes"].as_u64().unwrap_or(0);
        assert!(passes > 0, "{label}: axe-core ran no rule: {result}");
        // axe's own console output, if any, is not the page's.
        let _ = self.console().await;
        Some((passes, result["violations"].as_array().cloned().unwrap_or_default()))
    }

    /// Fail on serious or critical WCAG 2 A/AA violations; print the others.
    async fn assert_accessible(&self, label: &str) {
        let Some((passes, list)) = self.axe_run(label).await else { return };
        let (bad, minor): (Vec<Value>, Vec<Value>) = list.into_iter().partition(is_serious);
        for v in &minor {
            println!("{label}: axe ({}) {}: {}", v["impact"], v["id"], v["help"]);
        }
        assert!(
            bad.is_empty(),
            "{label}: {} serious/critical accessibility violations:\n{}",
            bad.len(),
            serde_json::to_string_pretty(&bad).unwrap_or_default()
        );
        println!("{label}: axe-core WCAG 2 A/AA: {passes} rules passed, no serious or critical violations");
    }

    /// Every control of the page's forms is reachable with the Tab key alone.
    async fn assert_keyboard_reachable(&self, label: &str) {
        let wanted: Vec<String> = self.driver.execute(STOPS_JS, vec![]).await.expect("stops").convert().expect("list");
        self.driver
            .execute("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);", vec![])
            .await
            .expect("blur");
        let mut seen = std::collections::BTreeSet::new();
        let mut first: Option<String> = None;
        for _ in 0..(wanted.len() * 2 + 40) {
            self.driver.action_chain().send_keys(Key::Tab).perform().await.expect("Tab");
            let active: String = self.driver.execute(ACTIVE_JS, vec![]).await.expect("active").convert().expect("str");
            if active.is_empty() {
                continue;
            }
            if first.as_deref() == Some(active.as_str()) {
                break; // went round the page once
            }
            first.get_or_insert_with(|| active.clone());
            seen.insert(active);
            if wanted.iter().all(|w| seen.contains(w)) {
                break;
            }
        }
        let missing: Vec<&String> = wanted.iter().filter(|w| !seen.contains(*w)).collect();
        assert!(missing.is_empty(), "{label}: not reachable with Tab: {missing:?}");
        println!("{label}: all {} form controls reachable with Tab", wanted.len());
    }

    async fn screenshot(&self, name: &str) {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        self.driver.screenshot(&path).await.expect("screenshot");
        println!("screenshot: {}", path.display());
    }

    async fn el(&self, css: &str) -> WebElement {
        self.driver.query(By::Css(css)).first().await.unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.el(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    async fn select(&self, css: &str, value: &str) {
        let el = self.el(css).await;
        SelectElement::new(&el).await.expect("a select").select_by_value(value).await.expect("select value");
    }

    async fn value(&self, css: &str) -> String {
        self.el(css).await.prop("value").await.expect("value").unwrap_or_default()
    }

    async fn text(&self) -> String {
        self.el("body").await.text().await.expect("body text")
    }

    /// Sign in through the form, checking the sign-in page on the way; lands on `home`.
    async fn sign_in(&self, email: &str, check_login_page: bool, home: &str) {
        self.goto("/login").await;
        self.assert_page_ok("login").await;
        if check_login_page {
            self.assert_accessible("login").await;
            self.assert_keyboard_reachable("login").await;
        }
        self.type_into("#email", email).await;
        self.type_into("#password", crate::common::PASSWORD).await;
        self.el("#password").await.send_keys(Key::Enter).await.expect("Enter submits");
        self.wait_for_path("home after sign-in", |p| p == home).await;
        self.assert_page_ok(home).await;
    }
}

fn is_serious(v: &Value) -> bool {
    matches!(v["impact"].as_str(), Some("serious" | "critical"))
}

/// Type a date into an `<input type=date>` the way a person does in an en-US browser.
async fn type_date(b: &Browser, css: &str, date: chrono::NaiveDate) {
    let el = b.el(css).await;
    // NOTE: no click first: a click lands on the field's middle segment (day), not the month.
    el.send_keys(date.format("%m%d%Y").to_string()).await.expect("type date");
    assert_eq!(b.value(css).await, date.to_string(), "{css} took the typed date");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn staff_check_in_check_eligibility_educate_hand_out_and_print_the_receipt() {
    if !browser_available("staff") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    // Registered through the API (the long registration form is covered by its page tests;
    // here it is only checked for accessibility).
    let api = app.token("staff@demo.cribs").await;
    let (status, created) = app
        .post(&api, "/api/v1/families", &family().named("Ana", "Lopez").with_infant_born(days_ago(12)).build())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("family id");
    let iid = created["infant_ids"][0].as_i64().expect("infant id");

    let b = Browser::start(&app).await;
    b.sign_in("staff@demo.cribs", true, "/checkin").await;
    b.assert_accessible("check-in").await;
    b.goto("/families/new").await;
    b.assert_page_ok("registration form").await;
    b.assert_accessible("registration form").await;
    b.assert_keyboard_reachable("registration form").await;

    // Check-in: find the family by name, open the family page.
    b.goto("/checkin").await;
    b.type_into("#q", "Lopez").await;
    b.mark_page().await;
    b.el("#q").await.send_keys(Key::Enter).await.expect("Enter searches");
    b.wait_for_path("the search results", |p| p == "/checkin").await;
    b.el("#results").await;
    b.assert_page_ok("check-in results").await;
    b.assert_accessible("check-in results").await;
    b.el(&format!("#results a[href='/families/{fid}']")).await.click().await.expect("open the family");
    b.wait_for_path("the family page", |p| p == format!("/families/{fid}")).await;
    b.assert_page_ok("family page").await;
    b.assert_accessible("family page").await;

    // Eligibility: the family page's button, then the stored check read back through the API.
    b.el(&format!("#infant-{iid} form button[type=submit]")).await.click().await.expect("Check eligibility");
    b.el(&format!("#infant-{iid} .answer-eligible")).await;
    b.assert_page_ok("family page after the check").await;
    b.assert_accessible("family page after the check").await;
    let (status, record) = app.get(&api, &format!("/api/v1/families/{fid}")).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["infants"][0]["latest_check"]["result"], "eligible", "{record}");

    // The education checklist, by keyboard: Space ticks each ABCD topic, Enter submits.
    b.el(&format!("#infant-{iid} a[href='/families/{fid}/education']")).await.click().await.expect("Record education");
    b.wait_for_path("the checklist", |p| p.ends_with("/education")).await;
    b.assert_page_ok("education checklist").await;
    b.assert_accessible("education checklist").await;
    b.assert_keyboard_reachable("education checklist").await;
    for topic in ["alone", "back", "crib", "no_smoking"] {
        let css = format!("#topic-{topic}");
        b.el(&css).await.send_keys(Key::Space).await.expect("Space");
        assert!(b.el(&css).await.is_selected().await.expect("checked?"), "Space ticks {topic}");
    }
    b.type_into("#caregiver_attestation", "Ana Lopez").await;
    b.el("#caregiver_attestation").await.send_keys(Key::Enter).await.expect("Enter submits");
    let landed = b.wait_for_path("the page after the checklist", |p| !p.ends_with("/education")).await;
    assert_eq!(landed, format!("/families/{fid}"), "the checklist returns to the family");
    b.assert_page_ok("family page after education").await;
    assert!(b.text().await.contains("Safe-sleep education recorded."), "the flash");
    assert_eq!(app.count("education_sessions").await, 1, "the checklist recorded the education");

    // The hand-out form by clicks, its confirmation, then the receipt.
    b.el(&format!("#infant-{iid} a[href^='/families/{fid}/handout']")).await.click().await.expect("Hand out");
    b.wait_for_path("the hand-out form", |p| p.ends_with("/handout")).await;
    b.assert_page_ok("hand-out form").await;
    b.assert_accessible("hand-out form").await;
    b.assert_keyboard_reachable("hand-out form").await;
    b.select("#site_id", "1").await;
    b.el("#model-1").await.click().await.expect("the crib model");
    b.el("#lot-other").await.click().await.expect("another lot");
    b.type_into("#lot", "LOT-2026-07").await;
    b.el("main form button[type=submit]").await.click().await.expect("Review");
    b.wait_for_path("the confirmation", |p| p.ends_with("/handout/confirm")).await;
    b.assert_page_ok("hand-out confirmation").await;
    b.assert_accessible("hand-out confirmation").await;
    let confirm = b.text().await;
    assert!(confirm.contains("Druid Heights Family Center") && confirm.contains("LOT-2026-07"), "{confirm}");
    assert_eq!(app.count("handouts").await, 0, "nothing written before confirming");
    b.el("main form button[type=submit]").await.click().await.expect("Hand out");
    let receipt = b.wait_for_path("the receipt", |p| p.ends_with("/receipt")).await;
    b.assert_page_ok("receipt").await;
    b.assert_accessible("receipt").await;
    let text = b.text().await;
    assert!(text.contains("CR-") && text.contains("LOT-2026-07") && text.contains("Ana Lopez"), "{text}");
    assert_eq!(app.count("handouts").await, 1);
    b.screenshot("staff-receipt").await;

    // The follow-up list, with this family's call due.
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared("UPDATE follow_ups SET due_on = '2020-01-01'").await.expect("due now");
    b.goto("/follow-ups").await;
    b.assert_page_ok("follow-ups").await;
    b.assert_accessible("follow-ups").await;
    b.assert_keyboard_reachable("follow-ups").await;
    assert!(b.text().await.contains("Ana Lopez"), "the due call is listed");
    b.goto(&receipt).await;
    b.assert_page_ok("receipt again").await;
    b.quit().await;
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn a_nurse_requests_a_crib_and_sees_where_it_waits_once_accepted() {
    if !browser_available("nurse") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    let b = Browser::start(&app).await;
    b.sign_in("nurse@demo.cribs", false, "/").await;
    b.assert_accessible("home (nurse)").await;

    b.goto("/requests/new").await;
    b.assert_page_ok("request form").await;
    b.assert_accessible("request form").await;
    b.assert_keyboard_reachable("request form").await;
    b.type_into("#first_name", "Imani").await;
    b.type_into("#last_name", "Grant").await;
    b.type_into("#phone", "410-555-3030").await;
    b.el("#baby-born").await.click().await.expect("born");
    type_date(&b, "#baby_date", days_ago(1)).await;
    type_date(&b, "#discharge_date", today()).await;
    b.type_into("#line1", "2700 Cherry Hill Rd").await;
    b.type_into("#zip", "21225").await;
    b.select("#neighborhood_id", "46").await;
    b.type_into("#household_size", "3").await;
    b.el("#enr-WIC").await.click().await.expect("WIC");
    b.el("#safe-no").await.click().await.expect("no safe space");
    b.el("#edu-yes").await.click().await.expect("education given");
    for t in ["alone", "back", "crib", "no_smoking"] {
        b.el(&format!("#t-{t}")).await.click().await.expect("topic");
    }
    b.select("#pickup", "site-2").await;
    b.el("main form button[type=submit]").await.click().await.expect("Send request");
    let page = b.wait_for_path("the request page", |p| p.starts_with("/requests/") && p != "/requests/new").await;
    b.assert_page_ok("request page").await;
    b.assert_accessible("request page").await;
    let text = b.text().await;
    let lower = text.to_lowercase();
    assert!(lower.contains("waiting for the program") && lower.contains("passed"), "status and preview: {text}");
    let id: i64 = page.rsplit('/').next().and_then(|s| s.parse().ok()).expect("request id");

    // A manager accepts it through the API; the nurse's list shows where the crib waits.
    let manager = app.token("manager@demo.cribs").await;
    let (status, accepted) =
        app.post(&manager, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1})).await;
    assert_eq!((status, accepted["status"].as_str()), (StatusCode::OK, Some("reserved")), "{accepted}");
    b.goto("/requests").await;
    b.assert_page_ok("requests list").await;
    b.assert_accessible("requests list").await;
    let list = b.text().await;
    assert!(list.contains("Cherry Hill Community Site until"), "where the crib waits: {list}");
    b.screenshot("nurse-requests").await;
    b.quit().await;
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn a_manager_triages_restocks_reads_the_report_and_the_audit() {
    if !browser_available("manager") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    // An open request, so the triage queue has a row with its forms.
    let nurse = app.token("nurse@demo.cribs").await;
    let body = json!({
        "caregiver": {"first_name": "Maya", "last_name": "Reed", "date_of_birth": "1999-06-01", "phone": "410-555-4040"},
        "address": {"line1": "900 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "preferred_language": "en", "infant": {"date_of_birth": days_ago(1).to_string()},
        "discharge_date": today().to_string(), "education_given_in_hospital": true, "preferred_site_id": 2
    });
    let (status, created) = app.post(&nurse, "/api/v1/referrals", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // A crib handed out at the front desk, so the report's map and chart have a value.
    let staff = app.token("staff@demo.cribs").await;
    let (status, f) = app.post(&staff, "/api/v1/families", &family().with_infant_born(days_ago(20)).build()).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("family");
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let abcd = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Tanya Brooks"});
    let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &abcd).await;
    assert_eq!(status, StatusCode::CREATED);
    let handout = json!({"family_id": fid, "infant_id": f["infant_ids"][0], "site_id": 1, "crib_model_id": 1});
    let (status, h) = app.post(&staff, "/api/v1/handouts", &handout).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");

    let b = Browser::start(&app).await;
    b.sign_in("manager@demo.cribs", false, "/").await;
    b.assert_accessible("home (manager)").await;
    b.goto("/triage").await;
    b.assert_page_ok("triage").await;
    b.assert_accessible("triage").await;
    b.assert_keyboard_reachable("triage").await;
    assert!(b.text().await.contains("Maya Reed"), "the open request is in the queue");
    b.mark_page().await;
    b.el(".inline-form button.primary").await.click().await.expect("Accept");
    b.wait_for_path("triage after accepting", |p| p == "/triage").await;
    b.assert_page_ok("triage after accepting").await;
    assert!(b.text().await.contains("accepted: a crib is held at"), "the flash");

    // Restock with its confirmation step: nothing is written until the second button.
    b.goto("/stock").await;
    b.assert_page_ok("stock dashboard").await;
    b.assert_accessible("stock dashboard").await;
    let movements = app.count("stock_movements").await;
    b.goto("/stock/restock").await;
    b.assert_page_ok("restock form").await;
    b.assert_accessible("restock form").await;
    b.assert_keyboard_reachable("restock form").await;
    b.select("#site_id", "1").await;
    b.select("#crib_model_id", "1").await;
    b.type_into("#quantity", "12").await;
    b.type_into("#lot", "LOT-R-12").await;
    b.el("main form button[type=submit]").await.click().await.expect("Check the restock");
    b.wait_for_path("the restock confirmation", |p| p == "/stock/restock/confirm").await;
    b.assert_page_ok("restock confirmation").await;
    b.assert_accessible("restock confirmation").await;
    let confirm = b.text().await;
    assert!(confirm.to_lowercase().contains("twelve"), "the number in words: {confirm}");
    assert_eq!(app.count("stock_movements").await, movements, "nothing written before confirming");
    b.el("main form button[type=submit]").await.click().await.expect("Confirm the restock");
    b.wait_for_path("the site page", |p| p == "/stock/sites/1").await;
    b.assert_page_ok("site stock page").await;
    b.assert_accessible("site stock page").await;
    assert!(b.text().await.contains("Added 12"), "the flash");
    assert_eq!(app.count("stock_movements").await, movements + 1);

    // The neighborhood report with its map and chart.
    b.goto("/reports").await;
    b.assert_page_ok("report").await;
    b.assert_accessible("report").await;
    b.el("svg.chart.map").await;
    let cribs = b.el("dl.summary dd").await.text().await.expect("total");
    assert_eq!(cribs.trim(), "1", "the handout is counted");
    b.screenshot("manager-report").await;

    // The outcome reports, reached from the report page's own link.
    b.el("a[href^='/reports/outcomes']").await.click().await.expect("Outcomes");
    b.wait_for_path("outcome reports", |p| p == "/reports/outcomes").await;
    b.assert_page_ok("outcome reports").await;
    b.assert_accessible("outcome reports").await;
    b.assert_keyboard_reachable("outcome reports").await;
    let text = b.text().await;
    assert!(text.contains("Hospital requests") && text.contains("Stock by site and month"), "every section");
    b.el("#referrals svg.chart").await;
    b.screenshot("manager-outcomes").await;

    b.goto("/audit").await;
    b.assert_page_ok("audit").await;
    b.assert_accessible("audit").await;
    b.assert_keyboard_reachable("audit").await;
    assert!(b.text().await.contains("Accepted a hospital request"), "the accept is in the audit");
    b.screenshot("manager-audit").await;
    // The error-page check bites too, and the error page itself passes axe.
    b.goto("/requests/999999").await;
    let state = b.state().await;
    assert!(state.error_page && state.heading == "Not Found", "the 404 page is recognised: {state:?}");
    let (found, console) = b.console_until("404").await;
    assert!(found, "the console reports the 404: {console:?}");
    b.assert_accessible("error page").await;
    // The page's CSP holds in this browser: an inline script added to the page does not run,
    // while WebDriver's execute-script (how axe-core gets in) is not governed by it.
    let ran = "window.inlineRan = false; const s = document.createElement('script'); \
               s.textContent = 'window.inlineRan = true;'; document.body.appendChild(s); return window.inlineRan;";
    assert_eq!(b.driver.execute(ran, vec![]).await.expect("inline script").json(), &json!(false), "CSP blocks it");
    let (found, console) = b.console_until("Content Security Policy").await;
    assert!(found, "the CSP refusal is reported: {console:?}");
    // The checker bites: an unlabeled field and grey-on-white text are reported as serious.
    if b.axe.is_some() {
        let plant = "const m = document.querySelector('main'); m.prepend(document.createElement('input')); \
                     const p = document.createElement('p'); p.textContent = 'faint text'; p.style.color = '#c8c8c8'; m.prepend(p);";
        b.driver.execute(plant, vec![]).await.expect("plant");
        let (_, found) = b.axe_run("planted violations").await.expect("axe ran");
        let ids: Vec<&str> = found.iter().filter(|v| is_serious(v)).filter_map(|v| v["id"].as_str()).collect();
        assert!(ids.contains(&"label") && ids.contains(&"color-contrast"), "axe reports both: {ids:?}");
    }

    // Swagger UI, vendored: it loads and renders the OpenAPI without a console error (CSP).
    b.goto("/api/docs/").await;
    b.el(".swagger-ui .info .title").await;
    b.el(".opblock").await;
    b.assert_page_ok("Swagger UI").await;
    b.screenshot("api-docs").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn staff_at_another_site_find_a_family_as_a_minimal_match_and_check_it_in_here() {
    if !browser_available("staff2") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    let api = app.token("staff@demo.cribs").await;
    let body = family().named("Rosa", "O'Brien-Núñez").with_infant_born(days_ago(5)).build();
    let (status, created) = app.post(&api, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("family id");

    let b = Browser::start(&app).await;
    b.sign_in("staff2@demo.cribs", false, "/checkin").await;
    for (width, height, label) in [(390, 844, "phone"), (1024, 768, "tablet")] {
        b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        b.goto("/checkin?q=Rosa").await;
        b.assert_page_ok("minimal match in search").await;
        let text = b.text().await;
        assert!(text.to_lowercase().contains("registered at another site"), "{text}");
        assert!(!text.contains("410-555-0101"), "no phone in a minimal match");
        b.screenshot(&format!("staff2-minimal-match-{label}")).await;
        b.goto(&format!("/families/{fid}/check-in-here")).await;
        b.assert_page_ok("check in here").await;
        b.assert_accessible("check in here").await;
        let wide = b.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
        let wide = wide.json().as_i64().unwrap_or(i64::MAX);
        assert!(wide <= i64::from(width), "{label}: the page fits its width ({wide} px in {width})");
        b.screenshot(&format!("staff2-check-in-here-{label}")).await;
    }
    b.assert_keyboard_reachable("check in here").await;
    b.type_into("#reason", "The family moved near Cherry Hill").await;
    b.mark_page().await;
    b.el("main form button[type=submit]").await.click().await.expect("Check in here");
    b.wait_for_path("the family page", |p| p == format!("/families/{fid}")).await;
    b.assert_page_ok("family page after checking in").await;
    let text = b.text().await;
    assert!(text.contains("O'Brien-Núñez") && text.contains("410-555-0101"), "the whole record opens: {text}");
    b.quit().await;
    app.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn a_manager_sets_up_two_step_sign_in_and_decides_a_possible_match_at_triage() {
    if !browser_available("manager two-step") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let opts =
        crate::common::Options { settings: vec![("cribs_second_factor", "required".into())], ..Default::default() };
    let app = TestApp::spawn_with(opts).await;
    // A registered family, and a nurse's request that may be the same family.
    let staff = app.token("staff@demo.cribs").await;
    let born = days_ago(6);
    let (status, f) = app.post(&staff, "/api/v1/families", &family().with_infant_born(born).build()).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let nurse = app.token("nurse@demo.cribs").await;
    let request = json!({
        "caregiver": {"first_name": "Tania", "last_name": "Brooks", "date_of_birth": "1996-04-12", "phone": "410-555-0101"},
        "address": {"line1": "7 Hospital Way", "city": "Baltimore", "state": "MD", "zip": "21217", "neighborhood_id": 65},
        "household_size": 2, "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "infant": {"date_of_birth": born.to_string()}, "discharge_date": today().to_string()
    });
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");

    let b = Browser::start(&app).await;
    b.sign_in("manager@demo.cribs", false, "/account/two-step").await;
    let mut secret = String::new();
    for (width, height, label) in [(390, 844, "phone"), (1024, 768, "tablet")] {
        b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        b.goto("/account/two-step").await;
        b.assert_page_ok("two-step set-up").await;
        b.assert_accessible("two-step set-up").await;
        let wide = b.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
        let wide = wide.json().as_i64().unwrap_or(i64::MAX);
        assert!(wide <= i64::from(width), "{label}: the page fits its width ({wide} px in {width})");
        let svg =
            b.driver.execute("return document.querySelector('.qr svg').getBoundingClientRect().width;", vec![]).await;
        let svg = svg.expect("the QR code").json().as_f64().unwrap_or(0.0);
        assert!(svg >= 180.0, "{label}: the QR code is big enough to scan ({svg} px)");
        b.screenshot(&format!("manager-two-step-{label}")).await;
        secret = b.el("code.secret").await.text().await.expect("the key").replace(' ', "");
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).expect("time");
    let code = cribs::auth::totp::code_at(&secret, now).expect("a code");
    b.type_into("#code", &code).await;
    b.mark_page().await;
    b.el("main form button[type=submit]").await.click().await.expect("Turn on");
    for _ in 0..50 {
        if b.is_new_page().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.assert_page_ok("recovery codes").await;
    let text = b.text().await;
    assert!(text.contains("shown only now"), "{text}");
    b.screenshot("manager-recovery-codes").await;

    for (width, height, label) in [(390, 844, "phone"), (1024, 768, "tablet")] {
        b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        b.goto("/triage").await;
        b.assert_page_ok("triage with a possible match").await;
        let text = b.text().await;
        assert!(text.contains("Possible match") && text.contains("Same family"), "{text}");
        b.screenshot(&format!("manager-triage-match-{label}")).await;
    }
    b.mark_page().await;
    b.el("button[name=same][value=no]").await.click().await.expect("Different family");
    for _ in 0..50 {
        if b.is_new_page().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = b.text().await;
    assert!(text.contains("noted as a different family"), "{text}");
    assert!(!text.contains("Decide the possible match"), "the hold is offered now");
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn staff_correct_a_family_on_a_phone_and_a_tablet() {
    if !browser_available("staff correction") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    let api = app.token("staff@demo.cribs").await;
    let body = family().named("Rosa", "O'Brien-Núñez").with_infant_due(crate::common::fixtures::days_ahead(30)).build();
    let (status, created) = app.post(&api, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("family id");
    let iid = created["infant_ids"][0].as_i64().expect("infant id");
    let b = Browser::start(&app).await;
    b.sign_in("staff@demo.cribs", false, "/checkin").await;
    for (width, height, label) in [(390, 844, "phone"), (1024, 768, "tablet")] {
        b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        for (path, name) in [
            (format!("/families/{fid}/paper"), "paper-entry"),
            ("/paper".to_string(), "paper-forms"),
            ("/paper/slips?site=1&count=2".to_string(), "paper-slips"),
            ("/paper/sign-in?site=1".to_string(), "paper-sign-in"),
            (format!("/families/{fid}/correct"), "correct-family"),
            (format!("/families/{fid}/infants/{iid}/correct"), "correct-baby"),
        ] {
            b.goto(&path).await;
            b.assert_page_ok(name).await;
            b.assert_accessible(name).await;
            let wide = b.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
            let wide = wide.json().as_i64().unwrap_or(i64::MAX);
            b.screenshot(&format!("staff-{name}-{label}")).await;
            let widest = b.driver.execute("let w=null;for(const e of document.querySelectorAll('main *')){const r=e.getBoundingClientRect();if(r.right>document.documentElement.clientWidth&&(!w||r.right>w.r)){w={r:r.right,t:e.tagName,c:e.className,i:e.id}}};return JSON.stringify(w);", vec![]).await.expect("widest");
            assert!(
                wide <= i64::from(width),
                "{name} {label}: the page fits its width ({wide} px in {width}): {:?}",
                widest.json()
            );
        }
    }
    // A manager's merge and export pages read on both sizes too.
    let mut second = family().named("Rosa", "OBrien Nunez").with_infant_born(days_ago(40)).build();
    second["confirm_not_duplicate"] = json!(true);
    let (status, other) = app.post(&api, "/api/v1/families", &second).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let m = Browser::start(&app).await;
    m.sign_in("manager@demo.cribs", false, "/").await;
    for (width, height, label) in [(390, 844, "phone"), (1024, 768, "tablet")] {
        m.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        for (path, name) in [
            (format!("/families/{fid}/merge?other={}", other["id"]), "merge"),
            (format!("/families/{fid}/export"), "export"),
        ] {
            m.goto(&path).await;
            m.assert_page_ok(name).await;
            m.assert_accessible(name).await;
            let wide = m.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
            let wide = wide.json().as_i64().unwrap_or(i64::MAX);
            m.screenshot(&format!("manager-{name}-{label}")).await;
            assert!(wide <= i64::from(width), "{name} {label}: the page fits its width ({wide} px in {width})");
        }
    }
    // The manager merges the second record into the first, with the keyboard-reachable form.
    m.driver.set_window_rect(0, 0, 390, 844).await.expect("window size");
    m.goto(&format!("/families/{fid}/merge?other={}", other["id"])).await;
    m.type_into("#reason", "The same mother, typed without accents").await;
    m.mark_page().await;
    m.el("main form button.primary[type=submit]").await.click().await.expect("Merge");
    m.wait_for_path("the surviving record", |p| p == format!("/families/{fid}")).await;
    let text = m.text().await;
    assert!(text.contains("OBrien Nunez") || text.contains("merged"), "the merge says what it did: {text}");
    m.screenshot("manager-after-merge-phone").await;
    m.quit().await;
    assert_eq!(
        app.count_where("families", &format!("id = {} AND merged_into_id = {fid}", other["id"])).await,
        1,
        "the other record is a tombstone pointing to the survivor"
    );
    // A day of paper: the site has had stock for ten days; staff enter yesterday's slip for
    // the merged record's born baby from the page, on a phone.
    app.back_date_stock(10).await;
    let born_baby = other["infant_ids"][0].as_i64().expect("the second record's baby");
    b.driver.set_window_rect(0, 0, 390, 844).await.expect("window size");
    b.goto(&format!("/families/{fid}/paper")).await;
    b.type_into("#paper_slip", "C-0007").await;
    type_date(&b, "#date", days_ago(1)).await;
    b.type_into("#time", "1030AM").await;
    assert_eq!(b.value("#time").await, "10:30", "the time field took the typed time");
    b.select("#infant_id", &born_baby.to_string()).await;
    for topic in cribs::domain::education::REQUIRED_TOPICS {
        b.el(&format!("#topic-{topic}")).await.click().await.expect("tick the topic");
    }
    b.type_into("#caregiver_attestation", "Rosa O'Brien-Núñez").await;
    b.mark_page().await;
    b.el("main form button.primary[type=submit]").await.click().await.expect("Enter the slip");
    b.wait_for_path("the family page", |p| p == format!("/families/{fid}")).await;
    let text = b.text().await;
    assert!(text.contains("Slip C-0007 is entered") && text.contains(&days_ago(1).to_string()), "{text}");
    b.screenshot("staff-after-paper-entry-phone").await;
    assert_eq!(app.count_where("handouts", &format!("paper_slip = 'C-0007' AND infant_id = {born_baby}")).await, 1);
    app.assert_no_drift().await;
    b.driver.set_window_rect(0, 0, 1024, 768).await.expect("window size");
    b.goto(&format!("/families/{fid}/infants/{iid}/correct")).await;
    // Record the birth with the keyboard-reachable form.
    let born = days_ago(1);
    type_date(&b, "#date_of_birth", born).await;
    b.el("#expected_due_date").await.clear().await.expect("clear the due date");
    b.type_into("#reason", "Born yesterday").await;
    b.mark_page().await;
    b.el("main form button[type=submit]").await.click().await.expect("Save");
    b.wait_for_path("the family page", |p| p == format!("/families/{fid}")).await;
    let text = b.text().await;
    assert!(text.contains(&format!("Born {born}")) && text.contains("Born yesterday"), "{text}");
    b.screenshot("staff-family-after-birth-tablet").await;
    b.quit().await;
}

// === Family-facing printables (branch family): the receipt, the checklist and the
// explanation of a refusal, in Spanish and English, at a phone and a tablet, and printed. ===

/// A Spanish-speaking family at site 1, eligible or not (it has a safe place to sleep),
/// checked and educated; `(family, baby)`.
async fn spanish_family_for_pages(app: &TestApp, api: &str, last: &str, eligible: bool) -> (i64, i64) {
    let mut body = family()
        .named("Rosa", last)
        .set("/preferred_language", json!("es"))
        .set("/has_safe_sleep_space", json!(!eligible))
        .with_infant_born(days_ago(12))
        .build();
    body["confirm_not_duplicate"] = json!(true);
    let (status, created) = app.post(api, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("family id");
    let (status, _) = app.post(api, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let edu = json!({"mode": "site", "language": "es", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Rosa"});
    let (status, _) = app.post(api, &format!("/api/v1/families/{fid}/education"), &edu).await;
    assert_eq!(status, StatusCode::CREATED);
    (fid, created["infant_ids"][0].as_i64().expect("infant id"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn family_pages_read_in_both_languages_on_a_phone_a_tablet_and_on_paper() {
    if !browser_available("family pages") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn_with(crate::common::Options {
        settings: vec![
            ("cribs_program_phone", "410-555-0100".into()),
            ("cribs_site_hours", "mon-fri 9:00-16:00, sat 10:00-13:00".into()),
        ],
        ..Default::default()
    })
    .await;
    let api = app.token("staff@demo.cribs").await;
    let (fid, iid) = spanish_family_for_pages(&app, &api, "Quispe", true).await;
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1, "lot": "LOT-2026-11"});
    let (status, h) = app.post(&api, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let (refused, refused_baby) = spanish_family_for_pages(&app, &api, "Mamani", false).await;
    let b = Browser::start(&app).await;
    b.sign_in("staff@demo.cribs", false, "/checkin").await;
    let receipt = format!("/handouts/{}/receipt", h["id"]);
    let explanation = format!("/families/{refused}/infants/{refused_baby}/explanation");
    let pages = [
        (receipt.clone(), "receipt-es"),
        (format!("{receipt}?lang=en"), "receipt-en"),
        (format!("/families/{fid}/education"), "checklist-es"),
        (explanation.clone(), "explanation-es"),
        (format!("{explanation}?lang=en"), "explanation-en"),
    ];
    for (width, height, label) in [(390, 844, "phone"), (1024, 768, "tablet")] {
        b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        for (path, name) in &pages {
            b.goto(path).await;
            b.assert_page_ok(name).await;
            b.assert_accessible(name).await;
            let wide = b.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
            let wide = wide.json().as_i64().unwrap_or(i64::MAX);
            b.screenshot(&format!("family-{name}-{label}")).await;
            let inner = b.driver.execute("return window.innerWidth;", vec![]).await.expect("inner width");
            let inner = inner.json().as_i64().unwrap_or(i64::from(width));
            assert!(wide <= inner, "{name} {label}: the page fits its width ({wide} px in {inner})");
            if !name.starts_with("checklist") {
                let print = b.el("button[data-print]").await;
                assert!(print.is_displayed().await.expect("displayed?"), "{name}: the Print button shows with script");
            }
        }
    }
    // As printed: the print style sheet hides the banner, the buttons and the language links.
    b.driver.set_window_rect(0, 0, 1024, 768).await.expect("window size");
    for (path, name) in [(receipt.clone(), "receipt-es"), (explanation.clone(), "explanation-es")] {
        b.goto(&path).await;
        let hidden = b
            .driver
            .execute(
                "const hidden = new Set(); for (const sheet of document.styleSheets) { for (const rule of sheet.cssRules) { \
                 if (rule.media && [...rule.media].includes('print')) { for (const r of rule.cssRules) { \
                 if (r.style && r.style.display === 'none') { r.selectorText.split(',').forEach(s => hidden.add(s.trim())); } } } } } \
                 return ['.printable-tools', '.handed-out', '.print-actions'].every(s => hidden.has(s)) \
                 && !!document.querySelector('.printable-tools button[data-print]');",
                vec![],
            )
            .await
            .expect("print rules");
        assert_eq!(hidden.json(), &json!(true), "{name}: what is for the screen is hidden in print");
    }
    b.goto(&receipt).await;
    let text = b.text().await;
    assert!(text.contains("Cuna entregada") && text.contains("Llame al programa de cunas al 410-555-0100"), "{text}");
    assert!(text.contains("de lunes a viernes, de 9:00 a. m. a 4:00 p. m."), "{text}");
    b.quit().await;
}
// === end of the family-facing printables block ===
/// Layout problems on the page: how wide the document is against the viewport (and the
/// element reaching furthest right when too wide), and pairs of text-bearing things whose
/// boxes intersect. Text is measured by its line boxes (a Range's client rects), clipped
/// to every scrolling or clipping ancestor (text scrolled out of a region is not drawn
/// there); form controls by their border box. Ancestors and descendants of each other,
/// visually hidden text (clipped to a pixel) and hidden elements are left out.
const LAYOUT_JS: &str = r#"
const vw = document.documentElement.clientWidth;
const sw = document.documentElement.scrollWidth;
let widest = null;
if (sw > vw) {
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.right > vw + 0.5 && (!widest || r.right > widest.right)) {
      widest = { right: Math.round(r.right), tag: e.tagName.toLowerCase(), cls: String(e.className), id: e.id, text: (e.textContent || '').trim().slice(0, 60) };
    }
  }
}
const clips = new Map();
const clipOf = (el) => {
  if (!el || el === document.documentElement) return null;
  if (clips.has(el)) return clips.get(el);
  let c = clipOf(el.parentElement);
  const s = getComputedStyle(el);
  if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
    const r = el.getBoundingClientRect();
    c = c ? { l: Math.max(c.l, r.left), t: Math.max(c.t, r.top), r: Math.min(c.r, r.right), b: Math.min(c.b, r.bottom) }
          : { l: r.left, t: r.top, r: r.right, b: r.bottom };
  }
  clips.set(el, c);
  return c;
};
const shown = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true, opacityProperty: true }) : true;
const items = [];
const add = (el, r, what) => {
  const c = clipOf(el);
  const box = { l: r.left, t: r.top, r: r.right, b: r.bottom };
  if (c) { box.l = Math.max(box.l, c.l); box.t = Math.max(box.t, c.t); box.r = Math.min(box.r, c.r); box.b = Math.min(box.b, c.b); }
  if (box.r - box.l > 1 && box.b - box.t > 1) items.push({ el, box, what });
};
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!el || !n.textContent.trim() || el.closest('script, style, noscript, template, option, select, textarea, .visually-hidden') || !shown(el)) continue;
  const range = document.createRange();
  range.selectNodeContents(n);
  for (const r of range.getClientRects()) add(el, r, n.textContent.trim().slice(0, 50));
}
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button, img')) {
  if (shown(el)) add(el, el.getBoundingClientRect(), el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[' + el.name + ']' : ''));
}
items.sort((a, b) => a.box.t - b.box.t);
const overlaps = [];
const slack = 2;
for (let i = 0; i < items.length && overlaps.length < 10; i++) {
  const a = items[i];
  for (let j = i + 1; j < items.length && items[j].box.t < a.box.b - slack; j++) {
    const b = items[j];
    if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
    const w = Math.min(a.box.r, b.box.r) - Math.max(a.box.l, b.box.l);
    const h = Math.min(a.box.b, b.box.b) - Math.max(a.box.t, b.box.t);
    if (w > slack && h > slack) overlaps.push(a.what + ' <> ' + b.what + ' (' + Math.round(w) + 'x' + Math.round(h) + ' px)');
  }
}
return { viewport: vw, width: sw, widest, overlaps, height: document.documentElement.scrollHeight };
"#;

/// What `LAYOUT_JS` finds.
#[derive(Debug, serde::Deserialize)]
struct Layout {
    viewport: i64,
    width: i64,
    widest: Option<Value>,
    overlaps: Vec<String>,
    height: i64,
}

impl Browser {
    /// What is wrong with the page's layout: sideways scrolling, text over other text.
    async fn layout_problems(&self, label: &str) -> (Layout, Vec<String>) {
        let layout: Layout =
            self.driver.execute(LAYOUT_JS, vec![]).await.expect("layout check").convert().expect("layout json");
        let mut problems = Vec::new();
        if layout.width > layout.viewport {
            problems.push(format!(
                "{label}: the page scrolls sideways ({} px in a {} px viewport); furthest right: {:?}",
                layout.width, layout.viewport, layout.widest
            ));
        }
        if !layout.overlaps.is_empty() {
            problems.push(format!("{label}: text overlaps:\n  {}", layout.overlaps.join("\n  ")));
        }
        (layout, problems)
    }

    /// Serious or critical WCAG 2 A/AA violations on the page, as lines for a failure message.
    async fn accessibility_problems(&self, label: &str) -> Vec<String> {
        let Some((_, list)) = self.axe_run(label).await else { return Vec::new() };
        list.iter()
            .filter(|v| is_serious(v))
            .map(|v| format!("{label}: axe {} ({}): {} at {}", v["id"], v["impact"], v["help"], v["nodes"]))
            .collect()
    }

    /// A screenshot of what the screen shows, `<name>.png`, and of the whole page,
    /// `<name>-whole.png` (the window made as tall as the page, then put back).
    async fn screenshot_whole(&self, name: &str, width: u32, height: u32, page_height: i64) {
        self.screenshot(name).await;
        let tall = u32::try_from(page_height.clamp(i64::from(height), 8000)).unwrap_or(height);
        self.driver.set_window_rect(0, 0, width, tall).await.expect("tall window");
        self.screenshot(&format!("{name}-whole")).await;
        self.driver.set_window_rect(0, 0, width, height).await.expect("window size");
    }
}

/// The layout checker bites: a too-wide element and two texts on top of each other fail it.
async fn planted_layout_faults_are_caught(b: &Browser) {
    let plant = "const m = document.querySelector('main'); const d = document.createElement('div'); \
                 d.style.width = '2000px'; d.textContent = 'wide'; m.append(d);";
    b.driver.execute(plant, vec![]).await.expect("plant a wide element");
    let layout: Layout = b.driver.execute(LAYOUT_JS, vec![]).await.expect("layout").convert().expect("json");
    assert!(layout.width > layout.viewport, "a 2000 px element is caught: {layout:?}");
    let plant = "const m = document.querySelector('main'); const p = document.createElement('p'); \
                 p.textContent = 'on top'; p.style.position = 'absolute'; const h = document.querySelector('h1').getBoundingClientRect(); \
                 p.style.left = h.left + 'px'; p.style.top = (h.top + window.scrollY) + 'px'; p.style.margin = '0'; document.body.append(p);";
    b.driver.execute(plant, vec![]).await.expect("plant an overlap");
    let layout: Layout = b.driver.execute(LAYOUT_JS, vec![]).await.expect("layout").convert().expect("json");
    assert!(layout.overlaps.iter().any(|o| o.contains("on top")), "text over the heading is caught: {layout:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn every_page_holds_on_a_phone_and_a_tablet() {
    if !browser_available("every page") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    let roles = crate::every_page::seed(&app).await;
    let mut checked = 0;
    let mut problems: Vec<String> = Vec::new();
    for role in &roles {
        let b = Browser::start(&app).await;
        b.sign_in(role.email, false, role.home).await;
        for (width, height, size) in [(390u32, 844u32, "phone"), (1024, 768, "tablet")] {
            b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
            for (name, path) in &role.pages {
                let label = format!("{} {name} ({size}, {path})", role.role);
                b.goto(path).await;
                b.assert_page_ok(&label).await;
                let (layout, wrong) = b.layout_problems(&label).await;
                problems.extend(wrong);
                b.screenshot_whole(&format!("page-{}-{name}-{size}", role.role), width, height, layout.height).await;
                problems.extend(b.accessibility_problems(&label).await);
                checked += 1;
            }
        }
        if role.role == "staff" {
            planted_layout_faults_are_caught(&b).await;
        }
        b.quit().await;
    }
    assert!(problems.is_empty(), "{} problems in {checked} page views:\n{}", problems.len(), problems.join("\n"));
    assert!(checked >= 90, "every main page of every role at both sizes: {checked}");
    println!("{checked} page views held at 390×844 and 1024×768");
}

// ---- Issue 20, "information stored and never shown" (branch shown) ----------------------

/// The pages that show what was stored and never shown, as each role sees them at a phone
/// (390×844) and a tablet (1024×768): the nurse's home and request page, triage, the family
/// page and check-in with a crib held there, staff home with a transfer to receive, the
/// manager's home, the hand-out form and the lot lookup. Each is checked for an error page
/// and console errors and kept as a screenshot (`shown-<page>-<size>.png`); the pages this
/// branch laid out (the nurse's, the manager's home, the hand-out form) also pass axe and
/// fit their width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_information_is_shown_at_a_phone_and_a_tablet() {
    if !browser_available("shown") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let staff = app.token("staff@demo.cribs").await;
    let request = |last: &str, n: i64, discharge: chrono::NaiveDate, site: Value, note: &str| {
        json!({
            "caregiver": {"first_name": "Imani", "last_name": last, "date_of_birth": format!("19{}-03-1{n}", 80 + n), "phone": format!("410-555-30{n:02}")},
            "address": {"line1": "2700 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
            "household_size": 3, "annual_income": "15000.00", "enrollments": ["WIC"], "has_safe_sleep_space": false,
            "preferred_language": "es", "infant": {"date_of_birth": days_ago(n).to_string()},
            "discharge_date": discharge.to_string(), "education_given_in_hospital": true,
            "preferred_site_id": site, "home_delivery": site.is_null(), "note": note,
        })
    };
    let mut ids = Vec::new();
    for (last, n, discharge, site, note) in [
        ("Grant", 1, today(), json!(2), "She works nights: call after 5 pm. Her sister can pick the crib up."),
        ("Okafor-Williamson", 2, today() + chrono::Duration::days(2), Value::Null, "Third floor, no elevator."),
        ("Bell", 3, days_ago(3), json!(1), ""),
    ] {
        let (status, r) = app.post(&nurse, "/api/v1/referrals", &request(last, n, discharge, site, note)).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        ids.push((r["id"].as_i64().expect("id"), r["family_id"].as_i64().expect("family")));
    }
    let (status, held) = app
        .post(&manager, &format!("/api/v1/referrals/{}/accept", ids[0].0), &json!({"site_id": 1, "crib_model_id": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    let send = json!({"from_site_id": 4, "to_site_id": 1, "crib_model_id": 1, "quantity": 6, "lot": "TR-2026-11"});
    assert_eq!(app.post(&manager, "/api/v1/transfers", &send).await.0, StatusCode::CREATED);
    let restock = json!({"crib_model_id": 2, "quantity": 10, "lot": "LOT-2026-12-A"});
    assert_eq!(app.post(&manager, "/api/v1/sites/1/receipts", &restock).await.0, StatusCode::CREATED);
    let body = family().named("Ana", "Lopez").with_infant_born(days_ago(12)).build();
    let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("family id");
    let iid = f["infant_ids"][0].as_i64().expect("infant id");
    assert_eq!(
        app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await.0,
        StatusCode::CREATED
    );
    let held_family = ids[0].1;
    assert_eq!(
        app.post(&staff, &format!("/api/v1/families/{held_family}/eligibility-checks"), &json!({})).await.0,
        StatusCode::CREATED,
        "checked at Druid Heights today: the family is in the day's queue"
    );
    let handout = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1, "no_lot_on_box": true});
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Ana Lopez"});
    assert_eq!(app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await.0, StatusCode::CREATED);
    let body2 = family()
        .named("Bea", "Lotless")
        .set("/caregiver/phone", json!("410-555-4242"))
        .with_infant_born(days_ago(20))
        .build();
    let (_, f2) = app.post(&staff, "/api/v1/families", &body2).await;
    let fid2 = f2["id"].as_i64().expect("family id");
    let iid2 = f2["infant_ids"][0].as_i64().expect("infant id");
    assert_eq!(
        app.post(&staff, &format!("/api/v1/families/{fid2}/eligibility-checks"), &json!({})).await.0,
        StatusCode::CREATED
    );
    let edu2 = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Bea Lotless"});
    assert_eq!(app.post(&staff, &format!("/api/v1/families/{fid2}/education"), &edu2).await.0, StatusCode::CREATED);
    assert_eq!(app.post(&staff, "/api/v1/handouts", &handout).await.0, StatusCode::CREATED);
    let plain = json!({"family_id": fid2, "infant_id": iid2, "site_id": 1, "crib_model_id": 1});
    assert_eq!(app.post(&staff, "/api/v1/handouts", &plain).await.0, StatusCode::CREATED);
    let ready = family()
        .named("Cara", "Ready")
        .set("/caregiver/phone", json!("410-555-4343"))
        .with_infant_born(days_ago(30))
        .build();
    let (_, f3) = app.post(&staff, "/api/v1/families", &ready).await;
    let fid3 = f3["id"].as_i64().expect("family id");
    let iid3 = f3["infant_ids"][0].as_i64().expect("infant id");

    // (role, path, name, checked for axe and width)
    let request_page = format!("/requests/{}", ids[0].0);
    let family_page = format!("/families/{held_family}");
    let handout_page = format!("/families/{fid3}/handout?infant_id={iid3}");
    // (role, path, name, the part this branch laid out that must fit the width, and whether
    // the whole page must: the other pages' tables are another part of issue 20).
    let pages: [(&str, &str, &str, &str, bool); 9] = [
        ("nurse@demo.cribs", "/", "nurse-home", "main", true),
        ("nurse@demo.cribs", request_page.as_str(), "request-page", "main", true),
        ("manager@demo.cribs", "/triage", "triage", "h1", false),
        ("manager@demo.cribs", "/", "manager-home", "main", true),
        ("manager@demo.cribs", "/stock/lots?lot=DEMO-2026-01&unrecorded=1", "lot-lookup", "ul.unrecorded-list", false),
        ("staff@demo.cribs", family_page.as_str(), "family-held", ".held-here", false),
        ("staff@demo.cribs", "/checkin?q=Grant", "checkin-held", "h1", false),
        ("staff@demo.cribs", "/checkin", "staff-home-transfers", "ul.incoming", false),
        ("staff@demo.cribs", handout_page.as_str(), "handout-form", "main form", true),
    ];
    const FITS_JS: &str = r#"
const e = document.querySelector(arguments[0]);
if (!e) return 'missing';
const r = e.getBoundingClientRect();
const vw = document.documentElement.clientWidth;
return (r.right <= vw + 1 && e.scrollWidth <= e.clientWidth + 1) ? 'fits' : `${Math.round(r.right)} / ${e.scrollWidth} in ${vw}`;
"#;
    let b = Browser::start(&app).await;
    let mut signed_in = "";
    for (who, path, name, part, whole) in pages {
        if who != signed_in {
            if !signed_in.is_empty() {
                b.driver.delete_all_cookies().await.expect("sign out");
            }
            b.driver.set_window_rect(0, 0, 1024, 768).await.expect("window size");
            let home = if who.starts_with("staff") { "/checkin" } else { "/" };
            b.sign_in(who, false, home).await;
            signed_in = who;
        }
        for (width, height, label) in [(390u32, 844u32, "phone"), (1024, 768, "tablet")] {
            b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
            b.goto(path).await;
            b.assert_page_ok(name).await;
            b.assert_accessible(&format!("{name} ({label})")).await;
            let wide = b.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
            let wide = wide.json().as_i64().unwrap_or(i64::MAX);
            let inner = b.driver.execute("return window.innerWidth;", vec![]).await.expect("inner width");
            let inner = inner.json().as_i64().unwrap_or(0);
            let fits = b.driver.execute(FITS_JS, vec![json!(part)]).await.expect("fits");
            let fits = fits.json().as_str().unwrap_or("").to_string();
            println!("shown-{name}-{label}: page {wide} px wide in {inner}; {part}: {fits}");
            assert_eq!(fits, "fits", "{name} {label}: {part} fits the width");
            if whole {
                assert!(wide <= inner, "{name} {label}: the page fits its width ({wide} px in {inner})");
            }
            // The whole page in one picture: the window as tall as the page.
            let tall = b.driver.execute("return document.documentElement.scrollHeight;", vec![]).await.expect("height");
            let tall = u32::try_from(tall.json().as_i64().unwrap_or(0)).unwrap_or(height).clamp(height, 6000);
            b.driver.set_window_rect(0, 0, width, tall + 90).await.expect("tall window");
            b.screenshot(&format!("shown-{name}-{label}")).await;
        }
    }
    // The words the pages exist to show.
    b.driver.set_window_rect(0, 0, 1024, 768).await.expect("window size");
    b.goto("/checkin").await;
    let text = b.text().await;
    assert!(text.contains("Cribs on their way here") && text.contains("A crib is held here for this family"), "{text}");
    b.quit().await;
    app.assert_no_drift().await;
}

// ---- Issue 20's dead ends, as people meet them (void, policy, a session ended mid-form) ----

/// The page shown at the window's size: no error page, accessible, a screenshot, and no
/// sideways scroll. NOTE: pages with wide history tables (the family page, the policy
/// page) are only measured here: tables becoming cards on a phone is issue 20's layout
/// part, tested where it is built.
async fn look(b: &Browser, name: &str, width: u32) {
    b.assert_page_ok(name).await;
    b.assert_accessible(name).await;
    let label = if width < 500 { "phone" } else { "tablet" };
    b.screenshot(&format!("{name}-{label}")).await;
    let wide = b.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
    let wide = wide.json().as_i64().unwrap_or(i64::MAX);
    if name.starts_with("void-family") || name.starts_with("policy-index") {
        println!("{name} {label}: {wide} px wide in {width}");
    } else {
        assert!(wide <= i64::from(width), "{name} {label}: the page fits its width ({wide} px in {width})");
    }
}

/// A screenshot with `css` scrolled into view (a part further down a page).
async fn scrolled_to(b: &Browser, css: &str, name: &str) {
    b.el(css).await.scroll_into_view().await.expect("scroll");
    b.screenshot(name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_voids_and_withdraws_and_a_form_outlives_its_session() {
    if !browser_available("dead ends") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    let api = app.token("staff@demo.cribs").await;
    let (status, f) = app
        .post(&api, "/api/v1/families", &family().named("Vida", "Voidpage").with_infant_born(days_ago(25)).build())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().expect("family");
    let iid = f["infant_ids"][0].as_i64().expect("infant");
    let (status, _) = app.post(&api, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Vida Voidpage"});
    assert_eq!(app.post(&api, &format!("/api/v1/families/{fid}/education"), &edu).await.0, StatusCode::CREATED);
    let (status, h) = app
        .post(&api, "/api/v1/handouts", &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let hid = h["id"].as_i64().expect("handout");

    let m = Browser::start(&app).await;
    m.sign_in("manager@demo.cribs", false, "/").await;
    let sizes = [(390u32, 844u32), (1024, 768)];
    // The void: family page → form → confirmation (both sizes); voided on the tablet.
    for (i, (w, h)) in sizes.iter().enumerate() {
        m.driver.set_window_rect(0, 0, *w, *h).await.expect("window size");
        m.goto(&format!("/families/{fid}")).await;
        look(&m, "void-family-page", *w).await;
        scrolled_to(&m, "#handouts", &format!("void-family-handouts-{w}")).await;
        m.mark_page().await;
        m.el("a.void-link").await.click().await.expect("Void this hand-out");
        m.wait_for_path("the void form", |p| p == format!("/handouts/{hid}/void")).await;
        look(&m, "void-form", *w).await;
        m.type_into("#reason", "Handed out to the wrong family").await;
        m.mark_page().await;
        m.el("main form button.primary").await.click().await.expect("Review the void");
        m.wait_for_path("the confirmation", |p| p.ends_with("/void/confirm")).await;
        let text = m.text().await;
        assert!(text.contains("Druid Heights Family Center's stock"), "{text}");
        look(&m, "void-confirm", *w).await;
        if i == sizes.len() - 1 {
            m.mark_page().await;
            m.el("main form button.primary").await.click().await.expect("Void");
            m.wait_for_path("the family page", |p| p == format!("/families/{fid}")).await;
            assert!(m.text().await.contains("is voided: the crib is back in Druid Heights Family Center's stock"));
            look(&m, "void-family-after", *w).await;
        }
    }
    app.assert_no_drift().await;

    // Publishing: the form, the confirmation of what changes (both sizes), then publish.
    let effective = crate::common::fixtures::days_ahead(40);
    for (i, (w, h)) in sizes.iter().enumerate() {
        m.driver.set_window_rect(0, 0, *w, *h).await.expect("window size");
        m.goto("/policy/new").await;
        look(&m, "policy-new", *w).await;
        m.type_into("#income_limit_percent", "210").await;
        m.el("#effective_from").await.clear().await.expect("clear the date");
        type_date(&m, "#effective_from", effective).await;
        m.mark_page().await;
        m.el("button[value=review]").await.click().await.expect("Review");
        m.wait_for_path("the confirmation", |p| p == "/policy/new").await;
        let text = m.text().await;
        assert!(text.contains("Now: Income at or below 210%"), "{text}");
        look(&m, "policy-confirm", *w).await;
        if i == sizes.len() - 1 {
            m.mark_page().await;
            m.el("button[value=publish]").await.click().await.expect("Publish");
            m.wait_for_path("the policy page", |p| p == "/policy").await;
        }
    }
    let v2 = cribs::store::policy::in_force(&app.db, effective).await.expect("v2");
    assert_eq!(v2.row.version, 2);
    for (i, (w, h)) in sizes.iter().enumerate() {
        m.driver.set_window_rect(0, 0, *w, *h).await.expect("window size");
        m.goto("/policy").await;
        look(&m, "policy-index", *w).await;
        m.goto(&format!("/policy/{}/withdraw", v2.row.id)).await;
        look(&m, "policy-withdraw", *w).await;
        if i == sizes.len() - 1 {
            m.type_into("#reason", "Published by mistake").await;
            m.mark_page().await;
            m.el("main form button.primary").await.click().await.expect("Withdraw");
            m.wait_for_path("the policy page", |p| p == "/policy").await;
            assert!(m.text().await.contains("Withdrawn: never applies"));
            look(&m, "policy-index-withdrawn", *w).await;
            scrolled_to(&m, "table.history", "policy-index-withdrawn-history").await;
        }
    }
    m.quit().await;

    // Staff on a phone: the session ends mid-form; sign in again; the form comes back.
    let s = Browser::start(&app).await;
    s.driver.set_window_rect(0, 0, 390, 844).await.expect("window size");
    s.sign_in("staff@demo.cribs", false, "/checkin").await;
    s.goto("/families/new").await;
    s.type_into("#caregiver-first_name", "Kimberly").await;
    s.type_into("#caregiver-last_name", "Keptform").await;
    let staff_id = app.user_id("staff@demo.cribs").await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    cribs::entity::user_session::Entity::update_many()
        .col_expr(
            cribs::entity::user_session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(cribs::clock::now() - chrono::Duration::minutes(31)),
        )
        .filter(cribs::entity::user_session::Column::UserId.eq(staff_id))
        .exec(&app.db)
        .await
        .expect("idle out");
    s.mark_page().await;
    s.el("button[value=save]").await.click().await.expect("Save");
    s.wait_for_path("the sign-in page", |p| p == "/login").await;
    assert!(s.text().await.contains("Your session ended, sign in again to continue — what you typed is kept"));
    look(&s, "session-ended-login", 390).await;
    s.type_into("#email", "staff@demo.cribs").await;
    s.type_into("#password", crate::common::PASSWORD).await;
    s.mark_page().await;
    s.el("#password").await.send_keys(Key::Enter).await.expect("Enter");
    s.wait_for_path("the form again", |p| p == "/families/new").await;
    assert_eq!(s.value("#caregiver-first_name").await, "Kimberly");
    assert_eq!(s.value("#caregiver-last_name").await, "Keptform");
    assert!(s.text().await.contains("check it and send it again"));
    look(&s, "session-ended-form-restored", 390).await;
    s.driver.set_window_rect(0, 0, 1024, 768).await.expect("window size");
    look(&s, "session-ended-form-restored", 1024).await;
    s.quit().await;
}

/// The name of the focused control (or its tag when it has none).
const FOCUSED_JS: &str =
    "const e = document.activeElement; return e ? (e.name || e.tagName) + '|' + (e.value || '') : '';";

/// Press Tab until the focused control is named `name` (at most 60 times).
async fn tab_to(b: &Browser, name: &str) -> String {
    for _ in 0..60 {
        b.driver.action_chain().send_keys(Key::Tab).perform().await.expect("Tab");
        let focused: String = b.driver.execute(FOCUSED_JS, vec![]).await.expect("focus").convert().expect("str");
        if focused.split('|').next() == Some(name) {
            return focused;
        }
    }
    panic!("Tab never reached {name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    cribs_no_browser,
    ignore = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
)]
async fn a_family_answers_the_survey_on_a_phone_with_the_keyboard_alone() {
    if !browser_available("survey") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let mut body = family().named("Keisha", "O'Brien-Núñez").with_infant_born(days_ago(9)).build();
    body["infants"][0]["name"] = json!("Zuri <b>Rose</b>");
    let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let (fid, iid) = (f["id"].as_i64().expect("family"), f["infant_ids"][0].as_i64().expect("infant"));
    app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "K O"});
    app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
    let (status, h) = app
        .post(
            &staff,
            "/api/v1/handouts",
            &json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let hid = h["id"].as_i64().expect("handout");
    use sea_orm::{ConnectionTrait, Statement};
    let on = today().checked_sub_months(chrono::Months::new(1)).expect("a month ago");
    app.db
        .execute_unprepared(&format!("UPDATE handouts SET handed_out_on = '{on}' WHERE id = {hid}"))
        .await
        .expect("a month ago");
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

    let b = Browser::start(&app).await;
    // The tablet first (a look only), then the phone, where the family answers.
    for (width, height, label) in [(1024, 768, "tablet"), (390, 844, "phone")] {
        b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        b.goto(&format!("/s/{token}")).await;
        b.assert_page_ok("survey").await;
        b.assert_accessible("survey").await;
        let wide = b.driver.execute("return document.documentElement.scrollWidth;", vec![]).await.expect("width");
        assert!(wide.json().as_i64().unwrap_or(i64::MAX) <= i64::from(width), "{label}: the page fits its width");
        b.screenshot(&format!("family-survey-{label}")).await;
    }
    let text = b.text().await;
    assert!(text.contains("How is Zuri sleeping?"), "the first name, as typed: {text}");
    assert!(!text.contains("Núñez"), "nothing else of the family");
    b.assert_keyboard_reachable("survey").await;
    b.driver
        .execute("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);", vec![])
        .await
        .expect("blur");
    // Keyboard only: Space picks a question's first answer, an arrow key the next ones; a
    // question left alone is skipped.
    tab_to(&b, "answers[crib_in_use]").await;
    b.driver.action_chain().send_keys(Key::Space).perform().await.expect("Space: yes");
    tab_to(&b, "answers[slept_last_night]").await;
    b.driver.action_chain().send_keys(Key::Space).perform().await.expect("Space: this crib");
    tab_to(&b, "answers[position]").await;
    b.driver.action_chain().send_keys(Key::Space).perform().await.expect("Space: back");
    let focused = tab_to(&b, "answers[bed_sharing]").await;
    assert!(focused.ends_with("|always"), "{focused}");
    for _ in 0..4 {
        b.driver.action_chain().send_keys(Key::Down).perform().await.expect("Down");
    }
    tab_to(&b, "answers[smoke_in_home]").await;
    b.driver.action_chain().send_keys(Key::Down).perform().await.expect("Down: no");
    tab_to(&b, "BUTTON").await;
    b.mark_page().await;
    b.driver.action_chain().send_keys(Key::Enter).perform().await.expect("Enter sends");
    b.settle().await;
    assert!(b.is_new_page().await, "Enter sent the form");
    b.assert_page_ok("survey answered").await;
    b.assert_accessible("survey answered").await;
    assert!(b.text().await.contains("Thank you. We received your answers."), "{}", b.text().await);
    b.screenshot("family-survey-thanks-phone").await;
    let sheet = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT answers FROM survey_answers".to_string(),
        ))
        .await
        .expect("q")
        .expect("a sheet")
        .try_get_by_index::<String>(0)
        .expect("answers");
    let sheet: Value = serde_json::from_str(&sheet).expect("json");
    assert_eq!(
        sheet,
        json!({"crib_in_use": "yes", "slept_last_night": "this_crib", "position": "back", "bed_sharing": "never", "smoke_in_home": "no"}),
        "what the keys chose, the skipped questions absent"
    );

    // The manager reads it on the safe-sleep report (the screens looked at, both sizes), with
    // eight months of synthetic families and their answers beside this one.
    let opts = cribs::generate::GenerateOptions {
        families: 400,
        seed: 11,
        months: 8,
        end: today().pred_opt().expect("yesterday"),
        plain_names: true,
    };
    cribs::generate::generate(&app.db, &opts).await.expect("synthetic history");
    b.sign_in("manager@demo.cribs", false, "/").await;
    for (width, height, label) in [(390, 844, "phone"), (1024, 768, "tablet")] {
        b.driver.set_window_rect(0, 0, width, height).await.expect("window size");
        let from = today() - chrono::Duration::days(240);
        b.goto(&format!("/reports/safe-sleep?group=race_ethnicity&from={from}&to={}", today())).await;
        b.assert_page_ok("safe-sleep report").await;
        b.assert_accessible("safe-sleep report").await;
        b.screenshot(&format!("manager-safe-sleep-{label}")).await;
        b.driver.execute("document.getElementById('round-1').scrollIntoView();", vec![]).await.expect("scroll");
        b.screenshot(&format!("manager-safe-sleep-round-{label}")).await;
        b.driver
            .execute("document.querySelector('#round-1 .table-scroll').scrollIntoView();", vec![])
            .await
            .expect("scroll");
        b.screenshot(&format!("manager-safe-sleep-groups-{label}")).await;
        b.goto(&format!("/handouts/{hid}/receipt")).await;
        b.assert_page_ok("receipt with the survey code").await;
        b.driver.execute("document.querySelector('.receipt-survey').scrollIntoView();", vec![]).await.expect("scroll");
        b.screenshot(&format!("receipt-survey-code-{label}")).await;
    }
    b.quit().await;
}
