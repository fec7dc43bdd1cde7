//! A site's movement history as the pages and the CSV show it: the filters typed into the
//! page (kind, model, lot, New York date range, page) read into a `MovementFilter` with a
//! reason next to any that cannot be read, and movements turned into rows with names.

use crate::clock;
use crate::error::FieldErrors;
use crate::store::stock::MovementKind;
use crate::store::stock_ops::{MovementFilter, MovementView};
use crate::web::stock::{pct, signed};
use chrono::{Duration, NaiveDate};
use rocket::FromForm;
use serde::Serialize;
use std::collections::HashMap;

/// Movements per page of history.
pub const PER_PAGE: u64 = 25;

/// The history filters as typed (every field optional, read leniently).
#[derive(Debug, Default, Clone, FromForm, Serialize)]
pub struct HistoryQuery {
    pub kind: Option<String>,
    pub model: Option<String>,
    pub lot: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

/// Filters that were read, or the reasons they could not be.
pub struct ReadFilters {
    pub filter: MovementFilter,
    pub page: u64,
    pub errors: FieldErrors,
}

fn set(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn date(errors: &mut FieldErrors, field: &str, v: Option<&str>) -> Option<NaiveDate> {
    let v = v?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors
                .entry(field.into())
                .or_default()
                .push(format!("Type a date as YYYY-MM-DD, like 2026-03-31; \"{v}\" is not one."));
            None
        }
    }
}

impl HistoryQuery {
    /// Read the filters; dates are New York days, both ends included.
    pub fn read(&self) -> ReadFilters {
        let mut errors = FieldErrors::new();
        let kind = set(&self.kind).and_then(|k| match MovementKind::parse(k) {
            Some(k) => Some(k.as_str().to_string()),
            None => {
                errors.entry("kind".into()).or_default().push("Choose a kind of movement from the list.".into());
                None
            }
        });
        let crib_model_id = set(&self.model).and_then(|m| match m.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.entry("model".into()).or_default().push("Choose a crib model from the list.".into());
                None
            }
        });
        let lot = set(&self.lot).map(str::to_string);
        let from = date(&mut errors, "from", set(&self.from));
        let to = date(&mut errors, "to", set(&self.to));
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.entry("to".into()).or_default().push("The end date is before the start date.".into());
            }
        }
        let page = match set(&self.page).map(str::parse::<u64>) {
            None => 1,
            Some(Ok(p)) if (1..=1_000_000).contains(&p) => p,
            Some(_) => {
                errors.entry("page".into()).or_default().push("There is no such page.".into());
                1
            }
        };
        let filter = MovementFilter {
            kind,
            crib_model_id,
            lot,
            from: from.map(clock::start_of_new_york_day),
            until: to.and_then(|t| t.checked_add_signed(Duration::days(1))).map(clock::start_of_new_york_day),
        };
        ReadFilters { filter, page, errors }
    }

    /// The filters as a query string (without the page), for links that keep them.
    pub fn query_string(&self) -> String {
        [("kind", &self.kind), ("model", &self.model), ("lot", &self.lot), ("from", &self.from), ("to", &self.to)]
            .iter()
            .filter_map(|(k, v)| set(v).map(|v| format!("{k}={}", pct(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One movement as a row of the history, the lot lookup or the CSV.
#[derive(Debug, Clone, Serialize)]
pub struct MovementRow {
    pub id: i64,
    pub at: String,
    pub site_id: i64,
    pub site: String,
    pub kind: String,
    pub kind_label: String,
    pub model: String,
    pub quantity: i32,
    pub quantity_signed: String,
    pub lot: String,
    pub reason: String,
    pub note: String,
    pub by: String,
    pub transfer_id: Option<i64>,
    pub handout_id: Option<i64>,
}

/// The names a row needs.
pub struct Names<'a> {
    pub sites: &'a HashMap<i64, String>,
    pub models: &'a HashMap<i64, String>,
    pub users: &'a HashMap<i64, String>,
}

impl MovementRow {
    /// A movement with its names.
    pub fn new(m: MovementView, names: &Names<'_>) -> MovementRow {
        let kind_label = MovementKind::parse(&m.kind).map(|k| k.label().to_string()).unwrap_or_else(|| m.kind.clone());
        MovementRow {
            id: m.id,
            at: clock::local_date_time(m.created_at),
            site_id: m.site_id,
            site: names.sites.get(&m.site_id).cloned().unwrap_or_else(|| format!("site {}", m.site_id)),
            kind: m.kind,
            kind_label,
            model: names.models.get(&m.crib_model_id).cloned().unwrap_or_else(|| format!("model {}", m.crib_model_id)),
            quantity: m.quantity,
            quantity_signed: signed(i64::from(m.quantity)),
            lot: m.lot.unwrap_or_default(),
            // NOTE: stored reasons are words but for "transfer_cancelled".
            reason: m.reason.map(|r| r.replace('_', " ")).unwrap_or_default(),
            note: m.note.unwrap_or_default(),
            by: m.user_id.and_then(|u| names.users.get(&u).cloned()).unwrap_or_default(),
            transfer_id: m.transfer_id,
            handout_id: m.handout_id,
        }
    }
}

/// The kinds of movement, for the filter's list.
pub fn kind_choices() -> Vec<crate::web::stock::Choice> {
    MovementKind::ALL
        .iter()
        .map(|k| crate::web::stock::Choice { value: k.as_str().into(), label: k.label().into() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_or_explained() {
        let q = HistoryQuery {
            kind: Some("receipt".into()),
            model: Some("2".into()),
            lot: Some(" L-1 ".into()),
            from: Some("2026-03-01".into()),
            to: Some("2026-03-31".into()),
            page: Some("3".into()),
        };
        let r = q.read();
        assert!(r.errors.is_empty());
        assert_eq!(r.page, 3);
        assert_eq!(r.filter.kind.as_deref(), Some("receipt"));
        assert_eq!(r.filter.lot.as_deref(), Some("L-1"));
        assert_eq!(r.filter.until.map(|t| t.to_rfc3339()).as_deref(), Some("2026-04-01T04:00:00+00:00"));
        assert_eq!(q.query_string(), "kind=receipt&model=2&lot=L-1&from=2026-03-01&to=2026-03-31");
        let bad = HistoryQuery {
            kind: Some("theft".into()),
            from: Some("31/03/2026".into()),
            page: Some("0".into()),
            ..Default::default()
        }
        .read();
        assert_eq!(bad.errors.keys().cloned().collect::<Vec<_>>(), ["from", "kind", "page"]);
    }
}
