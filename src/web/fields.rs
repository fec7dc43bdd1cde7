//! Form fields for templates: each input's id, name, typed value and the sentences that
//! refused it, so a refused form re-shows what was typed with the reason next to the
//! field (`templates/macros.html.tera` renders them with `aria-describedby`).

use crate::store::write::FormToken;
use rocket::form::{self, FromFormField, ValueField};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Problems by field path (`caregiver.first_name`, `infants[0].date_of_birth`).
#[derive(Debug, Default, Clone)]
pub struct Problems {
    by_path: BTreeMap<String, Vec<String>>,
    order: Vec<(String, String)>,
}

impl Problems {
    /// From (path, sentence) pairs, in the order the parser found them.
    pub fn new(list: &[(String, String)]) -> Problems {
        let mut p = Problems::default();
        for (path, sentence) in list {
            p.by_path.entry(path.clone()).or_default().push(sentence.clone());
            p.order.push((path.clone(), sentence.clone()));
        }
        p
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The sentences for one path, joined; None when the field is fine.
    pub fn for_path(&self, path: &str) -> Option<String> {
        self.by_path.get(path).map(|v| v.join(" "))
    }

    /// The list at the top of a refused form: each problem linking to its input.
    pub fn summary(&self) -> Value {
        Value::Array(
            self.order.iter().map(|(path, sentence)| json!({"id": dom_id(path), "message": sentence})).collect(),
        )
    }
}

/// The HTML id of a field path: `infants[0].date_of_birth` → `infants-0-date_of_birth`.
pub fn dom_id(path: &str) -> String {
    let mut id = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

/// One input: `{id, name, value, error}`.
pub fn field(path: &str, value: &str, problems: &Problems) -> Value {
    json!({"id": dom_id(path), "name": path, "value": value, "error": problems.for_path(path)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain() {
        assert_eq!(dom_id("caregiver.first_name"), "caregiver-first_name");
        assert_eq!(dom_id("infants[1].date_of_birth"), "infants-1-date_of_birth");
        assert_eq!(dom_id("infants"), "infants");
    }

    #[test]
    fn problems_attach_to_their_field() {
        let p = Problems::new(&[("household_size".into(), "Too many.".into())]);
        assert_eq!(field("household_size", "31", &p)["error"], "Too many.");
        assert_eq!(field("annual_income", "1", &p)["error"], Value::Null);
        assert_eq!(p.summary()[0]["id"], "household_size");
    }
}

/// A form's one-time token as a form field: whatever was sent, read by the one rule of
/// `FormToken::submitted`; a missing field is an unusable token (the write then refuses
/// with a sentence), never a form error that loses what was typed.
impl<'v> FromFormField<'v> for FormToken {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        Ok(FormToken::submitted(field.value))
    }

    fn default() -> Option<Self> {
        Some(<FormToken as Default>::default())
    }
}

/// A form that carries nothing but its CSRF field and its one-time token (a button that
/// writes: cancel, activate, deactivate…).
#[derive(rocket::FromForm)]
pub struct TokenOnly {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
}
