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
    let rules: Vec<RuleResult> = reasons(family, infant, on, policy, guidelines)
        .iter()
        .map(|r| RuleResult::new(r.rule(), r.passed(), r.english()))
        .collect();
    let result = if rules.iter().all(|r| r.passed) { Outcome::Eligible } else { Outcome::Ineligible };
    Evaluation { result, rules }
}

/// Why each rule came out as it did, in the order of [`RULE_IDS`]: the facts behind
/// [`evaluate`]'s sentences, for a sentence in the family's language (the printable
/// explanation of a refusal reads these through the message catalog).
pub fn reasons(
    family: &FamilySnapshot,
    infant: &InfantSnapshot,
    on: NaiveDate,
    policy: &PolicyParams,
    guidelines: &[Guideline],
) -> Vec<Reason> {
    vec![
        residency(family, policy),
        age_window(infant, on, policy),
        infant_weight(infant, policy),
        income_or_enrollment(family, infant, on, policy, guidelines),
        no_safe_sleep_space(family, policy),
        not_already_received(infant),
    ]
}

/// Why a rule passed or failed, with the dates and numbers its sentence names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Residency: lives in a city neighborhood.
    LivesInCity,
    /// Residency: outside the city, and the policy does not require the city.
    OutsideCityAllowed,
    /// Residency: outside the city, which the policy requires.
    OutsideCity,
    /// Age: a date of birth after the check's date.
    BornInFuture { dob: NaiveDate, on: NaiveDate },
    /// Age: under the age limit until `turns`.
    UnderAge { months: u32, turns: NaiveDate, on: NaiveDate },
    /// Age: reached the age limit on `turns`.
    PastAge { months: u32, turns: NaiveDate, on: NaiveDate },
    /// Pregnancy: the window starts on `starts`, after the check.
    DueTooEarly { due: NaiveDate, days_away: i64, weeks: u32, window: i64, starts: NaiveDate },
    /// Pregnancy: due in `days_away` days, within the window.
    DueSoon { due: NaiveDate, days_away: i64, weeks: u32, window: i64, starts: NaiveDate },
    /// Pregnancy: due on the check's date.
    DueToday { due: NaiveDate, weeks: u32, window: i64, starts: NaiveDate },
    /// Pregnancy: past the due date by no more than the policy allows.
    Overdue { due: NaiveDate, days_past: i64, overdue: i64 },
    /// Pregnancy: past the due date by more than the policy allows.
    OverdueTooLong { due: NaiveDate, days_past: i64, overdue: i64 },
    /// Age: neither a date of birth nor a due date.
    NoBirthOrDueDate,
    /// Weight: none recorded.
    NoWeight { max: Decimal },
    /// Weight: under the limit.
    UnderWeight { weight: Decimal, max: Decimal },
    /// Weight: at or over the limit.
    OverWeight { weight: Decimal, max: Decimal },
    /// Income: enrolled in these qualifying programs.
    Enrolled { programs: Vec<String> },
    /// Income: not recorded, and none of the qualifying programs.
    IncomeUnknown { qualifying: Vec<String> },
    /// Income: no poverty guideline in force on the date.
    NoGuideline { on: NaiveDate, income: Decimal, qualifying: Vec<String> },
    /// Income: the limit overflowed.
    LimitUncomputable { size: u32, year: i32 },
    /// Income: within the limit.
    IncomeWithin { income: Decimal, limit: Decimal, percent: u32, year: i32, size: u32, expected: bool },
    /// Income: above the limit, and none of the qualifying programs.
    IncomeAbove {
        income: Decimal,
        limit: Decimal,
        percent: u32,
        year: i32,
        size: u32,
        expected: bool,
        qualifying: Vec<String>,
    },
    /// Safe sleep: the policy does not ask.
    SafeSleepNotRequired,
    /// Safe sleep: the family has no safe place.
    NoSafeSleepSpace,
    /// Safe sleep: the family has one.
    HasSafeSleepSpace,
    /// Safe sleep: not asked yet.
    SafeSleepNotAsked,
    /// A crib was already handed out for this infant.
    AlreadyReceived,
    /// No crib handed out for this infant yet.
    NotYetReceived,
}

impl Reason {
    /// The rule this reason belongs to (one of [`RULE_IDS`]).
    pub fn rule(&self) -> &'static str {
        use Reason::*;
        match self {
            LivesInCity | OutsideCityAllowed | OutsideCity => RULE_RESIDENCY,
            BornInFuture { .. }
            | UnderAge { .. }
            | PastAge { .. }
            | DueTooEarly { .. }
            | DueSoon { .. }
            | DueToday { .. }
            | Overdue { .. }
            | OverdueTooLong { .. }
            | NoBirthOrDueDate => RULE_AGE_WINDOW,
            NoWeight { .. } | UnderWeight { .. } | OverWeight { .. } => RULE_INFANT_WEIGHT,
            Enrolled { .. }
            | IncomeUnknown { .. }
            | NoGuideline { .. }
            | LimitUncomputable { .. }
            | IncomeWithin { .. }
            | IncomeAbove { .. } => RULE_INCOME_OR_ENROLLMENT,
            SafeSleepNotRequired | NoSafeSleepSpace | HasSafeSleepSpace | SafeSleepNotAsked => RULE_NO_SAFE_SLEEP_SPACE,
            AlreadyReceived | NotYetReceived => RULE_NOT_ALREADY_RECEIVED,
        }
    }

    /// Whether the rule passed for this reason.
    pub fn passed(&self) -> bool {
        use Reason::*;
        match self {
            LivesInCity | OutsideCityAllowed | UnderAge { .. } | DueSoon { .. } | DueToday { .. } => true,
            Overdue { .. } | NoWeight { .. } | UnderWeight { .. } | Enrolled { .. } | IncomeWithin { .. } => true,
            SafeSleepNotRequired | NoSafeSleepSpace | NotYetReceived => true,
            OutsideCity | BornInFuture { .. } | PastAge { .. } | DueTooEarly { .. } | OverdueTooLong { .. } => false,
            NoBirthOrDueDate | OverWeight { .. } | IncomeUnknown { .. } | NoGuideline { .. } => false,
            LimitUncomputable { .. } | IncomeAbove { .. } | HasSafeSleepSpace | SafeSleepNotAsked => false,
            AlreadyReceived => false,
        }
    }

    /// The stored sentence staff read (and the API answers), in English.
    pub fn english(&self) -> String {
        use Reason::*;
        let start_clause = |weeks: &u32, window: &i64, starts: &NaiveDate| {
            format!(
                "the program starts at {weeks} weeks ({window} {} before the due date), on {starts}",
                plural(*window, "day", "days")
            )
        };
        let no_enrollment = |qualifying: &[String]| {
            if qualifying.is_empty() {
                String::new()
            } else {
                let q: Vec<&str> = qualifying.iter().map(String::as_str).collect();
                format!("no enrollment in {} is recorded", join_list(&q, "or"))
            }
        };
        let basis = |percent: &u32, year: &i32, size: &u32, expected: &bool| {
            let people = plural(i64::from(*size), "person", "people");
            let counting = if *expected { ", counting the expected baby" } else { "" };
            format!("{percent}% of the {year} guideline for {size} {people}{counting}")
        };
        match self {
            LivesInCity => "Lives in a Baltimore City neighborhood.".to_string(),
            OutsideCityAllowed => "The address is not in a Baltimore City neighborhood; the policy in force does not require city residency.".to_string(),
            OutsideCity => "The address is not in a Baltimore City neighborhood, and the program serves city residents.".to_string(),
            BornInFuture { dob, on } => {
                format!("The date of birth is in the future: {dob}, and today is {on}. Correct the baby's date of birth.")
            }
            UnderAge { months, turns, on } => {
                format!("The baby turns {months} months on {turns}; today is {on}, so the baby is in the age window.")
            }
            PastAge { months, turns, on } => format!(
                "The baby turned {months} months on {turns}; today is {on}, so the baby is past the age window (the program serves babies under {months} months)."
            ),
            DueTooEarly { due, days_away, weeks, window, starts } => {
                format!("Due {due}, {days_away} days away: {}.", start_clause(weeks, window, starts))
            }
            DueSoon { due, days_away, weeks, window, starts } => format!(
                "Due {due}, {days_away} {} away: at least {weeks} weeks pregnant ({}).",
                plural(*days_away, "day", "days"),
                start_clause(weeks, window, starts)
            ),
            DueToday { due, weeks, window, starts } => {
                format!("Due today, {due}: at least {weeks} weeks pregnant ({}).", start_clause(weeks, window, starts))
            }
            Overdue { due, days_past, overdue } => format!(
                "Due {due}, {days_past} {} ago, with no birth recorded yet: a due date up to {overdue} {} past still counts as a pregnancy. Record the baby's date of birth once the baby is born.",
                plural(*days_past, "day", "days"),
                plural(*overdue, "day", "days")
            ),
            OverdueTooLong { due, days_past, overdue } => format!(
                "Due {due}, {days_past} days ago, more than {overdue} {} past, and no birth is recorded: record the baby's date of birth to check the age window.",
                plural(*overdue, "day", "days")
            ),
            NoBirthOrDueDate => "Record the baby's date of birth or the expected due date.".to_string(),
            NoWeight { max } => {
                format!("No weight recorded; the {max} lb limit applies only when a weight is recorded.")
            }
            UnderWeight { weight, max } => format!("{weight} lb is under the {max} lb limit."),
            OverWeight { weight, max } => format!("{weight} lb is not under the {max} lb limit."),
            Enrolled { programs } => {
                let p: Vec<&str> = programs.iter().map(String::as_str).collect();
                format!("Enrolled in {}, so income does not matter.", join_list(&p, "and"))
            }
            IncomeUnknown { qualifying } => match no_enrollment(qualifying) {
                n if n.is_empty() => "Income is not recorded.".to_string(),
                n => format!("Income is not recorded and {n}."),
            },
            NoGuideline { on, income, qualifying } => {
                let n = no_enrollment(qualifying);
                let and_no = if n.is_empty() { String::new() } else { format!(", and {n}") };
                format!(
                    "No poverty guideline is in force on {on}, so income {} cannot be checked against a limit{and_no}.",
                    format_dollars(*income)
                )
            }
            LimitUncomputable { size, year } => {
                format!("The income limit for {size} people could not be computed from the {year} guideline.")
            }
            IncomeWithin { income, limit, percent, year, size, expected } => format!(
                "Income {} is within the limit of {} ({}).",
                format_dollars(*income),
                format_dollars(*limit),
                basis(percent, year, size, expected)
            ),
            IncomeAbove { income, limit, percent, year, size, expected, qualifying } => {
                let n = no_enrollment(qualifying);
                let and_no = if n.is_empty() { String::new() } else { format!(", and {n}") };
                format!(
                    "Income {} is above the limit of {} ({}){and_no}.",
                    format_dollars(*income),
                    format_dollars(*limit),
                    basis(percent, year, size, expected)
                )
            }
            SafeSleepNotRequired => {
                "The policy in force does not require the family to lack a safe place for the baby to sleep."
                    .to_string()
            }
            NoSafeSleepSpace => "The family has no safe place for the baby to sleep.".to_string(),
            HasSafeSleepSpace => "The family has a safe place for the baby to sleep.".to_string(),
            SafeSleepNotAsked => "Ask whether the family has a safe place for the baby to sleep.".to_string(),
            AlreadyReceived => {
                "A crib has already been handed out for this baby; the program gives one crib per baby.".to_string()
            }
            NotYetReceived => "No crib has been handed out for this baby yet.".to_string(),
        }
    }
}

/// An expected baby: no date of birth, but a due date.
fn is_expected(infant: &InfantSnapshot) -> bool {
    infant.date_of_birth.is_none() && infant.expected_due_date.is_some()
}

fn residency(family: &FamilySnapshot, policy: &PolicyParams) -> Reason {
    match (policy.require_city_residency, family.lives_in_city) {
        (_, true) => Reason::LivesInCity,
        (false, false) => Reason::OutsideCityAllowed,
        (true, false) => Reason::OutsideCity,
    }
}

fn age_window(infant: &InfantSnapshot, on: NaiveDate, policy: &PolicyParams) -> Reason {
    let months = policy.max_infant_age_months;
    match (infant.date_of_birth, infant.expected_due_date) {
        (Some(dob), _) if dob > on => Reason::BornInFuture { dob, on },
        (Some(dob), _) => {
            let turns = add_months_clamped(dob, months);
            if on < turns {
                Reason::UnderAge { months, turns, on }
            } else {
                Reason::PastAge { months, turns, on }
            }
        }
        (None, Some(due)) => pregnancy_window(due, on, policy),
        (None, None) => Reason::NoBirthOrDueDate,
    }
}

fn pregnancy_window(due: NaiveDate, on: NaiveDate, policy: &PolicyParams) -> Reason {
    let window = policy.pregnancy_window_days();
    let weeks = policy.min_weeks_pregnant;
    let days_away = (due - on).num_days();
    let starts = due.checked_sub_days(Days::new(u64::try_from(window).unwrap_or(0))).unwrap_or(NaiveDate::MIN);
    if days_away > window {
        return Reason::DueTooEarly { due, days_away, weeks, window, starts };
    }
    if days_away > 0 {
        return Reason::DueSoon { due, days_away, weeks, window, starts };
    }
    if days_away == 0 {
        return Reason::DueToday { due, weeks, window, starts };
    }
    let days_past = -days_away;
    let overdue = i64::from(policy.overdue_due_date_days);
    if days_past <= overdue {
        Reason::Overdue { due, days_past, overdue }
    } else {
        Reason::OverdueTooLong { due, days_past, overdue }
    }
}

fn infant_weight(infant: &InfantSnapshot, policy: &PolicyParams) -> Reason {
    let max = policy.max_infant_weight_lb.normalize();
    match infant.weight_lb {
        None => Reason::NoWeight { max },
        Some(w) if w < policy.max_infant_weight_lb => Reason::UnderWeight { weight: w.normalize(), max },
        Some(w) => Reason::OverWeight { weight: w.normalize(), max },
    }
}

fn income_or_enrollment(
    family: &FamilySnapshot,
    infant: &InfantSnapshot,
    on: NaiveDate,
    policy: &PolicyParams,
    guidelines: &[Guideline],
) -> Reason {
    let found: Vec<String> = policy
        .qualifying_enrollments
        .iter()
        .filter(|q| family.enrollments.iter().any(|e| e.trim().eq_ignore_ascii_case(q.trim())))
        .cloned()
        .collect();
    if !found.is_empty() {
        return Reason::Enrolled { programs: found };
    }
    let qualifying = policy.qualifying_enrollments.clone();
    let Some(income) = family.annual_income else {
        return Reason::IncomeUnknown { qualifying };
    };
    let Some(guideline) = guideline_in_force(guidelines, on) else {
        return Reason::NoGuideline { on, income, qualifying };
    };
    let size = guideline_household_size(family, infant).max(1);
    let percent = policy.income_limit_percent;
    let Some(limit) = income_limit(guideline, size, percent) else {
        return Reason::LimitUncomputable { size, year: guideline.year };
    };
    let (year, expected) = (guideline.year, is_expected(infant));
    if income <= limit {
        Reason::IncomeWithin { income, limit, percent, year, size, expected }
    } else {
        Reason::IncomeAbove { income, limit, percent, year, size, expected, qualifying }
    }
}

fn no_safe_sleep_space(family: &FamilySnapshot, policy: &PolicyParams) -> Reason {
    match (policy.require_no_safe_sleep_space, family.has_safe_sleep_space) {
        (false, _) => Reason::SafeSleepNotRequired,
        (true, Some(false)) => Reason::NoSafeSleepSpace,
        (true, Some(true)) => Reason::HasSafeSleepSpace,
        (true, None) => Reason::SafeSleepNotAsked,
    }
}

fn not_already_received(infant: &InfantSnapshot) -> Reason {
    if infant.already_received {
        Reason::AlreadyReceived
    } else {
        Reason::NotYetReceived
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
