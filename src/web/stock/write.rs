//! What every stock form shares: reading typed numbers and choices into field errors, and
//! turning a refusal into the field it belongs to.
//!
//! A form's flow: GET renders it with a fresh `FormToken` → POST `…/confirm` re-validates
//! and runs the very same store action as a dry run (`store::write::Mode::DryRun`: a
//! transaction that is rolled back), so the confirmation shows exactly what the write will
//! do and refuses what it would refuse → POST to the action runs it for real under the
//! token (`store::write`) and redirects.

use crate::error::Problems;
use crate::error::{AppError, FieldErrors};
use crate::store::reference::{CribModel, Site};
use crate::store::{reference, stock_ops};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

/// What a confirmed write did: where to go next and what to tell the person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Done {
    pub site_id: i64,
    pub message: String,
}

/// A whole number typed into a field; `None` (with the problem noted) when it is not one.
pub fn whole_number(p: &mut Problems, field: &str, text: &str, empty: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        p.add(field, empty);
        return None;
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        p.add(field, format!("Type a whole number using digits only, like 50; \"{}\" is not one.", clip(t)));
        return None;
    }
    match t.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            p.add(field, "That number is far too large.");
            None
        }
    }
}

/// An id chosen from a list; `None` (with the problem noted) when nothing valid was chosen.
pub fn chosen_id(p: &mut Problems, field: &str, text: &str, what: &str) -> Option<i64> {
    match text.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            p.add(field, format!("Choose {what} from the list."));
            None
        }
    }
}

/// An active site chosen from a list; `None` (with the problem noted) otherwise.
pub async fn pick_site(
    db: &impl ConnectionTrait,
    p: &mut Problems,
    field: &str,
    text: &str,
) -> Result<Option<Site>, AppError> {
    let Some(id) = chosen_id(p, field, text, "a site") else {
        return Ok(None);
    };
    let found = reference::site(db, id).await?;
    if found.is_none() {
        p.add(field, "Choose a site from the list.");
    }
    Ok(found)
}

/// A crib model chosen from a list; `None` (with the problem noted) otherwise.
pub async fn pick_model(
    db: &impl ConnectionTrait,
    p: &mut Problems,
    field: &str,
    text: &str,
) -> Result<Option<CribModel>, AppError> {
    let Some(id) = chosen_id(p, field, text, "a crib model") else {
        return Ok(None);
    };
    match stock_ops::existing_model(db, id, field).await {
        Ok(m) => Ok(Some(m)),
        Err(AppError::Validation(_)) => {
            p.add(field, "Choose a crib model from the list.");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn clip(s: &str) -> String {
    let mut c: String = s.chars().take(20).collect();
    if s.chars().count() > 20 {
        c.push('…');
    }
    c
}

/// The field errors of a refusal the person can fix, or the error itself when it is not one.
/// `OutOfStock` and `Conflict` belong to `stock_field`, the field that asked for the stock.
pub fn refusal(e: AppError, stock_field: &str) -> Result<FieldErrors, AppError> {
    let mut f = FieldErrors::new();
    match e {
        AppError::Validation(fields) => return Ok(fields),
        AppError::OutOfStock(msg) | AppError::Conflict(msg) => {
            f.insert(stock_field.to_string(), vec![msg]);
        }
        other => return Err(other),
    }
    Ok(f)
}

/// Collected problems as field errors (empty when there are none).
pub fn problems_of(p: Problems) -> FieldErrors {
    match p.finish() {
        Ok(()) => FieldErrors::new(),
        Err(AppError::Validation(f)) => f,
        Err(_) => FieldErrors::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_with_a_reason_when_they_are_not() {
        let mut p = Problems::default();
        assert_eq!(whole_number(&mut p, "q", " 500 ", "required"), Some(500));
        assert_eq!(whole_number(&mut p, "q", "-3", "required"), Some(-3));
        assert_eq!(whole_number(&mut p, "a", "", "Type how many."), None);
        assert_eq!(whole_number(&mut p, "b", "ten", "required"), None);
        assert_eq!(whole_number(&mut p, "c", "1e3", "required"), None);
        assert_eq!(whole_number(&mut p, "d", "99999999999999999999999", "required"), None);
        assert_eq!(whole_number(&mut p, "e", "-", "required"), None);
        let f = problems_of(p);
        assert_eq!(f.keys().cloned().collect::<Vec<_>>(), ["a", "b", "c", "d", "e"]);
        assert_eq!(f["a"], ["Type how many."]);
    }
}
