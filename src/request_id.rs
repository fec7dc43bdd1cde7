//! Request ids and the access log (issue 24): every request gets an id — the caller's own
//! `X-Request-Id` when it is a plain one (1 to 64 letters, digits, `-`, `_`), else a fresh
//! random one — which the answer carries back in `X-Request-Id` and error pages show, so staff
//! can quote it to the help desk. Each answered request is one log line (target
//! `cribs::access`): method, the route's template (never the path: a path can hold an
//! unsubscribe token or a survey link), status, time taken and the id. A 5xx is a WARN; every
//! other answer, a 404 included, is INFO. Nothing of the request's body, query or headers is
//! logged.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};
use std::time::Instant;

/// The header both ways.
pub const HEADER: &str = "X-Request-Id";

/// This request's id.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// When the request arrived.
struct Arrived(Instant);

/// The fairing that gives each request its id and logs each answer.
pub struct RequestIds;

/// Whether a caller's id can be taken as it is.
pub fn is_plain(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh id: 16 hex digits.
pub fn fresh() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The id of a request (a fresh one if the fairing did not run: a request Rocket refused
/// before routing still gets one).
pub fn of<'r>(req: &'r Request<'_>) -> &'r str {
    &req.local_cache(|| RequestId(fresh())).0
}

#[rocket::async_trait]
impl Fairing for RequestIds {
    fn info(&self) -> Info {
        Info { name: "Request ids and the access log", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let id = req.headers().get_one(HEADER).filter(|h| is_plain(h)).map_or_else(fresh, str::to_string);
        req.local_cache(|| RequestId(id));
        req.local_cache(|| Arrived(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let id = of(req).to_string();
        let ms = req.local_cache(|| Arrived(Instant::now())).0.elapsed().as_secs_f64() * 1000.0;
        let route = req.route().map_or_else(|| "-".to_string(), |r| r.uri.to_string());
        let status = res.status().code;
        crate::metrics::request(req.method().as_str(), &route, status, ms / 1000.0);
        if status >= 500 {
            tracing::warn!(target: "cribs::access", "{} {route} {status} {ms:.1}ms id={id}", req.method());
        } else {
            tracing::info!(target: "cribs::access", "{} {route} {status} {ms:.1}ms id={id}", req.method());
        }
        res.set_header(Header::new(HEADER, id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_id_is_kept_only_when_plain() {
        assert!(is_plain("abc-123_X"));
        for bad in ["", "has space", "new\nline", "ünï", &"x".repeat(65)] {
            assert!(!is_plain(bad), "{bad:?}");
        }
        let a = fresh();
        assert_eq!(a.len(), 16);
        assert!(is_plain(&a));
        assert_ne!(a, fresh());
    }
}
