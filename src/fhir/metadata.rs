//! `GET /fhir/r4/metadata` (issue 22): the CapabilityStatement every FHIR server serves,
//! built from the routes this face mounts (`super::routes`) and the search parameters the
//! searches take (`super::search::PARAMS`), so it lists exactly what is served and cannot
//! drift from it: interactions (`vread` of the current version only; `update` of a Task,
//! to cancel), conditional create of a ServiceRequest, the system's `transaction`, SMART
//! Backend Services' token endpoint (`oauth-uris`), and that it instantiates the SDOH
//! Clinical Care Referral Recipient capability.

use super::outcome::FhirAnswer;
use rocket::http::Method;
use rocket::{get, Route};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The interaction a route serves, by its method and whether its path names an id.
fn interaction(method: Method, with_id: bool, history: bool) -> Option<&'static str> {
    if history {
        return (method == Method::Get).then_some("vread");
    }
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
    /// The search parameters (name, type) its search takes.
    pub search_params: Vec<(&'static str, &'static str)>,
}

/// The canonical URL of the SDOH Clinical Care Referral Recipient capability.
pub const REFERRAL_RECIPIENT: &str =
    "http://hl7.org/fhir/us/sdoh-clinicalcare/CapabilityStatement/SDOHCC-ReferralRecipient";

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
        let history = path.contains("/_history/");
        if let Some(i) = interaction(r.method, with_id, history) {
            let served = out.entry(kind.to_string()).or_default();
            if !served.interactions.contains(&i) {
                served.interactions.push(i);
            }
            if i == "search-type" {
                let params =
                    super::search::PARAMS.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p).unwrap_or_default();
                served.search_params = params.to_vec();
            }
        }
    }
    out
}

/// Whether the routes take a transaction Bundle at the base.
fn takes_transactions(routes: &[Route]) -> bool {
    routes.iter().any(|r| r.method == Method::Post && r.uri.path() == "/")
}

/// The CapabilityStatement for these routes, dated `today`, naming the token endpoint.
pub fn capability_statement(routes: &[Route], today: chrono::NaiveDate, token_url: &str) -> Value {
    let resources: Vec<Value> = resources(routes)
        .into_iter()
        .map(|(kind, served)| {
            let mut r = json!({
                "type": kind,
                "interaction": served.interactions.iter().map(|i| json!({"code": i})).collect::<Vec<_>>(),
                "versioning": "versioned",
                "readHistory": false,
                "updateCreate": false,
                "conditionalCreate": kind == "ServiceRequest" && served.interactions.contains(&"create"),
            });
            if !served.search_params.is_empty() {
                r["searchParam"] =
                    json!(served.search_params.iter().map(|(n, t)| json!({"name": n, "type": t})).collect::<Vec<_>>());
            }
            if kind == "Task" {
                r["searchInclude"] = json!(["Task:focus", "Task:output", "Task:patient"]);
            }
            if kind == "ServiceRequest" {
                r["searchInclude"] = json!(["ServiceRequest:subject"]);
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
        "instantiates": [REFERRAL_RECIPIENT],
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Requests for a crib for a baby going home from hospital. JSON only.",
            "security": {
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [{"url": "token", "valueUri": token_url}]
                }],
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"
                }]}],
                "cors": false,
                "description": "A hospital's system: SMART Backend Services (client_credentials with an RS384 or ES384 signed assertion; register the system's public keys with the program's administrator; five-minute tokens with system/ scopes). A nurse: a bearer token from POST /api/v1/tokens. Either sees its own hospital's requests."
            },
            "resource": resources,
            "interaction": if takes_transactions(routes) { json!([{"code": "transaction"}]) } else { json!([]) },
        }],
    })
}

/// The CapabilityStatement (no sign-in).
#[get("/metadata")]
pub fn metadata(_json: super::JsonOnly, mailer: &rocket::State<std::sync::Arc<crate::mail::Mailer>>) -> FhirAnswer {
    let token = super::smart::token_url(&mailer.public_url);
    FhirAnswer::ok(capability_statement(&super::routes(), crate::clock::today(), &token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_lists_what_the_routes_serve_and_nothing_else() {
        let r = resources(&super::super::routes());
        let sr = r.get("ServiceRequest").expect("ServiceRequest");
        assert_eq!(sr.interactions, vec!["create", "read", "vread", "search-type"], "{r:?}");
        let task = r.get("Task").expect("Task");
        assert_eq!(task.interactions, vec!["read", "vread", "search-type", "update"], "{r:?}");
        assert!(task.search_params.iter().any(|(n, _)| *n == "_lastUpdated"), "{r:?}");
        assert_eq!(r.get("Procedure").map(|p| p.interactions.clone()), Some(vec!["read", "search-type"]));
        let kinds: Vec<&String> = r.keys().collect();
        assert_eq!(kinds, ["Patient", "Procedure", "RelatedPerson", "ServiceRequest", "Task"], "{r:?}");
        let cs = capability_statement(&super::super::routes(), chrono::NaiveDate::MIN, "https://x/fhir/r4/auth/token");
        assert_eq!(cs["rest"][0]["interaction"][0]["code"], "transaction");
        assert_eq!(cs["instantiates"][0], REFERRAL_RECIPIENT);
    }
}
