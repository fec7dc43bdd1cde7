//! Accounts, sessions, tokens, roles, guards and CSRF.

pub mod client_addr;
pub mod csrf;
pub mod guards;
pub mod password;
pub mod session;
pub mod token;
pub mod totp;
