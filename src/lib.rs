//! cribs: a free portable-crib program's web application. `build(figment)` assembles the
//! Rocket: the database fairing (connect → migrate → seed), templates, security headers,
//! the staff pages at `/`, the JSON API at `/api` (with Swagger UI at `/api/docs`), static
//! files, the catchers, and the hourly housekeeping sweep once it has lifted off.

pub mod api;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod entity;
pub mod error;
pub mod fhir;
pub mod generate;
pub mod headers;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod request_id;
pub mod secret_key;
pub mod seed;
pub mod store;
pub mod web;

use crate::db::Db;
use rocket::data::{Limits, ToByteUnit};
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::fs::FileServer;
use rocket::{Build, Rocket};
use rocket_dyn_templates::Template;
use std::path::PathBuf;

/// How often the outbox's sender looks for due messages, unless `CRIBS_OUTBOX_POLL_SECONDS`
/// says otherwise.
pub const DEFAULT_OUTBOX_POLL_SECONDS: u64 = 10;

/// Where the templates and static files are when the figment does not say.
fn asset_dir(name: &str) -> PathBuf {
    let local = PathBuf::from(name);
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// Build the application from a figment (the same for `serve` and the tests).
pub fn build(figment: Figment) -> Rocket<Build> {
    // NOTE: Rocket reads the client's address from `X-Real-IP` by default, which any
    // client can send; `auth::client_addr` believes forwarded addresses only from the
    // proxies the operator names.
    let mut figment = figment
        .merge((
            "limits",
            Limits::default()
                .limit("json", 64.kibibytes())
                .limit("form", 64.kibibytes())
                .limit("string", 64.kibibytes()),
        ))
        .merge(("ip_header", false));
    if figment.find_value("template_dir").is_err() {
        figment = figment.merge(("template_dir", asset_dir("templates")));
    }
    let static_dir = figment.extract_inner::<PathBuf>("static_dir").unwrap_or_else(|_| asset_dir("static"));
    let rocket = rocket::custom(figment.clone())
        .attach(Template::custom(|engines| engines.tera.register_function("t", web::words::t)))
        .attach(AdHoc::try_on_ignite("Message catalog", |rocket| async move {
            match catalog::loaded() {
                Ok(()) => Ok(rocket),
                Err(e) => {
                    eprintln!("cribs: cannot start: the message catalog (locales/) cannot be read: {e}");
                    Err(rocket)
                }
            }
        }))
        .attach(request_id::RequestIds)
        .attach(headers::SecurityHeaders)
        .attach(web::input::InputCheck)
        .mount("/", web::routes())
        .mount("/", api::root_routes())
        .mount("/", rocket::routes![metrics::metrics_page])
        .mount("/api", api::routes())
        .mount("/", api::openapi::swagger_ui())
        .mount("/fhir/r4", fhir::routes())
        .mount("/", rocket::routes![fhir::smart::configuration_at_root])
        .mount("/static", FileServer::from(static_dir))
        .register("/", web::catchers())
        .register("/api", api::catchers())
        .register("/fhir", fhir::catchers())
        .attach(AdHoc::on_liftoff("Housekeeping", |rocket| {
            Box::pin(async move {
                let c = rocket.config();
                tracing::info!("cribs is listening on http://{}:{}", c.address, c.port);
                if let Some(f) = clock::test_clock_file() {
                    tracing::warn!("the test clock is on (CRIBS_TEST_CLOCK={}): never in production", f.display());
                }
                if let Some(db) = rocket.state::<Db>() {
                    let years = rocket
                        .state::<store::erasure::Retention>()
                        .map_or(store::erasure::DEFAULT_RETENTION_YEARS, |r| r.0);
                    rocket::tokio::spawn(store::housekeeping::sweep_every_hour(db.clone(), years));
                }
            })
        }));
    let mail_templates =
        figment.extract_inner::<PathBuf>("mail_template_dir").unwrap_or_else(|_| asset_dir("mail-templates"));
    let settings = config::Settings::from_figment(&figment).map_err(|e| e.to_string()).and_then(|settings| {
        let proxies =
            auth::client_addr::TrustedProxies::parse(settings.cribs_trusted_proxies.as_deref().unwrap_or(""))?;
        let contact = config::FamilyContact::from_settings(&settings)?;
        let mailer = std::sync::Arc::new(mail::Mailer::from_settings(&settings, &mail_templates)?);
        let metrics = metrics::Access::from_settings(&settings)?;
        Ok((settings, proxies, contact, mailer, metrics))
    });
    match settings {
        Ok((settings, proxies, contact, mailer, metrics_access)) => {
            // NOTE: the recorder is the process's; installed before the first request is counted.
            let _ = metrics::handle();
            let poll = settings.cribs_outbox_poll_seconds.unwrap_or(DEFAULT_OUTBOX_POLL_SECONDS);
            let sender_mailer = mailer.clone();
            let sender = mail::sender::Sender::new();
            let on_stop = sender.clone();
            let rocket = rocket
                .manage(mailer)
                .attach(AdHoc::on_liftoff("Outbox sender", move |rocket| {
                    Box::pin(async move {
                        if let (Some(db), true) = (rocket.state::<Db>(), poll > 0) {
                            let every = std::time::Duration::from_secs(poll);
                            rocket::tokio::spawn(mail::sender::run(db.clone(), sender_mailer, every, sender));
                        }
                    })
                }))
                // NOTE: a stopping server gives back the messages it claimed and did not send,
                // so another server sends them now rather than when the lease runs out.
                .attach(AdHoc::on_shutdown("Outbox leases", move |rocket| {
                    Box::pin(async move {
                        if let (Some(db), true) = (rocket.state::<Db>(), poll > 0) {
                            if let Err(e) = on_stop.stop_and_release(db).await {
                                tracing::warn!("outbox: the claimed messages could not be given back: {e}");
                            }
                        }
                    })
                }));
            let https = headers::PublicHttps(settings.public_https());
            let retention = store::erasure::Retention(
                settings.cribs_retention_years.unwrap_or(store::erasure::DEFAULT_RETENTION_YEARS),
            );
            rocket
                .manage(proxies)
                .manage(https)
                .manage(retention)
                .manage(contact)
                .manage(metrics_access)
                .attach(db::stage(settings))
        }
        Err(e) => rocket.attach(AdHoc::try_on_ignite("Settings", move |r| async move {
            eprintln!("cribs: cannot start: bad settings: {e}");
            Err(r)
        })),
    }
}
