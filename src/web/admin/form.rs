//! The Users forms: what an administrator typed (`UserForm`), parsed into the commands of
//! `store::users`, and the page data the form templates get (`FormView`): the values as
//! typed (never the password), the choices with their state, and the problems by field.

use crate::domain::account::{DisplayName, Email, NewPassword};
use crate::domain::role::Role;
use crate::domain::states::SiteKind;
use crate::error::FieldErrors;
use crate::store::reference::Site;
use crate::store::users::{self, NewUser, UserChange};
use crate::store::write::FormToken;
use rocket::form::FromForm;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

/// The create and edit forms (edit ignores `email` and `password`).
#[derive(FromForm, Default)]
pub struct UserForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub role: String,
    #[field(default = String::new())]
    pub password: String,
    /// Checked site ids (site staff).
    #[field(default = Vec::new())]
    pub sites: Vec<String>,
    /// The chosen hospital id, or empty (nurses).
    #[field(default = String::new())]
    pub hospital_site_id: String,
}

impl UserForm {
    /// What the form's one-time token is kept against: every field but the password (a
    /// password never goes into a hash the database keeps).
    pub fn hashed_body(&self) -> serde_json::Value {
        serde_json::json!({"email": self.email, "name": self.name, "role": self.role,
            "sites": self.sites, "hospital_site_id": self.hospital_site_id})
    }
}

/// The role and memberships as typed, as far as they could be read.
pub struct Chosen {
    pub role: Option<Role>,
    pub site_ids: Vec<i64>,
    pub hospital_site_id: Option<i64>,
}

fn add(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_string()).or_default().push(message.into());
}

fn keep<T>(errors: &mut FieldErrors, field: &str, parsed: Result<T, String>) -> Option<T> {
    parsed.map_err(|e| add(errors, field, e)).ok()
}

/// Read the role and the memberships the role needs (other memberships are ignored).
fn chosen(form: &UserForm, errors: &mut FieldErrors) -> Chosen {
    let role = Role::parse(form.role.trim());
    if role.is_none() {
        add(errors, "role", "Choose a role.");
    }
    let mut site_ids = Vec::new();
    if role == Some(Role::SiteStaff) {
        for raw in &form.sites {
            match raw.trim().parse::<i64>() {
                Ok(id) => site_ids.push(id),
                Err(_) => add(errors, "sites", "Choose sites from the list."),
            }
        }
    }
    let mut hospital_site_id = None;
    if role == Some(Role::Nurse) && !form.hospital_site_id.trim().is_empty() {
        match form.hospital_site_id.trim().parse::<i64>() {
            Ok(id) => hospital_site_id = Some(id),
            Err(_) => add(errors, "hospital_site_id", "Choose the hospital from the list."),
        }
    }
    Chosen { role, site_ids, hospital_site_id }
}

/// Parse the create form. On failure, the problems by field, and what could be read of the
/// role and memberships (so their problems can be shown at the same time).
pub fn new_user(form: &UserForm) -> (Result<NewUser, FieldErrors>, Chosen) {
    let mut errors = FieldErrors::new();
    let email = keep(&mut errors, "email", Email::parse(&form.email));
    let display_name = keep(&mut errors, "name", DisplayName::parse(&form.name));
    let password =
        keep(&mut errors, "password", NewPassword::choose(&form.password, &[form.email.as_str(), form.name.as_str()]));
    let chosen = chosen(form, &mut errors);
    let parsed = match (email, display_name, password, chosen.role) {
        (Some(email), Some(display_name), Some(password), Some(role)) if errors.is_empty() => Ok(NewUser {
            email,
            display_name,
            password,
            role,
            site_ids: chosen.site_ids.clone(),
            hospital_site_id: chosen.hospital_site_id,
        }),
        _ => Err(errors),
    };
    (parsed, chosen)
}

/// Parse the edit form.
pub fn user_change(form: &UserForm) -> (Result<UserChange, FieldErrors>, Chosen) {
    let mut errors = FieldErrors::new();
    let display_name = keep(&mut errors, "name", DisplayName::parse(&form.name));
    let chosen = chosen(form, &mut errors);
    let parsed = match (display_name, chosen.role) {
        (Some(display_name), Some(role)) if errors.is_empty() => Ok(UserChange {
            display_name,
            role,
            site_ids: chosen.site_ids.clone(),
            hospital_site_id: chosen.hospital_site_id,
        }),
        _ => Err(errors),
    };
    (parsed, chosen)
}

/// Add the membership problems of what was typed to the form's own problems, so a refused
/// form names every field at fault at once.
pub async fn with_membership_problems(
    db: &impl ConnectionTrait,
    mut errors: FieldErrors,
    chosen: &Chosen,
) -> Result<FieldErrors, DbErr> {
    if let Some(role) = chosen.role {
        for (field, problems) in users::membership_problems(db, role, &chosen.site_ids, chosen.hospital_site_id).await?
        {
            let slot = errors.entry(field).or_default();
            for p in problems {
                if !slot.contains(&p) {
                    slot.push(p);
                }
            }
        }
    }
    Ok(errors)
}

/// One option of a select, checkbox list or radio group.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

/// What the create and edit templates show: values as typed (never the password) and the
/// choices with their state. The problems by field go beside it as `errors`.
#[derive(Debug, Serialize)]
pub struct FormView {
    pub email: String,
    pub name: String,
    pub role: String,
    pub roles: Vec<Choice>,
    pub sites: Vec<Choice>,
    pub hospitals: Vec<Choice>,
}

/// The values of a form, as typed or as stored.
pub struct Values<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub sites: Vec<String>,
    pub hospital_site_id: String,
}

impl<'a> Values<'a> {
    /// What was typed into the form.
    pub fn typed(form: &'a UserForm) -> Values<'a> {
        Values {
            email: form.email.trim(),
            name: &form.name,
            role: form.role.trim(),
            sites: form.sites.iter().map(|s| s.trim().to_string()).collect(),
            hospital_site_id: form.hospital_site_id.trim().to_string(),
        }
    }
}

/// Build the page data of a form from its values and the sites that exist.
pub fn view(values: Values<'_>, assignable: &[Site], hospitals: &[Site]) -> FormView {
    FormView {
        email: values.email.to_string(),
        name: values.name.to_string(),
        role: values.role.to_string(),
        roles: Role::ALL
            .iter()
            .map(|r| Choice { value: r.as_str().into(), label: r.label().into(), chosen: r.as_str() == values.role })
            .collect(),
        sites: assignable
            .iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: if s.kind == SiteKind::Warehouse.as_str() {
                    format!("{} (warehouse)", s.name)
                } else {
                    s.name.clone()
                },
                chosen: values.sites.contains(&s.id.to_string()),
            })
            .collect(),
        hospitals: hospitals
            .iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: s.name.clone(),
                chosen: values.hospital_site_id == s.id.to_string(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
