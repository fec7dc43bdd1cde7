//! Pure domain rules and value types: no Rocket, no SeaORM. Everything here is unit-tested.

pub mod account;
pub mod dates;
pub mod eligibility;
pub mod money;
pub mod policy;
pub mod role;
pub mod stock;
