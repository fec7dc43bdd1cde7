//! The SQLite-only fast paths, all here. PostgreSQL never enters this module: each entry
//! checks the backend first and hands PostgreSQL (and SQLite in memory) back to the
//! ordinary path (SeaORM's transaction from `db::begin_write`, the pool for reads).
//!
//! - `writer`: the file's one writer connection (decision 0012);
//! - `held_write`: a write transaction opened and closed by SQL text on the held writer,
//!   in as few round trips as it has parts (the handout, decision 0015);
//! - `handout_script`: a handout with no hospital request written as one script (decision
//!   0013), from the same rows `handouts::HandoutRows` builds for the SeaORM path;
//! - `inline_read`: sign-in and the check-in search read on the request's own thread
//!   (decision 0016).
//!
//! NOTE: the writer and the inline readers are kept per SQLite file in process-wide maps
//! (`writer::WRITERS`, `inline_read::READERS`), because a store function receives only
//! SeaORM's `DatabaseConnection`, which has no room for them. Moving them into state the
//! app owns means a handle of the app's own through every store function (issue 17 notes
//! it as left to do).

pub mod handout_script;
pub mod held_write;
pub mod inline_read;
pub mod writer;
