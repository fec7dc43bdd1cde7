//! Staff pages for the moment the program exists for: the safe-sleep education checklist,
//! handing out a crib (form → confirmation naming the infant and site → receipt), the
//! printable receipt, the printable explanation of a refusal, follow-up calls, and a
//! manager's void of a hand-out.

pub mod education;
pub mod follow_ups;
pub mod handout;
pub mod receipt;
pub mod refusal;
pub mod void;

use crate::error::AppError;
use std::collections::BTreeMap;

/// Field problems as a map for templates (first sentence per field).
pub fn errors_map(problems: &[(String, String)]) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (f, m) in problems {
        map.entry(f.clone()).or_insert_with(|| m.clone());
    }
    map
}

/// The same, from an `AppError` (validation fields, or the error's sentence under "form").
pub fn errors_of(e: &AppError) -> BTreeMap<String, String> {
    match e.fields() {
        Some(fields) => fields.iter().filter_map(|(k, v)| v.first().map(|m| (k.clone(), m.clone()))).collect(),
        None => BTreeMap::from([("form".to_string(), e.message())]),
    }
}
