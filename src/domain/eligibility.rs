//! The eligibility rules engine: pure, explained, reproducible.
//!
//! Input: a [`FamilySnapshot`], an [`InfantSnapshot`], the check's local date, the
//! [`PolicyParams`] in force on that date and the poverty [`Guideline`] rows for the
//! policy's region. Output: an [`Evaluation`] with the overall [`Outcome`] and one
//! [`RuleResult`] per rule, always all six and always in the order of [`RULE_IDS`], each
//! with a plain-language sentence that names the numbers so staff can read it to the
//! family. Every threshold comes from the policy; nothing here is a hard-coded limit.
//!
//! All inputs derive `Serialize`/`Deserialize`, so a stored check's inputs can be read
//! back and evaluated again to give the same answer.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::dates::add_months_clamped;
use super::money::{format_dollars, round_cents};
use super::policy::PolicyParams;

/// Rule id: the family lives in a city neighborhood.
pub const RULE_RESIDENCY: &str = "residency";
/// Rule id: a born baby is under the age limit, or a pregnancy is far enough along.
pub const RULE_AGE_WINDOW: &str = "age_window";
/// Rule id: a recorded weight is under the limit.
pub const RULE_INFANT_WEIGHT: &str = "infant_weight";
/// Rule id: income within the limit, or enrolled in a qualifying program.
pub const RULE_INCOME_OR_ENROLLMENT: &str = "income_or_enrollment";
/// Rule id: the family has no safe place for the baby to sleep.
pub const RULE_NO_SAFE_SLEEP_SPACE: &str = "no_safe_sleep_space";
/// Rule id: no crib has already been handed out for this infant.
pub const RULE_NOT_ALREADY_RECEIVED: &str = "not_already_received";

/// Every rule id, in the order [`evaluate`] reports them.
pub const RULE_IDS: [&str; 6] = [
    RULE_RESIDENCY,
    RULE_AGE_WINDOW,
    RULE_INFANT_WEIGHT,
    RULE_INCOME_OR_ENROLLMENT,
    RULE_NO_SAFE_SLEEP_SPACE,
    RULE_NOT_ALREADY_RECEIVED,
];

/// What the rules need to know about the family at the time of the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilySnapshot {
    /// The family's address is in a city neighborhood (`neighborhood_id` is set).
    pub lives_in_city: bool,
    /// People living in the home now, not counting an expected baby.
    pub household_size: u32,
    /// Yearly household income in dollars; `None` when not known yet.
    pub annual_income: Option<Decimal>,
    /// Programs the family is enrolled in ("WIC", "Medicaid", "SNAP", "TCA").
    pub enrollments: Vec<String>,
    /// Whether the family already has a safe place for the baby to sleep; `None` when not
    /// asked yet.
    pub has_safe_sleep_space: Option<bool>,
}

/// What the rules need to know about the infant (born or expected).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfantSnapshot {
    /// The baby's date of birth, once born.
    pub date_of_birth: Option<NaiveDate>,
    /// The expected due date of a pregnancy (used when no date of birth is recorded).
    pub expected_due_date: Option<NaiveDate>,
    /// The baby's weight in pounds, when recorded.
    pub weight_lb: Option<Decimal>,
    /// A crib has already been handed out for this infant (a voided handout does not count).
    pub already_received: bool,
}

/// One HHS poverty guideline row for the policy's region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guideline {
    /// The guideline year (2026).
    pub year: i32,
    /// The guideline for a household of one, in dollars.
    pub first_person: Decimal,
    /// What each additional person adds, in dollars.
    pub additional_person: Decimal,
    /// The first date the guideline is in force.
    pub effective_from: NaiveDate,
}

impl Guideline {
    /// The guideline for a household of `size` people:
    /// `first_person + (size - 1) * additional_person` (a size of 0 counts as 1).
    ///
    /// `None` only on arithmetic overflow.
    pub fn amount_for(&self, size: u32) -> Option<Decimal> {
        let extra = Decimal::from(size.max(1) - 1);
        self.additional_person.checked_mul(extra)?.checked_add(self.first_person)
    }
}

/// The overall answer of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every rule passed.
    Eligible,
    /// At least one rule failed.
    Ineligible,
}

impl Outcome {
    /// The stored name: `"eligible"` or `"ineligible"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Eligible => "eligible",
            Outcome::Ineligible => "ineligible",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "eligible" => Some(Outcome::Eligible),
            "ineligible" => Some(Outcome::Ineligible),
            _ => None,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule's result with the sentence to read to the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule id, one of [`RULE_IDS`].
    pub rule: String,
    /// Whether the rule passed.
    pub passed: bool,
    /// A plain-language sentence naming the dates and numbers used.
    pub explanation: String,
}

impl RuleResult {
    fn new(rule: &str, passed: bool, explanation: String) -> RuleResult {
        RuleResult { rule: rule.to_string(), passed, explanation }
    }
}

/// The result of evaluating every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Eligible iff every rule passed.
    pub result: Outcome,
    /// All six rules, in the order of [`RULE_IDS`].
    pub rules: Vec<RuleResult>,
}

impl Evaluation {
    /// The rules that did not pass, in rule order.
    pub fn failed_rules(&self) -> Vec<&RuleResult> {
        self.rules.iter().filter(|r| !r.passed).collect()
    }

    /// Whether the overall result is eligible.
    pub fn is_eligible(&self) -> bool {
        self.result == Outcome::Eligible
    }

    /// The result of one rule by id.
    pub fn rule(&self, id: &str) -> Option<&RuleResult> {
        self.rules.iter().find(|r| r.rule == id)
    }
}

/// The guideline in force on `on`: the one with the latest `effective_from` on or before
/// `on` (ties go to the later year). `None` when none is in force yet.
///
/// Pass only the rows for the policy's `poverty_region`.
pub fn guideline_in_force(guidelines: &[Guideline], on: NaiveDate) -> Option<&Guideline> {
    guidelines.iter().filter(|g| g.effective_from <= on).max_by_key(|g| (g.effective_from, g.year))
}

/// The household size used for the income guideline: the people living in the home now,
/// plus one for an expected baby (no date of birth but a due date) — a pregnancy counts
/// the unborn child.
pub fn guideline_household_size(family: &FamilySnapshot, infant: &InfantSnapshot) -> u32 {
    if is_expected(infant) {
        family.household_size.saturating_add(1)
    } else {
        family.household_size
    }
}

/// The income limit: `guideline * percent / 100` rounded to cents (half away from zero).
///
/// `None` only on arithmetic overflow.
pub fn income_limit(guideline: &Guideline, household_size: u32, percent: u32) -> Option<Decimal> {
    let amount = guideline.amount_for(household_size)?;
    let limit = amount.checked_mul(Decimal::from(percent))?.checked_div(Decimal::ONE_HUNDRED)?;
    Some(round_cents(limit))
}

/// Evaluate every rule of `policy` for this family and infant on the local date `on`.
///
/// `guidelines` are the poverty guideline rows of the policy's region; the one in force
/// on `on` is used. Always returns all six rules in the order of [`RULE_IDS`]; the result
/// is eligible iff every rule passed.
pub fn evaluate(
    family: &FamilySnapshot,
    infant: &InfantSnapshot,
    on: NaiveDate,
    policy: &PolicyParams,
    guidelines: &[Guideline],
) -> Evaluation {
    let rules = vec![
        residency(family, policy),
        age_window(infant, on, policy),
        infant_weight(infant, policy),
        income_or_enrollment(family, infant, on, policy, guidelines),
        no_safe_sleep_space(family, policy),
        not_already_received(infant),
    ];
    let result = if rules.iter().all(|r| r.passed) { Outcome::Eligible } else { Outcome::Ineligible };
    Evaluation { result, rules }
}

/// An expected baby: no date of birth, but a due date.
fn is_expected(infant: &InfantSnapshot) -> bool {
    infant.date_of_birth.is_none() && infant.expected_due_date.is_some()
}

fn residency(family: &FamilySnapshot, policy: &PolicyParams) -> RuleResult {
    let (passed, text) = match (policy.require_city_residency, family.lives_in_city) {
        (_, true) => (true, "Lives in a Baltimore City neighborhood."),
        (false, false) => (
            true,
            "The address is not in a Baltimore City neighborhood; the policy in force does not require city residency.",
        ),
        (true, false) => {
            (false, "The address is not in a Baltimore City neighborhood, and the program serves city residents.")
        }
    };
    RuleResult::new(RULE_RESIDENCY, passed, text.to_string())
}

fn age_window(infant: &InfantSnapshot, on: NaiveDate, policy: &PolicyParams) -> RuleResult {
    let months = policy.max_infant_age_months;
    let (passed, text) = match (infant.date_of_birth, infant.expected_due_date) {
        (Some(dob), _) if dob > on => (
            false,
            format!("The date of birth is in the future: {dob}, and today is {on}. Correct the baby's date of birth."),
        ),
        (Some(dob), _) => {
            let turns = add_months_clamped(dob, months);
            if on < turns {
                (
                    true,
                    format!(
                        "The baby turns {months} months on {turns}; today is {on}, so the baby is in the age window."
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "The baby turned {months} months on {turns}; today is {on}, so the baby is past the age window (the program serves babies under {months} months)."
                    ),
                )
            }
        }
        (None, Some(due)) => pregnancy_window(due, on, policy),
        (None, None) => (false, "Record the baby's date of birth or the expected due date.".to_string()),
    };
    RuleResult::new(RULE_AGE_WINDOW, passed, text)
}

fn pregnancy_window(due: NaiveDate, on: NaiveDate, policy: &PolicyParams) -> (bool, String) {
    let window = policy.pregnancy_window_days();
    let weeks = policy.min_weeks_pregnant;
    let days_away = (due - on).num_days();
    let starts = due.checked_sub_days(Days::new(u64::try_from(window).unwrap_or(0))).unwrap_or(NaiveDate::MIN);
    let start_clause = format!(
        "the program starts at {weeks} weeks ({window} {} before the due date), on {starts}",
        plural(window, "day", "days")
    );
    if days_away > window {
        return (false, format!("Due {due}, {days_away} days away: {start_clause}."));
    }
    if days_away > 0 {
        return (
            true,
            format!(
                "Due {due}, {days_away} {} away: at least {weeks} weeks pregnant ({start_clause}).",
                plural(days_away, "day", "days")
            ),
        );
    }
    if days_away == 0 {
        return (true, format!("Due today, {due}: at least {weeks} weeks pregnant ({start_clause})."));
    }
    let days_past = -days_away;
    let overdue = i64::from(policy.overdue_due_date_days);
    if days_past <= overdue {
        (
            true,
            format!(
                "Due {due}, {days_past} {} ago, with no birth recorded yet: a due date up to {overdue} {} past still counts as a pregnancy. Record the baby's date of birth once the baby is born.",
                plural(days_past, "day", "days"),
                plural(overdue, "day", "days")
            ),
        )
    } else {
        (
            false,
            format!(
                "Due {due}, {days_past} days ago, more than {overdue} {} past, and no birth is recorded: record the baby's date of birth to check the age window.",
                plural(overdue, "day", "days")
            ),
        )
    }
}

fn infant_weight(infant: &InfantSnapshot, policy: &PolicyParams) -> RuleResult {
    let max = policy.max_infant_weight_lb.normalize();
    let (passed, text) = match infant.weight_lb {
        None => (true, format!("No weight recorded; the {max} lb limit applies only when a weight is recorded.")),
        Some(w) if w < policy.max_infant_weight_lb => {
            (true, format!("{} lb is under the {max} lb limit.", w.normalize()))
        }
        Some(w) => (false, format!("{} lb is not under the {max} lb limit.", w.normalize())),
    };
    RuleResult::new(RULE_INFANT_WEIGHT, passed, text)
}

fn income_or_enrollment(
    family: &FamilySnapshot,
    infant: &InfantSnapshot,
    on: NaiveDate,
    policy: &PolicyParams,
    guidelines: &[Guideline],
) -> RuleResult {
    let rule = RULE_INCOME_OR_ENROLLMENT;
    let found: Vec<&str> = policy
        .qualifying_enrollments
        .iter()
        .filter(|q| family.enrollments.iter().any(|e| e.trim().eq_ignore_ascii_case(q.trim())))
        .map(String::as_str)
        .collect();
    if !found.is_empty() {
        return RuleResult::new(
            rule,
            true,
            format!("Enrolled in {}, so income does not matter.", join_list(&found, "and")),
        );
    }
    let qualifying: Vec<&str> = policy.qualifying_enrollments.iter().map(String::as_str).collect();
    let no_enrollment = if qualifying.is_empty() {
        String::new()
    } else {
        format!("no enrollment in {} is recorded", join_list(&qualifying, "or"))
    };

    let Some(income) = family.annual_income else {
        let text = if no_enrollment.is_empty() {
            "Income is not recorded.".to_string()
        } else {
            format!("Income is not recorded and {no_enrollment}.")
        };
        return RuleResult::new(rule, false, text);
    };
    let and_no_enrollment = if no_enrollment.is_empty() { String::new() } else { format!(", and {no_enrollment}") };

    let Some(guideline) = guideline_in_force(guidelines, on) else {
        return RuleResult::new(
            rule,
            false,
            format!(
                "No poverty guideline is in force on {on}, so income {} cannot be checked against a limit{and_no_enrollment}.",
                format_dollars(income)
            ),
        );
    };
    let size = guideline_household_size(family, infant).max(1);
    let percent = policy.income_limit_percent;
    let Some(limit) = income_limit(guideline, size, percent) else {
        return RuleResult::new(
            rule,
            false,
            format!("The income limit for {size} people could not be computed from the {} guideline.", guideline.year),
        );
    };
    let people = plural(i64::from(size), "person", "people");
    let counting = if is_expected(infant) { ", counting the expected baby" } else { "" };
    let basis = format!("{percent}% of the {} guideline for {size} {people}{counting}", guideline.year);
    if income <= limit {
        RuleResult::new(
            rule,
            true,
            format!("Income {} is within the limit of {} ({basis}).", format_dollars(income), format_dollars(limit)),
        )
    } else {
        RuleResult::new(
            rule,
            false,
            format!(
                "Income {} is above the limit of {} ({basis}){and_no_enrollment}.",
                format_dollars(income),
                format_dollars(limit)
            ),
        )
    }
}

fn no_safe_sleep_space(family: &FamilySnapshot, policy: &PolicyParams) -> RuleResult {
    let (passed, text) = match (policy.require_no_safe_sleep_space, family.has_safe_sleep_space) {
        (false, _) => {
            (true, "The policy in force does not require the family to lack a safe place for the baby to sleep.")
        }
        (true, Some(false)) => (true, "The family has no safe place for the baby to sleep."),
        (true, Some(true)) => (false, "The family has a safe place for the baby to sleep."),
        (true, None) => (false, "Ask whether the family has a safe place for the baby to sleep."),
    };
    RuleResult::new(RULE_NO_SAFE_SLEEP_SPACE, passed, text.to_string())
}

fn not_already_received(infant: &InfantSnapshot) -> RuleResult {
    if infant.already_received {
        RuleResult::new(
            RULE_NOT_ALREADY_RECEIVED,
            false,
            "A crib has already been handed out for this baby; the program gives one crib per baby.".to_string(),
        )
    } else {
        RuleResult::new(RULE_NOT_ALREADY_RECEIVED, true, "No crib has been handed out for this baby yet.".to_string())
    }
}

/// "A", "A and B", "A, B and C" (with `conj` = "and" or "or").
fn join_list(items: &[&str], conj: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} {conj} {last}", init.join(", ")),
    }
}

fn plural(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests;
