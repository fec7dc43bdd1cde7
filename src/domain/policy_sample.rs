//! The sample family a manager previews a draft policy on: a household in the city, with
//! no enrollments and no safe place for the baby to sleep, a typed income, and a baby
//! born a typed number of days before the check. Nothing about it is stored.

use crate::domain::eligibility::{FamilySnapshot, InfantSnapshot};
use crate::domain::family::{parse_household, parse_income};
use crate::domain::money::cents_to_decimal;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;

/// The sample as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleInput {
    pub household_size: String,
    pub annual_income: String,
    pub days_old: String,
}

impl Default for SampleInput {
    /// The worked example: a household of 3 at exactly 185% of the 2026 guideline, and a
    /// baby 30 days old.
    fn default() -> Self {
        SampleInput { household_size: "3".into(), annual_income: "50542.00".into(), days_old: "30".into() }
    }
}

/// A valid sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub household_size: u32,
    pub annual_income: Decimal,
    pub days_old: u32,
}

/// The oldest sample baby, in days (two years).
pub const MAX_DAYS_OLD: u32 = 730;

impl SampleInput {
    /// Parse; problems name `sample_household_size`, `sample_annual_income`, `sample_days_old`.
    pub fn parse(&self) -> Result<Sample, Vec<(String, String)>> {
        let mut p = Vec::new();
        let household = parse_household(&mut p, Some(&Value::String(self.household_size.clone())));
        let income = parse_income(&mut p, Some(&Value::String(self.annual_income.clone())));
        if income.is_none() && p.iter().all(|(f, _)| f != "annual_income") {
            p.push(("annual_income".into(), "Type the sample family's yearly income, like 31200.00.".into()));
        }
        let days_old = match self.days_old.trim().parse::<u32>() {
            Ok(d) if d <= MAX_DAYS_OLD => Some(d),
            _ => {
                p.push(("days_old".into(), format!("Type the baby's age in days, from 0 to {MAX_DAYS_OLD}.")));
                None
            }
        };
        match (u32::try_from(household), income, days_old) {
            (Ok(household_size), Some(cents), Some(days_old)) if p.is_empty() => {
                Ok(Sample { household_size, annual_income: cents_to_decimal(cents), days_old })
            }
            _ => Err(p.into_iter().map(|(f, s)| (format!("sample_{f}"), s)).collect()),
        }
    }
}

impl Sample {
    /// The family and baby as the rules see them on the check date `on`.
    pub fn snapshots(&self, on: NaiveDate) -> (FamilySnapshot, InfantSnapshot) {
        let family = FamilySnapshot {
            lives_in_city: true,
            household_size: self.household_size,
            annual_income: Some(self.annual_income),
            enrollments: Vec::new(),
            has_safe_sleep_space: Some(false),
        };
        let infant = InfantSnapshot {
            date_of_birth: on.checked_sub_days(Days::new(u64::from(self.days_old))),
            expected_due_date: None,
            weight_lb: None,
            already_received: false,
        };
        (family, infant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sample_parses() {
        let s = SampleInput::default().parse().expect("valid");
        assert_eq!(s.household_size, 3);
        assert_eq!(s.annual_income.to_string(), "50542.00");
        let on = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let (family, infant) = s.snapshots(on);
        assert!(family.lives_in_city);
        assert_eq!(infant.date_of_birth, NaiveDate::from_ymd_opt(2026, 10, 24));
    }

    #[test]
    fn bad_samples_name_their_fields() {
        let bad = SampleInput { household_size: "0".into(), annual_income: "".into(), days_old: "-1".into() };
        let fields: Vec<String> = bad.parse().err().unwrap_or_default().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["sample_household_size", "sample_annual_income", "sample_days_old"]);
    }
}
