//! The family's follow-up survey, `/s/<token>` (the short address printed under the
//! receipt's QR code, issue 23): no sign-in, no script, no navigation, in the family's
//! language (`?lang=` switches), showing the baby's first name and nothing else about the
//! family. `GET` shows today's round (or when it opens, or that it is answered, expired or
//! unknown); `POST` answers it once — a second submit shows "thank you, already received".
//!
//! NOTE: no session and no CSRF token. The random token in the address is the capability
//! and can only answer this family's open round once. Answers with an option the page never
//! offered (a tampered form) are refused with the form again and nothing written.

use crate::auth::guards::ClientAddr;
use crate::catalog::{catalog, FALLBACK};
use crate::db::Db;
use crate::domain::survey;
use crate::store::survey::{self as links, LinkPage, LinkState};
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The answers as the page posts them: `answers[<item>]=<option>`, and the language shown.
#[derive(FromForm)]
pub struct SurveyForm {
    #[field(default = String::new())]
    pub lang: String,
    #[field(default = BTreeMap::new())]
    pub answers: BTreeMap<String, String>,
}

/// A sheet as staff read it on the family's record: "question: answer" in English, skipped
/// questions left out. The legacy call's four yes/no answers are named as that call asked.
pub fn answer_lines(version: i32, answers: &survey::Answers) -> Vec<String> {
    let c = catalog();
    if version == survey::LEGACY_VERSION {
        let asked = [
            ("crib_in_use", "The crib is in use"),
            ("sleeps_alone", "The baby sleeps alone"),
            ("sleeps_on_back", "The baby sleeps on its back"),
            ("sleeps_in_crib", "The baby sleeps in the crib"),
        ];
        return asked
            .iter()
            .filter_map(|(k, q)| answers.get(*k).map(|a| format!("{q}: {}", if a == "yes" { "yes" } else { "no" })))
            .collect();
    }
    survey::ITEMS
        .iter()
        .filter_map(|item| {
            let a = answers.get(item.code)?;
            let key = if a == survey::PREFER_NOT {
                format!("survey-{}", survey::PREFER_NOT)
            } else {
                format!("survey-{}-{a}", item.code)
            };
            Some(format!("{} {}", c.text("en", &format!("survey-{}", item.code)), c.text("en", &key)))
        })
        .collect()
}

/// The questions of a round in `lang`, with what was chosen.
fn questions(lang: &str, chosen: &BTreeMap<String, String>) -> Vec<Value> {
    let c = catalog();
    survey::ITEMS
        .iter()
        .map(|item| {
            let options: Vec<Value> = item
                .options
                .iter()
                .map(|o| (o.to_string(), c.text(lang, &format!("survey-{}-{o}", item.code))))
                .chain([(survey::PREFER_NOT.to_string(), c.text(lang, "survey-prefer_not"))])
                .map(|(value, label)| {
                    let checked = chosen.get(item.code) == Some(&value);
                    json!({"value": value, "label": label, "checked": checked})
                })
                .collect();
            let is_why = survey::ITEMS.iter().any(|i| i.follow_up.is_some_and(|(_, why)| why == item.code));
            json!({
                "code": item.code,
                "question": c.text(lang, &format!("survey-{}", item.code)),
                "hint": is_why.then(|| c.text(lang, "survey-why-hint")),
                "options": options,
            })
        })
        .collect()
}

/// The page for a link's state.
fn render(
    token: &str,
    link: &LinkPage,
    lang: Option<&str>,
    chosen: &BTreeMap<String, String>,
    note: Option<&str>,
    just_answered: bool,
) -> (Status, Template) {
    let c = catalog();
    let lang = c.supported(lang.filter(|l| !l.is_empty()).unwrap_or(&link.language)).to_string();
    let title = match &link.baby {
        Some(b) => c.format(&lang, "survey-title", &[("baby", fluent_bundle::FluentValue::from(b.as_str()))]),
        None => c.text(&lang, "survey-title-no-name"),
    };
    let date = |d: chrono::NaiveDate| c.date(&lang, d);
    let (status, state, extra) = match &link.state {
        LinkState::Open { round_months, .. } => (
            if note.is_some() { Status::UnprocessableEntity } else { Status::Ok },
            "open",
            json!({"round": c.text(&lang, &format!("survey-round-{round_months}")), "questions": questions(&lang, chosen)}),
        ),
        LinkState::NotYet { opens_on } => (
            Status::Ok,
            "not_yet",
            json!({"sentence": c.format(&lang, "survey-not-yet", &[("date", date(*opens_on).into())])}),
        ),
        LinkState::Answered { next } => (
            Status::Ok,
            "answered",
            json!({
                "headline": c.text(&lang, if just_answered { "survey-thanks" } else { "survey-already" }),
                "sentence": match next {
                    Some(d) => c.format(&lang, "survey-next", &[("date", date(*d).into())]),
                    None => c.text(&lang, "survey-all-done"),
                },
            }),
        ),
        LinkState::Expired => (Status::Gone, "expired", json!({})),
        LinkState::Unknown => (Status::NotFound, "unknown", json!({})),
    };
    let others: Vec<&str> = c.languages().into_iter().filter(|l| *l != lang).collect();
    let ctx = json!({
        "lang": lang,
        "others": others,
        "title": title,
        "state": state,
        "token": token,
        "note": note,
        "extra": extra,
    });
    (status, Template::render("survey/page", ctx))
}

/// Today's round on the family's link.
#[get("/s/<token>?<lang>")]
pub async fn survey_page(db: &State<Db>, token: &str, lang: Option<&str>) -> PageResult<(Status, Template)> {
    let link = links::link_page(db.inner(), token.trim()).await?;
    Ok(render(token.trim(), &link, lang, &BTreeMap::new(), None, false))
}

/// Answer today's round (once).
#[post("/s/<token>", data = "<form>")]
pub async fn survey_submit(
    db: &State<Db>,
    addr: ClientAddr,
    token: &str,
    form: Checked<SurveyForm>,
) -> PageResult<(Status, Template)> {
    let token = token.trim();
    let lang = Some(form.lang.as_str());
    let answers = match survey::read_answers(&survey::ITEMS, form.answers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    {
        Ok(a) => a,
        Err(_) => {
            let link = links::link_page(db.inner(), token).await?;
            let c = catalog();
            let l = c.supported(lang.filter(|l| !l.is_empty()).unwrap_or(FALLBACK)).to_string();
            let note = c.text(&l, "survey-problems");
            return Ok(render(token, &link, lang, &form.answers, Some(&note), false));
        }
    };
    let (link, was_new) = links::answer_by_link(db.inner(), token, &addr.0, &answers).await?;
    Ok(render(token, &link, lang, &BTreeMap::new(), None, was_new))
}
