//! Queries and transactions per aggregate. Every function takes `db: &impl ConnectionTrait`
//! so it runs inside or outside a transaction; one business action = one transaction,
//! opened by the caller with `db::begin_write` (the one exception: on SQLite the handout's
//! `held_write::HeldWrite`, decision 0015). The hot reads outside a transaction (who is
//! calling, the check-in search) take the pool itself, `&DatabaseConnection`, so that on
//! SQLite `inline_read` can answer them on the request's own thread (decision 0016).

pub mod accounts;
pub mod actors;
pub mod audit;
pub mod audit_queue;
pub mod checkin;
pub mod constraints;
pub mod dashboard;
pub mod education;
pub mod eligibility;
pub mod families;
pub mod family_view;
pub mod follow_ups;
pub mod handouts;
pub mod held_write;
pub mod housekeeping;
pub mod idempotency;
pub mod inline_read;
pub mod outcomes;
pub mod policy;
pub mod reference;
pub mod referrals;
pub mod report_params;
pub mod reports;
pub mod scope;
pub mod sql;
pub mod stock;
pub mod stock_ops;
pub mod stock_reads;
pub mod users;
pub mod write;
pub mod write_txn;
