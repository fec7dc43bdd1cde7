//! Input checks shared by the API handlers: collect every field's problem, then fail once
//! with all of them (422 `validation_failed` with `fields`).

use crate::error::{AppError, FieldErrors};

/// Collects field problems, then fails once with all of them.
#[derive(Default)]
pub struct Problems(FieldErrors);

impl Problems {
    /// Note a problem with a field.
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0.entry(field.to_string()).or_default().push(msg.into());
    }
    /// Keep the value, or note its problem.
    pub fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }
    /// Fail with the problems, if any.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// Optional free text, trimmed, bounded.
pub fn optional_text(p: &mut Problems, field: &str, v: Option<String>, max: usize) -> Option<String> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        p.add(field, format!("At most {max} characters, please."));
        return None;
    }
    Some(v)
}
