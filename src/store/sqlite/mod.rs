//! The SQLite-only fast paths, all here. PostgreSQL never enters this module: each entry
//! checks for a SQLite file's parts (`Db::sqlite_file`, None on PostgreSQL and for SQLite
//! in memory) and hands everything else back to the ordinary path (SeaORM's transaction
//! from `db::begin_write`, the pool for reads).
//!
//! - `held_write`: a write transaction opened and closed by SQL text on the held writer,
//!   in as few round trips as it has parts (the handout, decision 0015);
//! - `handout_script`: a handout with no hospital request written as one script (decision
//!   0013), from the same rows `handouts::HandoutRows` builds for the SeaORM path;
//! - `inline_read`: sign-in and the check-in search read on the request's own thread
//!   (decision 0016).
//!
//! (The file's one writer connection, decision 0012, is `Db::writer`: on PostgreSQL it is
//! the pool itself, so it is not a fast path of this module's.)
//!
//! Their state is the app's: `SqliteFile`, made by `db::connect` and kept in the app's
//! `Db`, holds the inline connections and the switches. Each speed-up has a switch to
//! measure it against the ordinary path with the same binary (`CRIBS_INLINE_READS`,
//! `CRIBS_HELD_WRITES`, `CRIBS_HANDOUT_SCRIPT` = `off`, read once when the database is
//! opened; `docs/benchmarks.md` has the runs).

use std::path::PathBuf;

pub mod handout_script;
pub mod held_write;
pub mod inline_read;

/// What the fast paths keep for one SQLite file opened by `db::connect`.
pub struct SqliteFile {
    /// The inline read connections (`inline_read`).
    pub(crate) readers: inline_read::Reader,
    pub(crate) switches: Switches,
}

impl SqliteFile {
    /// The parts for a file, with the switches as the environment sets them.
    pub fn new(file: PathBuf) -> SqliteFile {
        SqliteFile { readers: inline_read::Reader::new(file), switches: Switches::from_env() }
    }
}

/// Which speed-ups are on (each is, unless its variable says `off`).
#[derive(Debug, Clone, Copy)]
pub struct Switches {
    /// `CRIBS_INLINE_READS`: sign-in and search read inline (`inline_read`).
    pub inline_reads: bool,
    /// `CRIBS_HELD_WRITES`: a handout's script runs on a held write (decision 0015);
    /// off, it runs in SeaORM's transaction.
    pub held_writes: bool,
    /// `CRIBS_HANDOUT_SCRIPT`: a handout is one script (decision 0013); off, it is written
    /// statement by statement through SeaORM, as on PostgreSQL (and no held write).
    pub handout_script: bool,
}

impl Switches {
    /// Every speed-up off: the ordinary path (PostgreSQL, SQLite in memory, a plain `Db`).
    pub const NONE: Switches = Switches { inline_reads: false, held_writes: false, handout_script: false };

    fn from_env() -> Switches {
        let on = |variable: &str| std::env::var(variable).map_or(true, |v| v != "off");
        Switches {
            inline_reads: on("CRIBS_INLINE_READS"),
            held_writes: on("CRIBS_HELD_WRITES"),
            handout_script: on("CRIBS_HANDOUT_SCRIPT"),
        }
    }
}
