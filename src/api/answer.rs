//! `Answer`: a status and a JSON body, the one shape API handlers return. Writes run in
//! `store` (through `store::write`, which keeps idempotency); a handler turns what the
//! store action gave into an `Answer`, the same whether it ran now or was replayed.

use crate::error::{json_response, AppError};
use crate::store::write::Ran;
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use serde::Serialize;
use serde_json::Value;

/// A JSON answer with its status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: Status,
    pub body: Value,
}

impl Answer {
    /// 200 with a serialisable body.
    pub fn ok<T: Serialize>(body: &T) -> Result<Answer, AppError> {
        Answer::with(Status::Ok, body)
    }
    /// 201 with a serialisable body.
    pub fn created<T: Serialize>(body: &T) -> Result<Answer, AppError> {
        Answer::with(Status::Created, body)
    }
    /// Any status with a serialisable body.
    pub fn with<T: Serialize>(status: Status, body: &T) -> Result<Answer, AppError> {
        let body = serde_json::to_value(body).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Answer { status, body })
    }
    /// 201 with what a write created (now or before: a replay answers the same).
    pub fn created_by<T: Serialize>(ran: Result<Ran<T>, AppError>) -> Result<Answer, AppError> {
        Answer::created(&ran?.value)
    }
    /// 200 with what a write changed (now or before).
    pub fn ok_by<T: Serialize>(ran: Result<Ran<T>, AppError>) -> Result<Answer, AppError> {
        Answer::ok(&ran?.value)
    }
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        Ok(json_response(self.status, &self.body))
    }
}
