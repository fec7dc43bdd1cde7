//! Typed settings pulled from the Rocket figment (Rocket.toml, `ROCKET_*`, and the raw
//! `DATABASE_URL` / `CRIBS_DEMO` environment variables merged in by `main`).

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
    /// Demo data: `None` = on for an empty database, `Some(false)` = reference data only.
    #[serde(default, deserialize_with = "flexible_bool")]
    pub cribs_demo: Option<bool>,
    /// Whether to print the demo logins at start-up.
    #[serde(default)]
    pub print_demo_logins: bool,
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

    /// True when the URL names a SQLite database.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}
