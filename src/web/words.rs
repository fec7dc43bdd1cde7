//! The message catalog in templates: the Tera function `t(key="…", lang=lang, name=value…)`
//! (registered in `lib::build`) gives a message of `catalog` in the page's language.

use crate::catalog::{catalog, FALLBACK};
use fluent_bundle::FluentValue;
use rocket_dyn_templates::tera;
use std::collections::HashMap;

/// The Tera function `t(key="…", lang=lang, name=value…)`: the message in the language
/// (every other argument is the message's argument, numbers as numbers).
pub fn t(args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let key = args.get("key").and_then(|v| v.as_str()).ok_or_else(|| tera::Error::msg("t(): key is required"))?;
    let lang = args.get("lang").and_then(|v| v.as_str()).unwrap_or(FALLBACK);
    let mut values: Vec<(&str, FluentValue<'_>)> = Vec::new();
    for (name, v) in args {
        if name == "key" || name == "lang" {
            continue;
        }
        let value = match v {
            tera::Value::Number(n) => match n.as_i64() {
                Some(i) => FluentValue::from(i),
                None => FluentValue::from(n.as_f64().unwrap_or(0.0)),
            },
            tera::Value::String(s) => FluentValue::from(s.as_str()),
            tera::Value::Null => FluentValue::from(""),
            other => FluentValue::from(other.to_string()),
        };
        values.push((name.as_str(), value));
    }
    Ok(tera::Value::String(catalog().format(lang, key, &values)))
}
