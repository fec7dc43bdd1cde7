//! Roles and what each may see: the scope rules of API.md in one place.

use serde::Serialize;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    ProgramManager,
    SiteStaff,
    Nurse,
}

impl Role {
    /// Parse a stored or submitted role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "program_manager" => Some(Role::ProgramManager),
            "site_staff" => Some(Role::SiteStaff),
            "nurse" => Some(Role::Nurse),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProgramManager => "program_manager",
            Role::SiteStaff => "site_staff",
            Role::Nurse => "nurse",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::ProgramManager => "Program manager",
            Role::SiteStaff => "Site staff",
            Role::Nurse => "Discharge nurse",
        }
    }

    /// Managers and admins see everything.
    pub fn sees_everything(self) -> bool {
        matches!(self, Role::Admin | Role::ProgramManager)
    }

    /// Every role name, for forms.
    pub const ALL: [Role; 4] = [Role::Admin, Role::ProgramManager, Role::SiteStaff, Role::Nurse];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
