//! The signed-in person, as pure data: who they are, their role, the sites they work at or
//! the hospital they work for, and the scope rules that follow from those. Every face (the
//! pages, the JSON API, FHIR) gets an `Actor` from its request guard (`auth::guards`, which
//! asks `store::actors` for it) and hands it to `store`; no rule about who may do what is
//! written anywhere else. A later program dimension (several programs in one deployment)
//! is one more field here.

use crate::domain::role::Role;

/// Who is making a request, with what role and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id.
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Sites the user belongs to (site staff), in the order they were given.
    pub site_ids: Vec<i64>,
    /// The hospital a nurse works for.
    pub hospital_site_id: Option<i64>,
    /// A hospital system's token: the SMART scopes it was granted (`domain::smart`); such a
    /// caller is served on the FHIR face only. None for a person.
    pub scopes: Option<String>,
}

impl Actor {
    /// A hospital's system (SMART Backend Services), not a person.
    pub fn is_system(&self) -> bool {
        self.scopes.is_some()
    }

    /// Managers and admins: they see and act everywhere.
    pub fn is_manager(&self) -> bool {
        self.role.sees_everything()
    }

    /// Administrators: they manage accounts.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// May this person act for (hand out at, count stock at, receive at) this site?
    pub fn can_act_at(&self, site_id: i64) -> bool {
        self.is_manager() || (self.role == Role::SiteStaff && self.site_ids.contains(&site_id))
    }

    /// The nurse's hospital, if a nurse.
    pub fn hospital_id(&self) -> Option<i64> {
        if self.role == Role::Nurse {
            self.hospital_site_id
        } else {
            None
        }
    }

    /// Site staff, managers and admins work with families at the door (register, search,
    /// check, educate, hand out, call); nurses only through their hospital's requests.
    pub fn works_with_families(&self) -> bool {
        self.role != Role::Nurse
    }

    /// Nurses request cribs for families before discharge.
    pub fn may_request_cribs(&self) -> bool {
        self.role == Role::Nurse && self.hospital_site_id.is_some()
    }

    /// The site a staff member acts for by default (their first site); none for others.
    pub fn home_site(&self) -> Option<i64> {
        self.site_ids.first().copied()
    }

    /// The sites whose lists this person sees: `None` for everywhere (managers), else theirs.
    pub fn site_scope(&self) -> Option<&[i64]> {
        if self.is_manager() {
            None
        } else {
            Some(&self.site_ids)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, sites: &[i64], hospital: Option<i64>) -> Actor {
        Actor {
            id: 1,
            email: "a@example.org".into(),
            display_name: "A".into(),
            role,
            site_ids: sites.to_vec(),
            hospital_site_id: hospital,
            scopes: None,
        }
    }

    #[test]
    fn staff_act_only_at_their_sites_and_managers_everywhere() {
        let staff = actor(Role::SiteStaff, &[3, 7], None);
        assert!(staff.can_act_at(3) && staff.can_act_at(7) && !staff.can_act_at(4));
        assert_eq!(staff.home_site(), Some(3));
        assert_eq!(staff.site_scope(), Some(&[3, 7][..]));
        let manager = actor(Role::ProgramManager, &[], None);
        assert!(manager.can_act_at(4) && manager.is_manager() && !manager.is_admin());
        assert_eq!(manager.site_scope(), None);
        assert!(actor(Role::Admin, &[], None).is_admin());
    }

    #[test]
    fn nurses_work_through_their_hospital_only() {
        let nurse = actor(Role::Nurse, &[3], Some(9));
        assert!(!nurse.can_act_at(3), "a nurse never acts at a site, even one listed");
        assert!(!nurse.works_with_families());
        assert!(nurse.may_request_cribs());
        assert_eq!(nurse.hospital_id(), Some(9));
        assert!(!actor(Role::Nurse, &[], None).may_request_cribs(), "a nurse with no hospital cannot request");
        let staff = actor(Role::SiteStaff, &[3], Some(9));
        assert_eq!(staff.hospital_id(), None, "only a nurse has a hospital");
        assert!(staff.works_with_families() && !staff.may_request_cribs());
    }
}
