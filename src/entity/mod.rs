//! SeaORM entities, one file per table. Entities are storage shapes only: not forms, not API bodies.

pub mod api_token;
pub mod audit_event;
pub mod crib_model;
pub mod csa;
pub mod education_session;
pub mod eligibility_check;
pub mod family;
pub mod family_site_link;
pub mod follow_up;
pub mod follow_up_call;
pub mod handout;
pub mod idempotency_key;
pub mod infant;
pub mod login_attempt;
pub mod neighborhood;
pub mod policy;
pub mod poverty_guideline;
pub mod referral;
pub mod site;
pub mod stock_balance;
pub mod stock_movement;
pub mod transfer;
pub mod user;
pub mod user_session;
pub mod user_site;
pub mod zip_csa;
