//! `/metrics` in the Prometheus text format (issue 24), through the `metrics` facade and
//! `metrics-exporter-prometheus`: every request by route template, method and status with a
//! latency histogram (recorded where the access log line is written, `request_id`), hand-outs
//! and their refusals by gate, sign-in failures and lock-outs, and — read when scraped — the
//! database pools' connections, the outbox's waiting and failed messages.
//!
//! Who may read it: a caller presenting `CRIBS_METRICS_TOKEN` as a bearer token, or one from
//! an address in `CRIBS_METRICS_FROM` (comma-separated; by default the machine itself,
//! 127.0.0.1 and ::1). Anyone else gets 404, as for a page that is not there. Route labels are
//! templates (`/families/<id>`), never paths, so no id or token becomes a label.

use crate::auth::guards::ClientAddr;
use crate::db::Db;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{get, State};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use std::sync::OnceLock;

/// Latency buckets in seconds: a handout takes milliseconds, a year report a second or two.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed once (a second server in the same process, as in the
/// tests, shares it).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Who may read the metrics (from the settings).
#[derive(Debug, Clone)]
pub struct Access {
    token: Option<String>,
    from: Vec<std::net::IpAddr>,
}

impl Access {
    /// From `CRIBS_METRICS_TOKEN` and `CRIBS_METRICS_FROM`, or a sentence saying what is wrong.
    pub fn from_settings(s: &crate::config::Settings) -> Result<Access, String> {
        let token = s.cribs_metrics_token.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        if token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err("CRIBS_METRICS_TOKEN is too short: use at least 16 random characters".into());
        }
        let from = match s.cribs_metrics_from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            None => vec!["127.0.0.1".parse().map_err(|_| "loopback")?, "::1".parse().map_err(|_| "loopback")?],
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty() && *a != "none")
                .map(|a| a.parse().map_err(|_| format!("CRIBS_METRICS_FROM: {a:?} is not an IP address")))
                .collect::<Result<_, _>>()?,
        };
        Ok(Access { token, from })
    }
}

/// A caller allowed to read the metrics.
pub struct MetricsReader;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MetricsReader {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(access) = req.rocket().state::<Access>() else { return Outcome::Forward(Status::NotFound) };
        let bearer = req.headers().get_one("Authorization").and_then(|h| h.strip_prefix("Bearer "));
        if let (Some(want), Some(got)) = (&access.token, bearer) {
            if crate::auth::token::constant_time_eq(want, got.trim()) {
                return Outcome::Success(MetricsReader);
            }
        }
        let ip = req.guard::<ClientAddr>().await.succeeded().and_then(|a| a.0.parse::<std::net::IpAddr>().ok());
        if ip.is_some_and(|ip| access.from.contains(&ip)) {
            return Outcome::Success(MetricsReader);
        }
        Outcome::Forward(Status::NotFound)
    }
}

/// One request, as the access log records it.
pub fn request(method: &str, route: &str, status: u16, seconds: f64) {
    let labels = [("method", method.to_string()), ("route", route.to_string()), ("status", status.to_string())];
    metrics::counter!("cribs_http_requests_total", &labels).increment(1);
    metrics::histogram!("cribs_http_request_duration_seconds", &labels[..2]).record(seconds);
}

/// A hand-out written.
pub fn handout() {
    metrics::counter!("cribs_handouts_total").increment(1);
}

/// A hand-out refused, by the gate that refused it.
pub fn handout_refused(gate: &'static str) {
    metrics::counter!("cribs_handout_refusals_total", "gate" => gate).increment(1);
}

/// A failed sign-in, or a caller locked out after too many.
pub fn sign_in_failed(locked_out: bool) {
    let what = if locked_out { "cribs_sign_in_lockouts_total" } else { "cribs_sign_in_failures_total" };
    metrics::counter!(what).increment(1);
}

#[derive(FromQueryResult)]
struct Outbox {
    pending: i64,
    failed: i64,
}

/// What is read when scraped: the pools and the outbox.
async fn sample(db: &Db) {
    let pools = [("pool", db.pool()), ("writer", db.writer())];
    for (name, conn) in pools {
        let (size, idle) = match conn.get_database_backend() {
            DbBackend::Sqlite => {
                let p = conn.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
            _ => {
                let p = conn.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        metrics::gauge!("cribs_db_connections", "pool" => name, "state" => "idle").set(f64::from(idle));
        metrics::gauge!("cribs_db_connections", "pool" => name, "state" => "in_use")
            .set(f64::from(size.saturating_sub(idle)));
    }
    let sql = "SELECT CAST(COALESCE(SUM(CASE WHEN status IN ('pending', 'sending') THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending, \
               CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed FROM messages";
    match Outbox::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).one(db).await {
        Ok(Some(o)) => {
            metrics::gauge!("cribs_outbox_messages", "status" => "waiting").set(o.pending as f64);
            metrics::gauge!("cribs_outbox_messages", "status" => "failed").set(o.failed as f64);
            metrics::gauge!("cribs_database_up").set(1.0);
        }
        _ => metrics::gauge!("cribs_database_up").set(0.0),
    }
}

/// The metrics, for an allowed reader.
#[get("/metrics")]
pub async fn metrics_page(_reader: MetricsReader, db: &State<Db>) -> (Status, (ContentType, String)) {
    let Some(h) = handle() else {
        return (Status::ServiceUnavailable, (ContentType::Plain, "metrics are not recorded in this process\n".into()));
    };
    sample(db.inner()).await;
    let text = h.render();
    (Status::Ok, (ContentType::new("text", "plain").with_params([("version", "0.0.4")]), text))
}
