//! A hospital's request for a crib before discharge, as a nurse (a form, the API) or a
//! hospital system (FHIR) sends it: the input, its parse into `NewReferral` with the
//! discharge-date rule, and the triage ranking of the sites that could hold a crib for it.

use crate::domain::family::{
    parse_date, parse_family, AddressInput, CaregiverInput, FamilyInput, InfantInput, NewFamily, Problems,
};
use crate::domain::states::ReferralStatus;
use chrono::{Datelike, Duration, NaiveDate};
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
    /// What a hospital's system sent (FHIR only): the resources verbatim, and the
    /// identifiers it gave the request.
    pub sent_fhir: Option<SentFhir>,
}

/// A FHIR request as its hospital's system sent it: its resources (the ServiceRequest, the
/// Patient, the caregiver's RelatedPerson, a Task, as JSON) and the identifiers it gave them
/// (system, value), kept so they read back as sent and can be searched.
#[derive(Debug, Clone, PartialEq)]
pub struct SentFhir {
    pub resources: String,
    pub identifiers: Vec<(String, String)>,
    /// Who at the hospital asked, as `Type/id` (`Practitioner/123`), when the sender named
    /// them by a reference a later search can give back.
    pub requester: Option<String>,
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
    /// The neighborhood chosen on the request (None: outside the city or not sure; also
    /// every request stored before it was kept).
    #[serde(default)]
    pub neighborhood_id: Option<i64>,
    /// The family's language as sent (None on requests stored before it was kept).
    #[serde(default)]
    pub preferred_language: Option<String>,
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
            neighborhood_id: f.neighborhood_id,
            preferred_language: Some(f.preferred_language.clone()),
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
            sent_fhir: None,
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

/// How long ago a discharge was, or how soon it is, in words: "discharged 3 days ago",
/// "discharged yesterday", "discharged today", "discharge tomorrow", "discharge in 2 days"
/// (`days_since` is today minus the discharge date: negative before it).
pub fn discharge_words(days_since: i64) -> String {
    match days_since {
        0 => "discharged today".into(),
        1 => "discharged yesterday".into(),
        -1 => "discharge tomorrow".into(),
        d if d > 1 => format!("discharged {d} days ago"),
        d => format!("discharge in {} days", -d),
    }
}

/// What a site's staff read where a crib is held for a family: "A crib is held here for
/// this family until 2026-12-12 (request from Johns Hopkins Hospital)." — `here` when the
/// reader works at the holding site, else the site is named.
pub fn held_sentence(here: bool, site: &str, until: NaiveDate, hospital: &str) -> String {
    let place = if here { "here".to_string() } else { format!("at {site}") };
    format!("A crib is held {place} for this family until {until} (request from {hospital}).")
}

/// A request as its nurse follows it: enough to say in words where it stands.
#[derive(Debug, Clone, Copy)]
pub struct RequestState<'a> {
    pub status: ReferralStatus,
    pub discharge_date: NaiveDate,
    pub reserved_site: Option<&'a str>,
    pub reserved_until: Option<NaiveDate>,
    pub decline_reason: Option<&'a str>,
    /// The New York day it last changed state.
    pub changed_on: NaiveDate,
}

impl RequestState<'_> {
    /// A short label for the state: "Waiting", "Crib held", "Handed out", "Declined",
    /// "Cancelled", "Expired".
    pub fn label(&self) -> &'static str {
        match self.status {
            ReferralStatus::Submitted => "Waiting",
            ReferralStatus::Reserved => "Crib held",
            ReferralStatus::Fulfilled => "Handed out",
            ReferralStatus::Declined => "Declined",
            ReferralStatus::Cancelled => "Cancelled",
            ReferralStatus::Expired => "Expired",
        }
    }

    /// Where the request stands, in a sentence, as of `today`.
    pub fn sentence(&self, today: NaiveDate) -> String {
        let when = discharge_words((today - self.discharge_date).num_days());
        match self.status {
            ReferralStatus::Submitted => format!("Waiting for the program to hold a crib ({when})."),
            ReferralStatus::Reserved => match (self.reserved_site, self.reserved_until) {
                (Some(site), Some(until)) => format!("Crib held at {site} until {until}."),
                _ => "A crib is held for the family.".into(),
            },
            ReferralStatus::Fulfilled => format!("The crib was handed out on {}.", self.changed_on),
            ReferralStatus::Declined => match self.decline_reason {
                Some(reason) => format!("Declined on {}: {reason}", self.changed_on),
                None => format!("Declined on {}.", self.changed_on),
            },
            ReferralStatus::Cancelled => format!("Cancelled on {}.", self.changed_on),
            ReferralStatus::Expired => match (self.reserved_site, self.reserved_until) {
                (Some(site), Some(until)) => {
                    format!("Expired: the crib held at {site} until {until} was not picked up.")
                }
                _ => "Expired: the crib held for the family was not picked up.".into(),
            },
        }
    }

    /// The order of a nurse's list: open requests first, the most urgent first (a hold by
    /// its last day, a waiting request by its discharge date), then the others newest first.
    pub fn order_key(&self) -> (bool, i64) {
        match self.status {
            ReferralStatus::Submitted => (false, self.discharge_date.num_days_from_ce().into()),
            ReferralStatus::Reserved => {
                (false, self.reserved_until.unwrap_or(self.discharge_date).num_days_from_ce().into())
            }
            _ => (true, -i64::from(self.changed_on.num_days_from_ce())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_nurse_reads_each_state_in_words() {
        let today = d("2026-12-05");
        let base = RequestState {
            status: ReferralStatus::Submitted,
            discharge_date: d("2026-12-07"),
            reserved_site: Some("Cherry Hill"),
            reserved_until: Some(d("2026-12-14")),
            decline_reason: Some("Lives outside the city."),
            changed_on: d("2026-12-04"),
        };
        let say = |status| RequestState { status, ..base }.sentence(today);
        assert_eq!(say(ReferralStatus::Submitted), "Waiting for the program to hold a crib (discharge in 2 days).");
        assert_eq!(say(ReferralStatus::Reserved), "Crib held at Cherry Hill until 2026-12-14.");
        assert_eq!(say(ReferralStatus::Fulfilled), "The crib was handed out on 2026-12-04.");
        assert_eq!(say(ReferralStatus::Declined), "Declined on 2026-12-04: Lives outside the city.");
        assert_eq!(say(ReferralStatus::Cancelled), "Cancelled on 2026-12-04.");
        assert!(say(ReferralStatus::Expired).contains("until 2026-12-14 was not picked up"));
        assert_eq!(RequestState { status: ReferralStatus::Reserved, ..base }.label(), "Crib held");
    }

    #[test]
    fn open_requests_come_first_the_most_urgent_first() {
        let base = RequestState {
            status: ReferralStatus::Submitted,
            discharge_date: d("2026-12-07"),
            reserved_site: None,
            reserved_until: None,
            decline_reason: None,
            changed_on: d("2026-12-01"),
        };
        let held_soon =
            RequestState { status: ReferralStatus::Reserved, reserved_until: Some(d("2026-12-06")), ..base };
        let closed_new = RequestState { status: ReferralStatus::Cancelled, changed_on: d("2026-12-04"), ..base };
        let closed_old = RequestState { status: ReferralStatus::Declined, changed_on: d("2026-11-04"), ..base };
        let mut list = [closed_old, base, closed_new, held_soon];
        list.sort_by_key(RequestState::order_key);
        let order: Vec<ReferralStatus> = list.iter().map(|r| r.status).collect();
        assert_eq!(
            order,
            [ReferralStatus::Reserved, ReferralStatus::Submitted, ReferralStatus::Cancelled, ReferralStatus::Declined]
        );
    }

    #[test]
    fn discharges_in_words_never_say_minus() {
        assert_eq!(discharge_words(3), "discharged 3 days ago");
        assert_eq!(discharge_words(1), "discharged yesterday");
        assert_eq!(discharge_words(0), "discharged today");
        assert_eq!(discharge_words(-1), "discharge tomorrow");
        assert_eq!(discharge_words(-2), "discharge in 2 days");
    }

    #[test]
    fn a_held_crib_is_here_or_at_a_named_site() {
        let until = NaiveDate::from_ymd_opt(2026, 12, 12).expect("date");
        assert_eq!(
            held_sentence(true, "Cherry Hill", until, "Mercy"),
            "A crib is held here for this family until 2026-12-12 (request from Mercy)."
        );
        assert!(held_sentence(false, "Cherry Hill", until, "Mercy").contains("held at Cherry Hill for this family"));
    }

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
