//! SMART Backend Services for hospital systems (issue 22): discovery at
//! `GET /fhir/r4/.well-known/smart-configuration` (and at the server's root) and the token endpoint
//! `POST /fhir/r4/auth/token` (`client_credentials` with a signed JWT assertion; answers
//! in OAuth's JSON, errors as `{"error", "error_description"}`). The rules live in
//! `store::fhir_clients` and `domain::smart`; this face parses the form and renders.

use crate::auth::guards::ClientAddr;
use crate::db::Db;
use crate::store::fhir_clients::{self, Refusal, TokenRequest};
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use rocket::{get, post, Request, State};
use serde_json::{json, Value};
use std::io::Cursor;

/// The path of the token endpoint, under the public address.
pub const TOKEN_PATH: &str = "/fhir/r4/auth/token";

/// This server's token endpoint as clients must name it (the assertion's `aud`).
pub fn token_url(public_url: &str) -> String {
    format!("{}{TOKEN_PATH}", public_url.trim_end_matches('/'))
}

/// The scopes this server grants, for discovery.
pub fn scopes_supported() -> Vec<String> {
    let mut out = Vec::new();
    for r in crate::domain::smart::RESOURCES.iter().chain(["*"].iter()) {
        for p in ["cruds", "rs", "read", "write"] {
            out.push(format!("system/{r}.{p}"));
        }
    }
    out
}

/// SMART's discovery document (no sign-in), under the FHIR base.
#[get("/.well-known/smart-configuration")]
pub fn configuration(mailer: &State<std::sync::Arc<crate::mail::Mailer>>) -> Json<Value> {
    Json(discovery(&mailer.public_url))
}

/// The same document at the server's root, where some clients look first.
#[get("/.well-known/smart-configuration", rank = 1)]
pub fn configuration_at_root(mailer: &State<std::sync::Arc<crate::mail::Mailer>>) -> Json<Value> {
    Json(discovery(&mailer.public_url))
}

/// The discovery document for a public address.
fn discovery(public_url: &str) -> Value {
    json!({
        "token_endpoint": token_url(public_url),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": scopes_supported(),
        "capabilities": ["client-confidential-asymmetric"],
    })
}

/// The token request's form fields.
#[derive(FromForm)]
pub struct TokenForm<'r> {
    grant_type: Option<&'r str>,
    scope: Option<&'r str>,
    client_assertion_type: Option<&'r str>,
    client_assertion: Option<&'r str>,
}

/// An OAuth answer: the token, or an error with `Cache-Control: no-store`.
pub struct OAuthAnswer(Status, Value);

impl<'r> Responder<'r, 'static> for OAuthAnswer {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let text = self.1.to_string();
        Ok(Response::build()
            .status(self.0)
            .header(ContentType::JSON)
            .header(Header::new("Cache-Control", "no-store"))
            .header(Header::new("Pragma", "no-cache"))
            .sized_body(text.len(), Cursor::new(text))
            .finalize())
    }
}

/// Trade a signed assertion for a five-minute bearer token.
#[post("/auth/token", data = "<form>")]
pub async fn token(
    db: &State<Db>,
    mailer: &State<std::sync::Arc<crate::mail::Mailer>>,
    addr: ClientAddr,
    form: Option<Form<TokenForm<'_>>>,
) -> Result<OAuthAnswer, super::outcome::FhirError> {
    let Some(form) = form else {
        return Ok(OAuthAnswer(
            Status::BadRequest,
            json!({"error": "invalid_request", "error_description": "Send the token request as a form (application/x-www-form-urlencoded)."}),
        ));
    };
    let url = token_url(&mailer.public_url);
    let req = TokenRequest {
        grant_type: form.grant_type,
        scope: form.scope,
        assertion_type: form.client_assertion_type,
        assertion: form.client_assertion,
        token_url: &url,
        ip: &addr.0,
    };
    match fhir_clients::exchange(db.inner(), req).await {
        Ok(g) => Ok(OAuthAnswer(
            Status::Ok,
            json!({"access_token": g.access_token, "token_type": "bearer", "expires_in": g.expires_in, "scope": g.scope}),
        )),
        Err(Refusal::OAuth { status, error, description }) => Ok(OAuthAnswer(
            Status::from_code(status).unwrap_or(Status::BadRequest),
            json!({"error": error, "error_description": description}),
        )),
        Err(Refusal::App(e)) => Err(e.into()),
    }
}
