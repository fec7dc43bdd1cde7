//! The registration form as typed: every value a string, so a refused form can be shown
//! again exactly as it was. It becomes the same `FamilyInput` the API takes and goes
//! through `domain::family::parse_family`; problems come back with their field paths
//! (`caregiver.first_name`, `infants[0].date_of_birth`) mapped onto the form's rows.

use crate::domain::family::{parse_family, AddressInput, CaregiverInput, FamilyInput, InfantInput, NewFamily};
use crate::domain::family::{ENROLLMENTS, LANGUAGES, RACE_ETHNICITY};
use crate::store::reference::NeighborhoodView;
use crate::store::write::FormToken;
use crate::web::fields::{field, Problems};
use chrono::NaiveDate;
use rocket::form::FromForm;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How many baby rows the empty form offers (twins).
pub const INFANT_ROWS: usize = 2;
/// The select's value for a family that lives outside the city.
pub const OUTSIDE_CITY: &str = "outside";

/// The caregiver's inputs.
#[derive(Debug, Clone, Default, FromForm)]
pub struct CaregiverFields {
    #[field(default = String::new())]
    pub first_name: String,
    #[field(default = String::new())]
    pub last_name: String,
    #[field(default = String::new())]
    pub date_of_birth: String,
    #[field(default = String::new())]
    pub phone: String,
}

/// The address inputs; `neighborhood_id` is "", "outside" or an id.
#[derive(Debug, Clone, Default, FromForm)]
pub struct AddressFields {
    #[field(default = String::new())]
    pub line1: String,
    #[field(default = String::new())]
    pub city: String,
    #[field(default = String::new())]
    pub state: String,
    #[field(default = String::new())]
    pub zip: String,
    #[field(default = String::new())]
    pub neighborhood_id: String,
}

/// One baby row.
#[derive(Debug, Clone, Default, FromForm)]
pub struct InfantFields {
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub date_of_birth: String,
    #[field(default = String::new())]
    pub expected_due_date: String,
    #[field(default = String::new())]
    pub weight_lb: String,
}

impl InfantFields {
    fn is_empty(&self) -> bool {
        [&self.name, &self.date_of_birth, &self.expected_due_date, &self.weight_lb].iter().all(|v| v.trim().is_empty())
    }
}

/// The whole registration form.
#[derive(Debug, Clone, Default, FromForm)]
pub struct RegisterForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    /// Random per form; the idempotency key of the save.
    pub form_token: FormToken,
    /// "save" (the default), "narrow" (re-show with the neighborhood list narrowed) or "edit".
    #[field(default = String::new())]
    pub action: String,
    /// "1" once staff said this is a different family from the possible duplicates.
    #[field(default = String::new())]
    pub confirm_not_duplicate: String,
    pub caregiver: CaregiverFields,
    pub address: AddressFields,
    #[field(default = String::new())]
    pub household_size: String,
    #[field(default = String::new())]
    pub annual_income: String,
    pub enrollments: Vec<String>,
    /// "yes", "no" or "" (not asked).
    #[field(default = String::new())]
    pub has_safe_sleep_space: String,
    #[field(default = String::new())]
    pub race_ethnicity: String,
    #[field(default = String::new())]
    pub preferred_language: String,
    /// Narrows the neighborhood list by name.
    #[field(default = String::new())]
    pub hood_name: String,
    pub infants: Vec<InfantFields>,
    /// A correction's reason (the correction page only).
    #[field(default = String::new())]
    pub reason: String,
    /// "1" once staff confirmed a correction that changes what a stored check used.
    #[field(default = String::new())]
    pub confirm_past_decisions: String,
}

/// A form that was read: the input for the domain, and how its baby rows map to the form's.
pub struct Read {
    pub input: FamilyInput,
    /// `rows[k]` is the form row of `input.infants[k]` (empty rows are left out).
    rows: Vec<usize>,
    /// Problems only the form can have (the neighborhood select left unchosen).
    form_problems: Vec<(String, String)>,
}

impl RegisterForm {
    /// An empty form with the defaults: Baltimore, MD, English.
    pub fn blank(form_token: FormToken) -> RegisterForm {
        RegisterForm {
            form_token,
            address: AddressFields { city: "Baltimore".into(), state: "MD".into(), ..Default::default() },
            preferred_language: "en".into(),
            ..Default::default()
        }
    }

    /// Whether staff confirmed this is not one of the possible duplicates.
    pub fn confirmed(&self) -> bool {
        self.confirm_not_duplicate == "1"
    }

    /// The `FamilyInput` the API would take, leaving out empty baby rows.
    pub fn read(&self) -> Read {
        let text = |s: &str| Some(s.to_string());
        let mut form_problems = Vec::new();
        let neighborhood_id = match self.address.neighborhood_id.trim() {
            "" => {
                form_problems.push((
                    "address.neighborhood_id".to_string(),
                    "Choose the neighborhood from the list, or \u{201c}Outside Baltimore City\u{201d}.".to_string(),
                ));
                None
            }
            OUTSIDE_CITY => None,
            id => match id.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    form_problems
                        .push(("address.neighborhood_id".into(), "Choose a neighborhood from the list.".into()));
                    None
                }
            },
        };
        let mut rows = Vec::new();
        let mut infants = Vec::new();
        for (i, row) in self.infants.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
            rows.push(i);
            infants.push(InfantInput {
                name: text(&row.name),
                date_of_birth: text(&row.date_of_birth),
                expected_due_date: text(&row.expected_due_date),
                weight_lb: Some(Value::String(row.weight_lb.clone())),
            });
        }
        let input = FamilyInput {
            caregiver: Some(CaregiverInput {
                first_name: text(&self.caregiver.first_name),
                last_name: text(&self.caregiver.last_name),
                date_of_birth: text(&self.caregiver.date_of_birth),
                phone: text(&self.caregiver.phone),
            }),
            address: Some(AddressInput {
                line1: text(&self.address.line1),
                city: text(&self.address.city),
                state: text(&self.address.state),
                zip: text(&self.address.zip),
                neighborhood_id,
            }),
            household_size: Some(Value::String(self.household_size.clone())),
            annual_income: Some(Value::String(crate::domain::money::plain_typed_amount(&self.annual_income))),
            enrollments: self.enrollments.clone(),
            has_safe_sleep_space: match self.has_safe_sleep_space.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            infants,
            race_ethnicity: Some(self.race_ethnicity.clone()).filter(|s| !s.trim().is_empty()),
            preferred_language: text(&self.preferred_language),
            confirm_not_duplicate: self.confirmed(),
        };
        Read { input, rows, form_problems }
    }

    /// The hidden fields that carry this form through the duplicates question.
    pub fn hidden_fields(&self) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = vec![
            ("form_token".into(), self.form_token.to_string()),
            ("caregiver.first_name".into(), self.caregiver.first_name.clone()),
            ("caregiver.last_name".into(), self.caregiver.last_name.clone()),
            ("caregiver.date_of_birth".into(), self.caregiver.date_of_birth.clone()),
            ("caregiver.phone".into(), self.caregiver.phone.clone()),
            ("preferred_language".into(), self.preferred_language.clone()),
            ("address.line1".into(), self.address.line1.clone()),
            ("address.city".into(), self.address.city.clone()),
            ("address.state".into(), self.address.state.clone()),
            ("address.zip".into(), self.address.zip.clone()),
            ("address.neighborhood_id".into(), self.address.neighborhood_id.clone()),
            ("hood_name".into(), self.hood_name.clone()),
            ("household_size".into(), self.household_size.clone()),
            ("annual_income".into(), self.annual_income.clone()),
            ("has_safe_sleep_space".into(), self.has_safe_sleep_space.clone()),
            ("race_ethnicity".into(), self.race_ethnicity.clone()),
        ];
        h.extend(self.enrollments.iter().map(|e| ("enrollments".to_string(), e.clone())));
        for (i, row) in self.infants.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
            h.push((format!("infants[{i}].name"), row.name.clone()));
            h.push((format!("infants[{i}].date_of_birth"), row.date_of_birth.clone()));
            h.push((format!("infants[{i}].expected_due_date"), row.expected_due_date.clone()));
            h.push((format!("infants[{i}].weight_lb"), row.weight_lb.clone()));
        }
        h
    }

    /// The ZIP to narrow the neighborhood list by: its first five digits, if it has them.
    pub fn zip5(&self) -> Option<String> {
        let z: String = self.address.zip.trim().chars().take(5).collect();
        (z.len() == 5 && z.chars().all(|c| c.is_ascii_digit())).then_some(z)
    }

    /// The template's view of the form: every input with its value and problems, the
    /// neighborhood select grouped by CSA, the choices.
    pub fn view(&self, problems: &Problems, hoods: &[NeighborhoodView]) -> Value {
        let f = |path: &str, value: &str| field(path, value, problems);
        let rows = self.infants.len().max(INFANT_ROWS);
        let infants: Vec<Value> = (0..rows)
            .map(|i| {
                let row = self.infants.get(i).cloned().unwrap_or_default();
                json!({
                    "number": i + 1,
                    "name": f(&format!("infants[{i}].name"), &row.name),
                    "date_of_birth": f(&format!("infants[{i}].date_of_birth"), &row.date_of_birth),
                    "expected_due_date": f(&format!("infants[{i}].expected_due_date"), &row.expected_due_date),
                    "weight_lb": f(&format!("infants[{i}].weight_lb"), &row.weight_lb),
                })
            })
            .collect();
        let chosen = self.address.neighborhood_id.trim();
        let mut groups: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for n in hoods {
            groups.entry(n.csa_name.as_str()).or_default().push(json!({
                "id": n.id, "name": n.name, "selected": n.id.to_string() == chosen,
            }));
        }
        let groups: Vec<Value> =
            groups.into_iter().map(|(csa, options)| json!({"csa": csa, "options": options})).collect();
        json!({
            "form_token": self.form_token,
            "caregiver_first_name": f("caregiver.first_name", &self.caregiver.first_name),
            "caregiver_last_name": f("caregiver.last_name", &self.caregiver.last_name),
            "caregiver_date_of_birth": f("caregiver.date_of_birth", &self.caregiver.date_of_birth),
            "caregiver_phone": f("caregiver.phone", &self.caregiver.phone),
            "preferred_language": f("preferred_language", &self.preferred_language),
            "address_line1": f("address.line1", &self.address.line1),
            "address_city": f("address.city", &self.address.city),
            "address_state": f("address.state", &self.address.state),
            "address_zip": f("address.zip", &self.address.zip),
            "address_neighborhood_id": f("address.neighborhood_id", chosen),
            "hood_name": f("hood_name", &self.hood_name),
            "outside_selected": chosen == OUTSIDE_CITY,
            "hood_groups": groups,
            "household_size": f("household_size", &self.household_size),
            "annual_income": f("annual_income", &self.annual_income),
            "enrollments": f("enrollments", ""),
            "enrollment_choices": ENROLLMENTS.iter().map(|e| json!({
                "value": e, "id": format!("enrollment-{e}"), "checked": self.enrollments.iter().any(|x| x == e),
            })).collect::<Vec<_>>(),
            "has_safe_sleep_space": f("has_safe_sleep_space", &self.has_safe_sleep_space),
            "race_ethnicity": f("race_ethnicity", &self.race_ethnicity),
            "race_choices": RACE_ETHNICITY.iter().map(|(code, label)| json!({
                "value": code, "label": label, "selected": self.race_ethnicity == *code,
            })).collect::<Vec<_>>(),
            "language_choices": LANGUAGES.iter().map(|(code, label)| json!({
                "value": code, "label": label, "selected": self.preferred_language == *code,
            })).collect::<Vec<_>>(),
            "infants_field": f("infants", ""),
            "infants": infants,
            "reason": f("reason", &self.reason),
        })
    }
}

impl Read {
    /// The problems only the form can have (the neighborhood select left unchosen).
    pub fn parse_problems_of_form(&self) -> Vec<(String, String)> {
        self.form_problems.clone()
    }

    /// Parse into a `NewFamily`, or every problem with its path on the form.
    pub fn parse(&self, today: NaiveDate) -> Result<NewFamily, Vec<(String, String)>> {
        let parsed = parse_family(&self.input, today);
        let mut problems = self.form_problems.clone();
        let parsed = match parsed {
            Ok(new) => Some(new),
            Err(p) => {
                problems.extend(p.into_iter().map(|(path, sentence)| (self.form_path(&path), sentence)));
                None
            }
        };
        match parsed {
            Some(new) if problems.is_empty() => Ok(new),
            _ => Err(problems),
        }
    }

    /// The form's path of a domain path: `infants[k].x` names the k-th non-empty row.
    pub fn form_path(&self, path: &str) -> String {
        let Some(rest) = path.strip_prefix("infants[") else {
            return path.to_string();
        };
        let Some((k, tail)) = rest.split_once(']') else {
            return path.to_string();
        };
        match k.parse::<usize>().ok().and_then(|k| self.rows.get(k)) {
            Some(row) => format!("infants[{row}]{tail}"),
            None => path.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
