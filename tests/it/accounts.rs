//! Accounts: signing in on the page and through the API, cookie flags, the same answer for
//! an unknown email and a wrong password, throttling, CSRF on login and logout, token
//! expiry, deactivation, the create-user command, the audit trail and its page, and the
//! administrators' Users pages.

use crate::common::{form_token, Browser, TestApp, PASSWORD};
use chrono::{Duration, Utc};
use reqwest::{Response, StatusCode};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use serde_json::{json, Value};

const NO_MATCH: &str = "That email and password do not match an active account.";

fn set_cookies(res: &Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
}

fn location(res: &Response) -> Option<String> {
    res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// POST the sign-in form from a fresh browser (with the page's CSRF token).
async fn sign_in_on_page(app: &TestApp, email: &str, password: &str) -> (Browser, Response) {
    let b = app.browser();
    let csrf = b.csrf("/login").await;
    let res = b.post_form("/login", &[("email", email), ("password", password), ("csrf_token", &csrf)]).await;
    (b, res)
}

async fn token_request(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("POST tokens");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Audit rows with this action (and, if given, this entity id), oldest first.
async fn audit_rows(app: &TestApp, action: &str) -> Vec<cribs::entity::audit_event::Model> {
    use sea_orm::QueryOrder;
    cribs::entity::audit_event::Entity::find()
        .filter(cribs::entity::audit_event::Column::Action.eq(action))
        .order_by_asc(cribs::entity::audit_event::Column::Id)
        .all(&app.db)
        .await
        .expect("audit query")
}

fn error_paragraph(html: &str) -> &str {
    let at = html.find("role=\"alert\"").unwrap_or(0);
    let rest = &html[at..];
    &rest[..rest.find("</p>").unwrap_or(rest.len())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_on_the_page_sets_an_httponly_lax_session_cookie() {
    let app = TestApp::spawn().await;
    let (b, res) = sign_in_on_page(&app, "staff@demo.cribs", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some("/"));
    let cookies = set_cookies(&res);
    let session = cookies.iter().find(|c| c.starts_with("cribs_session=")).expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(cookies.iter().all(|c| c.contains("SameSite")), "every cookie is SameSite: {cookies:?}");
    let (status, home) = b.get("/checkin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Sam Staff"), "the home page greets the user");
    // A signed-in user who opens the sign-in page goes home.
    let res = b.client.get(app.url("/login")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_accounts_sign_in_on_the_page_and_through_the_api() {
    let app = TestApp::spawn().await;
    for email in ["admin", "manager", "staff", "staff2", "nurse", "nurse2"].map(|n| format!("{n}@demo.cribs")) {
        let (_, res) = sign_in_on_page(&app, &email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{email} on the page");
        let token = app.token(&email).await;
        let (status, me) = app.get(&token, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["email"], email.as_str());
    }
    let (_, me) = app.get(&app.token("nurse@demo.cribs").await, "/api/v1/me").await;
    assert_eq!(me["role"], "nurse");
    assert!(me["hospital"]["name"].as_str().is_some_and(|n| n.contains("Hopkins")), "{me}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_and_a_session_carry_every_site_of_their_user_and_only_those() {
    use cribs::entity::{site, user_site};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = TestApp::spawn().await;
    let staff = app.user_id("staff@demo.cribs").await;
    let sites_of = |me: &Value| -> Vec<i64> {
        let mut ids: Vec<i64> =
            me["sites"].as_array().expect("sites").iter().map(|s| s["id"].as_i64().expect("id")).collect();
        ids.sort();
        ids
    };
    let token = app.token("staff@demo.cribs").await;
    let (_, me) = app.get(&token, "/api/v1/me").await;
    let mut own: Vec<i64> = user_site::Entity::find()
        .filter(user_site::Column::UserId.eq(staff))
        .all(&app.db)
        .await
        .expect("memberships")
        .into_iter()
        .map(|m| m.site_id)
        .collect();
    own.sort();
    assert_eq!(own.len(), 1, "the demo staff member belongs to one site");
    assert_eq!(sites_of(&me), own);

    // A second and a third site: the same token now carries all three.
    let others: Vec<i64> = site::Entity::find()
        .filter(site::Column::Kind.eq("distribution"))
        .filter(site::Column::Id.is_not_in(own.clone()))
        .all(&app.db)
        .await
        .expect("sites")
        .into_iter()
        .map(|s| s.id)
        .take(2)
        .collect();
    assert_eq!(others.len(), 2, "the demo data has three distribution sites or more");
    for site_id in &others {
        user_site::ActiveModel { user_id: Set(staff), site_id: Set(*site_id) }.insert(&app.db).await.expect("member");
    }
    let mut all = own.clone();
    all.extend(&others);
    all.sort();
    let (status, me) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sites_of(&me), all);
    for site_id in &all {
        let (status, _) = app.get(&token, &format!("/api/v1/sites/{site_id}/movements")).await;
        assert_eq!(status, StatusCode::OK, "site {site_id} is the staff member's");
    }
    let (_, page) = sign_in_on_page(&app, "staff@demo.cribs", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);

    // No site at all: signed in, with no site to act for.
    user_site::Entity::delete_many().filter(user_site::Column::UserId.eq(staff)).exec(&app.db).await.expect("leave");
    let (status, me) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sites_of(&me), Vec::<i64>::new());
    for site_id in &all {
        let (status, _) = app.get(&token, &format!("/api/v1/sites/{site_id}/movements")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "site {site_id} is no longer the staff member's");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let (_, wrong) = sign_in_on_page(&app, "staff@demo.cribs", "not-the-password").await;
    let (_, unknown) = sign_in_on_page(&app, "nobody@demo.cribs", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&wrong).iter().all(|c| !c.starts_with("cribs_session=")), "no session on failure");
    let (wrong, unknown) = (wrong.text().await.expect("html"), unknown.text().await.expect("html"));
    assert!(error_paragraph(&wrong).contains(NO_MATCH), "{wrong}");
    assert_eq!(error_paragraph(&wrong), error_paragraph(&unknown));
    assert!(!wrong.contains("not-the-password"), "the password is never shown again");
    assert!(wrong.contains("value=\"staff@demo.cribs\""), "the email is kept");

    let api_wrong = token_request(&app, "staff@demo.cribs", "not-the-password").await;
    let api_unknown = token_request(&app, "nobody@demo.cribs", "not-the-password").await;
    assert_eq!(api_wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api_wrong, api_unknown, "the same status and body");
    assert_eq!(api_wrong.1["error"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_for_one_email_throttle_the_page_and_the_api() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        let (status, _) = if i % 2 == 0 {
            token_request(&app, "staff@demo.cribs", "guess").await
        } else {
            let (_, res) = sign_in_on_page(&app, "staff@demo.cribs", "guess").await;
            (res.status(), Value::Null)
        };
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Now even the right password is refused, on both doors, with 429.
    let (status, body) = token_request(&app, "staff@demo.cribs", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "too_many_requests");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("15 minutes")), "{body}");
    assert!(body.get("fields").is_none());
    let (_, res) = sign_in_on_page(&app, "STAFF@demo.cribs ", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the email is normalised before counting");
    assert!(set_cookies(&res).iter().all(|c| !c.starts_with("cribs_session=")));
    let html = res.text().await.expect("html");
    assert!(error_paragraph(&html).contains("Too many failed sign-in attempts"), "{html}");
    // Other accounts are not affected.
    let (status, _) = token_request(&app, "staff2@demo.cribs", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED);
    // Once the window has passed, the right password works again.
    cribs::entity::login_attempt::Entity::update_many()
        .col_expr(cribs::entity::login_attempt::Column::At, Expr::value(Utc::now() - Duration::minutes(16)))
        .exec(&app.db)
        .await
        .expect("age the attempts");
    let (status, _) = token_request(&app, "staff@demo.cribs", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_cannot_slip_past_the_throttle() {
    let app = TestApp::spawn().await;
    let guesses = (0..12).map(|_| token_request(&app, "nurse@demo.cribs", "guess"));
    let results = futures::future::join_all(guesses).await;
    let unauthorized = results.iter().filter(|(s, _)| *s == StatusCode::UNAUTHORIZED).count();
    let throttled = results.iter().filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((unauthorized, throttled), (5, 7), "{:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_logout_refuse_a_missing_or_wrong_csrf_token() {
    let app = TestApp::spawn().await;
    let before = (app.count("login_attempts").await, app.count("audit_events").await);
    let b = app.browser();
    let _ = b.csrf("/login").await;
    for fields in [
        vec![("email", "staff@demo.cribs"), ("password", PASSWORD)],
        vec![("email", "staff@demo.cribs"), ("password", PASSWORD), ("csrf_token", "forged")],
    ] {
        let res = b.post_form("/login", &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(set_cookies(&res).iter().all(|c| !c.starts_with("cribs_session=")), "no session");
        let (status, _) = b.get("/checkin").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "still signed out");
    }
    // A token from another browser does not do either.
    let other = app.browser().csrf("/login").await;
    let res =
        b.post_form("/login", &[("email", "staff@demo.cribs"), ("password", PASSWORD), ("csrf_token", &other)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!((app.count("login_attempts").await, app.count("audit_events").await), before, "nothing recorded");

    let signed_in = app.browser_signed_in("staff@demo.cribs").await;
    let logouts_before = audit_rows(&app, "session.logout").await.len();
    for fields in [vec![], vec![("csrf_token", "forged")]] {
        let res = signed_in.post_form("/logout", &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let (status, _) = signed_in.get("/checkin").await;
        assert_eq!(status, StatusCode::OK, "still signed in");
    }
    assert_eq!(audit_rows(&app, "session.logout").await.len(), logouts_before);
    let csrf = signed_in.csrf("/").await;
    let res = signed_in.post_form("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let (status, _) = signed_in.get("/checkin").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
    assert_eq!(audit_rows(&app, "session.logout").await.len(), logouts_before + 1);
}

/// Sign in on the page and return the browser and its session cookie as a header value
/// (`cribs_session=…`), to replay from elsewhere as a copied cookie would be.
async fn signed_in_with_cookie(app: &TestApp, email: &str) -> (Browser, String) {
    let (b, res) = sign_in_on_page(app, email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = set_cookies(&res).into_iter().find(|c| c.starts_with("cribs_session=")).expect("a session cookie");
    let lower = set.to_ascii_lowercase();
    assert!(!lower.contains("expires=") && !lower.contains("max-age"), "a browser-session cookie: {set}");
    (b, set.split(';').next().unwrap_or_default().to_string())
}

/// GET a page with only this cookie (another computer holding a copy of it): 200 while the
/// session is open, a redirect to sign-in once it has ended.
async fn with_copied_cookie(app: &TestApp, cookie: &str) -> StatusCode {
    app.http.get(app.url("/checkin")).header("Cookie", cookie).send().await.expect("GET").status()
}

/// Run one statement on the sessions of a user (to age them as time would): `sql` with `?`
/// for each value, in order (numbered for PostgreSQL here).
async fn age_sessions(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    let backend = app.db.get_database_backend();
    let mut numbered = String::new();
    let mut n = 0;
    for c in sql.chars() {
        match (c, backend) {
            ('?', DbBackend::Postgres) => {
                n += 1;
                numbered.push_str(&format!("${n}"));
            }
            _ => numbered.push(c),
        }
    }
    app.db.execute_raw(Statement::from_sql_and_values(backend, numbered, values)).await.expect("age the sessions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_session_cookie_stops_at_sign_out_deactivation_idleness_and_twelve_hours() {
    let app = TestApp::spawn().await;
    let staff_id = app.user_id("staff@demo.cribs").await;

    // Signing out ends the session on the server: the copy stops too.
    let (b, cookie) = signed_in_with_cookie(&app, "staff@demo.cribs").await;
    assert_eq!(with_copied_cookie(&app, &cookie).await, StatusCode::OK);
    let csrf = b.csrf("/").await;
    assert_eq!(b.post_form("/logout", &[("csrf_token", &csrf)]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(with_copied_cookie(&app, &cookie).await, StatusCode::SEE_OTHER, "signed out is signed out everywhere");

    // Deactivation ends it, and re-activation does not bring it back.
    let (_b, cookie) = signed_in_with_cookie(&app, "staff@demo.cribs").await;
    let admin = app.browser_signed_in("admin@demo.cribs").await;
    for action in ["deactivate", "activate"] {
        let csrf = admin.csrf(&format!("/admin/users/{staff_id}")).await;
        let res = admin
            .post_form(
                &format!("/admin/users/{staff_id}/{action}"),
                &[("csrf_token", &csrf), ("form_token", &form_token())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{action}");
    }
    assert_eq!(with_copied_cookie(&app, &cookie).await, StatusCode::SEE_OTHER, "not revived by re-activation");

    // Idle for more than 30 minutes: ended.
    let (_b, cookie) = signed_in_with_cookie(&app, "staff@demo.cribs").await;
    let ago = |m: i64| Utc::now() - Duration::minutes(m);
    let idle = "UPDATE user_sessions SET last_seen_at = ? WHERE user_id = ?";
    age_sessions(&app, idle, vec![ago(31).into(), staff_id.into()]).await;
    assert_eq!(with_copied_cookie(&app, &cookie).await, StatusCode::SEE_OTHER, "idle too long");

    // Busy all day, but signed in more than 12 hours ago: ended.
    let (_b, cookie) = signed_in_with_cookie(&app, "staff@demo.cribs").await;
    assert_eq!(with_copied_cookie(&app, &cookie).await, StatusCode::OK);
    let old = "UPDATE user_sessions SET created_at = ?, expires_at = ? WHERE user_id = ?";
    age_sessions(&app, old, vec![ago(12 * 60 + 1).into(), ago(1).into(), staff_id.into()]).await;
    assert_eq!(with_copied_cookie(&app, &cookie).await, StatusCode::SEE_OTHER, "past its 12 hours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token("manager@demo.cribs").await;
    let (status, _) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let hash = cribs::auth::token::sha256_hex(&token);
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "UPDATE api_tokens SET expires_at = $1 WHERE token_hash = $2",
        _ => "UPDATE api_tokens SET expires_at = ? WHERE token_hash = ?",
    };
    let past = Utc::now() - Duration::minutes(1);
    let done = app
        .db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [past.into(), hash.into()]))
        .await
        .expect("expire the token");
    assert_eq!(done.rows_affected(), 1);
    let (status, body) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_stops_existing_tokens_and_sessions_at_once() {
    let app = TestApp::spawn().await;
    let staff_id = app.user_id("staff@demo.cribs").await;
    let token = app.token("staff@demo.cribs").await;
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    assert_eq!(app.get(&token, "/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(staff.get("/checkin").await.0, StatusCode::OK);

    let admin = app.browser_signed_in("admin@demo.cribs").await;
    let csrf = admin.csrf(&format!("/admin/users/{staff_id}")).await;
    let res = admin
        .post_form(
            &format!("/admin/users/{staff_id}/deactivate"),
            &[("csrf_token", &csrf), ("form_token", &form_token())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), Some(format!("/admin/users/{staff_id}")));

    let (status, body) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token stopped: {body}");
    let res = staff.client.get(app.url("/")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the session stopped");
    assert_eq!(location(&res).as_deref(), Some("/login"));
    let res = staff.client.get(app.url("/api/v1/me")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the session no longer reads the API either");
    let (_, res) = sign_in_on_page(&app, "staff@demo.cribs", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a deactivated account cannot sign in");
    assert!(error_paragraph(&res.text().await.expect("html")).contains(NO_MATCH));
    assert_eq!(token_request(&app, "staff@demo.cribs", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    let rows = audit_rows(&app, "user.deactivate").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entity_id, Some(staff_id));
    assert!(rows[0].detail.as_deref().is_some_and(|d| d.contains("1 API token(s) revoked")), "{:?}", rows[0]);

    // Activated again: a new sign-in works; the old token stays revoked.
    let res = admin
        .post_form(
            &format!("/admin/users/{staff_id}/activate"),
            &[("csrf_token", &csrf), ("form_token", &form_token())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&token, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let fresh = app.token("staff@demo.cribs").await;
    assert_eq!(app.get(&fresh, "/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(audit_rows(&app, "user.activate").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_deactivate_or_demote_themself() {
    let app = TestApp::spawn().await;
    let admin_id = app.user_id("admin@demo.cribs").await;
    let admin = app.browser_signed_in("admin@demo.cribs").await;
    let path = format!("/admin/users/{admin_id}");
    let (status, page) = admin.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("/deactivate\""), "no deactivate button on your own account");
    let csrf = admin.csrf(&path).await;
    let res =
        admin.post_form(&format!("{path}/deactivate"), &[("csrf_token", &csrf), ("form_token", &form_token())]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("html").contains("cannot deactivate your own account"));
    let res = admin
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("form_token", &form_token()),
                ("name", "Avery Admin"),
                ("role", "program_manager"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("cannot change your own role"));
    assert_eq!(admin.get("/admin/users").await.0, StatusCode::OK, "still an active admin");
    assert!(audit_rows(&app, "user.deactivate").await.is_empty());
    assert!(audit_rows(&app, "user.update").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_create_user_command_reads_the_password_from_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let app = TestApp::spawn().await;
    if app.schema.is_some() {
        eprintln!("skipped: the command cannot be pointed at a PostgreSQL schema");
        return;
    }
    let run = |email: &str, password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cribs"))
            .args(["create-user", "--email", email, "--role", "site_staff", "--site", "cherry-hill"])
            .args(["--site", "belair-edison", "--name", "Casey Command"])
            .env("DATABASE_URL", &app.database_url)
            .env("CRIBS_DEMO", "0")
            .env("RUST_LOG", "off")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run cribs");
        child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write");
        child.wait_with_output().expect("output")
    };
    let short = run("casey@demo.cribs", "pw-xyz");
    assert!(!short.status.success());
    let err = String::from_utf8_lossy(&short.stderr);
    assert!(err.contains("at least 10 characters"), "{err}");
    assert!(!err.contains("pw-xyz") && !String::from_utf8_lossy(&short.stdout).contains("pw-xyz"));

    let out = run("Casey@Demo.cribs", "a long enough secret");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("created user casey@demo.cribs"), "{stdout}");
    assert!(!stdout.contains("a long enough secret"));

    let (status, body) = token_request(&app, "casey@demo.cribs", "a long enough secret").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().expect("token").to_string();
    let (_, me) = app.get(&token, "/api/v1/me").await;
    assert_eq!(me["role"], "site_staff");
    assert_eq!(me["sites"].as_array().map(Vec::len), Some(2), "{me}");
    let rows = audit_rows(&app, "user.create").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].user_id, None, "the command acts as the system");
    assert!(rows[0].detail.as_deref().is_some_and(|d| d.contains("create-user command")));

    let again = run("casey@demo.cribs", "a long enough secret");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_managers_and_nurses_get_403_on_the_users_pages() {
    let app = TestApp::spawn().await;
    let users_before = app.count("users").await;
    for email in ["staff@demo.cribs", "manager@demo.cribs", "nurse@demo.cribs"] {
        let b = app.browser_signed_in(email).await;
        for path in ["/admin/users", "/admin/users/new", "/admin/users/1"] {
            assert_eq!(b.get(path).await.0, StatusCode::FORBIDDEN, "{email} {path}");
        }
        let csrf = b.csrf("/").await;
        let res = b
            .post_form(
                "/admin/users/new",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("form_token", &form_token()),
                    ("email", "sneaky@demo.cribs"),
                    ("name", "Sneaky"),
                    ("role", "admin"),
                    ("password", "a long enough secret"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(app.count("users").await, users_before);
    let res = app.browser().client.get(app.url("/admin/users")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_user_through_the_form_and_they_can_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.browser_signed_in("admin@demo.cribs").await;
    let (status, form) = admin.get("/admin/users/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Druid Heights Family Center") && form.contains("Johns Hopkins Hospital"));
    for id in ["email", "name", "password", "role", "hospital_site_id"] {
        assert!(form.contains(&format!("<label for=\"{id}\"")), "a label for {id}");
    }
    let csrf = admin.csrf("/admin/users/new").await;
    let users_before = app.count("users").await;

    // Refused: every problem next to its field, what was typed kept, never the password.
    let res = admin
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", &form_token()),
                ("email", "not-an-email"),
                ("name", "Dana <b>Doe</b>"),
                ("role", "site_staff"),
                ("password", "short-pw"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    for id in ["email-error", "password-error", "sites-error"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} shown");
    }
    assert!(html.contains("value=\"not-an-email\""), "the email is kept");
    assert!(html.contains("Dana &lt;b&gt;Doe&lt;&#x2F;b&gt;") || html.contains("Dana &lt;b&gt;Doe&lt;/b&gt;"));
    assert!(!html.contains("short-pw"), "the password is never shown again");
    assert_eq!(app.count("users").await, users_before);

    // A nurse needs a hospital; the duplicate of an existing email is refused.
    let res = admin
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", &form_token()),
                ("email", "STAFF@demo.cribs"),
                ("name", "Dup"),
                ("role", "nurse"),
                ("password", "a long enough secret"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("already exists") && html.contains("Choose the nurse"), "{html}");

    // Accepted.
    let res = admin
        .post_form(
            "/admin/users/new",
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", &form_token()),
                ("email", "Dana@Demo.cribs"),
                ("name", "Dana Doe"),
                ("role", "site_staff"),
                ("password", "dana's long secret"),
                ("sites", "1"),
                ("sites", "2"),
                ("hospital_site_id", "5"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some("/admin/users"));
    let (_, list) = admin.get("/admin/users").await;
    assert!(list.contains("dana@demo.cribs") && list.contains("Created the account of Dana Doe"), "{list}");

    let (dana, res) = sign_in_on_page(&app, "dana@demo.cribs", "dana's long secret").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(dana.get("/checkin").await.0, StatusCode::OK);
    let me = dana.client.get(app.url("/api/v1/me")).send().await.expect("GET").json::<Value>().await.expect("json");
    assert_eq!(me["role"], "site_staff");
    assert_eq!(me["sites"].as_array().map(Vec::len), Some(2), "{me}");
    assert!(me["hospital"].is_null(), "a hospital is ignored for site staff: {me}");

    // Edit: make Dana a nurse at a hospital; the change applies to her next request.
    let dana_id = app.user_id("dana@demo.cribs").await;
    let path = format!("/admin/users/{dana_id}");
    let res = admin
        .post_form(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", &form_token()),
                ("name", "Dana Doe"),
                ("role", "nurse"),
                ("hospital_site_id", "5"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let me = dana.client.get(app.url("/api/v1/me")).send().await.expect("GET").json::<Value>().await.expect("json");
    assert_eq!(me["role"], "nurse");
    assert_eq!(me["hospital"]["id"], 5);
    assert_eq!(me["sites"].as_array().map(Vec::len), Some(0));
    let rows = audit_rows(&app, "user.update").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].detail.as_deref().is_some_and(|d| d.contains("role site_staff") && d.contains("role nurse")));
    let created = audit_rows(&app, "user.create").await;
    assert_eq!(created.len(), 1);
    assert!(created[0].detail.as_deref().is_some_and(|d| !d.contains("secret")), "no password in the audit trail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_and_sign_in_leaves_an_audit_row_that_the_audit_page_lists() {
    let app = TestApp::spawn().await;
    let manager_token = app.token("manager@demo.cribs").await;
    let (status, _) =
        app.post(&manager_token, "/api/v1/sites/1/receipts", &json!({"crib_model_id": 1, "quantity": 3})).await;
    assert_eq!(status, StatusCode::CREATED);
    let _ = token_request(&app, "staff@demo.cribs", "wrong password").await;
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let csrf = staff.csrf("/").await;
    staff.post_form("/logout", &[("csrf_token", &csrf)]).await;
    let admin = app.browser_signed_in("admin@demo.cribs").await;
    let staff2_id = app.user_id("staff2@demo.cribs").await;
    let csrf = admin.csrf("/admin/users/new").await;
    admin
        .post_form(
            &format!("/admin/users/{staff2_id}"),
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", &form_token()),
                ("name", "Jordan Staff"),
                ("role", "site_staff"),
                ("sites", "2"),
                ("sites", "3"),
            ],
        )
        .await;

    let staff_id = app.user_id("staff@demo.cribs").await;
    for (action, entity_id) in [
        ("token.create", None),
        ("stock.receipt", None),
        ("login.failed", Some(staff_id)),
        ("session.login", Some(staff_id)),
        ("session.logout", Some(staff_id)),
        ("user.update", Some(staff2_id)),
    ] {
        let rows = audit_rows(&app, action).await;
        assert!(!rows.is_empty(), "an audit row for {action}");
        if let Some(id) = entity_id {
            assert!(rows.iter().any(|r| r.entity_id == Some(id)), "{action} names user {id}: {rows:?}");
        }
        assert!(rows.iter().all(|r| r.ip.as_deref() == Some("127.0.0.1")), "{action} records the address");
    }
    let failed = audit_rows(&app, "login.failed").await;
    assert_eq!(failed[0].user_id, None, "nobody was signed in");

    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, page) = manager.get("/audit").await;
    assert_eq!(status, StatusCode::OK);
    // Actions in words (`domain::audit_text`), each in its own cell.
    for action in ["token.create", "stock.receipt", "login.failed", "session.logout", "user.update"] {
        assert!(page.contains(&what(action)), "the audit page lists {action} in words");
        assert!(!page.contains(&format!(">{action}<")), "not as a code: {action}");
    }
    assert!(
        page.find(&what("session.login")).unwrap_or(0) < page.find(&what("stock.receipt")).unwrap_or(0),
        "newest first"
    );

    let (_, page) = manager.get("/audit?action=user.").await;
    assert!(
        page.contains(&what("user.update"))
            && !page.contains(&what("stock.receipt"))
            && !page.contains(&what("session.login"))
    );
    let (_, page) = manager.get("/audit?person=admin%40demo").await;
    assert!(page.contains(&what("user.update")) && !page.contains(&what("stock.receipt")), "by email");
    let (_, page) = manager.get(&format!("/audit?entity=user&entity_id={staff2_id}")).await;
    assert!(page.contains(&what("user.update")) && !page.contains(&what("session.login")), "by record");
    let today = cribs::clock::today();
    let (_, page) = manager.get(&format!("/audit?from={today}&to={today}")).await;
    assert!(page.contains(&what("stock.receipt")), "today's rows are in today's range");
    let tomorrow = today + Duration::days(1);
    let (_, page) = manager.get(&format!("/audit?from={tomorrow}")).await;
    assert!(page.contains("No events match"));
    let (status, page) = manager.get("/audit?from=31%2F12%2F2026&entity_id=x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"from-error\"") && page.contains("id=\"entity_id-error\""));
    assert!(page.replace("&#x2F;", "/").contains("value=\"31/12/2026\""), "the filter is shown again as typed");

    // Pagination: 50 to a page, newest first, the filters kept in the links.
    for i in 0..60 {
        cribs::store::audit::record(
            &app.db,
            None,
            None,
            cribs::store::audit::AuditEntry { action: "test.page", entity: "thing", entity_id: Some(i), detail: None },
        )
        .await
        .expect("record");
    }
    let (_, first) = manager.get("/audit?action=test.").await;
    assert!(first.contains("60 events; page 1 of 2"), "{first}");
    let first = first.replace("&#x2F;", "/");
    assert!(first.contains("href=\"/audit?action=test.&amp;page=2\""), "a link to the older page");
    let (_, second) = manager.get("/audit?action=test.&page=2").await;
    assert!(second.contains("page 2 of 2") && second.contains("thing 0"));
    assert!(!second.contains("thing 59"));

    // Only managers and admins; nothing else is mounted under /audit.
    assert_eq!(admin.get("/audit").await.0, StatusCode::OK);
    for who in ["staff2@demo.cribs", "nurse@demo.cribs"] {
        assert_eq!(app.browser_signed_in(who).await.get("/audit").await.0, StatusCode::FORBIDDEN, "{who}");
    }
    let writes: Vec<_> = app.routes().iter().filter(|(m, uri)| uri.contains("audit") && m != "GET").collect();
    assert!(writes.is_empty(), "no route edits or deletes audit rows: {writes:?}");
}

/// An action's cell on the audit page: its words between tags.
fn what(action: &str) -> String {
    format!(">{}<", cribs::domain::audit_text::action_words(action))
}
