//! HTML error pages: `PageError` wraps an `AppError` and renders `error.html.tera` with
//! its status, so staff pages never show a JSON body or a stack trace.

use crate::error::AppError;
use rocket::http::Status;
use rocket::response::{self, Responder};
use rocket::Request;
use rocket_dyn_templates::Template;
use serde_json::json;

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> Self {
        PageError(AppError::from(e))
    }
}

/// Render the error page for a status and a sentence, with the request's id for the help
/// desk (`request_id`).
pub fn error_template(req: &Request<'_>, status: Status, message: &str) -> Template {
    Template::render(
        "error",
        json!({"title": status.reason_lossy(), "status": status.code, "message": message, "user": null, "nav": [],
            "reference": crate::request_id::of(req)}),
    )
}

impl<'r> Responder<'r, 'static> for PageError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.0.status();
        let message = match &self.0 {
            AppError::Forbidden => {
                "You may not do this with your account. If you think you should, ask a program manager.".to_string()
            }
            AppError::NotFound => "There is nothing here, or it is not yours to see.".to_string(),
            AppError::Internal(detail) => {
                tracing::error!("internal error on a page: {detail}");
                self.0.message()
            }
            other => other.message(),
        };
        let mut response = (status, error_template(req, status, &message)).respond_to(req)?;
        if let Some(seconds) = self.0.retry_after() {
            response.set_raw_header("Retry-After", seconds.to_string());
        }
        Ok(response)
    }
}

/// Result of a page handler.
pub type PageResult<T> = Result<T, PageError>;
