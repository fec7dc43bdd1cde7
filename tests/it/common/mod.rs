//! The shared test harness: `TestApp::spawn()` starts the real app (the same `build(figment)`
//! that `serve` uses) on a free 127.0.0.1 port with its own database: a temporary SQLite
//! file, or, when `TEST_DATABASE_URL` is set, a fresh PostgreSQL schema that is dropped
//! afterwards (leftovers of crashed runs are swept at start). Tests talk real HTTP.

#![allow(dead_code)]

pub mod fixtures;
pub mod smtp;

use cribs::db::Db;
use reqwest::{Client, Response, StatusCode};
use rocket::fairing::AdHoc;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The demo password every demo account has.
pub const PASSWORD: &str = "cribs-demo";

static COUNTER: AtomicU64 = AtomicU64::new(0);
static SWEPT: OnceCell<()> = OnceCell::const_new();

/// One running app and its database.
pub struct TestApp {
    pub base: String,
    pub http: Client,
    pub db: Db,
    pub database_url: String,
    pub schema: Option<String>,
    /// Every mounted route of the ignited app: (method, URI template as Rocket prints it).
    routes: Vec<(String, String)>,
    shutdown: rocket::Shutdown,
    _dir: Option<tempfile::TempDir>,
}

fn binary_tag() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
        .map(|s| s.split('-').next().unwrap_or("t").to_string())
        .unwrap_or_else(|| "t".into())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// The PostgreSQL URL under test, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

async fn sweep_leftovers(url: &str, prefix: &str) {
    let Ok(db) = Database::connect(url).await else {
        return;
    };
    let sql = format!("SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE '{prefix}%'");
    if let Ok(rows) = db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await {
        for row in rows {
            if let Ok(name) = row.try_get::<String>("", "name") {
                // Only a finished run's schemas: under nextest each test is a process of
                // its own, and the others' schemas are in use.
                let pid = name.strip_prefix(prefix).and_then(|rest| rest.split('_').next());
                if pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists()) {
                    continue;
                }
                let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).await;
            }
        }
    }
    let _ = db.close().await;
}

/// Settings for a test app beyond the defaults.
#[derive(Default, Clone)]
pub struct Options {
    /// `Some(false)` starts with reference data only (default: the demo, asked for).
    pub demo: Option<bool>,
    /// Leave `cribs_demo` unset, to see what the app does by default.
    pub leave_demo_unset: bool,
    /// Reuse an existing database (URL, schema) instead of making a new one.
    pub reuse: Option<(String, Option<String>)>,
    /// The server's database pool size (default: the app's own).
    pub pool_size: Option<u32>,
    /// More settings for the server, as `(name, value)` (e.g. `cribs_trusted_proxies`).
    pub settings: Vec<(&'static str, String)>,
}

impl TestApp {
    /// Start an app with the demo data.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Options::default()).await
    }

    /// Start an app with options.
    pub async fn spawn_with(opts: Options) -> TestApp {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let (database_url, schema, dir) = match (&opts.reuse, postgres_url()) {
            (Some((url, schema)), _) => (url.clone(), schema.clone(), None),
            (None, Some(url)) => {
                let prefix = format!("t_{}_", binary_tag());
                SWEPT.get_or_init(|| sweep_leftovers(&url, &prefix)).await;
                let schema = format!("{prefix}{}_{n}", std::process::id());
                let admin = Database::connect(url.as_str()).await.expect("connect to TEST_DATABASE_URL");
                admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create schema");
                let _ = admin.close().await;
                (url, Some(schema), None)
            }
            (None, None) => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/cribs.db?mode=rwc", dir.path().display());
                (url, None, Some(dir))
            }
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<u16>();
        let tx = std::sync::Mutex::new(Some(tx));
        let mut figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            .merge(("log_level", "off"))
            .merge(("workers", 4))
            .merge(("secret_key", cribs::auth::token::random_secret_key()))
            .merge(("database_url", database_url.clone()))
            .merge(("database_connect_timeout", 5))
            .merge(("shutdown.ctrlc", false))
            .merge(("shutdown.grace", 1))
            .merge(("shutdown.mercy", 1));
        if let Some(s) = &schema {
            figment = figment.merge(("database_schema", s.clone()));
        }
        // The demo data is asked for (it is not there by default on PostgreSQL), unless
        // the test says otherwise or wants the app's own default.
        if !opts.leave_demo_unset {
            figment = figment.merge(("cribs_demo", opts.demo.unwrap_or(true)));
        }
        if let Some(n) = opts.pool_size {
            figment = figment.merge(("database_pool_size", n));
        }
        // The outbox's sender is driven by the tests that send (`messages.rs`), with their
        // own clock, unless a test asks for the app's own.
        figment = figment.merge(("cribs_outbox_poll_seconds", 0));
        for (name, value) in &opts.settings {
            figment = figment.merge((*name, value.clone()));
        }
        let rocket = cribs::build(figment)
            .attach(AdHoc::on_liftoff("port", move |r| {
                Box::pin(async move {
                    if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                        let _ = tx.send(r.config().port);
                    }
                })
            }))
            .ignite()
            .await
            .expect("the app ignites");
        let shutdown = rocket.shutdown();
        // The app's own handle on its database: a test reads and writes as the app does
        // (on SQLite its writes queue for the same writer connection).
        let db = rocket.state::<Db>().cloned().expect("the app manages its database");
        let routes = rocket.routes().map(|r| (r.method.as_str().to_string(), r.uri.to_string())).collect();
        tokio::spawn(async move {
            let _ = rocket.launch().await;
        });
        let port = tokio::time::timeout(Duration::from_secs(30), rx).await.expect("liftoff in time").expect("port");
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            http: Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
            db,
            database_url,
            schema,
            routes,
            shutdown,
            _dir: dir,
        }
    }

    /// Every route the running app mounted: (method, URI template as Rocket prints it,
    /// e.g. `("POST", "/api/v1/sites/<id>/counts")`), read from the ignited Rocket.
    pub fn routes(&self) -> &[(String, String)] {
        &self.routes
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A bearer token for a demo account.
    pub async fn token(&self, email: &str) -> String {
        let res = self
            .http
            .post(self.url("/api/v1/tokens"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("token request");
        assert_eq!(res.status(), StatusCode::CREATED, "token for {email}");
        let body: Value = res.json().await.expect("token json");
        body["token"].as_str().expect("token string").to_string()
    }

    /// GET with a bearer token; returns status and JSON (Null when not JSON).
    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self.http.get(self.url(path)).bearer_auth(token).send().await.expect("GET");
        split(res).await
    }

    /// POST JSON with a bearer token.
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self.http.post(self.url(path)).bearer_auth(token).json(body).send().await.expect("POST");
        split(res).await
    }

    /// PATCH JSON with a bearer token.
    pub async fn patch(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self.http.patch(self.url(path)).bearer_auth(token).json(body).send().await.expect("PATCH");
        split(res).await
    }

    /// POST JSON with a bearer token and an Idempotency-Key.
    pub async fn post_idem(&self, token: &str, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("POST");
        split(res).await
    }

    /// POST a raw body with a bearer token.
    pub async fn post_raw(&self, token: &str, path: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST");
        split(res).await
    }

    /// A browser-like client (cookie store, no redirects followed) signed in through the login form.
    pub async fn browser_signed_in(&self, email: &str) -> Browser {
        let b = self.browser();
        let csrf = b.csrf("/login").await;
        let res = b
            .client
            .post(self.url("/login"))
            .form(&[("email", email), ("password", PASSWORD), ("csrf_token", csrf.as_str())])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login for {email}");
        b
    }

    /// A fresh browser-like client with a cookie store.
    pub fn browser(&self) -> Browser {
        Browser {
            client: Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
        }
    }

    /// The id of the user with this email.
    pub async fn user_id(&self, email: &str) -> i64 {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        cribs::entity::user::Entity::find()
            .filter(cribs::entity::user::Column::Email.eq(email))
            .one(&self.db)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no user {email}"))
            .id
    }

    /// Count rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        self.count_where(table, "1 = 1").await
    }

    /// Count the rows of a table that meet a condition (SQL the test writes).
    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table} WHERE {condition}"),
            ))
            .await
            .expect("count")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("n")
    }

    /// Date every stock movement `days` back, as if the sites had had their stock that long
    /// (a paper slip cannot be dated before a site first had the crib).
    pub async fn back_date_stock(&self, days: i64) {
        let backend = self.db.get_database_backend();
        let sql = if backend == DbBackend::Postgres {
            "UPDATE stock_movements SET created_at = $1"
        } else {
            "UPDATE stock_movements SET created_at = ?"
        };
        let then = chrono::Utc::now() - chrono::Duration::days(days);
        self.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, [then.into()]))
            .await
            .expect("back-date the stock");
    }

    /// Assert the ledger has no drift.
    pub async fn assert_no_drift(&self) {
        let drift = cribs::store::stock::check_ledger(&self.db).await.expect("check ledger");
        assert!(drift.is_empty(), "ledger drift: {drift:?}");
    }

    /// Stop the server now (it is stopped anyway when the test ends).
    pub fn stop(&self) {
        self.shutdown.clone().notify();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
        if let Some(schema) = self.schema.take() {
            if self._dir.is_none() && postgres_url().is_some() {
                let url = self.database_url.clone();
                // NOTE: async work in Drop: a short-lived runtime on its own thread.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(db) = Database::connect(url.as_str()).await {
                            let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await;
                            let _ = db.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A client that keeps cookies, like a browser.
pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    /// GET a page; returns status and body text.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self.client.get(format!("{}{}", self.base, path)).send().await.expect("GET page");
        let status = res.status();
        (status, res.text().await.unwrap_or_default())
    }

    /// The CSRF token on a page's form.
    pub async fn csrf(&self, path: &str) -> String {
        // Follow a few redirects (site staff's home redirects to check-in).
        let mut at = path.to_string();
        for _ in 0..3 {
            let res = self.client.get(format!("{}{}", self.base, at)).send().await.expect("GET page");
            if res.status().is_redirection() {
                at = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("/").to_string();
                continue;
            }
            let html = res.text().await.unwrap_or_default();
            return extract_csrf(&html).unwrap_or_else(|| panic!("no csrf_token on {at}"));
        }
        panic!("too many redirects from {path}")
    }

    /// The hidden fields (CSRF field, one-time form token…) of the form on `page` that posts
    /// to `action`, as a browser would send them.
    pub async fn hidden_fields(&self, page: &str, action: &str) -> Vec<(String, String)> {
        let (status, html) = self.get(page).await;
        assert_eq!(status, StatusCode::OK, "GET {page}");
        hidden_fields_of(&html, action).unwrap_or_else(|| panic!("no form posting to {action} on {page}"))
    }

    /// Send the form on `page` that posts to `action` with its hidden fields and `fields`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = self.hidden_fields(page, action).await;
        all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.client.post(format!("{}{}", self.base, action)).form(&all).send().await.expect("POST form")
    }

    /// POST a form; returns the response.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client.post(format!("{}{}", self.base, path)).form(fields).send().await.expect("POST form")
    }
}

/// A new one-time form token, as a form page would carry (for posts a test builds itself).
pub fn form_token() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("test-{nanos}-{n}")
}

/// The hidden inputs of the first form in `html` whose action is `action`.
pub fn hidden_fields_of(html: &str, action: &str) -> Option<Vec<(String, String)>> {
    let start = html.find(&format!("action=\"{action}\""))?;
    let form = &html[start..];
    let form = &form[..form.find("</form>")?];
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>')?];
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        let attr = |name: &str| {
            let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
            Some(tag[at..at + tag[at..].find('"')?].to_string())
        };
        if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
            fields.push((name, value));
        }
    }
    Some(fields)
}

/// Find the value of the `csrf_token` hidden field in a page.
pub fn extract_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

async fn split(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
