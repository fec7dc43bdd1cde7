//! What families read, as they read it (issue 20, branch family): the checklist, the
//! receipt and the explanation of a refusal in the family's language from the message
//! catalog, with no English and no internal code on a Spanish page; the receipt's Print
//! button, "handed out" banner, language switch (which leaves the family's preference
//! alone), program phone and site hours from the settings; the check-in search carried
//! into the registration form.

use crate::common::fixtures::{days_ago, family};
use crate::common::{extract_csrf, Browser, Options, TestApp};
use cribs::catalog::catalog;
use reqwest::StatusCode;
use serde_json::json;

/// The words a person sees: the page without its tags (and so without attribute values
/// such as `value="no_smoking"`), entities decoded, `<script>`/`<style>` left out.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let tag = &rest[open..];
        let skip_to = if tag.starts_with("<script") {
            tag.find("</script>").map(|i| i + 9)
        } else if tag.starts_with("<style") {
            tag.find("</style>").map(|i| i + 8)
        } else {
            tag.find('>').map(|i| i + 1)
        };
        rest = &tag[skip_to.unwrap_or(tag.len())..];
    }
    out.push_str(rest);
    out.replace("&#x27;", "'").replace("&quot;", "\"").replace("&#x2F;", "/").replace("&amp;", "&")
}

/// The part of a page inside the first element whose `lang` is `lang` (a `<fieldset lang="es">`).
fn within_lang<'a>(html: &'a str, lang: &str) -> Vec<&'a str> {
    let needle = format!(" lang=\"{lang}\"");
    let mut parts = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find(&needle) {
        let start = from + at;
        let tag_start = html[..start].rfind('<').unwrap_or(start);
        let name: String = html[tag_start + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let close = format!("</{name}>");
        let end = html[start..].find(&close).map_or(html.len(), |e| start + e);
        parts.push(&html[tag_start..end]);
        from = end.max(start + 1);
    }
    parts
}

/// English catalog messages (no arguments) that a Spanish family page must not show.
fn english_words(prefixes: &[&str]) -> Vec<String> {
    let c = catalog();
    c.keys("en")
        .into_iter()
        .filter(|k| prefixes.iter().any(|p| k.starts_with(p)))
        .map(|k| (c.text("en", &k), c.text("es", &k)))
        .filter(|(en, es)| en != es && !en.contains('{') && en.len() > 3)
        .map(|(en, _)| en)
        .collect()
}

fn assert_no_code(text: &str, page: &str) {
    for code in ["no_smoking", "room_sharing", "missing:", "age_window", "income_or_enrollment", "residency"] {
        assert!(!text.contains(code), "{page} shows \"{code}\": {text}");
    }
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html.find(&needle).unwrap_or_else(|| panic!("no hidden {name}"));
    let rest = &html[at + needle.len()..];
    rest[..rest.find('"').expect("closing quote")].to_string()
}

async fn spanish_family(app: &TestApp, eligible: bool) -> (i64, i64) {
    let token = app.token("staff@demo.cribs").await;
    let mut f = family().named("Rosa", "Quispe").set("/preferred_language", json!("es")).with_infant_born(days_ago(12));
    if !eligible {
        f = f.set("/has_safe_sleep_space", json!(true));
    }
    let (status, created) = app.post(&token, "/api/v1/families", &f.build()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let fid = created["id"].as_i64().expect("id");
    let (status, _) = app.post(&token, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    (fid, created["infant_ids"][0].as_i64().expect("infant"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spanish_checklist_refuses_in_spanish_with_no_code() {
    let app = TestApp::spawn().await;
    let (fid, _) = spanish_family(&app, true).await;
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (status, html) = b.get(&format!("/families/{fid}/education")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Mostrar en español") && html.contains("Show in English"), "offers English");
    let res = b
        .post_form(
            &format!("/families/{fid}/education"),
            &[
                ("csrf_token", &extract_csrf(&html).expect("csrf")),
                ("form_token", &hidden(&html, "form_token")),
                ("language", "es"),
                ("mode", "site"),
                ("topics", "alone"),
                ("caregiver_attestation", " "),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("html");
    let family_part: String = within_lang(&page, "es").iter().map(|p| visible_text(p)).collect();
    assert!(
        family_part.contains("Falta: B — Boca arriba, C — en su Cuna y D — No fumar."),
        "the missing topics by their Spanish titles: {family_part}"
    );
    assert!(family_part.contains("Escriba su nombre completo para confirmar."), "{family_part}");
    assert_no_code(&visible_text(&page), "the Spanish checklist");
    for english in english_words(&["checklist-", "topic-"]) {
        assert!(!family_part.contains(&english), "English on the Spanish checklist: {english}");
    }
    assert_eq!(app.count("education_sessions").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spanish_receipt_prints_every_word_in_spanish_with_the_programs_phone_and_hours() {
    let app = TestApp::spawn_with(Options {
        settings: vec![
            ("cribs_program_phone", "410-555-0100".into()),
            ("cribs_site_hours", "mon-fri 9:00-16:00; cherry-hill: sat 10:00-13:00".into()),
        ],
        ..Default::default()
    })
    .await;
    let (fid, iid) = spanish_family(&app, true).await;
    let token = app.token("staff@demo.cribs").await;
    let edu = json!({"mode": "site", "language": "es", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Rosa Quispe"});
    let (status, _) = app.post(&token, &format!("/api/v1/families/{fid}/education"), &edu).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1, "lot": "L-7"});
    let (status, h) = app.post(&token, "/api/v1/handouts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let path = format!("/handouts/{}/receipt", h["id"]);
    let (status, receipt) = b.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    let text = visible_text(&receipt);
    assert!(receipt.contains("<html lang=\"es\">"));
    assert!(text.contains("Cuna entregada"), "the on-screen banner");
    assert!(receipt.contains("class=\"no-print printable-tools\""), "banner and buttons are not printed");
    assert!(receipt.contains("data-print hidden>Imprimir el recibo</button>"), "Print button, shown by script");
    assert!(receipt.contains("<script src=\"/static/print.js\" defer></script>"));
    assert!(text.contains("Corralito portátil (corralito, sábana ajustable y saco de dormir)"), "the model in Spanish");
    assert!(text.contains("Llame al programa de cunas al 410-555-0100"), "{text}");
    assert!(text.contains("de lunes a viernes, de 9:00 a. m. a 4:00 p. m."), "site 1's hours: every site's: {text}");
    assert!(!text.contains("sábado"), "another site's own hours are not these");
    assert!(receipt.contains(&format!("href=\"/handouts/{}/receipt?lang=en\" lang=\"en\"", h["id"])), "switch");
    assert_no_code(&text, "the Spanish receipt");
    for english in english_words(&["receipt-", "topic-", "crib-model-", "month-", "day-"]) {
        assert!(!text.contains(&english), "English on the Spanish receipt: {english}");
    }
    assert!(!text.contains("Portable play yard kit"), "no English model name");
    // The other language, to show or print, leaves the family's preference alone.
    let (status, english) = b.get(&format!("{path}?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    let english = visible_text(&english);
    assert!(english.contains("Portable crib receipt") && english.contains("Portable play yard kit"));
    assert!(english.contains("Call the crib program at 410-555-0100") && english.contains("Monday to Friday"));
    let (_, record) = app.get(&token, &format!("/api/v1/families/{fid}")).await;
    assert_eq!(record["preferred_language"], "es", "{record}");
    let js = b.client.get(app.url("/static/print.js")).send().await.expect("print.js");
    assert_eq!(js.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_hand_out_gives_the_family_a_printable_explanation_in_spanish() {
    let app = TestApp::spawn().await;
    let (fid, iid) = spanish_family(&app, false).await;
    let token = app.token("staff@demo.cribs").await;
    let edu = json!({"mode": "site", "language": "es", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Rosa Quispe"});
    let (status, _) = app.post(&token, &format!("/api/v1/families/{fid}/education"), &edu).await;
    assert_eq!(status, StatusCode::CREATED);
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (_, form) = b.get(&format!("/families/{fid}/handout?infant_id={iid}")).await;
    let iid_s = iid.to_string();
    let res = b
        .post_form(
            &format!("/families/{fid}/handout"),
            &[
                ("csrf_token", &extract_csrf(&form).expect("csrf")),
                ("form_token", &hidden(&form, "form_token")),
                ("infant_id", &iid_s),
                ("site_id", "1"),
                ("crib_model_id", "1"),
                ("lot_choice", "none"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = res.text().await.expect("html");
    let link = format!("/families/{fid}/infants/{iid}/explanation");
    assert!(refused.contains(&format!("<a href=\"{link}\">Print the explanation for the family</a>")), "{refused}");
    let (_, family_page) = b.get(&format!("/families/{fid}")).await;
    assert!(family_page.contains(&link), "the family page links it too");
    let views_before = app.count("audit_events").await;
    let (status, html) = b.get(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.count("audit_events").await > views_before, "the view is audited");
    let text = visible_text(&html);
    assert!(html.contains("<html lang=\"es\">"));
    assert!(text.contains("Por qué no pudimos darle una cuna hoy"));
    assert!(
        text.contains("Nos dijo que ya tiene un lugar seguro para que el bebé duerma"),
        "the failed rule in Spanish: {text}"
    );
    assert!(text.contains("Usted vive en un barrio de la ciudad de Baltimore."), "what passed");
    assert!(html.contains("data-print hidden>Imprimir esta explicación</button>"));
    assert_no_code(&text, "the Spanish explanation");
    for english in english_words(&["refusal-", "reason-", "month-"]) {
        assert!(!text.contains(&english), "English on the Spanish explanation: {english}");
    }
    let (_, en) = b.get(&format!("{link}?lang=en")).await;
    assert!(visible_text(&en).contains("You told us you already have a safe place for the baby to sleep"));
    let other: Browser = app.browser_signed_in("staff2@demo.cribs").await;
    let (status, _) = other.get(&link).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another site's family");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_in_search_starts_the_registration_and_finds_a_date_as_the_widget_shows_it() {
    let app = TestApp::spawn().await;
    let token = app.token("staff@demo.cribs").await;
    let (status, _) = app.post(&token, "/api/v1/families", &family().with_infant_born(days_ago(3)).build()).await;
    assert_eq!(status, StatusCode::CREATED);
    let b = app.browser_signed_in("staff@demo.cribs").await;
    let (_, home) = b.get("/checkin").await;
    assert!(home.contains(" autofocus "), "the search box has the focus");
    let (_, found) = b.get("/checkin?q=04%2F12%2F1996").await;
    assert!(found.contains("Tanya Brooks"), "a date typed as month/day/year finds the caregiver");
    let (_, none) = b.get("/checkin?q=Marisol+de+la+Cruz").await;
    assert!(none.contains("href=\"/families/new?q=Marisol%20de%20la%20Cruz\""), "the term goes along");
    let (status, form) = b.get("/families/new?q=Marisol%20de%20la%20Cruz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"caregiver.first_name\" type=\"text\" value=\"Marisol\""), "first name");
    assert!(form.contains("name=\"caregiver.last_name\" type=\"text\" value=\"de la Cruz\""), "last name");
    let (_, form) = b.get("/families/new?q=410-555-0199").await;
    assert!(form.contains("value=\"410-555-0199\""), "a phone fills the phone");
}
