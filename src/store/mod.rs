//! The core both faces call: queries and transactions per aggregate. Each business action
//! is one function here (`families::register`, `eligibility::check`, `handouts::hand_out_once`,
//! `referrals::accept_once`, `stock_ops::restock` …) that checks who may do it (the
//! `domain::actor::Actor` it is given), writes its rows and its audit row in one
//! transaction, and runs through the one write runner, `write`, which keeps idempotency
//! (decision 0017). The building blocks below an action take `db: &impl ConnectionTrait`,
//! so they run inside the action's transaction. The hot reads outside a transaction (who is
//! calling, the check-in search) take the pool itself, `&Db`, so that on
//! SQLite they can be answered on the request's own thread. Everything SQLite-only is in
//! `sqlite` (decisions 0012–0016).

pub mod account_security;
pub mod accounts;
pub mod actors;
pub mod audit;
pub mod audit_names;
pub mod audit_queue;
pub mod checkin;
pub mod constraints;
pub mod corrections;
pub mod dashboard;
pub mod education;
pub mod eligibility;
pub mod erasure;
pub mod export;
pub mod families;
pub mod family_merge;
pub mod family_view;
pub mod fhir_clients;
pub mod follow_ups;
pub mod handouts;
pub mod held;
pub mod housekeeping;
pub mod idempotency;
pub mod infant_matches;
pub mod kept_forms;
pub mod outbox;
pub mod outcomes;
pub mod policy;
pub mod reference;
pub mod referral_matches;
pub mod referrals;
pub mod report_params;
pub mod reports;
pub mod scope;
pub mod sessions;
pub mod sql;
pub mod sqlite;
pub mod stock;
pub mod stock_ops;
pub mod stock_reads;
pub mod survey;
pub mod users;
pub mod write;
pub mod write_txn;
