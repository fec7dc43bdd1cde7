//! The e-mail templates (`mail-templates/<lang>/<kind>.{txt,html}.tera`, issue 21) put into
//! words without a database: every kind in English and Spanish renders a subject and both
//! parts with nothing left unfilled; the HTML part escapes the facts (a caregiver named
//! `<script>` stays text) while the plain part shows them as typed; a family reads its own
//! language, no request number and its unsubscribe link (only when it has one); a nurse
//! reads the request number and never the family's name; the manager's digest says its
//! counts in sentences, never as codes; every fact may be missing; and the built e-mail has
//! its stable `Message-ID` and, for a family, `List-Unsubscribe`.

use chrono::{NaiveDate, TimeZone, Utc};
use cribs::config::Settings;
use cribs::domain::messages::{key, Audience, Kind};
use cribs::entity::message;
use cribs::mail::compose::{email, words, Words};
use cribs::mail::Mailer;
use cribs::store::outbox::letters::{Facts, Letter};
use rocket::figment::Figment;
use std::path::Path;

/// A caregiver's first name that must stay text in HTML and never reach a nurse.
const FIRST_NAME: &str = "O'Brien-Núñez <script>alert(1)</script>";
/// The part of `FIRST_NAME` that is the same escaped or not.
const FAMILY_MARK: &str = "Brien-Núñez";
/// A staff member's display name (also with markup, so every kind's HTML is tested).
const STAFF_NAME: &str = "Dana Reyes <script>alert(1)</script>";
const REQUEST: i64 = 4217;
const PUBLIC_URL: &str = "https://cribs.example.org";
const TOKEN: &str = "tok3n-AbC_123";
const CODES: [&str; 3] = ["requests_waiting", "holds_ending", "messages_failed"];

fn settings(full: bool) -> Settings {
    let mut figment = Figment::new().merge(("database_url", "sqlite::memory:"));
    if full {
        figment = figment
            .merge(("cribs_public_url", PUBLIC_URL))
            .merge(("cribs_mail_from", "Crib program <cribs@example.org>"))
            .merge(("cribs_program_phone", "410-555-0123"))
            .merge(("cribs_site_hours", "mon-fri 9:00-16:00, sat 10:00-13:00"));
    }
    Settings::from_figment(&figment).expect("settings")
}

fn mailer(full: bool) -> Mailer {
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("mail-templates");
    Mailer::from_settings(&settings(full), templates.as_path()).expect("mailer")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Every fact a letter of this kind can carry.
fn full_facts(kind: Kind) -> Facts {
    let counts: Vec<(String, i64)> = match kind {
        Kind::ManagerDigest => {
            vec![("requests_waiting".into(), 3), ("holds_ending".into(), 1), ("messages_failed".into(), 0)]
        }
        Kind::CallsDue => vec![("Cherry Hill <b>&</b> Family Center".into(), 2), ("Eastside".into(), 1)],
        _ => Vec::new(),
    };
    Facts {
        referral_id: Some(REQUEST),
        site_code: Some("cherry-hill".into()),
        site_name: Some("Cherry Hill <b>&</b> Family Center".into()),
        site_address: Some("801 Bridgeview Rd, Baltimore, MD 21225".into()),
        model_code: Some("play-yard-standard".into()),
        model_name: Some("Play yard standard".into()),
        until: Some(date(2026, 12, 10)),
        discharge_date: Some(date(2026, 12, 4)),
        reason: Some("The family lives outside the city <i>limits</i>.".into()),
        handed_out_on: Some(date(2026, 12, 8)),
        available: Some(2),
        threshold: Some(3),
        day: Some(date(2026, 12, 5)),
        first_name: Some(FIRST_NAME.into()),
        counts,
        survey_token: Some("SurveyLinkToken_0123".into()),
        round_months: Some(3),
        baby: Some("Lola".into()),
    }
}

fn letter(kind: Kind, lang: &str, facts: Facts, unsubscribe: bool) -> Letter {
    let family = kind.audience() == Audience::Family;
    Letter {
        kind,
        language: lang.into(),
        to_address: if family { "oneill@example.org".into() } else { "dana.reyes@example.org".into() },
        to_name: if family { FIRST_NAME.into() } else { STAFF_NAME.into() },
        unsubscribe_token: (family && unsubscribe).then(|| TOKEN.to_string()),
        facts,
    }
}

fn put_into_words(mailer: &Mailer, letter: &Letter) -> Words {
    let what = format!("{}/{}", letter.language, letter.kind.as_str());
    words(mailer, letter).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Nothing of the template language is left in the words.
fn assert_filled(what: &str, w: &Words) {
    assert!(!w.subject.trim().is_empty(), "{what}: no subject");
    assert!(!w.subject.contains('\n'), "{what}: the subject is one line: {:?}", w.subject);
    for (part, text) in [("subject", &w.subject), ("text", &w.text), ("html", &w.html)] {
        for mark in ["{{", "}}", "{%", "%}", "{#"] {
            assert!(!text.contains(mark), "{what} {part} shows {mark:?}:\n{text}");
        }
    }
    assert!(!w.text.trim().is_empty(), "{what}: no text");
    assert!(w.html.starts_with("<!DOCTYPE html>"), "{what}: the HTML is not a document:\n{}", w.html);
}

/// The HTML's text as a reader sees it (Tera's escapes decoded, not the markup's).
fn unescaped(html: &str) -> String {
    html.replace("&#x2F;", "/").replace("&#x27;", "'").replace("&quot;", "\"").replace("&amp;", "&")
}

#[test]
fn every_kind_in_both_languages_is_put_into_words_with_its_facts() {
    let mailer = mailer(true);
    for lang in ["en", "es"] {
        for &kind in Kind::ALL {
            let what = format!("{lang}/{}", kind.as_str());
            let l = letter(kind, lang, full_facts(kind), true);
            let w = put_into_words(&mailer, &l);
            assert_filled(&what, &w);
            assert!(w.html.contains(&format!("<html lang=\"{lang}\">")), "{what}: the HTML names its language");
            // Escaped in HTML, as typed in the plain text.
            assert!(w.html.contains("&lt;script&gt;"), "{what}: the name is not escaped:\n{}", w.html);
            assert!(!w.html.contains("<script"), "{what}: markup from a fact reached the HTML:\n{}", w.html);
            assert!(!w.html.contains("<b>&"), "{what}: markup from a fact reached the HTML");
            assert!(w.text.contains(&l.to_name), "{what}: the plain text does not greet {:?}:\n{}", l.to_name, w.text);
            let all = format!("{}\n{}\n{}", w.subject, w.text, w.html).to_lowercase();
            match kind.audience() {
                Audience::Family => {
                    let word = if lang == "es" { "cuna" } else { "crib" };
                    assert!(w.subject.to_lowercase().contains(word), "{what}: the subject has no {word:?}");
                    assert!(w.text.to_lowercase().contains(word) && w.html.to_lowercase().contains(word), "{what}");
                    assert!(!all.contains(&REQUEST.to_string()), "{what}: a family is shown the request number");
                    assert!(w.text.contains("410-555-0123"), "{what}: no program phone");
                    // A crib waiting: where, when open, until when (the survey's invitation is about the baby).
                    if kind != Kind::SurveyDue {
                        assert!(w.text.contains("Cherry Hill <b>&</b> Family Center"), "{what}: no site");
                        assert!(w.text.contains("801 Bridgeview Rd"), "{what}: no address");
                        assert!(w.text.contains("9:00"), "{what}: no opening hours:\n{}", w.text);
                        let until = if lang == "es" { "10 de diciembre de 2026" } else { "December 10, 2026" };
                        assert!(w.text.contains(until), "{what}: no date held until:\n{}", w.text);
                    }
                    let safe_sleep =
                        if lang == "es" { "Solo, boca arriba, en una cuna" } else { "Alone, on their Back, in a Crib" };
                    assert!(w.text.contains(safe_sleep) && w.html.contains(safe_sleep), "{what}: no safe-sleep line");
                    let unsubscribe = format!("{PUBLIC_URL}/messages/unsubscribe/{TOKEN}");
                    assert!(w.text.contains(&unsubscribe), "{what}: no unsubscribe link in the text:\n{}", w.text);
                    assert!(unescaped(&w.html).contains(&unsubscribe), "{what}: no unsubscribe link in the HTML");
                    if lang == "es" {
                        for english in ["crib program", "Your crib", "Unsubscribe", "Address:", "Every sleep"] {
                            assert!(!w.text.contains(english) && !w.html.contains(english), "{what} shows {english:?}");
                        }
                    }
                }
                Audience::Nurse => {
                    assert!(w.subject.contains(&REQUEST.to_string()), "{what}: the subject has no request number");
                    assert!(w.text.contains(&REQUEST.to_string()), "{what}: the text has no request number");
                    assert!(w.html.contains(&REQUEST.to_string()), "{what}: the HTML has no request number");
                    assert!(!all.contains(&FAMILY_MARK.to_lowercase()), "{what}: a nurse is shown the family's name");
                    let link = format!("{PUBLIC_URL}/requests/{REQUEST}");
                    assert!(w.text.contains(&link) && unescaped(&w.html).contains(&link), "{what}: no link to {link}");
                    assert!(!all.contains("unsubscribe"), "{what}: a nurse has no unsubscribe link");
                }
                Audience::Manager | Audience::Staff => {
                    assert!(!all.contains(&FAMILY_MARK.to_lowercase()), "{what}: shows the family's name");
                    assert!(!all.contains("unsubscribe"), "{what}: staff have no unsubscribe link");
                }
            }
            match kind {
                Kind::RequestDeclined => {
                    assert!(w.text.contains("The family lives outside the city <i>limits</i>."), "{what}: no reason");
                    assert!(w.html.contains("&lt;i&gt;limits&lt;&#x2F;i&gt;"), "{what}: the reason is not escaped");
                }
                Kind::RequestHandedOut => {
                    let on = if lang == "es" { "8 de diciembre de 2026" } else { "December 8, 2026" };
                    assert!(w.text.contains(on), "{what}: no hand-out date");
                    assert!(w.text.contains("Cherry Hill <b>&</b> Family Center"), "{what}: no site");
                }
                Kind::RequestAccepted | Kind::HoldEnding | Kind::HoldExpired => {
                    let until = if lang == "es" { "10 de diciembre de 2026" } else { "December 10, 2026" };
                    assert!(w.text.contains(until), "{what}: no date held until");
                    assert!(w.text.contains("Cherry Hill <b>&</b> Family Center"), "{what}: no site");
                }
                Kind::StockLow => {
                    assert!(w.text.contains("Cherry Hill <b>&</b> Family Center"), "{what}: no site");
                    assert!(w.text.contains(": 2\n") && w.text.contains(": 3\n"), "{what}: no counts:\n{}", w.text);
                    let link = format!("{PUBLIC_URL}/stock");
                    assert!(w.text.contains(&link) && unescaped(&w.html).contains(&link), "{what}: no link to {link}");
                }
                Kind::ManagerDigest => {
                    for code in CODES {
                        assert!(!all.contains(code), "{what} shows the code {code}:\n{}\n{}", w.text, w.html);
                    }
                    assert_eq!(w.text.lines().filter(|l| l.starts_with("- ")).count(), 3, "{what}:\n{}", w.text);
                    assert!(w.text.contains("- 3 ") && w.text.contains("- 1 "), "{what}:\n{}", w.text);
                    let link = format!("{PUBLIC_URL}/triage");
                    assert!(w.text.contains(&link) && unescaped(&w.html).contains(&link), "{what}: no link to {link}");
                }
                Kind::CallsDue => {
                    assert!(w.text.contains("Cherry Hill <b>&</b> Family Center: 2"), "{what}:\n{}", w.text);
                    assert!(w.text.contains("Eastside: 1"), "{what}:\n{}", w.text);
                    assert!(w.html.contains("Eastside"), "{what}");
                    let link = format!("{PUBLIC_URL}/follow-ups");
                    assert!(w.text.contains(&link) && unescaped(&w.html).contains(&link), "{what}: no link to {link}");
                }
                Kind::SurveyDue => {
                    let link = format!("{PUBLIC_URL}/s/SurveyLinkToken_0123");
                    assert!(w.text.contains(&link) && unescaped(&w.html).contains(&link), "{what}: no link to {link}");
                    let words = if lang == "es" { "cómo duerme Lola" } else { "how Lola is sleeping" };
                    assert!(w.text.contains(words), "{what}:\n{}", w.text);
                    let months = if lang == "es" { "tres meses" } else { "three months" };
                    assert!(w.text.contains(months), "{what}: the round:\n{}", w.text);
                }
                Kind::CribReady | Kind::HoldReminder => {}
            }
        }
    }
}

#[test]
fn a_family_without_an_unsubscribe_token_is_shown_no_unsubscribe_link() {
    let mailer = mailer(true);
    for lang in ["en", "es"] {
        for &kind in Kind::ALL.iter().filter(|k| k.audience() == Audience::Family) {
            let what = format!("{lang}/{}", kind.as_str());
            let w = put_into_words(&mailer, &letter(kind, lang, full_facts(kind), false));
            assert_filled(&what, &w);
            let all = format!("{}\n{}\n{}", w.subject, w.text, unescaped(&w.html));
            assert!(!all.contains("/messages/unsubscribe/"), "{what}: an unsubscribe link with no token:\n{all}");
            assert!(!all.contains(TOKEN), "{what}");
            assert!(!all.contains(&REQUEST.to_string()), "{what}: a family is shown the request number");
        }
    }
}

#[test]
fn every_kind_renders_with_every_fact_missing() {
    for full in [true, false] {
        let mailer = mailer(full);
        for lang in ["en", "es", "fr"] {
            for &kind in Kind::ALL {
                let what = format!("{lang}/{} (settings full: {full})", kind.as_str());
                let mut l = letter(kind, lang, Facts::default(), false);
                l.to_name = String::new();
                let w = put_into_words(&mailer, &l);
                assert_filled(&what, &w);
                let html_lang = if lang == "es" { "es" } else { "en" };
                assert!(w.html.contains(&format!("<html lang=\"{html_lang}\">")), "{what}");
                for broken in [" ,", " .", "#:", "n.º :", "Hello ,", "Hola, :", "Hi ,"] {
                    assert!(
                        !w.subject.contains(broken) && !w.text.contains(broken),
                        "{what} shows {broken:?}:\n{}",
                        w.text
                    );
                }
            }
        }
    }
}

fn model(kind: Kind, lang: &str, cause: &str) -> message::Model {
    let at = Utc.with_ymd_and_hms(2026, 12, 5, 15, 0, 0).single().expect("time");
    let family = kind.audience() == Audience::Family;
    message::Model {
        id: 7,
        dedupe_key: key::referral(REQUEST, cause),
        kind: kind.as_str().into(),
        user_id: (!family).then_some(3),
        family_id: family.then_some(11),
        referral_id: Some(REQUEST),
        site_id: Some(1),
        crib_model_id: Some(1),
        on_date: None,
        language: lang.into(),
        status: "sending".into(),
        not_before: at,
        attempts: 0,
        lease_until: None,
        lease_owner: None,
        last_error: None,
        sent_at: None,
        created_at: at,
        updated_at: at,
    }
}

#[test]
fn the_email_has_a_stable_message_id_and_a_family_can_unsubscribe_in_one_click() {
    let mailer = mailer(true);
    for (kind, lang, cause) in [(Kind::CribReady, "es", "ready"), (Kind::RequestAccepted, "en", "accepted")] {
        let what = format!("{lang}/{}", kind.as_str());
        let l = letter(kind, lang, full_facts(kind), true);
        let m = model(kind, lang, cause);
        let first =
            String::from_utf8_lossy(&email(&mailer, &m, &l).unwrap_or_else(|e| panic!("{what}: {e}")).formatted())
                .into_owned();
        let again = String::from_utf8_lossy(&email(&mailer, &m, &l).expect("again").formatted()).into_owned();
        let id = format!("Message-ID: <referral.{REQUEST}.{cause}@example.org>");
        assert!(first.contains("Message-ID: <referral."), "{what}:\n{first}");
        assert!(first.contains(&id) && again.contains(&id), "{what}: not {id}:\n{first}");
        assert!(first.contains("multipart/alternative"), "{what}");
        assert!(first.contains("text/plain") && first.contains("text/html"), "{what}");
        if kind.audience() == Audience::Family {
            let header = format!("List-Unsubscribe: <{PUBLIC_URL}/messages/unsubscribe/{TOKEN}>");
            assert!(first.contains(&header), "{what}: no {header}:\n{first}");
            assert!(first.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{what}");
        } else {
            assert!(!first.contains("List-Unsubscribe"), "{what}: a nurse has no unsubscribe header");
        }
    }
    // A family with no token: no header.
    let l = letter(Kind::HoldReminder, "en", full_facts(Kind::HoldReminder), false);
    let bytes = email(&mailer, &model(Kind::HoldReminder, "en", "reminder"), &l).expect("email").formatted();
    assert!(!String::from_utf8_lossy(&bytes).contains("List-Unsubscribe"));
}

#[test]
fn no_cribs_left_is_a_number_not_a_missing_fact() {
    let mailer = mailer(true);
    for (lang, available, threshold) in [
        ("en", "Available now (on hand, not held): 0", "Low-stock threshold: 0"),
        ("es", "Disponibles ahora (en existencia, sin reservar): 0", "Umbral de inventario bajo: 0"),
    ] {
        let facts = Facts { available: Some(0), threshold: Some(0), ..full_facts(Kind::StockLow) };
        let w = put_into_words(&mailer, &letter(Kind::StockLow, lang, facts, false));
        assert_filled(lang, &w);
        assert!(w.text.contains(available) && w.text.contains(threshold), "{lang}:\n{}", w.text);
        assert!(!w.text.contains("Only 0") && !w.text.contains("quedan 0"), "{lang}:\n{}", w.text);
    }
}
