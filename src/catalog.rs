//! The message catalog: every word a family reads (the safe-sleep checklist, the receipt,
//! the explanation of a refusal, the "what we hold" page, the paper slip), in Project
//! Fluent files, one folder per language: `locales/<lang>/*.ftl` (decision 0021). A third
//! language is a folder of files, not code: every folder found at launch is a language.
//!
//! Lookups never fail in front of a person: a message missing in a language falls back to
//! English (and is logged); a test keeps every key in every language, so that fallback is
//! a defect caught before it ships. Templates look messages up with the Tera function
//! `t(key="…", lang=lang, …arguments)` (`web::words`); Rust code with
//! [`catalog`]`().text(…)`/`format(…)`.
//! Staff-facing words stay in the templates, in English.

use chrono::{Datelike, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The language every other falls back to, and the one a missing language is shown in.
pub const FALLBACK: &str = "en";

/// One language's messages.
struct Language {
    bundle: FluentBundle<FluentResource>,
    keys: BTreeSet<String>,
}

/// The catalog: the messages of every language found.
#[derive(Default)]
pub struct Catalog {
    languages: BTreeMap<String, Language>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("languages", &self.languages.keys().collect::<Vec<_>>()).finish()
    }
}

impl Catalog {
    /// Read every `<dir>/<lang>/*.ftl`. An unreadable file, a syntax error or a message
    /// defined twice is an error naming the file; so is a catalog without English.
    pub fn load(dir: &Path) -> Result<Catalog, String> {
        let mut sources: Vec<(String, String, String)> = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(lang) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
            if !path.is_dir() || lang.starts_with('.') {
                continue;
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .flatten()
                .map(|f| f.path())
                .filter(|f| f.extension().is_some_and(|x| x == "ftl"))
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
                sources.push((lang.clone(), file.display().to_string(), text));
            }
        }
        Catalog::from_sources(sources.iter().map(|(l, n, t)| (l.as_str(), n.as_str(), t.as_str())))
    }

    /// The catalog of `(language, file name, Fluent text)` sources.
    pub fn from_sources<'a>(sources: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Result<Catalog, String> {
        let mut languages: BTreeMap<String, Language> = BTreeMap::new();
        for (lang, name, text) in sources {
            let id: unic_langid::LanguageIdentifier =
                lang.parse().map_err(|e| format!("{name}: \"{lang}\" is not a language code: {e}"))?;
            let resource =
                FluentResource::try_new(text.to_string()).map_err(|(_, errors)| format!("{name}: {errors:?}"))?;
            let keys: Vec<String> = resource
                .entries()
                .filter_map(|e| match e {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                    _ => None,
                })
                .collect();
            let language = languages.entry(lang.to_ascii_lowercase()).or_insert_with(|| {
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // NOTE: no Unicode isolation marks around arguments: they would reach the
                // HTML (and the printed page) as invisible characters around every name.
                bundle.set_use_isolating(false);
                Language { bundle, keys: BTreeSet::new() }
            });
            language.bundle.add_resource(resource).map_err(|errors| format!("{name}: {errors:?}"))?;
            language.keys.extend(keys);
        }
        if !languages.is_empty() && !languages.contains_key(FALLBACK) {
            return Err(format!("the catalog has no \"{FALLBACK}\" folder to fall back to"));
        }
        Ok(Catalog { languages })
    }

    /// The languages the catalog has, by code.
    pub fn languages(&self) -> Vec<&str> {
        self.languages.keys().map(String::as_str).collect()
    }

    /// The message keys of one language.
    pub fn keys(&self, lang: &str) -> BTreeSet<String> {
        self.languages.get(lang).map(|l| l.keys.clone()).unwrap_or_default()
    }

    /// The catalog's language for a preference such as `es`, `es-MX` or `ES_us`: its first
    /// part when the catalog has it, else English.
    pub fn supported(&self, lang: &str) -> &str {
        let primary = lang.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match self.languages.get_key_value(&primary) {
            Some((code, _)) => code.as_str(),
            None => FALLBACK,
        }
    }

    /// A message without arguments (see [`Catalog::format`]).
    pub fn text(&self, lang: &str, key: &str) -> String {
        self.format(lang, key, &[])
    }

    /// A message with its arguments, in `lang` (or English when `lang` lacks it).
    pub fn format(&self, lang: &str, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let lang = self.supported(lang);
        if let Some(s) = self.try_format(lang, key, args) {
            return s;
        }
        tracing::warn!(lang, key, "message missing from the catalog; shown in English");
        self.try_format(FALLBACK, key, args).unwrap_or_default()
    }

    /// A message in exactly `lang`, or `None` when that language does not have it.
    pub fn try_format(&self, lang: &str, key: &str, args: &[(&str, FluentValue<'_>)]) -> Option<String> {
        let bundle = &self.languages.get(lang)?.bundle;
        let pattern = bundle.get_message(key)?.value()?;
        let mut fargs = FluentArgs::new();
        for (name, value) in args {
            fargs.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(lang, key, ?errors, "a catalog message was formatted with errors");
        }
        Some(text.into_owned())
    }

    /// A date as a family reads it: "December 5, 2026" / "5 de diciembre de 2026".
    pub fn date(&self, lang: &str, date: NaiveDate) -> String {
        let month = self.text(lang, &format!("month-{}", date.month()));
        self.format(
            lang,
            "date-long",
            &[
                ("day", FluentValue::from(date.day())),
                ("month", FluentValue::from(month)),
                ("year", FluentValue::from(date.year().to_string())),
            ],
        )
    }

    /// "A, B and C" (or "A, B or C" with `conjunction` = `"or"`) in the language's words.
    pub fn list(&self, lang: &str, items: &[String], conjunction: &str) -> String {
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => self.format(
                lang,
                &format!("list-{conjunction}"),
                &[("init", FluentValue::from(init.join(", "))), ("last", FluentValue::from(last.clone()))],
            ),
        }
    }
}

static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();

/// Where the catalog's files are: `./locales` when it exists, else the source tree's.
pub fn locales_dir() -> PathBuf {
    let local = PathBuf::from("locales");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// The catalog, read once from [`locales_dir`]. Launch fails when it cannot be read
/// ([`loaded`]); should a request still get here without one, it reads empty strings.
pub fn catalog() -> &'static Catalog {
    static EMPTY: OnceLock<Catalog> = OnceLock::new();
    match CATALOG.get_or_init(|| Catalog::load(&locales_dir())) {
        Ok(c) => c,
        Err(_) => EMPTY.get_or_init(Catalog::default),
    }
}

/// Whether the catalog was read (for the launch check), with the reason when not.
pub fn loaded() -> Result<(), String> {
    match CATALOG.get_or_init(|| Catalog::load(&locales_dir())) {
        Ok(c) if c.languages.contains_key(FALLBACK) => Ok(()),
        Ok(_) => Err(format!("{}: no language folders", locales_dir().display())),
        Err(e) => Err(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Catalog {
        Catalog::from_sources([
            ("en", "en.ftl", "hello = Hello, { $name }!\nonly-en = English only\nlist-and = { $init } and { $last }\n"),
            ("es", "es.ftl", "hello = ¡Hola, { $name }!\nlist-and = { $init } y { $last }\n"),
        ])
        .expect("catalog")
    }

    #[test]
    fn messages_in_each_language_with_their_arguments() {
        let c = small();
        assert_eq!(c.format("es-MX", "hello", &[("name", FluentValue::from("Ana"))]), "¡Hola, Ana!");
        assert_eq!(c.format("en", "hello", &[("name", FluentValue::from("Ana"))]), "Hello, Ana!", "no isolation marks");
        assert_eq!(c.text("es", "only-en"), "English only", "a missing message falls back to English");
        assert_eq!(c.try_format("es", "only-en", &[]), None);
        assert_eq!(c.supported("fr"), "en");
        assert_eq!(c.supported("ES_us"), "es");
        let items = ["A".to_string(), "B".to_string(), "C".to_string()];
        assert_eq!(c.list("es", &items, "and"), "A, B y C");
    }

    #[test]
    fn a_broken_file_or_a_catalog_without_english_is_refused() {
        assert!(Catalog::from_sources([("en", "bad.ftl", "hello = { $name")]).is_err());
        assert!(Catalog::from_sources([("es", "es.ftl", "hello = Hola")]).is_err());
    }

    #[test]
    fn the_shipped_catalog_has_every_key_in_every_language() {
        let c = Catalog::load(&locales_dir()).expect("locales/ reads");
        let english = c.keys(FALLBACK);
        assert!(english.len() > 50, "the English catalog: {} keys", english.len());
        assert!(c.languages().len() >= 2, "English and Spanish at least");
        for lang in c.languages() {
            let keys = c.keys(lang);
            let missing: Vec<&String> = english.difference(&keys).collect();
            let extra: Vec<&String> = keys.difference(&english).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
            for key in &keys {
                assert!(!c.text(lang, key).trim().is_empty(), "{lang}: {key} is empty");
            }
        }
        assert_eq!(c.date("es", NaiveDate::from_ymd_opt(2026, 12, 5).expect("date")), "5 de diciembre de 2026");
        assert_eq!(c.date("en", NaiveDate::from_ymd_opt(2026, 12, 5).expect("date")), "December 5, 2026");
    }
}
