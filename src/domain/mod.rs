//! Pure domain rules and value types: no Rocket, no SeaORM. Everything here is unit-tested.

pub mod policy;
pub mod role;
