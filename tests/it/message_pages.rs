//! The message pages (issue 21): staff record and stop a family's e-mail consent on the
//! family page (a refused form keeps what was typed), the family's unsubscribe page in the
//! consent's language (the page's button and a mail client's one-click POST; an unknown
//! link is a kind 404), the outbox for managers only with "Send again", the dashboard's
//! failed-messages card, one's own notices on the account page, and a manager moving a
//! request's hold, which moves its reminder.

use crate::common::fixtures::{days_ago, family, today};
use crate::common::TestApp;
use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// Register a family through the API as site staff (it is then in site 1's scope).
async fn register(app: &TestApp, first: &str, language: &str) -> i64 {
    let staff = app.token("staff@demo.cribs").await;
    let mut body = family()
        .named(first, "Lopez")
        .with_infant_born(days_ago(12))
        .set("/preferred_language", json!(language))
        .build();
    // Two test families share the fixture's phone: they are different families.
    body["confirm_not_duplicate"] = json!(true);
    let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    f["id"].as_i64().expect("family id")
}

/// Give a family's consent through the API; the token of its unsubscribe link.
async fn consent(app: &TestApp, family_id: i64, email: &str, language: &str) -> String {
    let staff = app.token("staff@demo.cribs").await;
    let body = json!({"email": email, "language": language});
    let (status, c) = app.post(&staff, &format!("/api/v1/families/{family_id}/consent"), &body).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    consent_row(app, family_id).await.unsubscribe_token
}

async fn consent_row(app: &TestApp, family_id: i64) -> cribs::entity::message_consent::Model {
    use cribs::entity::message_consent::{Column, Entity};
    Entity::find().filter(Column::FamilyId.eq(family_id)).one(&app.db).await.expect("query").expect("a consent")
}

async fn message(app: &TestApp, id: i64) -> cribs::entity::message::Model {
    cribs::entity::message::Entity::find_by_id(id).one(&app.db).await.expect("query").expect("the message")
}

/// The nurse's "hold ending" reminder of a request (its key: `referral:<id>:hold-ending`).
async fn hold_ending(app: &TestApp, referral_id: i64) -> cribs::entity::message::Model {
    use cribs::entity::message::{Column, Entity};
    let key = format!("referral:{referral_id}:hold-ending");
    Entity::find().filter(Column::DedupeKey.eq(key)).one(&app.db).await.expect("query").expect("the reminder")
}

/// Tera writes `/` as `&#x2F;` (and `'` as `&#x27;`) in text: the page as a person reads it.
fn unescaped(html: &str) -> String {
    html.replace("&#x2F;", "/").replace("&#x27;", "'").replace("&quot;", "\"").replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_record_a_familys_consent_on_its_page_and_stop_it() {
    let app = TestApp::spawn().await;
    let id = register(&app, "Ana", "es").await;
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let page = format!("/families/{id}");
    let (status, html) = staff.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"messages\"") && html.contains("No e-mail consent recorded."), "the section");
    assert!(html.contains("No messages yet."), "an empty log");
    assert!(!html.contains("Stop e-mails"), "nothing to stop yet");
    let action = format!("/families/{id}/consent");

    // A bad address is refused: the page again, with the sentence and what was typed.
    let res = staff.submit(&page, &action, &[("email", "ana at example"), ("language", "es"), ("agreed", "yes")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unescaped(&res.text().await.unwrap_or_default());
    assert!(html.contains("That is not an e-mail address: write it as name@example.org."), "{html}");
    assert!(html.contains("value=\"ana at example\""), "what was typed is kept");
    assert!(html.contains("<option value=\"es\" lang=\"es\" selected>"), "the language chosen is kept");
    assert!(html.contains("aria-invalid=\"true\""), "the field is marked");
    // Without the caregiver's agreement nothing is recorded either, and the address stays.
    let res = staff.submit(&page, &action, &[("email", "ana.lopez@example.org"), ("language", "es")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unescaped(&res.text().await.unwrap_or_default());
    assert!(html.contains("Tick the box once the caregiver has agreed"), "{html}");
    assert!(html.contains("value=\"ana.lopez@example.org\""), "what was typed is kept");
    assert_eq!(app.count("message_consents").await, 0, "nothing recorded");

    // Recorded: back to the family's messages, which say where and in which language.
    let fields = [("email", " ana.lopez@example.org "), ("language", "es"), ("agreed", "yes")];
    let res = staff.submit(&page, &action, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("/families/{id}#messages").as_str());
    let recorded = format!(
        "family_id = {id} AND address = 'ana.lopez@example.org' AND language = 'es' AND withdrawn_at IS NULL AND given_by IS NOT NULL"
    );
    assert_eq!(app.count_where("message_consents", &recorded).await, 1);
    let audited =
        format!("action = 'family.consent' AND entity = 'family' AND entity_id = {id} AND user_id IS NOT NULL");
    assert_eq!(app.count_where("audit_events", &audited).await, 1);
    let (_, html) = staff.get(&page).await;
    let html = unescaped(&html);
    assert!(html.contains("E-mail consent recorded: messages about the crib go to ana.lopez@example.org, in Español."));
    assert!(html.contains("E-mails go to ana.lopez@example.org</strong>, in Español."), "the consent in words");
    let on = cribs::clock::today().to_string();
    assert!(
        html.contains(&format!("Consent recorded {on} ")) && html.contains(" by Sam Staff"),
        "when and by whom: {html}"
    );
    assert!(html.contains("Stop e-mails"), "and the way to stop it");

    // Stop e-mails: withdrawn, by staff, audited; the page says so.
    let res = staff.submit(&page, &format!("/families/{id}/consent/withdraw"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let withdrawn = format!("family_id = {id} AND withdrawn_at IS NOT NULL AND withdrawn_how = 'staff'");
    assert_eq!(app.count_where("message_consents", &withdrawn).await, 1);
    let audited = format!("action = 'family.consent_withdrawn' AND entity_id = {id}");
    assert_eq!(app.count_where("audit_events", &audited).await, 1);
    let (_, html) = staff.get(&page).await;
    assert!(html.contains("E-mails stopped"), "the flash");
    assert!(html.contains("No e-mails are sent: the consent was withdrawn"), "{html}");
    assert!(html.contains("recorded by staff"), "how");
    assert!(!html.contains("/consent/withdraw\""), "nothing left to stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_family_page_lists_its_messages_in_words() {
    let app = TestApp::spawn().await;
    let id = register(&app, "Rosa", "en").await;
    consent(&app, id, "rosa@example.org", "en").await;
    let now = cribs::clock::now();
    for (key, kind, status, why) in [
        ("test:ready", "crib_ready", "sent", None),
        ("test:reminder", "hold_reminder", "suppressed", Some("the request was handed out before the reminder")),
    ] {
        cribs::entity::message::ActiveModel {
            dedupe_key: Set(key.into()),
            kind: Set(kind.into()),
            family_id: Set(Some(id)),
            language: Set("en".into()),
            status: Set(status.into()),
            not_before: Set(now),
            attempts: Set(1),
            last_error: Set(why.map(str::to_string)),
            sent_at: Set((status == "sent").then_some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("a message");
    }
    let (status, html) = app.browser_signed_in("staff@demo.cribs").await.get(&format!("/families/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("The crib is ready at a site (to the family)") && html.contains(">sent<"),
        "what and its status in words"
    );
    assert!(html.contains("not sent, on purpose") && html.contains("the request was handed out before the reminder"));
    let local = cribs::clock::local_date_time(now);
    assert!(html.contains("Sent <time datetime=\"") && html.contains(&local), "when, New York time");
    assert!(!html.contains(">crib_ready<") && !html.contains(">suppressed<"), "no codes");
    let (_, html) = app.browser_signed_in("manager@demo.cribs").await.get(&format!("/families/{id}")).await;
    assert!(html.contains("id=\"messages\""), "managers see the section too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_unsubscribes_in_its_language_with_the_link_or_one_click() {
    let app = TestApp::spawn().await;
    let id = register(&app, "Lucía", "es").await;
    let token = consent(&app, id, "lucia@example.org", "es").await;
    let path = format!("/messages/unsubscribe/{token}");

    // No sign-in, no cookies: the question in Spanish, one button posting to the same address.
    let (status, html) = app.browser().get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"es\">"), "in the consent's language");
    assert!(html.contains("¿Dejar de recibir correos electrónicos del programa de cunas?"), "{html}");
    assert!(html.contains(&format!("<form method=\"post\" action=\"{path}\">")), "{html}");
    assert!(!html.contains("csrf_token"), "no session, no CSRF field");
    assert!(html.contains("Dejar de recibir correos</button>"));
    let live = format!("family_id = {id} AND withdrawn_at IS NULL");
    assert_eq!(app.count_where("message_consents", &live).await, 1, "asking withdraws nothing");

    // The button: withdrawn by the link, audited with no user.
    let res = app.http.post(app.url(&path)).form(&[("x", "")]).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("No le enviaremos más correos electrónicos."), "{html}");
    assert_eq!(consent_row(&app, id).await.withdrawn_how.as_deref(), Some("link"));
    let audited = format!("action = 'family.consent_withdrawn' AND entity_id = {id} AND user_id IS NULL");
    assert_eq!(app.count_where("audit_events", &audited).await, 1);
    // Twice is harmless, and the page then says it is done.
    let res = app.http.post(app.url(&path)).send().await.expect("POST again");
    assert_eq!(res.status(), StatusCode::OK);
    let (status, html) = app.browser().get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No le enviaremos más correos electrónicos.") && !html.contains("<form"), "{html}");
    assert_eq!(app.count_where("audit_events", &audited).await, 1, "one withdrawal");

    // A mail client's one-click POST (RFC 8058), in English.
    let other = register(&app, "Maya", "en").await;
    let token = consent(&app, other, "maya@example.org", "en").await;
    let res = app
        .http
        .post(app.url(&format!("/messages/unsubscribe/{token}")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one-click POST");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("<html lang=\"en\">") && html.contains("You will not get more e-mails from us."), "{html}");
    assert_eq!(consent_row(&app, other).await.withdrawn_how.as_deref(), Some("link"));

    // An unknown link: a kind page in every language, 404, for GET and POST alike.
    let unknown = "/messages/unsubscribe/not-a-token-we-ever-made-0000";
    let (status, html) = app.browser().get(unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("We could not find this link") && html.contains("No encontramos este enlace"), "{html}");
    let res = app.http.post(app.url(unknown)).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count_where("message_consents", "withdrawn_at IS NULL").await, 0, "nothing else withdrawn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_is_for_managers_and_sends_a_failed_message_again() {
    let app = TestApp::spawn().await;
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let (status, html) = manager.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        unescaped(&html).contains("<a href=\"/messages\">Messages</a>"),
        "the outbox is in the managers' navigation"
    );
    assert!(!html.contains("Messages that failed"), "no card without failed messages");
    let (status, html) = manager.get("/messages").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No mail server is configured: messages wait here, marked not sent."), "the banner");
    // Not for staff or nurses, as the other managers' pages (403).
    for who in ["staff@demo.cribs", "nurse@demo.cribs"] {
        let b = app.browser_signed_in(who).await;
        let (status, _) = b.get("/messages").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let (_, home) = b.get("/account").await;
        assert!(!unescaped(&home).contains("href=\"/messages\""), "{who}: no link to the outbox");
    }
    let (status, _) = app.browser().get("/messages").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out: to the sign-in page");

    // A message the mail server refused.
    let now = cribs::clock::now();
    let manager_id = app.user_id("manager@demo.cribs").await;
    let failed = cribs::entity::message::ActiveModel {
        dedupe_key: Set(format!("test:failed:user:{manager_id}")),
        kind: Set("stock_low".into()),
        user_id: Set(Some(manager_id)),
        site_id: Set(Some(1)),
        crib_model_id: Set(Some(1)),
        language: Set("en".into()),
        status: Set("failed".into()),
        not_before: Set(now - Duration::hours(2)),
        attempts: Set(8),
        last_error: Set(Some("550 5.1.1 <manager@demo.cribs>: mailbox unavailable".into())),
        created_at: Set(now - Duration::hours(3)),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("a failed message");
    let (_, html) = manager.get("/").await;
    assert!(html.contains("Messages that failed") && html.contains("href=\"/messages?status=failed\""), "the card");
    let (status, html) = manager.get("/messages?status=failed").await;
    assert_eq!(status, StatusCode::OK);
    let html = unescaped(&html);
    assert!(html.contains("A site fell to its low-stock threshold (to managers)"), "what, in words");
    assert!(html.contains("550 5.1.1 &lt;manager@demo.cribs&gt;: mailbox unavailable"), "why, escaped: {html}");
    assert!(html.contains("<option value=\"failed\" selected>failed</option>"), "the filter shows its choice");
    assert!(html.contains(&format!("action=\"/messages/{}/retry\"", failed.id)), "Send again");
    let (status, _) = manager.get("/messages?status=lost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown status is refused with a sentence");

    // Send again: pending, tries reset, audited; back to the same filter.
    let res = manager.submit("/messages?status=failed", &format!("/messages/{}/retry", failed.id), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/messages?status=failed");
    let again = message(&app, failed.id).await;
    assert_eq!((again.status.as_str(), again.attempts), ("pending", 0), "{again:?}");
    assert_eq!(
        app.count_where("audit_events", &format!("action = 'message.retry' AND entity_id = {}", failed.id)).await,
        1
    );
    let (_, html) = manager.get("/messages?status=failed").await;
    assert!(html.contains("will be sent again") && html.contains("No messages failed."), "{html}");
    let (_, html) = manager.get("/").await;
    assert!(!html.contains("Messages that failed"), "the card goes with the last failed message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_choose_their_notices_on_the_account_page() {
    let app = TestApp::spawn().await;
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let (status, html) = staff.get("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/account/notices\"") && html.contains("Each morning, the follow-up calls due"));
    assert!(html.contains("name=\"on\" value=\"calls_due\" checked"), "on until turned off");
    // Every box left unticked: off.
    let res = staff.submit("/account", "/account/notices", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let staff_id = app.user_id("staff@demo.cribs").await;
    assert_eq!(app.count_where("users", &format!("id = {staff_id} AND muted_notices = 'calls_due'")).await, 1);
    let audited = format!("action = 'account.notices' AND entity_id = {staff_id}");
    assert_eq!(app.count_where("audit_events", &audited).await, 1);
    let (_, html) = staff.get("/account").await;
    assert!(html.contains("name=\"on\" value=\"calls_due\">"), "shown off");
    assert!(html.contains("you get no notices by e-mail"), "the flash");
    // Ticked again: on.
    let res = staff.submit("/account", "/account/notices", &[("on", "calls_due")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("users", &format!("id = {staff_id} AND muted_notices = ''")).await, 1);

    // A manager keeps one of two.
    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let res = manager.submit("/account", "/account/notices", &[("on", "stock_low")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let manager_id = app.user_id("manager@demo.cribs").await;
    let muted = format!("id = {manager_id} AND muted_notices = 'manager_digest'");
    assert_eq!(app.count_where("users", &muted).await, 1);
    let (_, html) = manager.get("/account").await;
    assert!(html.contains("you get 1 of your 2 notices"), "{html}");

    // Administrators receive none: no fieldset.
    let (status, html) = app.browser_signed_in("admin@demo.cribs").await.get("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/account/notices") && !html.contains(">Notices<"), "nothing to choose");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_moves_a_hold_and_its_reminder_moves_with_it() {
    let app = TestApp::spawn().await;
    let nurse = app.token("nurse@demo.cribs").await;
    let manager_api = app.token("manager@demo.cribs").await;
    let request = json!({
        "caregiver": {"first_name": "Imani", "last_name": "Grant", "date_of_birth": "1992-06-01", "phone": "410-555-3030"},
        "address": {"line1": "2700 Cherry Hill Rd", "city": "Baltimore", "state": "MD", "zip": "21225", "neighborhood_id": 46},
        "household_size": 2, "annual_income": "15000.00", "enrollments": ["Medicaid"], "has_safe_sleep_space": false,
        "preferred_language": "en", "infant": {"date_of_birth": days_ago(1).to_string()},
        "discharge_date": today().to_string(), "education_given_in_hospital": true, "preferred_site_id": 2
    });
    let (status, r) = app.post(&nurse, "/api/v1/referrals", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().expect("request id");
    let (status, held) = app
        .post(&manager_api, &format!("/api/v1/referrals/{id}/accept"), &json!({"site_id": 2, "crib_model_id": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    let until: chrono::NaiveDate = held["reserved_until"].as_str().and_then(|d| d.parse().ok()).expect("held until");
    assert_eq!(hold_ending(&app, id).await.not_before, cribs::domain::messages::reminder_at(until));

    let manager = app.browser_signed_in("manager@demo.cribs").await;
    let page = format!("/requests/{id}");
    let action = format!("/requests/{id}/hold");
    let (status, html) = manager.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("action=\"{action}\"")), "the hold form");
    assert!(html.contains(&format!("name=\"until\" type=\"date\" value=\"{until}\"")), "today's last day, chosen");

    // A day too far is refused, on the page, with the date as typed.
    let far = (today() + Duration::days(90)).to_string();
    let res = manager.submit(&page, &action, &[("until", far.as_str())]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("Choose a day from today to") && html.contains(&format!("value=\"{far}\"")), "{html}");

    // Moved: the request and its reminder, in one write.
    let later = until + Duration::days(3);
    let res = manager.submit(&page, &action, &[("until", later.to_string().as_str())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = manager.get(&page).await;
    let said = format!("The crib is now held until {later}; the reminders moved with it.");
    assert!(html.contains(&said), "{html}");
    let moved = format!("id = {id} AND reserved_until = '{later}'");
    assert_eq!(app.count_where("referrals", &moved).await, 1);
    let r = hold_ending(&app, id).await;
    assert_eq!((r.not_before, r.status.as_str()), (cribs::domain::messages::reminder_at(later), "pending"));
    assert_eq!(app.count_where("audit_events", &format!("action = 'referral.hold' AND entity_id = {id}")).await, 1);

    // The nurse reads the request, without the form; staff cannot post it.
    let (_, html) = app.browser_signed_in("nurse@demo.cribs").await.get(&page).await;
    assert!(!html.contains(&action), "no hold form for the nurse");
    let staff = app.browser_signed_in("staff@demo.cribs").await;
    let csrf = staff.csrf("/").await;
    let token = crate::common::form_token();
    let fields = [("csrf_token", csrf.as_str()), ("form_token", token.as_str()), ("until", "2026-01-01")];
    let res = staff.post_form(&action, &fields).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
