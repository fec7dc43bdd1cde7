//! The FHIR R4 face of hospital requests under `/fhir/r4`: a ServiceRequest becomes a
//! referral, a referral reads back as a ServiceRequest, and every error is an
//! `OperationOutcome` with the right status.

pub mod outcome;
pub mod service_request;

use rocket::{catch, catchers, routes, Catcher, Route};

/// Routes mounted under `/fhir/r4`.
pub fn routes() -> Vec<Route> {
    routes![service_request::create, service_request::read]
}

#[catch(400)]
fn bad_request() -> outcome::FhirError {
    outcome::FhirError::structure("The request could not be read as a FHIR resource.")
}
#[catch(401)]
fn unauthorized() -> outcome::FhirError {
    outcome::FhirError::from(crate::error::AppError::Unauthorized)
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
fn unavailable() -> outcome::FhirError {
    crate::error::AppError::Busy.into()
}
#[catch(500)]
fn internal() -> outcome::FhirError {
    outcome::FhirError::from(crate::error::AppError::Internal("unexpected".into()))
}

/// OperationOutcome catchers for `/fhir`.
pub fn catchers() -> Vec<Catcher> {
    catchers![bad_request, unauthorized, forbidden, not_found, too_large, unprocessable, unavailable, internal]
}
