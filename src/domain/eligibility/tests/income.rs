//! Tests of the income-or-enrollment rule and the rules after it.

use super::*;

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
