//! Security headers on every response: CSP without inline script, nosniff, a referrer
//! policy and frame-ancestors 'none' (Swagger UI at `/api/docs/` may also use inline
//! styles), and `Cache-Control: no-store` on everything but static files.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

/// The fairing that sets the security headers.
pub struct SecurityHeaders;

/// Whether people reach the program over https, from the public URL setting (a TLS proxy in
/// front): cookies are then `Secure` and answers carry HSTS.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicHttps(pub bool);

/// Whether a request reached the program over https: Rocket's own TLS, or a public URL
/// that is https.
pub fn over_https(req: &Request<'_>) -> bool {
    req.rocket().config().tls_enabled() || req.rocket().state::<PublicHttps>().is_some_and(|h| h.0)
}

/// The Content-Security-Policy every response carries.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The CSP of the vendored Swagger UI under `/api/docs/`: the same, except that its bundle
/// sets inline styles. Scripts stay `'self'` only.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info { name: "Security headers", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let docs = req.uri().path().as_str().starts_with("/api/docs/");
        res.set_header(Header::new("Content-Security-Policy", if docs { DOCS_CSP } else { CSP }));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "same-origin"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        if over_https(req) {
            res.set_header(Header::new("Strict-Transport-Security", "max-age=31536000"));
        }
        // NOTE: pages, receipts, CSV and API answers carry families' records; on a shared
        // clinic computer neither the disk cache nor the back button may keep them after
        // sign-out. Only the static files (style sheets, scripts, Swagger UI's bundle),
        // which carry nothing of anyone's, may be cached.
        if !is_static(req.uri().path().as_str()) {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}

/// Whether a path serves a static file (cacheable: it carries no one's data).
fn is_static(path: &str) -> bool {
    path.starts_with("/static/")
        || (path.starts_with("/api/docs/")
            && path.rsplit('/').next().is_some_and(|f| f.ends_with(".js") || f.ends_with(".css")))
}

/// A CSV document to download.
pub struct CsvFile {
    pub filename: String,
    pub body: String,
}

impl<'r> rocket::response::Responder<'r, 'static> for CsvFile {
    fn respond_to(self, _req: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let name: String =
            self.filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
        rocket::Response::build()
            .status(rocket::http::Status::Ok)
            .header(rocket::http::ContentType::new("text", "csv").with_params(("charset", "utf-8")))
            .header(rocket::http::Header::new("Content-Disposition", format!("attachment; filename=\"{name}\"")))
            .sized_body(self.body.len(), std::io::Cursor::new(self.body))
            .ok()
    }
}
