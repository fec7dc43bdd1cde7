//! The FHIR R4 face of hospital requests under `/fhir/r4`: a ServiceRequest becomes a
//! referral, a referral reads back as a ServiceRequest and its Task says what became of
//! it (`task`, searchable for polling), the CapabilityStatement says so
//! (`metadata`), and every error is an `OperationOutcome` with the right status — 401 with
//! `WWW-Authenticate`, 405 with `Allow` for a method this face does not serve, 406 and 415
//! for XML (JSON only).

pub mod bundle;
pub mod intake;
pub mod metadata;
pub mod outcome;
pub mod reads;
pub mod resources;
pub mod search;
pub mod service_request;
pub mod smart;
pub mod task;

use rocket::http::{Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::{catch, catchers, delete, patch, put, routes, Catcher, Route};

/// Routes mounted under `/fhir/r4`.
pub fn routes() -> Vec<Route> {
    routes![
        bundle::transaction,
        service_request::create,
        service_request::read,
        service_request::vread,
        service_request::search,
        task::read,
        task::vread,
        task::search,
        task::update,
        reads::patient,
        reads::related_person,
        reads::procedure,
        reads::procedure_search,
        metadata::metadata,
        smart::configuration,
        smart::token,
        unsupported_put,
        unsupported_delete,
        unsupported_patch
    ]
}

/// The methods each path serves, for `Allow`: the base takes a transaction Bundle, a Task
/// by id is read and updated, any other resource by id and the CapabilityStatement are
/// read, a ServiceRequest is created or searched, other types are searched.
fn allowed(path: &std::path::Path) -> &'static str {
    let mut parts = path.iter().filter_map(|p| p.to_str());
    match (parts.next(), parts.next()) {
        (None, _) => "POST",
        (Some("Task"), Some(_)) => "GET, PUT",
        (Some("metadata"), _) | (_, Some(_)) => "GET",
        (Some("ServiceRequest"), None) => "GET, POST",
        _ => "GET",
    }
}

/// 405 for a method this face does not serve, with `Allow`.
fn method_not_allowed(method: &str, path: std::path::PathBuf) -> outcome::WithHeader {
    let allow = allowed(&path);
    let err = outcome::FhirError {
        status: Status::MethodNotAllowed,
        issues: vec![json_issue(
            "not-supported",
            &format!("{method} is not supported here (this address takes {allow}); see the CapabilityStatement at /fhir/r4/metadata."),
        )],
    };
    outcome::WithHeader(err, Header::new("Allow", allow))
}

/// A hospital system may do this only if its token was granted the scope (people pass by
/// their role, checked by the store).
pub fn require(
    who: &crate::domain::actor::Actor,
    resource: &str,
    what: crate::domain::smart::Interaction,
) -> Result<(), outcome::FhirError> {
    if crate::store::fhir_clients::scope_allows(who, resource, what) {
        return Ok(());
    }
    Err(outcome::FhirError {
        status: Status::Forbidden,
        issues: vec![json_issue(
            "forbidden",
            &format!(
                "This token was not granted {}: ask for it when requesting the token (and have it registered).",
                crate::domain::smart::needed(resource, what)
            ),
        )],
    })
}

fn json_issue(code: &str, diagnostics: &str) -> serde_json::Value {
    serde_json::json!({"severity": "error", "code": code, "diagnostics": diagnostics})
}

#[put("/<path..>", rank = 20)]
fn unsupported_put(path: std::path::PathBuf) -> outcome::WithHeader {
    method_not_allowed("PUT", path)
}
#[delete("/<path..>", rank = 20)]
fn unsupported_delete(path: std::path::PathBuf) -> outcome::WithHeader {
    method_not_allowed("DELETE", path)
}
#[patch("/<path..>", rank = 20)]
fn unsupported_patch(path: std::path::PathBuf) -> outcome::WithHeader {
    method_not_allowed("PATCH", path)
}

/// The request's query string as sent (for a search's `self` and `next` links).
pub struct RawQuery(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RawQuery {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        request::Outcome::Success(RawQuery(req.uri().query().map(|q| q.as_str().to_string())))
    }
}

/// JSON only: a request asking for XML (and not JSON) answers 406; a body sent as XML, 415.
pub struct JsonOnly;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for JsonOnly {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let xml = |s: &str| s.contains("xml");
        let json = |s: &str| s.contains("json") || s.contains("*/*");
        if let Some(ct) = req.headers().get_one("Content-Type") {
            if xml(ct) {
                return request::Outcome::Error((Status::UnsupportedMediaType, ()));
            }
        }
        if let Some(accept) = req.headers().get_one("Accept") {
            if xml(accept) && !json(accept) {
                return request::Outcome::Error((Status::NotAcceptable, ()));
            }
        }
        request::Outcome::Success(JsonOnly)
    }
}

#[catch(400)]
fn bad_request() -> outcome::FhirError {
    outcome::FhirError::structure("The request could not be read as a FHIR resource.")
}
#[catch(401)]
fn unauthorized() -> outcome::WithHeader {
    let err = outcome::FhirError::from(crate::error::AppError::Unauthorized);
    outcome::WithHeader(err, Header::new("WWW-Authenticate", "Bearer realm=\"cribs\""))
}
#[catch(406)]
fn not_acceptable() -> outcome::FhirError {
    outcome::FhirError {
        status: Status::NotAcceptable,
        issues: vec![json_issue("not-supported", "This server answers in JSON only (application/fhir+json).")],
    }
}
#[catch(415)]
fn unsupported_media() -> outcome::FhirError {
    outcome::FhirError {
        status: Status::UnsupportedMediaType,
        issues: vec![json_issue("not-supported", "Send resources as JSON (application/fhir+json); XML is not read.")],
    }
}
#[catch(403)]
fn forbidden() -> outcome::FhirError {
    outcome::FhirError::from(crate::error::AppError::Forbidden)
}
#[catch(404)]
fn not_found() -> outcome::FhirError {
    outcome::FhirError::from(crate::error::AppError::NotFound)
}
#[catch(413)]
fn too_large() -> outcome::FhirError {
    outcome::FhirError::from(crate::error::AppError::PayloadTooLarge)
}
#[catch(422)]
fn unprocessable() -> outcome::FhirError {
    outcome::FhirError::structure("A value in the request has the wrong type or is out of range.")
}
#[catch(503)]
fn unavailable(req: &rocket::Request<'_>) -> outcome::FhirError {
    if crate::auth::guards::database_down(req) {
        crate::error::AppError::Unavailable.into()
    } else {
        crate::error::AppError::Busy.into()
    }
}
#[catch(500)]
fn internal() -> outcome::FhirError {
    outcome::FhirError::from(crate::error::AppError::Internal("unexpected".into()))
}

/// OperationOutcome catchers for `/fhir`.
pub fn catchers() -> Vec<Catcher> {
    catchers![
        bad_request,
        unauthorized,
        forbidden,
        not_found,
        not_acceptable,
        too_large,
        unsupported_media,
        unprocessable,
        unavailable,
        internal
    ]
}
