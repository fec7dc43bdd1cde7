//! Tests of the form parsing in `form`.

use super::*;

fn filled() -> RegisterForm {
    let mut f = RegisterForm::blank(crate::store::write::FormToken::submitted(&"t".repeat(20)));
    f.caregiver = CaregiverFields {
        first_name: "Ana".into(),
        last_name: "Núñez".into(),
        date_of_birth: "1995-02-03".into(),
        phone: "410-555-0101".into(),
    };
    f.address.line1 = "1 Main St".into();
    f.address.zip = "21217".into();
    f.address.neighborhood_id = "65".into();
    f.household_size = "3".into();
    f.infants = vec![
        <InfantFields as Default>::default(),
        InfantFields { date_of_birth: "2026-11-30".into(), ..Default::default() },
    ];
    f
}

#[test]
fn empty_rows_are_left_out_and_problems_point_at_the_typed_row() {
    let read = filled().read();
    assert_eq!(read.input.infants.len(), 1);
    let Some(today) = NaiveDate::from_ymd_opt(2026, 11, 23) else { panic!("a date") };
    let problems = read.parse(today).err().unwrap_or_default();
    let paths: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["infants[1].date_of_birth"]);
}

#[test]
fn the_neighborhood_must_be_chosen_even_if_outside_the_city() {
    let Some(today) = NaiveDate::from_ymd_opt(2026, 11, 23) else { panic!("a date") };
    let mut f = filled();
    f.infants[1].date_of_birth = "2026-11-01".into();
    assert!(f.read().parse(today).is_ok());
    f.address.neighborhood_id = String::new();
    let problems = f.read().parse(today).err().unwrap_or_default();
    assert_eq!(problems[0].0, "address.neighborhood_id");
    f.address.neighborhood_id = OUTSIDE_CITY.into();
    assert_eq!(f.read().parse(today).map(|n| n.neighborhood_id), Ok(None));
}
