//! Eligibility policy parameters: a dated, versioned set of thresholds. Every threshold
//! is data (seeds/policies/*.toml or a manager's published version), never code.

use crate::domain::family::ENROLLMENTS;
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

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
    /// Before issue 23: a follow-up call was due this many days after a handout. Kept so the
    /// versions published then still read as they were; it sets nothing now (the survey's
    /// rounds are at 1 and 3 months, `domain::survey`), and new versions leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_days: Option<u32>,
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
            ("reservation_days_after_discharge", self.reservation_days_after_discharge),
        ] {
            if !(1..=3650).contains(&v) {
                errs.push((name.into(), "must be between 1 and 3650 days".into()));
            }
        }
        errs
    }
}

impl PolicyParams {
    /// The parameters in plain words, one sentence each, in the order of the rules.
    pub fn describe(&self) -> Vec<String> {
        let months = self.max_infant_age_months;
        let mut words = Vec::new();
        words.push(if self.require_city_residency {
            "The family must live in a Baltimore City neighborhood.".to_string()
        } else {
            "Families outside Baltimore City may be served too.".to_string()
        });
        words.push(format!("A baby must be checked before turning {months} {}.", plural(months, "month", "months")));
        words.push(format!(
            "A pregnancy counts from {} weeks: the due date at most {} days after the check (full term is {} weeks).",
            self.min_weeks_pregnant,
            self.pregnancy_window_days(),
            self.full_term_weeks
        ));
        words.push(format!(
            "A due date more than {} {} past with no birth recorded asks staff to record the birth.",
            self.overdue_due_date_days,
            plural(self.overdue_due_date_days, "day", "days")
        ));
        words.push(format!("A recorded weight must be under {} lb.", self.max_infant_weight_lb.normalize()));
        let enrolled = match self.qualifying_enrollments.as_slice() {
            [] => String::new(),
            [one] => format!(", or enrolled in {one}"),
            [rest @ .., last] => format!(", or enrolled in {} or {last}", rest.join(", ")),
        };
        words.push(format!(
            "Income at or below {}% of the federal poverty guideline ({}){enrolled}.",
            self.income_limit_percent,
            region_label(&self.poverty_region)
        ));
        words.push(if self.require_no_safe_sleep_space {
            "The family must have no safe place for the baby to sleep.".to_string()
        } else {
            "Families with a safe place for the baby to sleep may be served too.".to_string()
        });
        words.push("No crib already received for this infant (a voided handout does not count).".to_string());
        words.push(format!(
            "A passing check is good for a handout for {} {}.",
            self.eligibility_valid_days,
            plural(self.eligibility_valid_days, "day", "days")
        ));
        words.push(format!(
            "Safe-sleep education counts for {} {}.",
            self.education_valid_days,
            plural(self.education_valid_days, "day", "days")
        ));
        words.push(format!(
            "A hospital request's crib is held until {} {} after discharge.",
            self.reservation_days_after_discharge,
            plural(self.reservation_days_after_discharge, "day", "days")
        ));
        words
    }
}

fn plural(n: u32, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A poverty guideline region for people.
pub fn region_label(region: &str) -> String {
    match region {
        "contiguous_us_dc" => "the 48 contiguous states and DC".to_string(),
        "alaska" => "Alaska".to_string(),
        "hawaii" => "Hawaii".to_string(),
        other => other.to_string(),
    }
}

/// How far ahead a new version may take effect.
pub const MAX_EFFECTIVE_MONTHS_AHEAD: u32 = 24;

/// A new version takes effect today or later, and not more than two years ahead.
pub fn effective_date_problem(effective_from: NaiveDate, today: NaiveDate) -> Option<String> {
    let latest = today.checked_add_months(Months::new(MAX_EFFECTIVE_MONTHS_AHEAD)).unwrap_or(today);
    if effective_from < today {
        Some(format!(
            "A new version cannot take effect in the past: choose today ({today}) or later. A published version is never changed."
        ))
    } else if effective_from > latest {
        Some(format!("Choose a date at most two years ahead, on or before {latest}."))
    } else {
        None
    }
}

/// A new policy version as typed in the publish form: every value a string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyDraft {
    pub require_city_residency: String,
    pub max_infant_age_months: String,
    pub min_weeks_pregnant: String,
    pub full_term_weeks: String,
    pub overdue_due_date_days: String,
    pub max_infant_weight_lb: String,
    pub income_limit_percent: String,
    pub poverty_region: String,
    pub qualifying_enrollments: Vec<String>,
    pub require_no_safe_sleep_space: String,
    pub eligibility_valid_days: String,
    pub education_valid_days: String,
    pub reservation_days_after_discharge: String,
    pub effective_from: String,
    pub notes: String,
}

/// A parsed draft: the parameters, the effective date and the notes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVersion {
    pub params: PolicyParams,
    pub effective_from: NaiveDate,
    pub notes: Option<String>,
}

impl PolicyDraft {
    /// A draft that copies published parameters, taking effect on `effective_from`.
    pub fn copy_of(p: &PolicyParams, effective_from: NaiveDate) -> PolicyDraft {
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        PolicyDraft {
            require_city_residency: yes_no(p.require_city_residency),
            max_infant_age_months: p.max_infant_age_months.to_string(),
            min_weeks_pregnant: p.min_weeks_pregnant.to_string(),
            full_term_weeks: p.full_term_weeks.to_string(),
            overdue_due_date_days: p.overdue_due_date_days.to_string(),
            max_infant_weight_lb: p.max_infant_weight_lb.normalize().to_string(),
            income_limit_percent: p.income_limit_percent.to_string(),
            poverty_region: p.poverty_region.clone(),
            qualifying_enrollments: p.qualifying_enrollments.clone(),
            require_no_safe_sleep_space: yes_no(p.require_no_safe_sleep_space),
            eligibility_valid_days: p.eligibility_valid_days.to_string(),
            education_valid_days: p.education_valid_days.to_string(),
            reservation_days_after_discharge: p.reservation_days_after_discharge.to_string(),
            effective_from: effective_from.to_string(),
            notes: String::new(),
        }
    }

    /// Only the parameters (not the date), for a preview; problems name the fields.
    pub fn params(&self) -> Result<PolicyParams, Vec<(String, String)>> {
        let mut p = Vec::new();
        let mut whole = |field: &str, v: &str| -> u32 {
            match v.trim().parse::<u32>() {
                Ok(n) => n,
                Err(_) => {
                    p.push((field.to_string(), "Enter a whole number, like 30.".to_string()));
                    0
                }
            }
        };
        let max_infant_age_months = whole("max_infant_age_months", &self.max_infant_age_months);
        let min_weeks_pregnant = whole("min_weeks_pregnant", &self.min_weeks_pregnant);
        let full_term_weeks = whole("full_term_weeks", &self.full_term_weeks);
        let overdue_due_date_days = whole("overdue_due_date_days", &self.overdue_due_date_days);
        let income_limit_percent = whole("income_limit_percent", &self.income_limit_percent);
        let eligibility_valid_days = whole("eligibility_valid_days", &self.eligibility_valid_days);
        let education_valid_days = whole("education_valid_days", &self.education_valid_days);
        let reservation_days_after_discharge =
            whole("reservation_days_after_discharge", &self.reservation_days_after_discharge);
        let max_infant_weight_lb = match Decimal::from_str(self.max_infant_weight_lb.trim()) {
            Ok(d) => d,
            Err(_) => {
                p.push(("max_infant_weight_lb".into(), "Enter pounds as a number, like 24 or 23.5.".into()));
                Decimal::ZERO
            }
        };
        let mut yes_no = |field: &str, v: &str| -> bool {
            match v {
                "yes" => true,
                "no" => false,
                _ => {
                    p.push((field.to_string(), "Choose yes or no.".to_string()));
                    false
                }
            }
        };
        let require_city_residency = yes_no("require_city_residency", &self.require_city_residency);
        let require_no_safe_sleep_space = yes_no("require_no_safe_sleep_space", &self.require_no_safe_sleep_space);
        let mut qualifying_enrollments = Vec::new();
        for e in &self.qualifying_enrollments {
            match ENROLLMENTS.iter().find(|k| k.eq_ignore_ascii_case(e.trim())) {
                Some(k) if !qualifying_enrollments.iter().any(|q: &String| q == k) => {
                    qualifying_enrollments.push(k.to_string())
                }
                Some(_) => {}
                None => p.push((
                    "qualifying_enrollments".into(),
                    format!("\"{e}\" is not one of WIC, Medicaid, SNAP or TCA."),
                )),
            }
        }
        let poverty_region = self.poverty_region.trim().to_string();
        if poverty_region.is_empty() || poverty_region.chars().count() > 50 {
            p.push(("poverty_region".into(), "Choose the poverty guideline region.".into()));
        }
        let params = PolicyParams {
            require_city_residency,
            max_infant_age_months,
            min_weeks_pregnant,
            full_term_weeks,
            overdue_due_date_days,
            max_infant_weight_lb,
            income_limit_percent,
            poverty_region,
            qualifying_enrollments,
            require_no_safe_sleep_space,
            eligibility_valid_days,
            education_valid_days,
            follow_up_days: None,
            reservation_days_after_discharge,
        };
        // Range problems once every value could be read, so one typo is not reported twice.
        if p.is_empty() {
            p.extend(params.validate().into_iter().map(|(field, sentence)| (field, format!("This {sentence}."))));
        }
        if p.is_empty() {
            Ok(params)
        } else {
            Err(p)
        }
    }

    /// The whole new version: parameters, an effective date from today to two years ahead,
    /// and notes of at most 2,000 characters.
    pub fn parse(&self, today: NaiveDate) -> Result<NewVersion, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let params = self.params().map_err(|p| problems.extend(p)).ok();
        let effective_from = match NaiveDate::parse_from_str(self.effective_from.trim(), "%Y-%m-%d") {
            Ok(d) => match effective_date_problem(d, today) {
                None => Some(d),
                Some(sentence) => {
                    problems.push(("effective_from".to_string(), sentence));
                    None
                }
            },
            Err(_) => {
                problems
                    .push(("effective_from".into(), "Enter the date the version takes effect, as YYYY-MM-DD.".into()));
                None
            }
        };
        let notes = self.notes.trim();
        if notes.chars().count() > 2000 {
            problems.push(("notes".into(), "The notes can be at most 2,000 characters.".into()));
        }
        match (params, effective_from) {
            (Some(params), Some(effective_from)) if problems.is_empty() => {
                Ok(NewVersion { params, effective_from, notes: (!notes.is_empty()).then(|| notes.to_string()) })
            }
            _ => Err(problems),
        }
    }
}

/// One thing a new version changes, in plain words: `describe`'s sentence before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub before: String,
    pub after: String,
}

impl PolicyParams {
    /// What these parameters change from `before`, sentence by sentence in `describe`'s
    /// order (empty when nothing does).
    pub fn changes_from(&self, before: &PolicyParams) -> Vec<Change> {
        self.describe()
            .into_iter()
            .zip(before.describe())
            .filter(|(after, before)| after != before)
            .map(|(after, before)| Change { before, after })
            .collect()
    }
}

/// What decides a version's state: its number, its date, whether it was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionFacts {
    pub version: i32,
    pub effective_from: NaiveDate,
    pub withdrawn: bool,
}

/// Where a version of a policy stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    /// The version checks use today.
    InForce,
    /// It takes effect on a later day.
    Scheduled,
    /// It applied, and a later version replaced it.
    Replaced,
    /// Withdrawn before it started: it never applies.
    Withdrawn,
    /// Another version (not withdrawn) has the same date and a higher number, so this one
    /// never applies from that date (published before the rule refusing the same date twice).
    Overtaken { by: i32 },
}

/// The state of `v` among every version of its policy (`all`, `v` included) on `today`:
/// the version in force is the latest not withdrawn effective on or before today (ties:
/// the higher number), as `store::policy::in_force` reads it.
pub fn state_of(v: &VersionFacts, all: &[VersionFacts], today: NaiveDate) -> VersionState {
    if v.withdrawn {
        return VersionState::Withdrawn;
    }
    let live = || all.iter().filter(|o| !o.withdrawn);
    if let Some(o) =
        live().filter(|o| o.effective_from == v.effective_from && o.version > v.version).max_by_key(|o| o.version)
    {
        return VersionState::Overtaken { by: o.version };
    }
    let in_force = live().filter(|o| o.effective_from <= today).max_by_key(|o| (o.effective_from, o.version));
    if in_force.is_some_and(|o| o.version == v.version) {
        VersionState::InForce
    } else if v.effective_from > today {
        VersionState::Scheduled
    } else {
        VersionState::Replaced
    }
}

/// The refusal of a second version starting on a day another one (not withdrawn) starts.
pub fn same_date_refusal(other_version: i32, date: NaiveDate) -> String {
    format!(
        "Version {other_version} already takes effect on {date}, and two versions cannot start on the same day. \
         Choose another date, or withdraw version {other_version} first (on the policy page) and publish this one in its place."
    )
}

/// The longest reason for withdrawing a version.
pub const WITHDRAW_REASON_MAX_CHARS: usize = 500;

/// A reason to withdraw a version: 3 to 500 characters, trimmed.
pub fn withdraw_reason(text: &str) -> Result<String, String> {
    let t = text.trim();
    if (3..=WITHDRAW_REASON_MAX_CHARS).contains(&t.chars().count()) {
        Ok(t.to_string())
    } else {
        Err("Say why this version is withdrawn (3 to 500 characters): it stays in the policy's history.".into())
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

    fn default_params() -> PolicyParams {
        toml::from_str::<PolicyFile>(include_str!("../../seeds/policies/baltimore-default-v1.toml"))
            .expect("default policy parses")
            .params
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn the_default_policy_in_plain_words() {
        let words = default_params().describe();
        assert!(words.contains(&"A baby must be checked before turning 8 months.".to_string()), "{words:?}");
        assert!(words.iter().any(|w| w.starts_with("Income at or below 185% of the federal poverty guideline")
            && w.ends_with("or enrolled in WIC, Medicaid, SNAP or TCA.")));
        assert!(words.contains(&"A recorded weight must be under 24 lb.".to_string()));
    }

    #[test]
    fn a_copied_draft_parses_back_to_the_same_parameters() {
        let p = default_params();
        let draft = PolicyDraft::copy_of(&p, d("2026-12-01"));
        let v = draft.parse(d("2026-11-23")).expect("valid");
        assert_eq!(v.params, p);
        assert_eq!(v.effective_from, d("2026-12-01"));
        assert_eq!(v.notes, None);
    }

    #[test]
    fn changes_are_told_in_plain_words_and_only_what_changed() {
        let p = default_params();
        assert!(p.changes_from(&p).is_empty());
        let mut q = p.clone();
        q.income_limit_percent = 250;
        let changes = q.changes_from(&p);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(changes[0].before.starts_with("Income at or below 185%"), "{changes:?}");
        assert!(changes[0].after.starts_with("Income at or below 250%"), "{changes:?}");
    }

    #[test]
    fn version_states_on_a_day() {
        let today = d("2026-12-05");
        let v = |version, date: &str, withdrawn| VersionFacts { version, effective_from: d(date), withdrawn };
        let all = [
            v(1, "2024-01-01", false),
            v(2, "2026-06-01", false),
            v(3, "2027-01-01", false),
            v(4, "2027-01-01", false),
            v(5, "2027-02-01", true),
        ];
        let states: Vec<VersionState> = all.iter().map(|x| state_of(x, &all, today)).collect();
        assert_eq!(
            states,
            vec![
                VersionState::Replaced,
                VersionState::InForce,
                VersionState::Overtaken { by: 4 },
                VersionState::Scheduled,
                VersionState::Withdrawn,
            ]
        );
        // Withdrawn, version 4 no longer overtakes 3.
        let mut all = all;
        all[3].withdrawn = true;
        assert_eq!(state_of(&all[2], &all, today), VersionState::Scheduled);
        // On its day a scheduled version is in force.
        assert_eq!(state_of(&all[2], &all, d("2027-01-01")), VersionState::InForce);
        assert_eq!(state_of(&all[1], &all, d("2027-01-01")), VersionState::Replaced);
    }

    #[test]
    fn a_withdrawal_needs_a_reason() {
        assert!(withdraw_reason("  ").is_err());
        assert!(withdraw_reason("no").is_err());
        assert_eq!(withdraw_reason(" Wrong date ").as_deref(), Ok("Wrong date"));
        assert!(withdraw_reason(&"x".repeat(501)).is_err());
    }

    #[test]
    fn the_effective_date_is_today_up_to_two_years_ahead() {
        let today = d("2026-11-23");
        assert!(effective_date_problem(today, today).is_none());
        assert!(effective_date_problem(d("2028-11-23"), today).is_none());
        assert!(effective_date_problem(d("2028-11-24"), today).is_some());
        assert!(effective_date_problem(d("2026-11-22"), today).is_some());
    }

    #[test]
    fn bad_drafts_name_their_fields() {
        let today = d("2026-11-23");
        type Mutation = fn(&mut PolicyDraft);
        let cases: Vec<(Mutation, &str)> = vec![
            (|x| x.max_infant_age_months = "eight".into(), "max_infant_age_months"),
            (|x| x.max_infant_age_months = "0".into(), "max_infant_age_months"),
            (|x| x.income_limit_percent = "-5".into(), "income_limit_percent"),
            (|x| x.max_infant_weight_lb = "heavy".into(), "max_infant_weight_lb"),
            (|x| x.require_city_residency = "maybe".into(), "require_city_residency"),
            (|x| x.qualifying_enrollments = vec!["EBT".into()], "qualifying_enrollments"),
            (|x| x.eligibility_valid_days = "0".into(), "eligibility_valid_days"),
            (|x| x.effective_from = "2026-11-22".into(), "effective_from"),
            (|x| x.effective_from = "soon".into(), "effective_from"),
            (|x| x.notes = "x".repeat(2001), "notes"),
        ];
        for (i, (mutate, field)) in cases.into_iter().enumerate() {
            let mut draft = PolicyDraft::copy_of(&default_params(), today);
            mutate(&mut draft);
            let fields: Vec<String> =
                draft.parse(today).err().unwrap_or_default().into_iter().map(|(f, _)| f).collect();
            assert_eq!(fields, vec![field.to_string()], "case {i}");
        }
    }
}
