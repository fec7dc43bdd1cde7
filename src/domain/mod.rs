//! Pure domain rules and value types: no Rocket, no SeaORM. Everything here is unit-tested.

pub mod account;
pub mod actor;
pub mod audit_text;
pub mod charts;
pub mod checkin;
pub mod dates;
pub mod education;
pub mod eligibility;
pub mod family;
pub mod hours;
pub mod map;
pub mod messages;
pub mod money;
pub mod outcomes;
pub mod paper;
pub mod policy;
pub mod policy_sample;
pub mod record_text;
pub mod referral;
pub mod reports;
pub mod role;
pub mod safe_sleep_text;
pub mod states;
pub mod stock;
pub mod survey;
pub mod text;
