//! Accounts, sessions, tokens, roles, guards and CSRF.

pub mod csrf;
pub mod guards;
pub mod password;
pub mod session;
pub mod token;
