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
//! Each speed-up has a switch to measure it against the ordinary path with the same binary
//! (`CRIBS_INLINE_READS`, `CRIBS_HELD_WRITES`, `CRIBS_HANDOUT_SCRIPT` = `off`;
//! `docs/benchmarks.md` has the runs).
//!
//! NOTE: the writer and the inline readers are kept per SQLite file in process-wide maps
//! (`writer::WRITERS`, `inline_read::READERS`), because a store function receives only
//! SeaORM's `DatabaseConnection`, which has no room for them. Moving them into state the
//! app owns means a handle of the app's own through every store function (issue 17 notes
//! it as left to do).

use std::sync::LazyLock;

/// `CRIBS_HELD_WRITES=off`: a handout's script runs in SeaORM's transaction instead of a held
/// write (to measure decision 0015 against the path without it).
pub static HELD_WRITES: LazyLock<bool> = LazyLock::new(|| switch_on("CRIBS_HELD_WRITES"));

/// `CRIBS_HANDOUT_SCRIPT=off`: a handout is written statement by statement through SeaORM,
/// as on PostgreSQL, instead of one script (to measure decision 0013; implies no held write).
pub static HANDOUT_SCRIPT: LazyLock<bool> = LazyLock::new(|| switch_on("CRIBS_HANDOUT_SCRIPT"));

/// A speed-up's switch: on unless its variable says `off`.
fn switch_on(variable: &str) -> bool {
    std::env::var(variable).map_or(true, |v| v != "off")
}

pub mod handout_script;
pub mod held_write;
pub mod inline_read;
pub mod writer;
