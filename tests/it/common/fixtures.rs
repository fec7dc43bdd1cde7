//! Fixture builders: `family().with_infant_born(days_ago(30))` and friends, producing the
//! JSON bodies the API takes.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

/// Today in the program's calendar.
pub fn today() -> NaiveDate {
    cribs::clock::today()
}

/// A date `n` days before today.
pub fn days_ago(n: i64) -> NaiveDate {
    today() - Duration::days(n)
}

/// A date `n` days after today.
pub fn days_ahead(n: i64) -> NaiveDate {
    today() + Duration::days(n)
}

/// A family registration body, eligible by default (city, WIC, no safe sleep space).
pub struct FamilyBuilder {
    body: Value,
}

/// Start a family.
pub fn family() -> FamilyBuilder {
    FamilyBuilder {
        body: json!({
            "caregiver": {"first_name": "Tanya", "last_name": "Brooks", "date_of_birth": "1996-04-12", "phone": "410-555-0101"},
            "address": {"line1": "1200 Druid Hill Ave", "city": "Baltimore", "state": "MD", "zip": "21217", "neighborhood_id": 65},
            "household_size": 2,
            "annual_income": "18000.00",
            "enrollments": ["WIC"],
            "has_safe_sleep_space": false,
            "preferred_language": "en",
            "infants": []
        }),
    }
}

impl FamilyBuilder {
    /// Add a born infant.
    pub fn with_infant_born(mut self, dob: NaiveDate) -> Self {
        if let Some(a) = self.body["infants"].as_array_mut() {
            a.push(json!({"date_of_birth": dob.to_string()}));
        }
        self
    }
    /// Add an expected infant.
    pub fn with_infant_due(mut self, due: NaiveDate) -> Self {
        if let Some(a) = self.body["infants"].as_array_mut() {
            a.push(json!({"expected_due_date": due.to_string()}));
        }
        self
    }
    /// Set any top-level or nested field by JSON pointer.
    pub fn set(mut self, pointer: &str, value: Value) -> Self {
        if let Some(slot) = self.body.pointer_mut(pointer) {
            *slot = value;
        }
        self
    }
    /// Names, for distinct families, with a caregiver birth date of their own (derived
    /// from the names): families that share a caregiver birth date and a baby's birth date
    /// are possible duplicates (issue 19), as two real mothers rarely are.
    pub fn named(self, first: &str, last: &str) -> Self {
        let h = format!("{first} {last}").bytes().fold(17u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let dob = format!("{}-{:02}-{:02}", 1980 + h % 25, 1 + (h / 25) % 12, 1 + (h / 300) % 28);
        self.set("/caregiver/first_name", json!(first))
            .set("/caregiver/last_name", json!(last))
            .set("/caregiver/date_of_birth", json!(dob))
    }
    /// The JSON body.
    pub fn build(self) -> Value {
        self.body
    }
}
