//! Eligibility policy parameters: a dated, versioned set of thresholds. Every threshold
//! is data (seeds/policies/*.toml or a manager's published version), never code.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The parameters of one policy version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyParams {
    /// The family must live in a Baltimore City neighborhood.
    pub require_city_residency: bool,
    /// A born baby must be checked before the day it turns this many calendar months.
    pub max_infant_age_months: u32,
    /// A pregnancy counts from this many weeks (the due date at most (full_term - this) weeks ahead).
    pub min_weeks_pregnant: u32,
    /// Weeks of a full-term pregnancy (40).
    pub full_term_weeks: u32,
    /// A due date this many days past with no birth recorded asks staff to record the birth.
    pub overdue_due_date_days: u32,
    /// A recorded weight must be under this many pounds.
    #[serde(with = "rust_decimal::serde::str")]
    pub max_infant_weight_lb: Decimal,
    /// Income limit as a percentage of the HHS poverty guideline.
    pub income_limit_percent: u32,
    /// Which HHS guideline region applies.
    pub poverty_region: String,
    /// Enrollment in any of these qualifies regardless of income.
    pub qualifying_enrollments: Vec<String>,
    /// The family must have no safe place for the baby to sleep.
    pub require_no_safe_sleep_space: bool,
    /// A passing check is good for a handout for this many days.
    pub eligibility_valid_days: u32,
    /// Safe-sleep education counts for this many days.
    pub education_valid_days: u32,
    /// A follow-up call is due this many days after a handout.
    pub follow_up_days: u32,
    /// A referral's reservation is held until this many days after discharge.
    pub reservation_days_after_discharge: u32,
}

impl PolicyParams {
    /// Days before the due date from which a pregnancy is far enough along (28 by default).
    pub fn pregnancy_window_days(&self) -> i64 {
        i64::from(self.full_term_weeks.saturating_sub(self.min_weeks_pregnant)) * 7
    }

    /// Check the parameters make sense; each problem is a sentence.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errs = Vec::new();
        if !(1..=24).contains(&self.max_infant_age_months) {
            errs.push(("max_infant_age_months".into(), "must be between 1 and 24 months".into()));
        }
        if self.min_weeks_pregnant > self.full_term_weeks || self.full_term_weeks > 45 {
            errs.push(("min_weeks_pregnant".into(), "must be at most the full-term weeks (40)".into()));
        }
        if self.max_infant_weight_lb <= Decimal::ZERO || self.max_infant_weight_lb > Decimal::from(100) {
            errs.push(("max_infant_weight_lb".into(), "must be between 0 and 100 pounds".into()));
        }
        if !(1..=1000).contains(&self.income_limit_percent) {
            errs.push(("income_limit_percent".into(), "must be between 1 and 1000 percent".into()));
        }
        for (name, v) in [
            ("eligibility_valid_days", self.eligibility_valid_days),
            ("education_valid_days", self.education_valid_days),
            ("follow_up_days", self.follow_up_days),
            ("reservation_days_after_discharge", self.reservation_days_after_discharge),
        ] {
            if !(1..=3650).contains(&v) {
                errs.push((name.into(), "must be between 1 and 3650 days".into()));
            }
        }
        errs
    }
}

/// A policy file as stored in `seeds/policies/*.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct PolicyFile {
    pub name: String,
    pub title: Option<String>,
    pub version: i32,
    pub effective_from: chrono::NaiveDate,
    pub notes: Option<String>,
    pub params: PolicyParams,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_parses_and_is_valid() {
        let file: PolicyFile = toml::from_str(include_str!("../../seeds/policies/baltimore-default-v1.toml"))
            .expect("default policy parses");
        assert_eq!(file.params.pregnancy_window_days(), 28);
        assert_eq!(file.params.income_limit_percent, 185);
        assert!(file.params.validate().is_empty());
    }
}
