//! Process memory settings made once at start-up, before any thread exists.
//!
//! glibc's malloc gives a thread that finds the arena it wants locked a new arena, up to
//! eight per core, and each arena keeps what was freed in it. A server with a thread per
//! SQLite connection, Rocket's workers and tokio's blocking pool grew an arena per thread:
//! four concurrent one-year reports at a million handouts left the server at 93 MiB
//! resident; with two arenas, 72 MiB (benches/load.sh, decision 0012). The database URL
//! is read from `DATABASE_URL` (the default, when it is unset, is a SQLite file).

/// The most malloc arenas the process uses (glibc's `M_ARENA_MAX`).
pub const MALLOC_ARENAS: i32 = 2;

/// Whether to limit the arenas for this database URL: on SQLite, where the database's own
/// memory is the server's (the fewer arenas cost about a fifth of the requests per second
/// at 32 connections); not on PostgreSQL, whose memory is in its own processes and where
/// the server stayed at 58 MiB without the limit.
pub fn limits_arenas_for(database_url: Option<&str>) -> bool {
    !database_url.is_some_and(|u| u.starts_with("postgres"))
}

/// Limit glibc's malloc arenas when `limits_arenas_for` says so; a no-op where the C
/// library is not glibc.
pub fn limit_malloc_arenas(database_url: Option<&str>) {
    if !limits_arenas_for(database_url) {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; called first thing in `main`, before
    // any other thread is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sqlite_and_the_default_limit_the_arenas() {
        assert!(super::limits_arenas_for(None));
        assert!(super::limits_arenas_for(Some("sqlite://data/cribs.db?mode=rwc")));
        assert!(!super::limits_arenas_for(Some("postgres://u:p@127.0.0.1/cribs")));
        assert!(!super::limits_arenas_for(Some("postgresql://u:p@127.0.0.1/cribs")));
    }
}
