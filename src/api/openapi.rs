//! The OpenAPI 3 document of every `/api` and `/fhir` operation, generated from the
//! handlers' `#[utoipa::path]` attributes, served at `GET /api/openapi.json`, and the
//! Swagger UI that reads it at `/api/docs` (assets vendored into the binary: no download).

use rocket::get;
use rocket::serde::json::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The error body every `/api` error has.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `validation_failed`.
    pub error: String,
    /// A sentence for a person.
    pub message: String,
    /// The fields at fault, each with its problems.
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "cribs", description = "Free portable-crib program: stock, eligibility, education, handouts, referrals, reports."),
    paths(
        crate::api::health::healthz,
        crate::api::accounts::create_token,
        crate::api::accounts::revoke_current_token,
        crate::api::accounts::change_password,
        crate::api::accounts::me,
        crate::api::fhir_clients::register,
        crate::api::fhir_clients::list,
        crate::api::fhir_clients::revoke,
        crate::api::reference::neighborhoods,
        crate::api::reference::crib_models,
        crate::api::reference::sites,
        crate::api::families::create,
        crate::api::families::search,
        crate::api::families::detail,
        crate::api::families::check_in_here,
        crate::api::records::correct_family,
        crate::api::records::add_infant,
        crate::api::records::correct_infant,
        crate::api::records::history,
        crate::api::records::merge,
        crate::api::records::not_same,
        crate::api::records::export_family,
        crate::api::records::erase_family,
        crate::api::families::check,
        crate::api::families::preview,
        crate::api::handouts::education,
        crate::api::handouts::create,
        crate::api::handouts::get,
        crate::api::handouts::void,
        crate::api::handouts::follow_ups_due,
        crate::api::handouts::record_call,
        crate::api::referrals::create,
        crate::api::referrals::list,
        crate::api::referrals::get,
        crate::api::referrals::accept,
        crate::api::referrals::decide_match,
        crate::api::referrals::decline,
        crate::api::referrals::cancel,
        crate::api::messages::move_hold,
        crate::api::messages::list,
        crate::api::messages::retry,
        crate::api::messages::of_family,
        crate::api::messages::give_consent,
        crate::api::messages::withdraw_consent,
        crate::api::messages::my_notices,
        crate::api::messages::set_notices,
        crate::fhir::service_request::create,
        crate::fhir::service_request::read,
        crate::api::stock::receipt,
        crate::api::stock::create_transfer,
        crate::api::stock::receive_transfer,
        crate::api::stock::cancel_transfer,
        crate::api::stock::list_transfers,
        crate::api::stock::adjustment,
        crate::api::stock::count,
        crate::api::stock::threshold,
        crate::api::stock::movements,
        crate::api::reports::distribution,
        crate::api::reports::equity,
        crate::api::outcomes::education,
        crate::api::outcomes::eligibility,
        crate::api::outcomes::referrals,
        crate::api::outcomes::follow_ups,
        crate::api::outcomes::stock,
        crate::api::outcomes::safe_sleep,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The OpenAPI document.
#[get("/openapi.json")]
pub fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Swagger UI at `/api/docs/`, reading the document served by `openapi_json` (mounted at `/`).
pub fn swagger_ui() -> Vec<rocket::Route> {
    utoipa_swagger_ui::SwaggerUi::new("/api/docs/<_..>")
        .config(utoipa_swagger_ui::Config::from("/api/openapi.json"))
        .into()
}
