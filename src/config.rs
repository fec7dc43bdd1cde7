//! Typed settings pulled from the Rocket figment (Rocket.toml, `ROCKET_*`, and the raw
//! `DATABASE_URL` / `CRIBS_DEMO` / `CRIBS_TRUSTED_PROXIES` environment variables merged in
//! by `main`).

use rocket::figment::Figment;
use serde::Deserialize;

/// The default database: a SQLite file under `./data`, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/cribs.db?mode=rwc";

/// Settings the application needs beyond Rocket's own.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`.
    #[serde(default = "default_url")]
    pub database_url: String,
    /// PostgreSQL schema to use (tests give each test its own); `None` = the default.
    #[serde(default)]
    pub database_schema: Option<String>,
    /// Pool size; `None` picks the measured default for the backend.
    #[serde(default)]
    pub database_pool_size: Option<u32>,
    /// Seconds to wait for the first connection before launch fails.
    #[serde(default = "default_connect_timeout")]
    pub database_connect_timeout: u64,
    /// Demo data: `None` = as `demo()` decides, `Some(false)` = reference data only.
    #[serde(default, deserialize_with = "flexible_bool")]
    pub cribs_demo: Option<bool>,
    /// Whether to print the demo logins at start-up.
    #[serde(default)]
    pub print_demo_logins: bool,
    /// `CRIBS_DEMO_HISTORY`: when demo data is created, also six months of synthetic
    /// families and hand-outs (`generate`), so the dashboard, reports and lists have
    /// something to show. Default: on for the server (`cribs serve`, `cargo run`), off
    /// elsewhere (tests start from the bare demo).
    #[serde(default, deserialize_with = "flexible_bool")]
    pub cribs_demo_history: Option<bool>,
    /// `CRIBS_TRUSTED_PROXIES`: the reverse proxies (comma-separated IP addresses) whose
    /// `X-Forwarded-For` names the client; from anyone else the header is ignored.
    #[serde(default)]
    pub cribs_trusted_proxies: Option<String>,
    /// `CRIBS_METRICS_TOKEN`: a bearer token that may read `/metrics` from anywhere.
    #[serde(default)]
    pub cribs_metrics_token: Option<String>,
    /// `CRIBS_METRICS_FROM`: the addresses (comma-separated) that may read `/metrics` without
    /// the token; by default the machine itself, `none` for nobody.
    #[serde(default)]
    pub cribs_metrics_from: Option<String>,
    /// `CRIBS_PUBLIC_URL`: the address people use (e.g. `https://cribs.example.org`). When it
    /// is https, cookies are `Secure` and answers carry HSTS even though a proxy, not this
    /// server, speaks TLS.
    #[serde(default)]
    pub cribs_public_url: Option<String>,
    /// `CRIBS_SECOND_FACTOR`: `required` (administrators and program managers must use a
    /// second factor) or `optional`. Unset: required, except in a demo database (one
    /// holding the demo accounts, whose password is published anyway).
    #[serde(default)]
    pub cribs_second_factor: Option<String>,
    /// `CRIBS_RETENTION_YEARS`: identifying data are erased this many years after a
    /// family's last contact (default 7; 0 turns it off).
    #[serde(default)]
    pub cribs_retention_years: Option<u32>,
    /// `CRIBS_PROGRAM_PHONE`: the crib program's phone number, printed on every receipt
    /// for the family's questions (unset: the receipt gives no number).
    #[serde(default)]
    pub cribs_program_phone: Option<String>,
    /// `CRIBS_SITE_HOURS`: the sites' opening hours, printed on the receipt in the
    /// family's language (`domain::hours` says how to write them; unset: none shown).
    #[serde(default)]
    pub cribs_site_hours: Option<String>,
    /// `CRIBS_DATA_DIR`: where the server keeps its own files (the generated secret key,
    /// `secret_key::data_dir`). Unset: beside a SQLite database file, else `./data`.
    #[serde(default)]
    pub cribs_data_dir: Option<String>,
    /// `CRIBS_SMTP_URL`: the mail server (`smtp://user:pass@host:port`, `smtps://…`, or
    /// `smtp://host:port?tls=starttls`). Unset: messages wait in the outbox, shown as
    /// "not sent: no mail server configured".
    #[serde(default)]
    pub cribs_smtp_url: Option<String>,
    /// `CRIBS_MAIL_FROM`: the From address of every message (`Crib program <cribs@…>`).
    #[serde(default)]
    pub cribs_mail_from: Option<String>,
    /// `CRIBS_OUTBOX_POLL_SECONDS`: how often the sender looks for messages due (default
    /// 10; 0: this server sends nothing, another instance or a test drives the sender).
    #[serde(default)]
    pub cribs_outbox_poll_seconds: Option<u64>,
}

/// What the receipt tells the family about reaching the program (managed state, from
/// `CRIBS_PROGRAM_PHONE` and `CRIBS_SITE_HOURS`).
#[derive(Debug, Clone, Default)]
pub struct FamilyContact {
    pub phone: Option<String>,
    pub hours: crate::domain::hours::SiteHours,
}

impl FamilyContact {
    /// The contact the settings give; an unreadable `CRIBS_SITE_HOURS` is an error naming it.
    pub fn from_settings(s: &Settings) -> Result<FamilyContact, String> {
        let phone = s.cribs_program_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
        let hours = crate::domain::hours::SiteHours::parse(s.cribs_site_hours.as_deref().unwrap_or(""))
            .map_err(|e| format!("CRIBS_SITE_HOURS: {e}"))?;
        Ok(FamilyContact { phone, hours })
    }
}

fn default_url() -> String {
    DEFAULT_DATABASE_URL.to_string()
}

fn default_connect_timeout() -> u64 {
    10
}

/// Accept `0/1`, `true/false`, `yes/no`, `on/off` for `CRIBS_DEMO`.
fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        B(bool),
        I(i64),
        S(String),
    }
    let raw: Option<Raw> = Option::deserialize(d)?;
    Ok(match raw {
        None => None,
        Some(Raw::B(b)) => Some(b),
        Some(Raw::I(i)) => Some(i != 0),
        Some(Raw::S(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "" => None,
            "0" | "false" | "no" | "off" => Some(false),
            _ => Some(true),
        },
    })
}

impl Settings {
    /// Extract the settings from a figment, falling back to defaults.
    pub fn from_figment(figment: &Figment) -> Result<Self, Box<rocket::figment::Error>> {
        figment.extract().map_err(Box::new)
    }

    /// Whether people reach the program over https (its public URL says so).
    pub fn public_https(&self) -> bool {
        self.cribs_public_url.as_deref().is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
    }

    /// True when the URL names a SQLite database.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Whether demo data (with its published password) may be created in an empty database:
    /// as `CRIBS_DEMO` says, and when it says nothing only on SQLite, the embedded default
    /// the README's first command starts to demo. A PostgreSQL database is production's:
    /// never a demo account there unless asked for.
    pub fn demo(&self) -> Option<bool> {
        self.cribs_demo.or(if self.is_sqlite() { None } else { Some(false) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, demo: Option<bool>) -> Settings {
        let mut s: Settings = serde_json::from_value(serde_json::json!({ "database_url": url })).expect("settings");
        s.cribs_demo = demo;
        s
    }

    #[test]
    fn demo_data_by_default_only_on_sqlite() {
        assert_eq!(settings("sqlite://data/cribs.db?mode=rwc", None).demo(), None, "an empty file gets the demo");
        assert_eq!(settings("postgres://u@h/db", None).demo(), Some(false), "never on PostgreSQL unasked");
        assert_eq!(settings("postgres://u@h/db", Some(true)).demo(), Some(true), "unless asked");
        assert_eq!(settings("sqlite://x.db", Some(false)).demo(), Some(false));
    }
}
