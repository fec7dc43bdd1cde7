//! The printed receipt: one page in the family's language with the receipt number, date,
//! site, model, lot, the ABCD reminders in large type, the program's phone and the site's
//! hours, the follow-up survey's QR code with its short address beneath, and two signature
//! lines. On screen only: a "crib handed out" banner, a Print
//! button and the other languages (`?lang=`, which changes nothing about the family).

use crate::auth::guards::{ClientAddr, PageUser};
use crate::catalog::{catalog, Catalog};
use crate::config::FamilyContact;
use crate::db::Db;
use crate::domain::hours::{twelve_hour, Span, DAYS};
use crate::domain::safe_sleep_text::topics;
use crate::store::audit::Caller;
use crate::store::handouts;
use crate::web::error_page::PageResult;
use fluent_bundle::FluentValue;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// The receipt page (staff of the handout's site, managers). Viewing it is audited.
#[get("/handouts/<id>/receipt?<lang>")]
pub async fn receipt_page(
    user: PageUser,
    db: &State<Db>,
    contact: &State<FamilyContact>,
    mailer: &State<std::sync::Arc<crate::mail::Mailer>>,
    addr: ClientAddr,
    id: i64,
    lang: Option<&str>,
) -> PageResult<Template> {
    let r = handouts::receipt(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let (h, fam, site, baby) = (r.handout, r.family, r.site, r.infant);
    let c = catalog();
    let lang = c.supported(lang.unwrap_or(&fam.preferred_language));
    let model = model_name(c, lang, &r.model_code, &r.model_name);
    let baby = baby_words(c, lang, &baby);
    // The follow-up survey's link: a QR code made here and the address to type beneath.
    let survey = h.survey_token.as_deref().filter(|_| h.voided_at.is_none()).map(|token| {
        let url = format!("{}/s/{token}", mailer.public_url);
        let shown = url.trim_start_matches("https://").trim_start_matches("http://").to_string();
        json!({"qr_svg": crate::auth::totp::qr_svg(&url), "url": url, "shown": shown})
    });
    Ok(Template::render(
        "handouts/receipt",
        json!({
            "lang": lang,
            "languages": c.languages(),
            "topics": topics(lang),
            "handout": {
                "id": h.id,
                "receipt_number": h.receipt_number,
                "date": c.date(lang, h.handed_out_on),
                "lot": h.lot,
                "voided": h.voided_at.is_some(),
                "id": h.id,
                "family_id": h.family_id,
                "paper_slip": h.paper_slip,
            },
            "caregiver": format!("{} {}", fam.first_name, fam.last_name),
            "baby": baby,
            "site": site.name,
            "site_address": site.address,
            "model": model,
            "phone": contact.phone,
            "hours": hours_words(c, lang, contact.hours.for_site(&site.code)),
            "may_void": user.0.is_manager() && h.voided_at.is_none(),
            "survey": survey,
        }),
    ))
}

/// A baby as the family reads it: the name, or "Baby (born December 5, 2026)" /
/// "Bebé (nació el 5 de diciembre de 2026)", or "Baby (due …)".
pub fn baby_words(c: &Catalog, lang: &str, baby: &crate::entity::infant::Model) -> String {
    let when = |key: &str, d: chrono::NaiveDate| {
        let date = c.format(lang, key, &[("date", FluentValue::from(c.date(lang, d)))]);
        format!("{} ({date})", c.text(lang, "receipt-baby"))
    };
    match (&baby.name, baby.date_of_birth, baby.expected_due_date) {
        (Some(n), _, _) => n.clone(),
        (None, Some(d), _) => when("receipt-baby-born", d),
        (None, None, Some(d)) => when("receipt-baby-due", d),
        (None, None, None) => c.text(lang, "receipt-baby"),
    }
}

/// A crib model's name in `lang`: the catalog's `crib-model-<code>`, else (a model added
/// without catalog words) the name it was seeded with.
pub fn model_name(c: &Catalog, lang: &str, code: &str, seeded: &str) -> String {
    c.try_format(lang, &format!("crib-model-{code}"), &[]).unwrap_or_else(|| seeded.to_string())
}

/// A site's hours as a family reads them: "Monday to Friday, 9:00 am to 4:00 pm; Saturday, …";
/// `None` when the settings give none.
pub fn hours_words(c: &Catalog, lang: &str, spans: &[Span]) -> Option<String> {
    let time = |t| {
        let (clock, pm) = twelve_hour(t);
        c.format(lang, if pm { "time-pm" } else { "time-am" }, &[("time", FluentValue::from(clock))])
    };
    let day = |i: usize| c.text(lang, &format!("day-{}", DAYS[i]));
    let lines: Vec<String> = spans
        .iter()
        .map(|s| {
            let days = if s.first_day == s.last_day {
                day(s.first_day)
            } else {
                c.format(
                    lang,
                    "days-range",
                    &[("first", FluentValue::from(day(s.first_day))), ("last", FluentValue::from(day(s.last_day)))],
                )
            };
            c.format(
                lang,
                "hours-line",
                &[
                    ("days", FluentValue::from(days)),
                    ("from", FluentValue::from(time(s.opens))),
                    ("to", FluentValue::from(time(s.closes))),
                ],
            )
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::SiteHours;

    #[test]
    fn hours_and_models_in_the_familys_words() {
        let h = SiteHours::parse("mon-fri 9:00-16:30, sat 10:00-13:00").expect("hours");
        let c = catalog();
        assert_eq!(
            hours_words(c, "en", h.for_site("x")).as_deref(),
            Some("Monday to Friday, 9:00 am to 4:30 pm; Saturday, 10:00 am to 1:00 pm")
        );
        assert_eq!(
            hours_words(c, "es", h.for_site("x")).as_deref(),
            Some("de lunes a viernes, de 9:00 a. m. a 4:30 p. m.; sábado, de 10:00 a. m. a 1:00 p. m.")
        );
        assert_eq!(hours_words(c, "es", &[]), None);
        assert_eq!(model_name(c, "es", "unknown", "Seeded"), "Seeded");
    }

    #[test]
    fn every_seeded_crib_model_has_a_name_in_every_language() {
        let seeds = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/crib_models.toml"))
            .expect("seeds/crib_models.toml");
        let seeds: toml::Value = toml::from_str(&seeds).expect("toml");
        let codes: Vec<&str> = seeds["model"]
            .as_array()
            .expect("models")
            .iter()
            .filter_map(|m| m.get("code").and_then(|c| c.as_str()))
            .collect();
        assert!(!codes.is_empty());
        let c = catalog();
        for lang in c.languages() {
            for code in &codes {
                assert!(c.try_format(lang, &format!("crib-model-{code}"), &[]).is_some(), "{lang}: no name for {code}");
            }
        }
    }
}
