//! The safe-sleep topics as families read them (the checklist, the receipt's reminders),
//! in the family's language. The words are in the message catalog (`topic-<code>-title`,
//! `topic-<code>-detail`, `checklist-*`; locales/<lang>/family.ftl); this module only
//! pairs them with the topic codes of `education`, which never reach a person.

use crate::catalog::catalog;
use crate::domain::education::{OPTIONAL_TOPICS, REQUIRED_TOPICS};
use fluent_bundle::FluentValue;
use serde::Serialize;

/// One topic as shown on the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct TopicText {
    pub code: &'static str,
    pub title: String,
    pub detail: String,
    pub required: bool,
}

/// Normalise a language preference to one the catalog has (`es-MX` → `es`; unknown → `en`).
pub fn supported(lang: &str) -> &'static str {
    catalog().supported(lang)
}

/// Every topic in `lang`: the ABCD first, then the optional ones.
pub fn topics(lang: &str) -> Vec<TopicText> {
    let c = catalog();
    let required = REQUIRED_TOPICS.iter().map(|t| (*t, true));
    let optional = OPTIONAL_TOPICS.iter().map(|t| (*t, false));
    required
        .chain(optional)
        .map(|(code, required)| TopicText {
            code,
            title: c.text(lang, &format!("topic-{code}-title")),
            detail: c.text(lang, &format!("topic-{code}-detail")),
            required,
        })
        .collect()
}

/// The checklist's sentence when ABCD topics were left unticked, naming them by their
/// titles in `lang` ("Still to do: C — in a Crib and D — Don't smoke.").
pub fn missing_sentence(lang: &str, missing: &[&str]) -> String {
    let c = catalog();
    let titles: Vec<String> = missing.iter().map(|code| c.text(lang, &format!("topic-{code}-title"))).collect();
    c.format(lang, "checklist-missing", &[("topics", FluentValue::from(c.list(lang, &titles, "and")))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_cover_every_topic_in_the_same_order_with_no_code_shown() {
        for lang in ["en", "es"] {
            let t = topics(lang);
            let codes: Vec<&str> = t.iter().map(|t| t.code).collect();
            let expected: Vec<&str> = REQUIRED_TOPICS.iter().chain(OPTIONAL_TOPICS.iter()).copied().collect();
            assert_eq!(codes, expected, "{lang}");
            assert!(t.iter().all(|t| !t.title.is_empty() && !t.detail.is_empty() && !t.title.contains('_')));
        }
        assert_eq!(topics("es")[1].title, "B — Boca arriba");
        assert_eq!(supported("es-MX"), "es");
        assert_eq!(supported("fr"), "en");
    }

    #[test]
    fn the_missing_topics_are_named_in_the_familys_words() {
        let es = missing_sentence("es", &["crib", "no_smoking"]);
        assert_eq!(es, "Repase cada uno de los temas del ABCD. Falta: C — en su Cuna y D — No fumar.");
        let en = missing_sentence("en", &["no_smoking"]);
        assert_eq!(en, "Go through every one of the ABCDs. Still to do: D — Don't smoke.");
        assert!(!es.contains("no_smoking") && !es.contains("missing"));
    }
}
