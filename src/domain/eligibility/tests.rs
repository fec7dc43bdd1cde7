//! Table-driven tests of every rule at and across its boundaries.

use super::*;
use std::str::FromStr;

pub(super) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date parses")
}

pub(super) fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimal parses")
}

/// The default Baltimore policy (as in seeds/policies/baltimore-default-v1.toml).
pub(super) fn policy() -> PolicyParams {
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
        follow_up_days: None,
        reservation_days_after_discharge: 7,
    }
}

/// The real contiguous-US guidelines.
pub(super) fn guidelines() -> Vec<Guideline> {
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
pub(super) fn family() -> FamilySnapshot {
    FamilySnapshot {
        lives_in_city: true,
        household_size: 3,
        annual_income: None,
        enrollments: vec!["WIC".into()],
        has_safe_sleep_space: Some(false),
    }
}

/// A family with no enrollment and the given income.
pub(super) fn family_income(size: u32, income: &str) -> FamilySnapshot {
    FamilySnapshot { household_size: size, annual_income: Some(dec(income)), enrollments: vec![], ..family() }
}

pub(super) fn born(dob: &str) -> InfantSnapshot {
    InfantSnapshot { date_of_birth: Some(d(dob)), expected_due_date: None, weight_lb: None, already_received: false }
}

pub(super) fn expected(due: &str) -> InfantSnapshot {
    InfantSnapshot { date_of_birth: None, expected_due_date: Some(d(due)), weight_lb: None, already_received: false }
}

pub(super) fn eval(family: &FamilySnapshot, infant: &InfantSnapshot, on: &str) -> Evaluation {
    evaluate(family, infant, d(on), &policy(), &guidelines())
}

pub(super) fn rule<'a>(e: &'a Evaluation, id: &str) -> &'a RuleResult {
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
    assert_eq!(first.failed_rules().iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(), [RULE_INCOME_OR_ENROLLMENT]);
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

mod income;
