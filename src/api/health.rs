//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use crate::api::answer::Answer;
use crate::db::Db;
use rocket::http::Status;
use rocket::{get, State};
use serde_json::json;

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "the app and its database answer"), (status = 503, description = "the database does not answer")))]
#[get("/healthz")]
pub async fn healthz(db: &State<Db>) -> Answer {
    if crate::db::ping(db.inner()).await {
        Answer { status: Status::Ok, body: json!({"status": "ok", "database": "ok"}) }
    } else {
        Answer { status: Status::ServiceUnavailable, body: json!({"status": "degraded", "database": "unreachable"}) }
    }
}
