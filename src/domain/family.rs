//! Family registration input, parsed into domain values: names, dates, phone, address,
//! household, income, enrollments, infants. Every rule lives here once; a form and a
//! JSON body both become a `NewFamily` or a list of (field, sentence) problems.

use crate::domain::money::decimal_to_cents;
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;

/// The enrollments the program knows.
pub const ENROLLMENTS: [&str; 4] = ["WIC", "Medicaid", "SNAP", "TCA"];

/// Self-reported race/ethnicity choices (stored codes and labels).
pub const RACE_ETHNICITY: [(&str, &str); 9] = [
    ("black", "Black or African American"),
    ("white", "White"),
    ("hispanic_latino", "Hispanic or Latino"),
    ("asian", "Asian"),
    ("american_indian_alaska_native", "American Indian or Alaska Native"),
    ("native_hawaiian_pacific_islander", "Native Hawaiian or Pacific Islander"),
    ("multiracial", "More than one race"),
    ("other", "Another race or ethnicity"),
    ("prefer_not_to_say", "Prefer not to say"),
];

/// Languages offered for education and receipts (code, label).
pub const LANGUAGES: [(&str, &str); 2] = [("en", "English"), ("es", "Español")];

/// The most infants one registration may list (quintuplets and a sibling).
pub const MAX_INFANTS: usize = 6;

/// A family as typed: every field optional so that a missing one becomes a sentence.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyInput {
    pub caregiver: Option<CaregiverInput>,
    pub address: Option<AddressInput>,
    #[schema(value_type = Option<i64>)]
    pub household_size: Option<Value>,
    /// A decimal string such as "31200.00" (a JSON number is accepted too); null when unknown.
    #[schema(value_type = Option<String>)]
    pub annual_income: Option<Value>,
    #[serde(default)]
    pub enrollments: Vec<String>,
    pub has_safe_sleep_space: Option<bool>,
    #[serde(default)]
    pub infants: Vec<InfantInput>,
    pub race_ethnicity: Option<String>,
    pub preferred_language: Option<String>,
    /// Register even though possible duplicates exist.
    #[serde(default)]
    pub confirm_not_duplicate: bool,
}

/// The caregiver as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaregiverInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub phone: Option<String>,
}

/// The address as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    /// Null when the family lives outside the city.
    pub neighborhood_id: Option<i64>,
}

/// An infant as typed: a date of birth or an expected due date.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfantInput {
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub expected_due_date: Option<String>,
    /// Pounds, as a number or a decimal string.
    #[schema(value_type = Option<String>)]
    pub weight_lb: Option<Value>,
}

/// A valid infant.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInfant {
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub expected_due_date: Option<NaiveDate>,
    pub weight_lb: Option<Decimal>,
}

/// A valid family, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFamily {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    pub phone_digits: Option<String>,
    pub preferred_language: String,
    pub address_line1: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub neighborhood_id: Option<i64>,
    pub household_size: i32,
    pub annual_income_cents: Option<i64>,
    pub enrollments: Vec<String>,
    pub has_safe_sleep_space: Option<bool>,
    pub race_ethnicity: Option<String>,
    pub infants: Vec<NewInfant>,
}

/// Field problems: (field path, sentence).
pub type Problems = Vec<(String, String)>;

/// A required name-like text of 1..=max characters, on one line.
pub fn required_text(p: &mut Problems, field: &str, v: Option<&str>, max: usize, what: &str) -> String {
    let v = v.map(str::trim).unwrap_or("");
    if v.is_empty() {
        p.push((field.into(), format!("Enter the {what}.")));
    } else if v.chars().count() > max {
        p.push((field.into(), format!("The {what} can be at most {max} characters.")));
    } else if let Err(why) = crate::domain::text::check_single_line(v) {
        p.push((field.into(), why));
    }
    v.to_string()
}

/// Parse a `YYYY-MM-DD` date.
pub fn parse_date(p: &mut Problems, field: &str, v: Option<&str>) -> Option<NaiveDate> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if d.year() >= 1900 && d.year() <= 2200 => Some(d),
        Ok(_) => {
            p.push((field.into(), format!("{v} is not a believable date: use a year from 1900 on.")));
            None
        }
        Err(_) => {
            p.push((field.into(), format!("{v} is not a date: write it as YYYY-MM-DD.")));
            None
        }
    }
}

/// A date that must be on or before today and not before 1900.
pub fn past_date(p: &mut Problems, field: &str, v: Option<&str>, today: NaiveDate, what: &str) -> Option<NaiveDate> {
    let d = parse_date(p, field, v)?;
    if d > today {
        p.push((field.into(), format!("The {what} cannot be in the future ({d} is after today, {today}).")));
        return None;
    }
    Some(d)
}

/// Digits of a phone number, if it has 7 to 15 of them.
pub fn phone_digits(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (7..=15).contains(&digits.len()).then_some(digits)
}

/// A decimal from a JSON string or number.
pub fn decimal_value(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// Parse an annual income: 0..=10,000,000 with at most 2 decimals; null = not known.
pub fn parse_income(p: &mut Problems, v: Option<&Value>) -> Option<i64> {
    let v = v.filter(|v| !v.is_null())?;
    if let Value::String(s) = v {
        if s.trim().is_empty() {
            return None;
        }
    }
    let Some(d) = decimal_value(v) else {
        p.push(("annual_income".into(), "Write the yearly income as a number of dollars, like 31200.00.".into()));
        return None;
    };
    if d < Decimal::ZERO || d > Decimal::from(10_000_000) {
        p.push(("annual_income".into(), "The yearly income must be between $0 and $10,000,000.".into()));
        return None;
    }
    match decimal_to_cents(d) {
        Some(c) => Some(c),
        None => {
            p.push(("annual_income".into(), "Use at most two digits after the decimal point.".into()));
            None
        }
    }
}

/// Parse a household size: a whole number 1..=30.
pub fn parse_household(p: &mut Problems, v: Option<&Value>) -> i32 {
    let n = match v {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (1..=30).contains(&n) => n as i32,
        Some(n) => {
            p.push((
                "household_size".into(),
                format!("The household size must be from 1 to 30 people living in the home now; {n} is not."),
            ));
            0
        }
        None => {
            p.push(("household_size".into(), "Enter how many people live in the home now (1 to 30).".into()));
            0
        }
    }
}

/// Parse one infant.
pub fn parse_infant(p: &mut Problems, i: usize, input: &InfantInput, today: NaiveDate) -> Option<NewInfant> {
    let f = |name: &str| format!("infants[{i}].{name}");
    let start = p.len();
    let name = input.name.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        p.push((f("name"), "The baby's name can be at most 100 characters.".into()));
    }
    let dob = past_date(p, &f("date_of_birth"), input.date_of_birth.as_deref(), today, "baby's date of birth");
    let due = parse_date(p, &f("expected_due_date"), input.expected_due_date.as_deref());
    let has_dob = input.date_of_birth.as_deref().is_some_and(|s| !s.trim().is_empty());
    let has_due = input.expected_due_date.as_deref().is_some_and(|s| !s.trim().is_empty());
    match (has_dob, has_due) {
        (false, false) => {
            p.push((f("date_of_birth"), "Give the baby's date of birth or the expected due date.".into()))
        }
        (true, true) => p.push((f("expected_due_date"), "Give a date of birth or a due date, not both.".into())),
        _ => {}
    }
    if let Some(due) = due {
        let latest = today.checked_add_months(Months::new(10)).unwrap_or(today);
        let earliest = today.checked_sub_months(Months::new(12)).unwrap_or(today);
        if due > latest {
            p.push((f("expected_due_date"), format!("A due date more than 10 months ahead ({due}) is not possible.")));
        } else if due < earliest {
            p.push((
                f("expected_due_date"),
                format!("{due} is more than a year ago: record the baby's date of birth instead."),
            ));
        }
    }
    let weight = match input.weight_lb.as_ref().filter(|v| !v.is_null()) {
        None => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => match decimal_value(v) {
            Some(w) if w > Decimal::ZERO && w <= Decimal::from(100) && w.scale() <= 2 => Some(w.normalize()),
            _ => {
                p.push((f("weight_lb"), "The weight must be in pounds, more than 0 and at most 100, like 9.5.".into()));
                None
            }
        },
    };
    (p.len() == start).then_some(NewInfant { name, date_of_birth: dob, expected_due_date: due, weight_lb: weight })
}

/// Parse a whole family registration.
pub fn parse_family(input: &FamilyInput, today: NaiveDate) -> Result<NewFamily, Problems> {
    parse(input, today, true)
}

/// Parse a family's own fields by the same rules, without babies (a correction: babies
/// are added and corrected one by one).
pub fn parse_family_fields(input: &FamilyInput, today: NaiveDate) -> Result<NewFamily, Problems> {
    parse(input, today, false)
}

fn parse(input: &FamilyInput, today: NaiveDate, with_infants: bool) -> Result<NewFamily, Problems> {
    let mut p = Problems::new();
    let cg = input.caregiver.clone().unwrap_or_default();
    let first_name =
        required_text(&mut p, "caregiver.first_name", cg.first_name.as_deref(), 100, "caregiver's first name");
    let last_name = required_text(&mut p, "caregiver.last_name", cg.last_name.as_deref(), 100, "caregiver's last name");
    let date_of_birth =
        past_date(&mut p, "caregiver.date_of_birth", cg.date_of_birth.as_deref(), today, "caregiver's date of birth");
    let phone = cg.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let phone_digits = match &phone {
        Some(raw) if raw.chars().count() > 40 => {
            p.push(("caregiver.phone".into(), "The phone number is too long.".into()));
            None
        }
        Some(raw) => {
            let d = phone_digits(raw);
            if d.is_none() {
                p.push(("caregiver.phone".into(), "A phone number needs 7 to 15 digits, like 410-555-0101.".into()));
            }
            d
        }
        None => None,
    };
    let addr = input.address.clone().unwrap_or_default();
    let address_line1 = required_text(&mut p, "address.line1", addr.line1.as_deref(), 200, "street address");
    let city = required_text(&mut p, "address.city", addr.city.as_deref(), 100, "city");
    let state = addr.state.as_deref().map(|s| s.trim().to_uppercase()).unwrap_or_default();
    if state.len() != 2 || !state.chars().all(|c| c.is_ascii_uppercase()) {
        p.push(("address.state".into(), "Use the two-letter state code, like MD.".into()));
    }
    let zip = addr.zip.as_deref().map(str::trim).unwrap_or("").to_string();
    let zip_ok = zip.len() == 5 && zip.chars().all(|c| c.is_ascii_digit())
        || zip.len() == 10
            && zip.as_bytes().get(5) == Some(&b'-')
            && zip.chars().filter(char::is_ascii_digit).count() == 9;
    if !zip_ok {
        p.push(("address.zip".into(), "A ZIP code has 5 digits, like 21217.".into()));
    }
    let household_size = parse_household(&mut p, input.household_size.as_ref());
    let annual_income_cents = parse_income(&mut p, input.annual_income.as_ref());
    let mut enrollments = Vec::new();
    for e in &input.enrollments {
        match ENROLLMENTS.iter().find(|k| k.eq_ignore_ascii_case(e.trim())) {
            Some(k) if !enrollments.contains(&k.to_string()) => enrollments.push(k.to_string()),
            Some(_) => {}
            None => p.push(("enrollments".into(), format!("\"{e}\" is not one of WIC, Medicaid, SNAP or TCA."))),
        }
    }
    let race_ethnicity = input.race_ethnicity.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(r) = &race_ethnicity {
        if !RACE_ETHNICITY.iter().any(|(code, _)| code == r) {
            p.push(("race_ethnicity".into(), "Choose one of the listed answers, or \"prefer_not_to_say\".".into()));
        }
    }
    let language = input.preferred_language.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("en");
    if language.chars().count() > 20 || !language.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        p.push(("preferred_language".into(), "Use a language code such as en or es.".into()));
    }
    if !with_infants {
        if !input.infants.is_empty() {
            p.push(("infants".into(), "Add or correct babies one by one, not with the family's details.".into()));
        }
    } else if input.infants.is_empty() {
        p.push(("infants".into(), "Add the baby: a date of birth or an expected due date.".into()));
    } else if input.infants.len() > MAX_INFANTS {
        p.push(("infants".into(), format!("At most {MAX_INFANTS} babies can be registered at once.")));
    }
    let infants: Vec<NewInfant> = input
        .infants
        .iter()
        .take(MAX_INFANTS)
        .enumerate()
        .filter_map(|(i, inf)| parse_infant(&mut p, i, inf, today))
        .collect();
    if !p.is_empty() {
        return Err(p);
    }
    Ok(NewFamily {
        first_name,
        last_name,
        date_of_birth,
        phone,
        phone_digits,
        preferred_language: language.to_string(),
        address_line1,
        city,
        state,
        zip,
        neighborhood_id: addr.neighborhood_id,
        household_size,
        annual_income_cents,
        enrollments,
        has_safe_sleep_space: input.has_safe_sleep_space,
        race_ethnicity,
        infants,
    })
}

/// The last `n` digits of a phone's digits (what a search by the end of a number finds).
pub fn phone_tail(digits: Option<&str>, n: usize) -> Option<String> {
    let d = digits?;
    let count = d.chars().count();
    (count >= n).then(|| d.chars().skip(count - n).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn valid() -> FamilyInput {
        serde_json::from_value(json!({
            "caregiver": {"first_name": "Ana", "last_name": "O'Brien-Núñez", "date_of_birth": "1995-02-03", "phone": "(410) 555-0101"},
            "address": {"line1": "1 Main St", "city": "Baltimore", "state": "md", "zip": "21217", "neighborhood_id": 3},
            "household_size": 3, "annual_income": "50542.00", "enrollments": ["wic", "SNAP", "WIC"],
            "has_safe_sleep_space": false, "infants": [{"date_of_birth": "2026-10-01", "weight_lb": 9.5}]
        }))
        .expect("valid input")
    }

    fn fields(input: FamilyInput) -> Vec<String> {
        parse_family(&input, today()).err().unwrap_or_default().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_valid_family_parses() {
        let f = parse_family(&valid(), today()).expect("valid");
        assert_eq!(f.last_name, "O'Brien-Núñez");
        assert_eq!(f.state, "MD");
        assert_eq!(f.phone_digits.as_deref(), Some("4105550101"));
        assert_eq!(f.annual_income_cents, Some(5_054_200));
        assert_eq!(f.enrollments, vec!["WIC", "SNAP"]);
        assert_eq!(f.infants[0].weight_lb, Some(Decimal::from_str("9.5").expect("d")));
    }

    #[test]
    fn each_bad_field_is_named() {
        type Mutation = fn(&mut FamilyInput);
        let cases: Vec<(Mutation, &str)> = vec![
            (|f| f.caregiver.as_mut().expect("cg").first_name = Some(" ".into()), "caregiver.first_name"),
            (|f| f.caregiver.as_mut().expect("cg").last_name = Some("x".repeat(101)), "caregiver.last_name"),
            (
                |f| f.caregiver.as_mut().expect("cg").date_of_birth = Some("2027-01-01".into()),
                "caregiver.date_of_birth",
            ),
            (
                |f| f.caregiver.as_mut().expect("cg").date_of_birth = Some("0001-01-01".into()),
                "caregiver.date_of_birth",
            ),
            (|f| f.caregiver.as_mut().expect("cg").phone = Some("12".into()), "caregiver.phone"),
            (|f| f.address.as_mut().expect("a").zip = Some("2121".into()), "address.zip"),
            (|f| f.address.as_mut().expect("a").state = Some("Maryland".into()), "address.state"),
            (|f| f.household_size = Some(json!(0)), "household_size"),
            (|f| f.household_size = Some(json!(31)), "household_size"),
            (|f| f.household_size = Some(json!("many")), "household_size"),
            (|f| f.annual_income = Some(json!("-1")), "annual_income"),
            (|f| f.annual_income = Some(json!("10000000.01")), "annual_income"),
            (|f| f.annual_income = Some(json!(1e300)), "annual_income"),
            (|f| f.annual_income = Some(json!("NaN")), "annual_income"),
            (|f| f.annual_income = Some(json!("1.001")), "annual_income"),
            (|f| f.enrollments = vec!["EBT".into()], "enrollments"),
            (|f| f.race_ethnicity = Some("martian".into()), "race_ethnicity"),
            (|f| f.infants = vec![], "infants"),
            (|f| f.infants[0].date_of_birth = Some("2026-12-01".into()), "infants[0].date_of_birth"),
            (|f| f.infants[0].expected_due_date = Some("2026-12-01".into()), "infants[0].expected_due_date"),
            (|f| f.infants[0].weight_lb = Some(json!(0)), "infants[0].weight_lb"),
            (|f| f.infants[0].weight_lb = Some(json!("heavy")), "infants[0].weight_lb"),
            (
                |f| {
                    f.infants = vec![InfantInput { expected_due_date: Some("2027-10-01".into()), ..Default::default() }]
                },
                "infants[0].expected_due_date",
            ),
            (|f| f.infants = vec![InfantInput::default()], "infants[0].date_of_birth"),
        ];
        for (i, (mutate, field)) in cases.into_iter().enumerate() {
            let mut input = valid();
            mutate(&mut input);
            assert_eq!(fields(input), vec![field.to_string()], "case {i}");
        }
    }

    #[test]
    fn a_due_date_ten_months_ahead_is_the_limit() {
        let mut input = valid();
        input.infants = vec![InfantInput { expected_due_date: Some("2027-09-23".into()), ..Default::default() }];
        assert!(parse_family(&input, today()).is_ok());
        input.infants[0].expected_due_date = Some("2027-09-24".into());
        assert!(parse_family(&input, today()).is_err());
    }

    #[test]
    fn income_may_be_unknown() {
        let mut input = valid();
        input.annual_income = None;
        assert_eq!(parse_family(&input, today()).map(|f| f.annual_income_cents), Ok(None));
        input.annual_income = Some(json!(""));
        assert_eq!(parse_family(&input, today()).map(|f| f.annual_income_cents), Ok(None));
    }
}
