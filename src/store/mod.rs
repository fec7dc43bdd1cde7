//! Queries and transactions per aggregate. Every function takes `db: &impl ConnectionTrait`
//! so it runs inside or outside a transaction; one business action = one transaction,
//! opened by the caller with `db::begin_write`.

pub mod accounts;
pub mod audit;
pub mod idempotency;
pub mod reference;
pub mod stock;
pub mod stock_ops;
pub mod stock_reads;
