//! One error type for the whole app, `AppError`, and its responders: JSON
//! (`{"error","message","fields"}`) for `/api`, an HTML error page for the staff pages.
//!
//! Which helper to use where: input a person typed wrong → `AppError::validation(field, msg)`
//! or `AppError::Validation(fields)`; a record that does not exist *or is out of the caller's
//! scope* → `AppError::NotFound`; a role that may never do this → `AppError::Forbidden`;
//! a database error → `?` (it is logged and shown as a generic 500).

use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use sea_orm::DbErr;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Cursor;

/// Field name → the problems with it, each a sentence a person can act on.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Every way a request can fail. Each variant documents its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 `bad_request`: the body is not JSON or not parseable.
    #[error("{0}")]
    BadRequest(String),
    /// 401 `unauthorized`: no or bad credentials.
    #[error("Sign in first: the credentials were missing, wrong or expired.")]
    Unauthorized,
    /// 403 `forbidden`: signed in, but this role may not do this.
    #[error("Your role may not do this.")]
    Forbidden,
    /// 403 `forbidden`, saying what must happen first (a second factor to set up, a
    /// password to change).
    #[error("{0}")]
    ForbiddenBecause(String),
    /// 404 `not_found`: no such thing, or it is outside the caller's scope.
    #[error("Not found.")]
    NotFound,
    /// 409 `out_of_stock`.
    #[error("{0}")]
    OutOfStock(String),
    /// 409 `already_received`.
    #[error("{0}")]
    AlreadyReceived(String),
    /// 409 `possible_same_baby`: a baby on another family record may be this one
    /// (`store::infant_matches`): staff say they differ, or a manager merges the records.
    #[error("{0}")]
    PossibleSameBaby(String),
    /// 409 `idempotency_conflict`.
    #[error("This Idempotency-Key was already used with a different request body.")]
    IdempotencyConflict,
    /// 409 `conflict`: any other state conflict.
    #[error("{0}")]
    Conflict(String),
    /// 409 `conflict` with `duplicates`: a new family looks like one already registered
    /// (`store::families::register`); sent again as confirmed, it is registered.
    #[error("This family may already be registered. Check the possible duplicates; to register a different family, send again with confirm_not_duplicate: true.")]
    PossibleDuplicates(Value),
    /// 412 `precondition_failed`: the caller's `If-Match` names a version that is not the
    /// current one (someone changed it since it was read).
    #[error("{0}")]
    Stale(String),
    /// 413 `payload_too_large`.
    #[error("The request body is too large (the limit is 64 KiB).")]
    PayloadTooLarge,
    /// 422 `validation_failed`, with the fields at fault.
    #[error("Some fields need attention.")]
    Validation(FieldErrors),
    /// 422 `education_required`.
    #[error("{0}")]
    EducationRequired(String),
    /// 422 `ineligible`, carrying the failed rules.
    #[error("{message}")]
    Ineligible { message: String, rules: Value },
    /// 429 `too_many_requests`.
    #[error("Too many failed sign-in attempts from this address. Wait 15 minutes (longer after repeated failures) and try again.")]
    TooManyRequests,
    /// 503 `busy`: no database connection came free in time (a queue at the door).
    #[error("The server is busy right now. Nothing was changed; try again in a few seconds.")]
    Busy,
    /// 503 `database_unavailable`: the database is not answering (stopped, restarting, the
    /// network to it down); nothing was changed, and the same request may be sent again.
    #[error("The database is not answering right now. Nothing was changed; try again in a moment.")]
    Unavailable,
    /// 507 `disk_full`: the database's disk is full; nothing was changed (the write was
    /// rolled back whole), reads still work, and the same request works again once the
    /// operator frees space.
    #[error("The server could not write to its disk (it is full, or failing), so nothing was saved and nothing was changed. Reading still works. Tell the program's IT person; then send it again.")]
    DiskFull,
    /// 503 `busy` should it ever reach a caller: the handout's random receipt number was
    /// already taken, so nothing was written; `api::handouts::run_handout` tries again with
    /// a new number before answering.
    #[error("The server is busy right now. Nothing was changed; try again in a few seconds.")]
    ReceiptTaken,
    /// 500 `internal`: details only in the server log.
    #[error("Something went wrong on our side. The details are in the server log.")]
    Internal(String),
    /// A refusal kept for an `Idempotency-Key` and given again: answered exactly as it was
    /// first answered (`store::write`), status and body.
    #[error("{}", kept_message(body))]
    Kept { status: u16, body: Value },
}

fn kept_message(body: &Value) -> String {
    body.get("message").and_then(Value::as_str).unwrap_or("This request was refused before.").to_string()
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        // NOTE: every connection busy for the whole acquire timeout, or SQLite's write lock
        // held past its busy timeout, is load, not a fault: the request changed nothing and
        // can be sent again (writes are idempotent by key).
        if crate::store::constraints::is_disk_full(&e) {
            tracing::error!("the database's disk is full: {e}");
            return AppError::DiskFull;
        }
        if crate::store::constraints::is_unavailable(&e) {
            tracing::warn!("database unavailable: {e}");
            return AppError::Unavailable;
        }
        if matches!(e, DbErr::ConnectionAcquire(_)) || crate::store::constraints::is_busy(&e) {
            tracing::warn!("database busy: {e}");
            return AppError::Busy;
        }
        tracing::error!("database error: {e}");
        AppError::Internal(e.to_string())
    }
}

impl AppError {
    /// A 422 with one field and one sentence.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let mut f = FieldErrors::new();
        f.insert(field.to_string(), vec![message.into()]);
        AppError::Validation(f)
    }

    /// A 422 with every (field, sentence) problem a domain parse found.
    pub fn invalid(problems: Vec<(String, String)>) -> Self {
        let mut fields = FieldErrors::new();
        for (f, m) in problems {
            fields.entry(f).or_default().push(m);
        }
        AppError::Validation(fields)
    }

    /// Seconds to wait before sending the same request again (`Retry-After`), for the
    /// refusals that are about the moment, not the request.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            AppError::Busy | AppError::ReceiptTaken => Some(2),
            AppError::Unavailable => Some(5),
            _ => None,
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> Status {
        match self {
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized => Status::Unauthorized,
            AppError::Forbidden | AppError::ForbiddenBecause(_) => Status::Forbidden,
            AppError::NotFound => Status::NotFound,
            AppError::OutOfStock(_)
            | AppError::AlreadyReceived(_)
            | AppError::PossibleSameBaby(_)
            | AppError::IdempotencyConflict
            | AppError::Conflict(_)
            | AppError::PossibleDuplicates(_) => Status::Conflict,
            AppError::PayloadTooLarge => Status::PayloadTooLarge,
            AppError::Stale(_) => Status::PreconditionFailed,
            AppError::DiskFull => Status::InsufficientStorage,
            AppError::Validation(_) | AppError::EducationRequired(_) | AppError::Ineligible { .. } => {
                Status::UnprocessableEntity
            }
            AppError::TooManyRequests => Status::TooManyRequests,
            AppError::Busy | AppError::ReceiptTaken | AppError::Unavailable => Status::ServiceUnavailable,
            AppError::Internal(_) => Status::InternalServerError,
            AppError::Kept { status, .. } => Status::from_code(*status).unwrap_or(Status::Conflict),
        }
    }

    /// The machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden | AppError::ForbiddenBecause(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::OutOfStock(_) => "out_of_stock",
            AppError::AlreadyReceived(_) => "already_received",
            AppError::PossibleSameBaby(_) => "possible_same_baby",
            AppError::IdempotencyConflict => "idempotency_conflict",
            AppError::Conflict(_) | AppError::PossibleDuplicates(_) => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Stale(_) => "precondition_failed",
            AppError::DiskFull => "disk_full",
            AppError::Validation(_) => "validation_failed",
            AppError::EducationRequired(_) => "education_required",
            AppError::Ineligible { .. } => "ineligible",
            AppError::TooManyRequests => "too_many_requests",
            AppError::Busy | AppError::ReceiptTaken => "busy",
            AppError::Unavailable => "database_unavailable",
            AppError::Internal(_) => "internal",
            AppError::Kept { .. } => "kept",
        }
    }

    /// The sentence for a person (never the internal details of a 500).
    pub fn message(&self) -> String {
        match self {
            AppError::Validation(fields) => {
                let first = fields.iter().next().and_then(|(k, v)| v.first().map(|m| format!("{k}: {m}")));
                match first {
                    Some(f) if fields.len() == 1 => format!("Check this field: {f}"),
                    Some(f) => format!("Check these {} fields; first, {f}", fields.len()),
                    None => self.to_string(),
                }
            }
            _ => self.to_string(),
        }
    }

    /// One sentence for a flash message: a validation error's first problem as written,
    /// anything else as `message`.
    pub fn sentence(&self) -> String {
        match self {
            AppError::Validation(fields) => fields.values().flatten().next().cloned().unwrap_or_else(|| self.message()),
            _ => self.message(),
        }
    }

    /// The JSON body of this error, as API.md specifies.
    pub fn to_json(&self) -> Value {
        if let AppError::Kept { body, .. } = self {
            return body.clone();
        }
        let mut body = json!({ "error": self.code(), "message": self.message() });
        match self {
            AppError::Validation(fields) => body["fields"] = json!(fields),
            AppError::Ineligible { rules, .. } => body["rules"] = rules.clone(),
            AppError::PossibleDuplicates(duplicates) => body["duplicates"] = duplicates.clone(),
            _ => {}
        }
        body
    }

    /// The field errors, if this is a validation error.
    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(f) => Some(f),
            _ => None,
        }
    }
}

/// A JSON response with a status: the one way API handlers answer.
pub fn json_response<'o>(status: Status, body: &Value) -> Response<'o> {
    let text = body.to_string();
    Response::build().status(status).header(ContentType::JSON).sized_body(text.len(), Cursor::new(text)).finalize()
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        if let AppError::Internal(detail) = &self {
            tracing::error!("internal error: {detail}");
        }
        let mut response = json_response(self.status(), &self.to_json());
        if let Some(seconds) = self.retry_after() {
            response.set_raw_header("Retry-After", seconds.to_string());
        }
        Ok(response)
    }
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, AppError>;

/// `Forbidden` unless the role may do this: `forbidden_unless(who.works_with_families())?`
/// (the rule itself lives on `domain::actor::Actor`).
pub fn forbidden_unless(allowed: bool) -> Result<(), AppError> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

// Collecting a request's input problems, for every face: each field's problem, then one
// 422 `validation_failed` with all of them.

/// Collects field problems, then fails once with all of them.
#[derive(Default)]
pub struct Problems(FieldErrors);

impl Problems {
    /// Note a problem with a field.
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0.entry(field.to_string()).or_default().push(msg.into());
    }
    /// Whether a field already has a problem.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    /// Keep the value, or note its problem.
    pub fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }
    /// Fail with the problems, if any.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// Optional free text, trimmed, bounded.
pub fn optional_text(p: &mut Problems, field: &str, v: Option<String>, max: usize) -> Option<String> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        p.add(field, format!("At most {max} characters, please."));
        return None;
    }
    Some(v)
}
