//! `GET /fhir/r4/metadata` (issue 22): the CapabilityStatement every FHIR server serves,
//! built from the routes this face mounts (`super::routes`), so it lists exactly the
//! interactions and search parameters served and cannot drift from them. What it does not
//! claim: versioning, conditional create, the SDOH Clinical Care Referral Recipient capability
//! and SMART (the next steps); the bearer token comes from `POST /api/v1/tokens`.

use super::outcome::FhirAnswer;
use rocket::http::{Method, Status};
use rocket::{get, Route};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The interaction a route serves, by its method and whether its path names an id.
fn interaction(method: Method, with_id: bool) -> Option<&'static str> {
    match (method, with_id) {
        (Method::Get, true) => Some("read"),
        (Method::Get, false) => Some("search-type"),
        (Method::Post, false) => Some("create"),
        (Method::Put, true) => Some("update"),
        (Method::Delete, true) => Some("delete"),
        (Method::Patch, true) => Some("patch"),
        _ => None,
    }
}

/// A resource type's interactions and search parameters, as its routes serve them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Served {
    pub interactions: Vec<&'static str>,
    /// The search route's query parameters (result parameters such as `_count` left out).
    pub search_params: Vec<String>,
}

/// Each resource type with what its routes serve (the `unsupported_*` answers and
/// `metadata` itself are not interactions).
pub fn resources(routes: &[Route]) -> BTreeMap<String, Served> {
    let mut out: BTreeMap<String, Served> = BTreeMap::new();
    for r in routes {
        if r.name.as_deref().is_some_and(|n| n.starts_with("unsupported") || n == "metadata") {
            continue;
        }
        let path = r.uri.path().to_string();
        let mut parts = path.trim_start_matches('/').split('/');
        let Some(kind) = parts.next().filter(|k| k.chars().next().is_some_and(|c| c.is_ascii_uppercase())) else {
            continue;
        };
        let with_id = parts.next().is_some();
        if let Some(i) = interaction(r.method, with_id) {
            let served = out.entry(kind.to_string()).or_default();
            if !served.interactions.contains(&i) {
                served.interactions.push(i);
            }
            if i == "search-type" {
                let query = r.uri.query().map(|q| q.to_string()).unwrap_or_default();
                for name in query.split('&').map(|p| p.trim_matches(|c| c == '<' || c == '>')) {
                    if !name.is_empty() && !name.starts_with('_') && !served.search_params.iter().any(|n| n == name) {
                        served.search_params.push(name.to_string());
                    }
                }
            }
        }
    }
    out
}

/// The CapabilityStatement for these routes, dated `today`.
pub fn capability_statement(routes: &[Route], today: chrono::NaiveDate) -> Value {
    let resources: Vec<Value> = resources(routes)
        .into_iter()
        .map(|(kind, served)| {
            let mut r = json!({
                "type": kind,
                "interaction": served.interactions.iter().map(|i| json!({"code": i})).collect::<Vec<_>>(),
                "versioning": "no-version",
                "readHistory": false,
                "updateCreate": false,
                "conditionalCreate": false,
            });
            if !served.search_params.is_empty() {
                r["searchParam"] =
                    json!(served.search_params.iter().map(|n| json!({"name": n, "type": "token"})).collect::<Vec<_>>());
            }
            r
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": today.to_string(),
        "publisher": "cribs",
        "kind": "instance",
        "software": {"name": "cribs", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {
            "description": "A city's free portable-crib program: hospital requests for a crib (ServiceRequest) from discharge nurses"
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Requests for a crib for a baby going home from hospital. JSON only.",
            "security": {
                "cors": false,
                "description": "A bearer token: POST /api/v1/tokens with a nurse's e-mail and password (12 hours). A request is read by the nurses of its hospital and the program's managers."
            },
            "resource": resources,
        }],
    })
}

/// The CapabilityStatement (no sign-in).
#[get("/metadata")]
pub fn metadata(_json: super::JsonOnly) -> FhirAnswer {
    FhirAnswer {
        status: Status::Ok,
        body: capability_statement(&super::routes(), crate::clock::today()),
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_lists_what_the_routes_serve_and_nothing_else() {
        let r = resources(&super::super::routes());
        let sr = r.get("ServiceRequest").expect("ServiceRequest");
        assert_eq!(sr.interactions, vec!["create", "read"], "{r:?}");
        let task = r.get("Task").expect("Task");
        assert_eq!(task.interactions, vec!["read", "search-type"], "{r:?}");
        assert_eq!(task.search_params, vec!["identifier".to_string(), "status".to_string()], "{r:?}");
        assert_eq!(r.len(), 2, "{r:?}");
    }
}
