//! SMART on FHIR scopes for hospital systems (Backend Services): `system/<Type>.<perms>`
//! in SMART v2 form (`c r u d s` letters in that order, e.g. `system/Task.rs`) and v1 form
//! (`.read` = r s, `.write` = c u d, `.*` = all); which scopes a client is granted (those it
//! asks for that its registration covers); and whether a grant allows an interaction on a
//! resource type. A person's token carries no scopes and is limited by role alone.

use std::collections::BTreeSet;

/// The resource types of this server's FHIR face (and `*`).
pub const RESOURCES: &[&str] = &["ServiceRequest", "Task", "Patient", "RelatedPerson", "Procedure"];

/// What a request does with a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    Create,
    Read,
    Update,
    Delete,
    Search,
}

impl Interaction {
    fn letter(self) -> char {
        match self {
            Interaction::Create => 'c',
            Interaction::Read => 'r',
            Interaction::Update => 'u',
            Interaction::Delete => 'd',
            Interaction::Search => 's',
        }
    }
}

/// One parsed scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// A resource type of `RESOURCES`, or `*`.
    pub resource: String,
    /// Permission letters out of `cruds`.
    pub perms: BTreeSet<char>,
}

impl Scope {
    fn covers(&self, other: &Scope) -> bool {
        (self.resource == "*" || self.resource == other.resource) && other.perms.is_subset(&self.perms)
    }
}

/// Parse one `system/` scope; None for anything else (another context, an unknown type,
/// letters out of order or repeated, query-qualified scopes, which this server does not grant).
pub fn parse(scope: &str) -> Option<Scope> {
    let rest = scope.strip_prefix("system/")?;
    let (resource, perm) = rest.split_once('.')?;
    if resource != "*" && !RESOURCES.contains(&resource) {
        return None;
    }
    let perms: BTreeSet<char> = match perm {
        "read" => ['r', 's'].into(),
        "write" => ['c', 'u', 'd'].into(),
        "*" => "cruds".chars().collect(),
        letters => {
            // v2: a non-empty subsequence of "cruds", in order.
            let mut order = "cruds".chars();
            for l in letters.chars() {
                order.find(|c| *c == l)?;
            }
            if letters.is_empty() {
                return None;
            }
            letters.chars().collect()
        }
    };
    Some(Scope { resource: resource.to_string(), perms })
}

/// Every scope of a space-separated list parses (for a client's registration); else the
/// first that does not.
pub fn check_list(list: &str) -> Result<(), String> {
    let mut any = false;
    for s in list.split_whitespace() {
        parse(s).ok_or_else(|| s.to_string())?;
        any = true;
    }
    if any {
        Ok(())
    } else {
        Err(String::new())
    }
}

/// The scopes granted for a request: each asked-for scope the registration covers (others
/// are left out, as SMART allows); Err when none is granted.
pub fn grant(asked: &str, registered: &str) -> Result<String, String> {
    let allowed: Vec<Scope> = registered.split_whitespace().filter_map(parse).collect();
    let granted: Vec<&str> = asked
        .split_whitespace()
        .filter(|s| parse(s).is_some_and(|want| allowed.iter().any(|a| a.covers(&want))))
        .collect();
    if granted.is_empty() {
        Err(format!(
            "None of the scopes asked for ({}) is registered for this client; it may ask for: {registered}.",
            if asked.trim().is_empty() { "none" } else { asked.trim() }
        ))
    } else {
        Ok(granted.join(" "))
    }
}

/// Whether a grant (space-separated scopes) allows an interaction on a resource type.
pub fn allows(granted: &str, resource: &str, what: Interaction) -> bool {
    let want = Scope { resource: resource.to_string(), perms: [what.letter()].into() };
    granted.split_whitespace().filter_map(parse).any(|s| s.covers(&want))
}

/// The scope a refused request lacked, in v2 form (for the error a system reads).
pub fn needed(resource: &str, what: Interaction) -> String {
    format!("system/{resource}.{}", what.letter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_forms_parse_and_others_do_not() {
        assert_eq!(parse("system/Task.read").map(|s| s.perms), Some(['r', 's'].into()));
        assert_eq!(parse("system/Task.write").map(|s| s.perms), Some(['c', 'u', 'd'].into()));
        assert_eq!(parse("system/*.cruds").map(|s| s.perms.len()), Some(5));
        assert_eq!(parse("system/ServiceRequest.cr").map(|s| s.perms), Some(['c', 'r'].into()));
        for bad in [
            "patient/Task.read",
            "system/Task.rc",
            "system/Task.rr",
            "system/Task.",
            "system/Observation.read",
            "system/Task",
            "openid",
            "system/Task.rs?status=requested",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn grants_are_what_was_asked_and_registered() {
        let registered = "system/ServiceRequest.cruds system/Task.read system/Patient.rs";
        assert_eq!(grant("system/Task.rs system/Task.u", registered), Ok("system/Task.rs".into()));
        assert_eq!(
            grant("system/ServiceRequest.write system/Procedure.read", registered),
            Ok("system/ServiceRequest.write".into())
        );
        assert!(grant("system/Procedure.read", registered).is_err());
        assert!(grant("", registered).is_err());
        assert_eq!(grant("system/*.read", "system/*.cruds"), Ok("system/*.read".into()));
    }

    #[test]
    fn a_grant_allows_only_its_letters_and_types() {
        let g = "system/Task.rs system/ServiceRequest.c";
        assert!(allows(g, "Task", Interaction::Read));
        assert!(allows(g, "Task", Interaction::Search));
        assert!(!allows(g, "Task", Interaction::Update));
        assert!(allows(g, "ServiceRequest", Interaction::Create));
        assert!(!allows(g, "ServiceRequest", Interaction::Read));
        assert!(!allows(g, "Procedure", Interaction::Read));
        assert!(allows("system/*.read", "Procedure", Interaction::Search));
        assert_eq!(needed("Task", Interaction::Update), "system/Task.u");
        assert!(check_list("system/Task.rs system/*.read").is_ok());
        assert_eq!(check_list("system/Task.rs user/Task.read"), Err("user/Task.read".into()));
        assert_eq!(check_list(" "), Err(String::new()));
    }
}
