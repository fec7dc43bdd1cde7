//! The JSON API under `/api` (and, later, the FHIR intake under `/fhir/r4`): routes,
//! and catchers that answer every error as JSON, never as an HTML page.

pub mod accounts;
pub mod answer;
pub mod body;
pub mod families;
pub mod fhir_clients;
pub mod handouts;
pub mod health;
pub mod messages;
pub mod openapi;
pub mod outcomes;
pub mod records;
pub mod reference;
pub mod referrals;
pub mod reports;
pub mod stock;

use crate::error::AppError;
use rocket::http::Status;
use rocket::{catch, catchers, routes, Catcher, Request, Route};

/// Routes mounted under `/api`.
pub fn routes() -> Vec<Route> {
    routes![
        openapi::openapi_json,
        accounts::create_token,
        accounts::revoke_current_token,
        accounts::change_password,
        accounts::me,
        fhir_clients::register,
        fhir_clients::list,
        fhir_clients::revoke,
        reference::neighborhoods,
        reference::crib_models,
        reference::sites,
        families::create,
        families::search,
        families::detail,
        families::check_in_here,
        records::correct_family,
        records::add_infant,
        records::correct_infant,
        records::history,
        records::merge,
        records::not_same,
        records::export_family,
        records::erase_family,
        families::check,
        families::preview,
        handouts::education,
        handouts::create,
        handouts::get,
        handouts::void,
        handouts::follow_ups_due,
        handouts::record_call,
        referrals::create,
        referrals::list,
        referrals::get,
        referrals::accept,
        referrals::decide_match,
        referrals::decline,
        referrals::cancel,
        messages::list,
        messages::retry,
        messages::of_family,
        messages::give_consent,
        messages::withdraw_consent,
        messages::my_notices,
        messages::set_notices,
        messages::move_hold,
        stock::receipt,
        stock::create_transfer,
        stock::receive_transfer,
        stock::cancel_transfer,
        stock::list_transfers,
        stock::adjustment,
        stock::count,
        stock::threshold,
        stock::movements,
        reports::distribution,
        reports::equity,
        outcomes::education,
        outcomes::eligibility,
        outcomes::referrals,
        outcomes::follow_ups,
        outcomes::stock,
        outcomes::safe_sleep,
    ]
}

/// Routes mounted at the root that belong to the API family (`/healthz`).
pub fn root_routes() -> Vec<Route> {
    routes![health::healthz]
}

#[catch(400)]
fn bad_request() -> AppError {
    AppError::BadRequest("The request could not be understood: check the body and the query parameters.".into())
}
#[catch(401)]
fn unauthorized() -> AppError {
    AppError::Unauthorized
}
#[catch(403)]
fn forbidden() -> AppError {
    AppError::Forbidden
}
#[catch(404)]
fn not_found() -> AppError {
    AppError::NotFound
}
#[catch(413)]
fn too_large() -> AppError {
    AppError::PayloadTooLarge
}
#[catch(422)]
fn unprocessable(req: &Request<'_>) -> AppError {
    AppError::validation(
        "request",
        format!("The request to {} has a value of the wrong kind or out of range.", req.uri().path()),
    )
}
#[catch(503)]
fn unavailable(req: &Request<'_>) -> AppError {
    if crate::auth::guards::database_down(req) {
        AppError::Unavailable
    } else {
        AppError::Busy
    }
}
#[catch(500)]
fn internal() -> AppError {
    AppError::Internal("unexpected".into())
}
#[catch(default)]
fn other(status: Status, _req: &Request<'_>) -> crate::api::answer::Answer {
    let code = if status.code >= 500 { "internal" } else { "bad_request" };
    crate::api::answer::Answer {
        status,
        body: serde_json::json!({"error": code, "message": format!("The request failed: {}.", status.reason_lossy())}),
    }
}

/// JSON catchers for `/api`.
pub fn catchers() -> Vec<Catcher> {
    catchers![bad_request, unauthorized, forbidden, not_found, too_large, unprocessable, unavailable, internal, other]
}
