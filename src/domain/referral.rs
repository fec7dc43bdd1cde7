//! A hospital's request for a crib before discharge, as a nurse (a form, the API) or a
//! hospital system (FHIR) sends it: the input, its parse into `NewReferral` with the
//! discharge-date rule, and the triage ranking of the sites that could hold a crib for it.

use crate::domain::family::{
    parse_date, parse_family, AddressInput, CaregiverInput, FamilyInput, InfantInput, NewFamily, Problems,
};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a nurse (or a hospital system) sends, parsed.
#[derive(Debug, Clone)]
pub struct NewReferral {
    /// The family, with exactly one infant.
    pub family: NewFamily,
    pub discharge_date: NaiveDate,
    pub education_given_in_hospital: bool,
    pub preferred_site_id: Option<i64>,
    pub home_delivery: bool,
    pub note: Option<String>,
    /// `page`, `api` or `fhir`.
    pub source: &'static str,
}

/// The family and baby as a hospital sent them, kept on the request: what the nurse (and
/// her hospital's system) reads back, whatever the family's record says later (a request
/// matched to a family registered before it must not show that family's record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentFamily {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    pub address_line1: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub infant: SentInfant,
}

/// The baby as the hospital sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SentInfant {
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub expected_due_date: Option<NaiveDate>,
}

impl SentFamily {
    /// What a request sends (its family with its one baby).
    pub fn of(f: &NewFamily) -> SentFamily {
        let infant = f
            .infants
            .first()
            .map(|i| SentInfant {
                name: i.name.clone(),
                date_of_birth: i.date_of_birth,
                expected_due_date: i.expected_due_date,
            })
            .unwrap_or_default();
        SentFamily {
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            date_of_birth: f.date_of_birth,
            phone: f.phone.clone(),
            address_line1: f.address_line1.clone(),
            city: f.city.clone(),
            state: f.state.clone(),
            zip: f.zip.clone(),
            infant,
        }
    }

    /// The caregiver's name as sent.
    pub fn caregiver(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// Whether a baby is the one sent: the same date of birth, or the same due date.
    pub fn same_baby(&self, date_of_birth: Option<NaiveDate>, expected_due_date: Option<NaiveDate>) -> bool {
        (self.infant.date_of_birth.is_some() && self.infant.date_of_birth == date_of_birth)
            || (self.infant.expected_due_date.is_some() && self.infant.expected_due_date == expected_due_date)
    }
}

/// The longest note a nurse may add.
pub const NOTE_MAX_CHARS: usize = 1000;

/// A nurse's request: the family's fields, one infant, the discharge date.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    pub caregiver: Option<CaregiverInput>,
    pub address: Option<AddressInput>,
    #[schema(value_type = Option<i64>)]
    pub household_size: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub annual_income: Option<Value>,
    #[serde(default)]
    pub enrollments: Vec<String>,
    pub has_safe_sleep_space: Option<bool>,
    pub infant: Option<InfantInput>,
    pub race_ethnicity: Option<String>,
    pub preferred_language: Option<String>,
    /// YYYY-MM-DD.
    pub discharge_date: Option<String>,
    #[serde(default)]
    pub education_given_in_hospital: bool,
    pub preferred_site_id: Option<i64>,
    #[serde(default)]
    pub home_delivery: bool,
    pub note: Option<String>,
}

/// Parse a discharge date: from 30 days ago to 90 days ahead.
pub fn check_discharge(p: &mut Problems, raw: Option<&str>, today: NaiveDate) -> Option<NaiveDate> {
    if raw.map(str::trim).unwrap_or("").is_empty() {
        p.push(("discharge_date".into(), "Give the discharge date (YYYY-MM-DD).".into()));
        return None;
    }
    let d = parse_date(p, "discharge_date", raw)?;
    if d < today - Duration::days(30) || d > today + Duration::days(90) {
        p.push((
            "discharge_date".into(),
            format!("A discharge date must be within 30 days before and 90 days after today; {d} is not."),
        ));
        return None;
    }
    Some(d)
}

/// Parse a referral into a command, or every problem with it (field, sentence).
pub fn parse_referral(input: ReferralInput, today: NaiveDate, source: &'static str) -> Result<NewReferral, Problems> {
    let mut p = Vec::new();
    let discharge = check_discharge(&mut p, input.discharge_date.as_deref(), today);
    let note = input.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
        p.push(("note".into(), "A note can be at most 1000 characters.".into()));
    }
    let family = FamilyInput {
        caregiver: input.caregiver,
        address: input.address,
        household_size: input.household_size,
        annual_income: input.annual_income,
        enrollments: input.enrollments,
        has_safe_sleep_space: input.has_safe_sleep_space,
        infants: input.infant.into_iter().collect(),
        race_ethnicity: input.race_ethnicity,
        preferred_language: input.preferred_language,
        confirm_not_duplicate: true,
    };
    let parsed = parse_family(&family, today);
    if let Err(more) = &parsed {
        p.extend(more.iter().cloned().map(|(f, m)| if f == "infants" { ("infant".to_string(), m) } else { (f, m) }));
    }
    match (parsed, discharge) {
        (Ok(family), Some(discharge_date)) if p.is_empty() => Ok(NewReferral {
            family,
            discharge_date,
            education_given_in_hospital: input.education_given_in_hospital,
            preferred_site_id: input.preferred_site_id,
            home_delivery: input.home_delivery,
            note,
            source,
        }),
        _ => Err(p.into_iter().map(|(f, m)| (f.replace("infants[0]", "infant"), m)).collect()),
    }
}

/// A site that could hold a crib for a request, as triage weighs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub site_id: i64,
    /// The site's CSA, when it has a neighborhood.
    pub csa_id: Option<i32>,
    /// Unreserved cribs there, all models together.
    pub available: i32,
}

/// The order triage offers sites for a family: only sites with a crib available; those in
/// the family's CSA first, then the most cribs available, then the lower id (a stable order).
pub fn rank_sites(family_csa: Option<i32>, mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.retain(|c| c.available > 0);
    candidates.sort_by_key(|c| (family_csa.is_none() || c.csa_id != family_csa, -c.available, c.site_id));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(site_id: i64, csa_id: Option<i32>, available: i32) -> Candidate {
        Candidate { site_id, csa_id, available }
    }

    #[test]
    fn same_csa_with_stock_first_then_most_stock() {
        let ranked = rank_sites(
            Some(7),
            vec![c(1, Some(3), 40), c(2, Some(7), 2), c(3, None, 9), c(4, Some(7), 0), c(5, Some(7), 5)],
        );
        let ids: Vec<i64> = ranked.iter().map(|c| c.site_id).collect();
        assert_eq!(ids, [5, 2, 1, 3], "same CSA (most stock first), then the rest by stock; none without stock");
    }

    #[test]
    fn a_family_outside_the_city_is_ranked_by_stock_alone() {
        let ranked = rank_sites(None, vec![c(1, None, 2), c(2, Some(7), 8), c(3, Some(7), 8)]);
        let ids: Vec<i64> = ranked.iter().map(|c| c.site_id).collect();
        assert_eq!(ids, [2, 3, 1]);
    }

    #[test]
    fn discharge_dates_are_bounded() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        let mut p = Problems::new();
        assert_eq!(check_discharge(&mut p, Some("2026-12-10"), today), NaiveDate::from_ymd_opt(2026, 12, 10));
        assert!(p.is_empty());
        assert_eq!(check_discharge(&mut p, Some("2027-06-01"), today), None);
        assert_eq!(check_discharge(&mut p, Some(""), today), None);
        assert_eq!(p.len(), 2);
    }
}
