//! The words of the printable "what we hold about you" page, in the family's language,
//! from the message catalog (`record-*` keys in locales/<lang>/family.ftl).

use serde::Serialize;

/// The page's words in one language.
#[derive(Debug, Clone, Serialize)]
pub struct RecordText {
    pub lang: &'static str,
    pub title: String,
    pub intro: String,
    pub details: String,
    pub name: String,
    pub born: String,
    pub phone: String,
    pub address: String,
    pub household: String,
    pub income: String,
    pub enrolled: String,
    pub babies: String,
    pub checks: String,
    pub eligible: String,
    pub not_eligible: String,
    pub education: String,
    pub cribs: String,
    pub receipt: String,
    pub changes: String,
    pub requests: String,
    pub calls: String,
    pub access: String,
    pub none: String,
    pub printed: String,
}

/// The words for a language (the catalog's, else English).
pub fn record_text(lang: &str) -> RecordText {
    let c = crate::catalog::catalog();
    let lang = c.supported(lang);
    let w = |key: &str| c.text(lang, &format!("record-{key}"));
    RecordText {
        lang,
        title: w("title"),
        intro: w("intro"),
        details: w("details"),
        name: w("name"),
        born: w("born"),
        phone: w("phone"),
        address: w("address"),
        household: w("household"),
        income: w("income"),
        enrolled: w("enrolled"),
        babies: w("babies"),
        checks: w("checks"),
        eligible: w("eligible"),
        not_eligible: w("not-eligible"),
        education: w("education"),
        cribs: w("cribs"),
        receipt: w("receipt"),
        changes: w("changes"),
        requests: w("requests"),
        calls: w("calls"),
        access: w("access"),
        none: w("none"),
        printed: w("printed"),
    }
}
