//! FHIR errors as `OperationOutcome` resources, and the `application/fhir+json` responder.

use crate::error::AppError;
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde_json::{json, Value};
use std::io::Cursor;

/// The FHIR JSON media type.
pub fn fhir_json() -> ContentType {
    ContentType::new("application", "fhir+json")
}

/// A FHIR resource answer, with an optional Location and more headers (`ETag`,
/// `Last-Modified`).
pub struct FhirAnswer {
    pub status: Status,
    pub body: Value,
    pub location: Option<String>,
    pub headers: Vec<Header<'static>>,
}

impl FhirAnswer {
    /// 200 with a body.
    pub fn ok(body: Value) -> FhirAnswer {
        FhirAnswer { status: Status::Ok, body, location: None, headers: Vec::new() }
    }

    /// A resource of a request: `ETag` and `Last-Modified` from its version.
    pub fn versioned(status: Status, body: Value, r: &crate::entity::referral::Model) -> FhirAnswer {
        let modified = r.updated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        FhirAnswer {
            status,
            body,
            location: None,
            headers: vec![Header::new("ETag", super::resources::etag(r)), Header::new("Last-Modified", modified)],
        }
    }
}

impl<'r> Responder<'r, 'static> for FhirAnswer {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let text = self.body.to_string();
        let mut b = Response::build();
        b.status(self.status).header(fhir_json()).sized_body(text.len(), Cursor::new(text));
        if let Some(l) = self.location {
            b.header(Header::new("Location", l));
        }
        for h in self.headers {
            b.header(h);
        }
        Ok(b.finalize())
    }
}

/// An error answered as an OperationOutcome.
#[derive(Debug)]
pub struct FhirError {
    pub status: Status,
    pub issues: Vec<Value>,
}

impl FhirError {
    /// A structural problem (400, code `structure`).
    pub fn structure(msg: &str) -> FhirError {
        FhirError { status: Status::BadRequest, issues: vec![issue("structure", msg, None)] }
    }
    /// A required element is missing (400, code `required`).
    pub fn required(path: &str, msg: &str) -> FhirError {
        FhirError { status: Status::BadRequest, issues: vec![issue("required", msg, Some(path))] }
    }
    /// An element has a bad value (422, code `value`).
    pub fn value(path: &str, msg: &str) -> FhirError {
        FhirError { status: Status::UnprocessableEntity, issues: vec![issue("value", msg, Some(path))] }
    }
    /// A state conflict (409, code `conflict`).
    pub fn conflict(msg: &str) -> FhirError {
        FhirError { status: Status::Conflict, issues: vec![issue("conflict", msg, None)] }
    }
    /// A failed precondition (412: `If-Match`, `If-None-Exist`).
    pub fn precondition(msg: &str) -> FhirError {
        FhirError { status: Status::PreconditionFailed, issues: vec![issue("conflict", msg, None)] }
    }
    /// The OperationOutcome resource.
    pub fn outcome(&self) -> Value {
        json!({"resourceType": "OperationOutcome", "issue": self.issues})
    }
}

fn issue(code: &str, diagnostics: &str, expression: Option<&str>) -> Value {
    let mut i = json!({"severity": "error", "code": code, "diagnostics": diagnostics});
    if let Some(e) = expression {
        i["expression"] = json!([e]);
    }
    i
}

impl From<AppError> for FhirError {
    fn from(e: AppError) -> Self {
        let code = match &e {
            AppError::Unauthorized => "login",
            AppError::Forbidden | AppError::ForbiddenBecause(_) => "forbidden",
            AppError::NotFound => "not-found",
            AppError::PayloadTooLarge => "too-costly",
            AppError::BadRequest(_) => "structure",
            AppError::Validation(_) => "value",
            AppError::Conflict(_)
            | AppError::IdempotencyConflict
            | AppError::OutOfStock(_)
            | AppError::AlreadyReceived(_)
            | AppError::PossibleSameBaby(_)
            | AppError::PossibleDuplicates(_)
            | AppError::Stale(_) => "conflict",
            AppError::Kept { .. } => "processing",
            AppError::TooManyRequests => "throttled",
            AppError::Busy | AppError::ReceiptTaken | AppError::Unavailable => "transient",
            AppError::Internal(_) => "exception",
            AppError::DiskFull => "no-store",
            AppError::EducationRequired(_) | AppError::Ineligible { .. } => "business-rule",
        };
        let issues = match e.fields() {
            Some(fields) => {
                fields.iter().flat_map(|(f, msgs)| msgs.iter().map(move |m| issue(code, m, Some(f)))).collect()
            }
            None => vec![issue(code, &e.message(), None)],
        };
        FhirError { status: e.status(), issues }
    }
}

impl<'r> Responder<'r, 'static> for FhirError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        FhirAnswer { status: self.status, body: self.outcome(), location: None, headers: Vec::new() }.respond_to(req)
    }
}

/// An OperationOutcome with one more header (`WWW-Authenticate` on 401, `Allow` on 405).
pub struct WithHeader(pub FhirError, pub Header<'static>);

impl<'r> Responder<'r, 'static> for WithHeader {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut response = self.0.respond_to(req)?;
        response.set_header(self.1);
        Ok(response)
    }
}
