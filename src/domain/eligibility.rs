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
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date parses")
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal parses")
    }

    /// The default Baltimore policy (as in seeds/policies/baltimore-default-v1.toml).
    fn policy() -> PolicyParams {
        PolicyParams {
            require_city_residency: true,
            max_infant_age_months: 8,
            min_weeks_pregnant: 36,
            full_term_weeks: 40,
            overdue_due_date_days: 14,
            max_infant_weight_lb: dec("24"),
            income_limit_percent: 185,
            poverty_region: "contiguous_us_dc".into(),
            qualifying_enrollments: vec!["WIC".into(), "Medicaid".into(), "SNAP".into(), "TCA".into()],
            require_no_safe_sleep_space: true,
            eligibility_valid_days: 30,
            education_valid_days: 180,
            follow_up_days: 14,
            reservation_days_after_discharge: 7,
        }
    }

    /// The real contiguous-US guidelines.
    fn guidelines() -> Vec<Guideline> {
        vec![
            Guideline {
                year: 2024,
                first_person: dec("15060"),
                additional_person: dec("5380"),
                effective_from: d("2024-01-17"),
            },
            Guideline {
                year: 2025,
                first_person: dec("15650"),
                additional_person: dec("5500"),
                effective_from: d("2025-01-15"),
            },
            Guideline {
                year: 2026,
                first_person: dec("15960"),
                additional_person: dec("5680"),
                effective_from: d("2026-01-13"),
            },
        ]
    }

    /// A family that passes every rule (income unknown, enrolled in WIC).
    fn family() -> FamilySnapshot {
        FamilySnapshot {
            lives_in_city: true,
            household_size: 3,
            annual_income: None,
            enrollments: vec!["WIC".into()],
            has_safe_sleep_space: Some(false),
        }
    }

    /// A family with no enrollment and the given income.
    fn family_income(size: u32, income: &str) -> FamilySnapshot {
        FamilySnapshot { household_size: size, annual_income: Some(dec(income)), enrollments: vec![], ..family() }
    }

    fn born(dob: &str) -> InfantSnapshot {
        InfantSnapshot {
            date_of_birth: Some(d(dob)),
            expected_due_date: None,
            weight_lb: None,
            already_received: false,
        }
    }

    fn expected(due: &str) -> InfantSnapshot {
        InfantSnapshot {
            date_of_birth: None,
            expected_due_date: Some(d(due)),
            weight_lb: None,
            already_received: false,
        }
    }

    fn eval(family: &FamilySnapshot, infant: &InfantSnapshot, on: &str) -> Evaluation {
        evaluate(family, infant, d(on), &policy(), &guidelines())
    }

    fn rule<'a>(e: &'a Evaluation, id: &str) -> &'a RuleResult {
        e.rule(id).expect("rule present")
    }

    // ---- overall ----

    #[test]
    fn all_rules_in_order_and_eligible_when_all_pass() {
        let e = eval(&family(), &born("2026-03-24"), "2026-06-01");
        let ids: Vec<&str> = e.rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(ids, RULE_IDS);
        assert_eq!(
            ids,
            [
                "residency",
                "age_window",
                "infant_weight",
                "income_or_enrollment",
                "no_safe_sleep_space",
                "not_already_received"
            ]
        );
        assert!(e.rules.iter().all(|r| r.passed), "{e:#?}");
        assert_eq!(e.result, Outcome::Eligible);
        assert!(e.is_eligible());
        assert!(e.failed_rules().is_empty());
        assert!(e.rules.iter().all(|r| !r.explanation.is_empty()));
    }

    #[test]
    fn every_rule_failing_still_reports_all_six_in_order() {
        let fam = FamilySnapshot {
            lives_in_city: false,
            household_size: 1,
            annual_income: Some(dec("1000000")),
            enrollments: vec![],
            has_safe_sleep_space: Some(true),
        };
        let infant = InfantSnapshot {
            date_of_birth: Some(d("2025-01-01")),
            expected_due_date: None,
            weight_lb: Some(dec("30")),
            already_received: true,
        };
        let e = eval(&fam, &infant, "2026-06-01");
        let ids: Vec<&str> = e.rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(ids, RULE_IDS);
        assert_eq!(e.result, Outcome::Ineligible);
        let failed: Vec<&str> = e.failed_rules().iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(failed, RULE_IDS);
    }

    #[test]
    fn any_single_failure_makes_the_result_ineligible() {
        type Breaker = fn(&mut FamilySnapshot, &mut InfantSnapshot);
        let cases: [(&str, Breaker); 6] = [
            (RULE_RESIDENCY, |f, _| f.lives_in_city = false),
            (RULE_AGE_WINDOW, |_, i| i.date_of_birth = Some(d("2025-01-01"))),
            (RULE_INFANT_WEIGHT, |_, i| i.weight_lb = Some(dec("24"))),
            (RULE_INCOME_OR_ENROLLMENT, |f, _| f.enrollments.clear()),
            (RULE_NO_SAFE_SLEEP_SPACE, |f, _| f.has_safe_sleep_space = Some(true)),
            (RULE_NOT_ALREADY_RECEIVED, |_, i| i.already_received = true),
        ];
        for (id, breaker) in cases {
            let mut fam = family();
            let mut infant = born("2026-03-24");
            breaker(&mut fam, &mut infant);
            let e = eval(&fam, &infant, "2026-06-01");
            assert_eq!(e.result, Outcome::Ineligible, "{id}");
            let failed: Vec<&str> = e.failed_rules().iter().map(|r| r.rule.as_str()).collect();
            assert_eq!(failed, [id], "only {id} fails");
        }
    }

    #[test]
    fn outcome_serializes_lowercase_and_evaluation_round_trips() {
        assert_eq!(serde_json::to_value(Outcome::Eligible).expect("json"), "eligible");
        assert_eq!(serde_json::to_value(Outcome::Ineligible).expect("json"), "ineligible");
        assert_eq!(Outcome::parse("eligible"), Some(Outcome::Eligible));
        assert_eq!(Outcome::parse("ineligible"), Some(Outcome::Ineligible));
        assert_eq!(Outcome::parse("maybe"), None);
        assert_eq!(Outcome::Ineligible.to_string(), "ineligible");

        let e = eval(&family(), &born("2026-03-24"), "2026-06-01");
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["result"], "eligible");
        assert_eq!(json["rules"][0]["rule"], "residency");
        assert_eq!(json["rules"][0]["passed"], true);
        assert!(json["rules"][0]["explanation"].is_string());
        let back: Evaluation = serde_json::from_value(json).expect("back");
        assert_eq!(back, e);
    }

    #[test]
    fn stored_inputs_rerun_to_the_same_answer() {
        let fam = family_income(3, "50542.01");
        let infant = InfantSnapshot { weight_lb: Some(dec("23.99")), ..born("2026-03-24") };
        let stored = serde_json::json!({
            "family": fam,
            "infant": infant,
            "on": d("2026-11-23"),
            "guidelines": guidelines(),
        })
        .to_string();
        let v: serde_json::Value = serde_json::from_str(&stored).expect("json");
        let fam2: FamilySnapshot = serde_json::from_value(v["family"].clone()).expect("family");
        let infant2: InfantSnapshot = serde_json::from_value(v["infant"].clone()).expect("infant");
        let on2: NaiveDate = serde_json::from_value(v["on"].clone()).expect("on");
        let g2: Vec<Guideline> = serde_json::from_value(v["guidelines"].clone()).expect("guidelines");
        assert_eq!(fam2, fam);
        assert_eq!(infant2, infant);
        assert_eq!(g2, guidelines());
        let first = evaluate(&fam, &infant, d("2026-11-23"), &policy(), &guidelines());
        let again = evaluate(&fam2, &infant2, on2, &policy(), &g2);
        assert_eq!(first, again);
        assert_eq!(first.result, Outcome::Ineligible);
        assert_eq!(
            first.failed_rules().iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(),
            [RULE_INCOME_OR_ENROLLMENT]
        );
    }

    // ---- residency ----

    #[test]
    fn residency_table() {
        let cases = [
            // (require, lives_in_city, passes, explanation)
            (true, true, true, "Lives in a Baltimore City neighborhood."),
            (
                true,
                false,
                false,
                "The address is not in a Baltimore City neighborhood, and the program serves city residents.",
            ),
            (false, true, true, "Lives in a Baltimore City neighborhood."),
            (
                false,
                false,
                true,
                "The address is not in a Baltimore City neighborhood; the policy in force does not require city residency.",
            ),
        ];
        for (require, lives, passes, text) in cases {
            let p = PolicyParams { require_city_residency: require, ..policy() };
            let fam = FamilySnapshot { lives_in_city: lives, ..family() };
            let e = evaluate(&fam, &born("2026-03-24"), d("2026-06-01"), &p, &guidelines());
            let r = rule(&e, RULE_RESIDENCY);
            assert_eq!(r.passed, passes, "require={require} lives={lives}");
            assert_eq!(r.explanation, text);
        }
    }

    // ---- age window: born ----

    #[test]
    fn age_window_born_table() {
        let cases = [
            // (dob, on, passes, why)
            ("2026-03-24", "2026-11-23", true, "day before turning 8 months"),
            ("2026-03-24", "2026-11-24", false, "the day the baby turns 8 months"),
            ("2026-03-24", "2026-11-25", false, "day after turning 8 months"),
            ("2026-03-23", "2026-11-23", false, "born one day earlier: turns 8 months on the check date"),
            ("2026-03-23", "2026-11-22", true, "born one day earlier, day before"),
            ("2026-03-31", "2026-11-29", true, "month-end clamp: day before Nov 30"),
            ("2026-03-31", "2026-11-30", false, "month-end clamp: turns 8 months on Nov 30"),
            ("2026-03-30", "2026-11-29", true, "born Mar 30: day before Nov 30"),
            ("2026-03-30", "2026-11-30", false, "born Mar 30: turns 8 months Nov 30"),
            ("2023-06-30", "2024-02-28", true, "clamped to leap Feb 29: day before"),
            ("2023-06-30", "2024-02-29", false, "clamped to leap Feb 29"),
            ("2025-06-30", "2026-02-27", true, "clamped to common Feb 28: day before"),
            ("2025-06-30", "2026-02-28", false, "clamped to common Feb 28"),
            ("2026-05-15", "2027-01-14", true, "across the year end: day before"),
            ("2026-05-15", "2027-01-15", false, "across the year end"),
            ("2026-06-01", "2026-06-01", true, "born today"),
            ("2026-06-02", "2026-06-01", false, "date of birth in the future"),
        ];
        for (dob, on, passes, why) in cases {
            let e = eval(&family(), &born(dob), on);
            let r = rule(&e, RULE_AGE_WINDOW);
            assert_eq!(r.passed, passes, "born {dob} checked {on}: {why}: {}", r.explanation);
        }
    }

    #[test]
    fn age_window_born_explanations_name_dates() {
        let e = eval(&family(), &born("2026-03-24"), "2026-11-23");
        assert_eq!(
            rule(&e, RULE_AGE_WINDOW).explanation,
            "The baby turns 8 months on 2026-11-24; today is 2026-11-23, so the baby is in the age window."
        );
        let e = eval(&family(), &born("2026-03-23"), "2026-11-23");
        assert_eq!(
            rule(&e, RULE_AGE_WINDOW).explanation,
            "The baby turned 8 months on 2026-11-23; today is 2026-11-23, so the baby is past the age window (the program serves babies under 8 months)."
        );
        let e = eval(&family(), &born("2026-12-01"), "2026-11-23");
        let text = &rule(&e, RULE_AGE_WINDOW).explanation;
        assert!(text.contains("date of birth is in the future"), "{text}");
        assert!(text.contains("2026-12-01"), "{text}");
    }

    #[test]
    fn age_window_uses_the_policy_months() {
        let p = PolicyParams { max_infant_age_months: 6, ..policy() };
        let run = |on: &str| evaluate(&family(), &born("2026-03-31"), d(on), &p, &guidelines());
        assert!(rule(&run("2026-09-29"), RULE_AGE_WINDOW).passed);
        let e = run("2026-09-30");
        assert!(!rule(&e, RULE_AGE_WINDOW).passed);
        assert!(rule(&e, RULE_AGE_WINDOW).explanation.contains("6 months on 2026-09-30"));
    }

    #[test]
    fn date_of_birth_wins_over_a_due_date() {
        let infant = InfantSnapshot { expected_due_date: Some(d("2027-06-01")), ..born("2026-03-24") };
        let e = eval(&family(), &infant, "2026-11-23");
        assert!(rule(&e, RULE_AGE_WINDOW).passed);
        let e = eval(&family(), &infant, "2026-11-24");
        assert!(!rule(&e, RULE_AGE_WINDOW).passed);
    }

    #[test]
    fn age_window_without_any_date_fails() {
        let infant =
            InfantSnapshot { date_of_birth: None, expected_due_date: None, weight_lb: None, already_received: false };
        let e = eval(&family(), &infant, "2026-06-01");
        let r = rule(&e, RULE_AGE_WINDOW);
        assert!(!r.passed);
        assert_eq!(r.explanation, "Record the baby's date of birth or the expected due date.");
        assert_eq!(e.result, Outcome::Ineligible);
    }

    // ---- age window: pregnancy ----

    #[test]
    fn age_window_pregnancy_table() {
        let due = "2026-12-30";
        let cases = [
            // (on, passes, why)
            ("2026-11-23", false, "37 days before the due date"),
            ("2026-12-01", false, "29 days before: under 36 weeks"),
            ("2026-12-02", true, "28 days before: exactly 36 weeks"),
            ("2026-12-03", true, "27 days before"),
            ("2026-12-29", true, "1 day before"),
            ("2026-12-30", true, "due today"),
            ("2026-12-31", true, "1 day past"),
            ("2027-01-13", true, "14 days past: still counts"),
            ("2027-01-14", false, "15 days past: record the birth"),
            ("2027-03-01", false, "long past"),
        ];
        for (on, passes, why) in cases {
            let e = eval(&family(), &expected(due), on);
            let r = rule(&e, RULE_AGE_WINDOW);
            assert_eq!(r.passed, passes, "due {due} checked {on}: {why}: {}", r.explanation);
        }
    }

    #[test]
    fn age_window_pregnancy_explanations() {
        let e = eval(&family(), &expected("2026-12-30"), "2026-11-23");
        assert_eq!(
            rule(&e, RULE_AGE_WINDOW).explanation,
            "Due 2026-12-30, 37 days away: the program starts at 36 weeks (28 days before the due date), on 2026-12-02."
        );
        let e = eval(&family(), &expected("2026-12-30"), "2026-12-02");
        assert_eq!(
            rule(&e, RULE_AGE_WINDOW).explanation,
            "Due 2026-12-30, 28 days away: at least 36 weeks pregnant (the program starts at 36 weeks (28 days before the due date), on 2026-12-02)."
        );
        let e = eval(&family(), &expected("2026-12-30"), "2026-12-29");
        assert!(rule(&e, RULE_AGE_WINDOW).explanation.starts_with("Due 2026-12-30, 1 day away:"));
        let e = eval(&family(), &expected("2026-12-30"), "2026-12-30");
        assert!(rule(&e, RULE_AGE_WINDOW).explanation.starts_with("Due today, 2026-12-30:"));
        let e = eval(&family(), &expected("2026-12-30"), "2027-01-13");
        let text = &rule(&e, RULE_AGE_WINDOW).explanation;
        assert!(text.starts_with("Due 2026-12-30, 14 days ago"), "{text}");
        assert!(text.contains("Record the baby's date of birth"), "{text}");
        let e = eval(&family(), &expected("2026-12-30"), "2027-01-14");
        let text = &rule(&e, RULE_AGE_WINDOW).explanation;
        assert!(text.starts_with("Due 2026-12-30, 15 days ago, more than 14 days past"), "{text}");
        assert!(text.contains("record the baby's date of birth"), "{text}");
    }

    #[test]
    fn pregnancy_window_and_overdue_come_from_the_policy() {
        // 38 weeks → 14-day window; overdue allowance 7 days.
        let p = PolicyParams { min_weeks_pregnant: 38, overdue_due_date_days: 7, ..policy() };
        let cases = [("2026-12-15", false), ("2026-12-16", true), ("2027-01-06", true), ("2027-01-07", false)];
        for (on, passes) in cases {
            let e = evaluate(&family(), &expected("2026-12-30"), d(on), &p, &guidelines());
            let r = rule(&e, RULE_AGE_WINDOW);
            assert_eq!(r.passed, passes, "{on}: {}", r.explanation);
        }
        let e = evaluate(&family(), &expected("2026-12-30"), d("2026-12-15"), &p, &guidelines());
        assert_eq!(
            rule(&e, RULE_AGE_WINDOW).explanation,
            "Due 2026-12-30, 15 days away: the program starts at 38 weeks (14 days before the due date), on 2026-12-16."
        );
    }

    // ---- infant weight ----

    #[test]
    fn infant_weight_table() {
        let cases = [
            // (weight, passes, explanation)
            (None, true, "No weight recorded; the 24 lb limit applies only when a weight is recorded."),
            (Some("7.5"), true, "7.5 lb is under the 24 lb limit."),
            (Some("23.9"), true, "23.9 lb is under the 24 lb limit."),
            (Some("23.99"), true, "23.99 lb is under the 24 lb limit."),
            (Some("24"), false, "24 lb is not under the 24 lb limit."),
            (Some("24.00"), false, "24 lb is not under the 24 lb limit."),
            (Some("24.01"), false, "24.01 lb is not under the 24 lb limit."),
            (Some("30"), false, "30 lb is not under the 24 lb limit."),
        ];
        for (weight, passes, text) in cases {
            let infant = InfantSnapshot { weight_lb: weight.map(dec), ..born("2026-03-24") };
            let e = eval(&family(), &infant, "2026-06-01");
            let r = rule(&e, RULE_INFANT_WEIGHT);
            assert_eq!(r.passed, passes, "{weight:?}");
            assert_eq!(r.explanation, text);
        }
    }

    #[test]
    fn infant_weight_limit_comes_from_the_policy() {
        let p = PolicyParams { max_infant_weight_lb: dec("20.5"), ..policy() };
        for (w, passes) in [("20.49", true), ("20.5", false), ("23.9", false)] {
            let infant = InfantSnapshot { weight_lb: Some(dec(w)), ..born("2026-03-24") };
            let e = evaluate(&family(), &infant, d("2026-06-01"), &p, &guidelines());
            let r = rule(&e, RULE_INFANT_WEIGHT);
            assert_eq!(r.passed, passes, "{w}");
            assert!(r.explanation.contains("20.5 lb limit"), "{}", r.explanation);
        }
    }

    // ---- income or enrollment ----

    #[test]
    fn guideline_in_force_switches_on_its_effective_date() {
        let g = guidelines();
        let cases = [
            ("2024-01-16", None),
            ("2024-01-17", Some(2024)),
            ("2025-01-14", Some(2024)),
            ("2025-01-15", Some(2025)),
            ("2026-01-12", Some(2025)),
            ("2026-01-13", Some(2026)),
            ("2030-01-01", Some(2026)),
        ];
        for (on, year) in cases {
            assert_eq!(guideline_in_force(&g, d(on)).map(|g| g.year), year, "{on}");
        }
        // Order of the rows does not matter.
        let mut reversed = g.clone();
        reversed.reverse();
        assert_eq!(guideline_in_force(&reversed, d("2026-01-12")).map(|g| g.year), Some(2025));
        assert_eq!(guideline_in_force(&[], d("2026-01-12")), None);
    }

    #[test]
    fn guideline_amounts_and_limits() {
        let g = guidelines();
        let g2026 = &g[2];
        let cases = [
            // (household, guideline, limit at 185%)
            (1, "15960", "29526.00"),
            (2, "21640", "40034.00"),
            (3, "27320", "50542.00"),
            (4, "33000", "61050.00"),
            (8, "55720", "103082.00"),
        ];
        for (size, amount, limit) in cases {
            assert_eq!(g2026.amount_for(size), Some(dec(amount)), "{size}");
            assert_eq!(income_limit(g2026, size, 185), Some(dec(limit)), "{size}");
        }
        // A size of 0 counts as one person.
        assert_eq!(g2026.amount_for(0), Some(dec("15960")));
        // Rounded to cents, half away from zero (a one-cent guideline makes half a cent).
        let odd = Guideline { first_person: dec("0.01"), ..g2026.clone() };
        assert_eq!(income_limit(&odd, 1, 150), Some(dec("0.02"))); // 0.015 → 0.02
        assert_eq!(income_limit(&odd, 1, 149), Some(dec("0.01"))); // 0.0149 → 0.01
        assert_eq!(income_limit(&g[0], 1, 133), Some(dec("20029.80")));
    }

    #[test]
    fn income_boundary_185_percent_household_of_3() {
        let cases = [
            ("0", true),
            ("30000.00", true),
            ("50541.99", true),
            ("50542.00", true),
            ("50542", true),
            ("50542.001", false),
            ("50542.01", false),
            ("52000.00", false),
        ];
        for (income, passes) in cases {
            let e = eval(&family_income(3, income), &born("2026-03-24"), "2026-06-01");
            let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
            assert_eq!(r.passed, passes, "{income}: {}", r.explanation);
        }
    }

    #[test]
    fn income_explanations_name_the_numbers() {
        let e = eval(&family_income(3, "52000"), &born("2026-03-24"), "2026-06-01");
        assert_eq!(
            rule(&e, RULE_INCOME_OR_ENROLLMENT).explanation,
            "Income $52,000.00 is above the limit of $50,542.00 (185% of the 2026 guideline for 3 people), and no enrollment in WIC, Medicaid, SNAP or TCA is recorded."
        );
        let e = eval(&family_income(3, "30000"), &born("2026-03-24"), "2026-06-01");
        assert_eq!(
            rule(&e, RULE_INCOME_OR_ENROLLMENT).explanation,
            "Income $30,000.00 is within the limit of $50,542.00 (185% of the 2026 guideline for 3 people)."
        );
        let e = eval(&family_income(1, "30000"), &born("2026-03-24"), "2026-06-01");
        assert_eq!(
            rule(&e, RULE_INCOME_OR_ENROLLMENT).explanation,
            "Income $30,000.00 is above the limit of $29,526.00 (185% of the 2026 guideline for 1 person), and no enrollment in WIC, Medicaid, SNAP or TCA is recorded."
        );
    }

    #[test]
    fn pregnancy_counts_the_unborn_child() {
        // Household of 2 now: limit 40,034.00 for 2 people, 50,542.00 for 3.
        let fam = family_income(2, "45000");
        let e = eval(&fam, &born("2026-03-24"), "2026-06-01");
        let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
        assert!(!r.passed, "born baby already counted in the household: {}", r.explanation);
        assert!(r.explanation.contains("$40,034.00"), "{}", r.explanation);
        assert!(r.explanation.contains("for 2 people)"), "{}", r.explanation);

        let e = eval(&fam, &expected("2026-06-20"), "2026-06-01");
        let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
        assert!(r.passed, "the expected baby makes 3: {}", r.explanation);
        assert_eq!(
            r.explanation,
            "Income $45,000.00 is within the limit of $50,542.00 (185% of the 2026 guideline for 3 people, counting the expected baby)."
        );
        assert_eq!(e.result, Outcome::Eligible);

        assert_eq!(guideline_household_size(&fam, &born("2026-03-24")), 2);
        assert_eq!(guideline_household_size(&fam, &expected("2026-06-20")), 3);
        let neither = InfantSnapshot { date_of_birth: None, ..born("2026-03-24") };
        assert_eq!(guideline_household_size(&fam, &neither), 2);
    }

    #[test]
    fn income_rule_switches_guideline_on_its_effective_date() {
        // Household of 3: 2025 limit = 185% of 26,650 = 49,302.50; 2026 limit = 50,542.00.
        let fam = family_income(3, "50000");
        let cases = [("2026-01-12", false, "2025", "$49,302.50"), ("2026-01-13", true, "2026", "$50,542.00")];
        for (on, passes, year, limit) in cases {
            let e = eval(&fam, &born("2025-12-01"), on);
            let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
            assert_eq!(r.passed, passes, "{on}: {}", r.explanation);
            assert!(r.explanation.contains(&format!("the {year} guideline")), "{}", r.explanation);
            assert!(r.explanation.contains(limit), "{}", r.explanation);
        }
    }

    #[test]
    fn income_limit_percent_comes_from_the_policy() {
        let p = PolicyParams { income_limit_percent: 200, ..policy() };
        // 200% of 27,320 = 54,640.00
        for (income, passes) in [("54640.00", true), ("54640.01", false)] {
            let e = evaluate(&family_income(3, income), &born("2026-03-24"), d("2026-06-01"), &p, &guidelines());
            let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
            assert_eq!(r.passed, passes, "{income}: {}", r.explanation);
            assert!(r.explanation.contains("200% of the 2026 guideline"), "{}", r.explanation);
        }
    }

    #[test]
    fn enrollment_overrides_income() {
        let cases: [(&[&str], Option<&str>, bool, &str); 8] = [
            (&["WIC"], Some("1000000"), true, "Enrolled in WIC, so income does not matter."),
            (&["WIC"], None, true, "Enrolled in WIC, so income does not matter."),
            (&["Medicaid"], Some("99999"), true, "Enrolled in Medicaid, so income does not matter."),
            (&["SNAP", "WIC"], None, true, "Enrolled in WIC and SNAP, so income does not matter."),
            (
                &["TCA", "SNAP", "Medicaid", "WIC"],
                None,
                true,
                "Enrolled in WIC, Medicaid, SNAP and TCA, so income does not matter.",
            ),
            (&["wic"], None, true, "Enrolled in WIC, so income does not matter."),
            (
                &["Other"],
                None,
                false,
                "Income is not recorded and no enrollment in WIC, Medicaid, SNAP or TCA is recorded.",
            ),
            (&[], None, false, "Income is not recorded and no enrollment in WIC, Medicaid, SNAP or TCA is recorded."),
        ];
        for (enrollments, income, passes, text) in cases {
            let fam = FamilySnapshot {
                enrollments: enrollments.iter().map(|s| s.to_string()).collect(),
                annual_income: income.map(dec),
                ..family()
            };
            let e = eval(&fam, &born("2026-03-24"), "2026-06-01");
            let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
            assert_eq!(r.passed, passes, "{enrollments:?} {income:?}");
            assert_eq!(r.explanation, text);
        }
    }

    #[test]
    fn qualifying_enrollments_come_from_the_policy() {
        let p = PolicyParams { qualifying_enrollments: vec!["SNAP".into()], ..policy() };
        let fam = FamilySnapshot { enrollments: vec!["WIC".into()], ..family() };
        let e = evaluate(&fam, &born("2026-03-24"), d("2026-06-01"), &p, &guidelines());
        let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
        assert!(!r.passed);
        assert_eq!(r.explanation, "Income is not recorded and no enrollment in SNAP is recorded.");

        let p = PolicyParams { qualifying_enrollments: vec![], ..policy() };
        let e = evaluate(&fam, &born("2026-03-24"), d("2026-06-01"), &p, &guidelines());
        assert_eq!(rule(&e, RULE_INCOME_OR_ENROLLMENT).explanation, "Income is not recorded.");
    }

    #[test]
    fn no_guideline_in_force_fails_with_a_sentence() {
        let e = eval(&family_income(3, "1000"), &born("2024-01-01"), "2024-01-16");
        let r = rule(&e, RULE_INCOME_OR_ENROLLMENT);
        assert!(!r.passed);
        assert_eq!(
            r.explanation,
            "No poverty guideline is in force on 2024-01-16, so income $1,000.00 cannot be checked against a limit, and no enrollment in WIC, Medicaid, SNAP or TCA is recorded."
        );
        let e = evaluate(&family_income(3, "1000"), &born("2026-03-24"), d("2026-06-01"), &policy(), &[]);
        assert!(!rule(&e, RULE_INCOME_OR_ENROLLMENT).passed);
        // Enrollment still passes without any guideline.
        let e = evaluate(&family(), &born("2026-03-24"), d("2026-06-01"), &policy(), &[]);
        assert!(rule(&e, RULE_INCOME_OR_ENROLLMENT).passed);
    }

    // ---- safe sleep space ----

    #[test]
    fn no_safe_sleep_space_table() {
        let cases = [
            // (require, has_space, passes, explanation)
            (true, Some(false), true, "The family has no safe place for the baby to sleep."),
            (true, Some(true), false, "The family has a safe place for the baby to sleep."),
            (true, None, false, "Ask whether the family has a safe place for the baby to sleep."),
            (
                false,
                Some(true),
                true,
                "The policy in force does not require the family to lack a safe place for the baby to sleep.",
            ),
            (
                false,
                None,
                true,
                "The policy in force does not require the family to lack a safe place for the baby to sleep.",
            ),
        ];
        for (require, has_space, passes, text) in cases {
            let p = PolicyParams { require_no_safe_sleep_space: require, ..policy() };
            let fam = FamilySnapshot { has_safe_sleep_space: has_space, ..family() };
            let e = evaluate(&fam, &born("2026-03-24"), d("2026-06-01"), &p, &guidelines());
            let r = rule(&e, RULE_NO_SAFE_SLEEP_SPACE);
            assert_eq!(r.passed, passes, "require={require} has={has_space:?}");
            assert_eq!(r.explanation, text);
        }
    }

    // ---- already received ----

    #[test]
    fn not_already_received_table() {
        let cases = [
            (false, true, "No crib has been handed out for this baby yet."),
            (true, false, "A crib has already been handed out for this baby; the program gives one crib per baby."),
        ];
        for (received, passes, text) in cases {
            let infant = InfantSnapshot { already_received: received, ..born("2026-03-24") };
            let e = eval(&family(), &infant, "2026-06-01");
            let r = rule(&e, RULE_NOT_ALREADY_RECEIVED);
            assert_eq!(r.passed, passes, "{received}");
            assert_eq!(r.explanation, text);
            assert_eq!(e.result == Outcome::Eligible, passes);
        }
    }

    // ---- helpers ----

    #[test]
    fn join_list_table() {
        assert_eq!(join_list(&[], "or"), "");
        assert_eq!(join_list(&["WIC"], "or"), "WIC");
        assert_eq!(join_list(&["WIC", "SNAP"], "or"), "WIC or SNAP");
        assert_eq!(join_list(&["WIC", "Medicaid", "SNAP", "TCA"], "or"), "WIC, Medicaid, SNAP or TCA");
    }
}
