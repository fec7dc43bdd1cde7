//! A message put into words: its Tera templates in the recipient's language
//! (`mail-templates/<lang>/<kind>.txt.tera`, whose first line is the subject, and
//! `<kind>.html.tera`), filled with the letter's facts as that language writes them
//! (dates, crib models and site hours from the family-words catalog), and built into one
//! e-mail with a plain-text and an HTML part, a stable `Message-ID` (from the dedupe key),
//! and for a family the unsubscribe link (also as `List-Unsubscribe`, one click).

use crate::catalog::catalog;
use crate::domain::messages::{message_id, Kind};
use crate::entity::message;
use crate::store::outbox::letters::Letter;
use crate::web::handouts::receipt::{hours_words, model_name};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use rocket_dyn_templates::tera::{Context, Tera};
use serde_json::{json, Value};
use std::path::Path;

/// The languages messages are written in (others get English).
pub const LANGUAGES: [&str; 2] = ["en", "es"];

/// The message templates, loaded once.
pub struct Templates(Tera);

impl Templates {
    /// Load `**/*.tera` under the message template directory (`mail-templates/`: not under
    /// the pages' `templates/`, which Rocket loads whole); every kind must have both
    /// templates in both languages (or the server does not start).
    pub fn load(dir: &Path) -> Result<Templates, String> {
        let glob = dir.join("**").join("*.tera");
        let mut tera =
            Tera::new(&glob.to_string_lossy()).map_err(|e| format!("the message templates cannot be read: {e:?}"))?;
        // NOTE: Tera escapes only names ending in .html; ours end in .html.tera. The plain-text
        // part is not HTML and is never escaped.
        tera.autoescape_on(vec![".html.tera"]);
        let names: Vec<&str> = tera.get_template_names().collect();
        for lang in LANGUAGES {
            for kind in Kind::ALL {
                for part in ["txt", "html"] {
                    let name = format!("{lang}/{}.{part}.tera", kind.as_str());
                    if !names.contains(&name.as_str()) {
                        return Err(format!("the message template {} is missing", dir.join(&name).display()));
                    }
                }
            }
        }
        Ok(Templates(tera))
    }

    /// Render one template.
    fn render(&self, name: &str, context: &Context) -> Result<String, String> {
        self.0.render(name, context).map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            format!("the template {name} cannot be filled: {text}")
        })
    }
}

/// The words of a message: subject, plain text, HTML.
#[derive(Debug, Clone)]
pub struct Words {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The template context of a letter: its facts in the letter's language, and its links.
pub fn context(mailer: &super::Mailer, letter: &Letter) -> Value {
    let c = catalog();
    let lang = if LANGUAGES.contains(&letter.language.as_str()) { letter.language.as_str() } else { "en" };
    let f = &letter.facts;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| c.date(lang, d));
    let base = &mailer.public_url;
    let link = match (letter.kind, f.referral_id) {
        (Kind::StockLow, _) => format!("{base}/stock"),
        (Kind::ManagerDigest, _) => format!("{base}/triage"),
        (Kind::CallsDue, _) => format!("{base}/follow-ups"),
        (Kind::SurveyDue, _) => f.survey_token.as_ref().map_or_else(|| base.clone(), |t| format!("{base}/s/{t}")),
        // A family never gets a link to a staff page.
        (k, _) if k.audience() == crate::domain::messages::Audience::Family => base.clone(),
        (_, Some(r)) => format!("{base}/requests/{r}"),
        _ => base.clone(),
    };
    let model = match (&f.model_code, &f.model_name) {
        (Some(code), Some(name)) => Some(model_name(c, lang, code, name)),
        _ => None,
    };
    let hours = f.site_code.as_deref().and_then(|code| hours_words(c, lang, mailer.hours.for_site(code)));
    json!({
        "lang": lang,
        "name": letter.to_name,
        "first_name": f.first_name,
        "request": f.referral_id,
        "site": f.site_name,
        "site_address": f.site_address,
        "hours": hours,
        "model": model,
        "until": date(f.until),
        "discharge": date(f.discharge_date),
        "handed_out_on": date(f.handed_out_on),
        "day": date(f.day),
        "reason": f.reason,
        "available": f.available,
        "threshold": f.threshold,
        "round": f.round_months,
        "baby": f.baby,
        "counts": f.counts.iter().map(|(what, n)| json!({"what": what, "n": n})).collect::<Vec<_>>(),
        "phone": mailer.phone,
        "link": link,
        "unsubscribe": letter.unsubscribe_token.as_ref().map(|t| format!("{base}/messages/unsubscribe/{t}")),
        "program": mailer.from.name.clone().unwrap_or_else(|| "Crib program".into()),
    })
}

/// A letter put into words (subject, text, HTML).
pub fn words(mailer: &super::Mailer, letter: &Letter) -> Result<Words, String> {
    let value = context(mailer, letter);
    let lang = value["lang"].as_str().unwrap_or("en").to_string();
    let context = Context::from_value(value).map_err(|e| format!("the message's facts cannot be used: {e}"))?;
    let kind = letter.kind.as_str();
    let text = mailer.templates.render(&format!("{lang}/{kind}.txt.tera"), &context)?;
    let html = mailer.templates.render(&format!("{lang}/{kind}.html.tera"), &context)?;
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject = subject.trim().to_string();
    if subject.is_empty() {
        return Err(format!("the template {lang}/{kind}.txt.tera has no subject on its first line"));
    }
    Ok(Words { subject, text: body.trim_start_matches('\n').to_string(), html })
}

/// A `List-Unsubscribe` header (RFC 2369), and `List-Unsubscribe-Post` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// The e-mail of a message: From the program, To the recipient, the words, a `Message-ID`
/// that is the same on every try.
pub fn email(mailer: &super::Mailer, m: &message::Model, letter: &Letter) -> Result<lettre::Message, String> {
    let words = words(mailer, letter)?;
    let to_name = Some(letter.to_name.clone()).filter(|n| !n.trim().is_empty());
    let to_address = letter
        .to_address
        .parse()
        .map_err(|e| format!("the recipient's address {:?} cannot be used: {e}", letter.to_address))?;
    let to = Mailbox::new(to_name, to_address);
    let domain = mailer.from.email.domain().to_string();
    let mut builder = lettre::Message::builder()
        .from(mailer.from.clone())
        .reply_to(mailer.from.clone())
        .to(to)
        .subject(words.subject)
        .message_id(Some(message_id(&m.dedupe_key, &domain)));
    if let Some(t) = &letter.unsubscribe_token {
        builder = builder
            .header(ListUnsubscribe(format!("{}/messages/unsubscribe/{t}", mailer.public_url)))
            .header(ListUnsubscribePost);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(words.text))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(words.html)),
        )
        .map_err(|e| format!("the message cannot be built: {e}"))
}
