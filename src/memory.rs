//! Process memory settings made once at start-up, before any thread exists.
//!
//! glibc's malloc gives a thread that finds the arena it wants locked a new arena, up to
//! eight per core, and each arena keeps what was freed in it. A server with a thread per
//! SQLite connection, Rocket's workers and tokio's blocking pool grew an arena per thread:
//! four concurrent one-year reports at a million handouts left the server at 93 MiB
//! resident; with two arenas, 72 MiB (benches/load.sh, decision 0012). The database URL
//! is read from `DATABASE_URL` (the default, when it is unset, is a SQLite file).
//!
//! The server's own (Rust) allocations go to mimalloc (`main.rs`), which keeps a heap per
//! thread and takes no lock to allocate: with glibc's two arenas, threads queued for the
//! arena lock, and mimalloc took `/healthz` from 27k to 36k requests/s and the check-in
//! search from 3.1k to 4.6k (decision 0014). SQLite's memory stays in glibc's malloc, under
//! its soft heap limit. `tune_mimalloc` keeps mimalloc's resident memory down.

/// The most malloc arenas the process uses (glibc's `M_ARENA_MAX`).
pub const MALLOC_ARENAS: i32 = 2;

/// Whether to limit the arenas for this database URL: on SQLite, where the database's own
/// memory is the server's (the fewer arenas cost about a fifth of the requests per second
/// at 32 connections); not on PostgreSQL, whose memory is in its own processes and where
/// the server stayed at 58 MiB without the limit.
pub fn limits_arenas_for(database_url: Option<&str>) -> bool {
    !database_url.is_some_and(|u| u.starts_with("postgres"))
}

/// Allocations from this size up get pages of their own from the kernel (glibc's
/// `M_MMAP_THRESHOLD`, fixed: glibc otherwise raises it to the largest block freed so far).
///
/// NOTE: SQLite's sorters and temporary tables during a report allocate blocks of a few
/// hundred KiB to MiB; under glibc's moving threshold they came from the arenas and one
/// report's freed blocks sat in one arena while the next report's grew the other. With
/// the threshold fixed they go back to the kernel when freed: a load probe's peak during
/// four concurrent reports went from 62.0 to 58.0 MiB (decision 0016).
pub const MALLOC_MMAP_THRESHOLD: i32 = 256 * 1024;

/// Limit glibc's malloc arenas and fix its mmap threshold when `limits_arenas_for` says
/// so; a no-op where the C library is not glibc.
pub fn limit_malloc_arenas(database_url: Option<&str>) {
    if !limits_arenas_for(database_url) {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; called first thing in `main`, before
    // any other thread is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD);
    }
}

/// The position of mimalloc's `purge_delay` option in its `mi_option_e` (mimalloc.h, v3.3:
/// `mi_option_purge_delay` is the sixteenth; the crate is pinned in Cargo.toml).
pub const MIMALLOC_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc's own default for `purge_delay`, in milliseconds (v3.3, options.c).
pub const MIMALLOC_DEFAULT_PURGE_DELAY_MS: i64 = 1000;

/// Keep mimalloc's resident memory down: give freed pages back to the system at once (its
/// default waits a second, and a burst of requests peaks higher), and no transparent huge
/// pages for this process (a 2 MiB page is resident as soon as one byte of it is touched).
/// With both, the server's peak over the load run fell from 76.5 to 55.4 MiB (decision 0014).
pub fn tune_mimalloc() {
    // SAFETY: mi_option_set only stores an option value; called first thing in `main`.
    unsafe { libmimalloc_sys::mi_option_set(MIMALLOC_PURGE_DELAY, 0) };
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) only sets a flag of this process; it takes no pointer.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_position_names_the_option_with_its_one_second_default() {
        // NOTE: read before any test sets it; the tests never call `tune_mimalloc`.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: mi_option_get only reads an option value.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::MIMALLOC_PURGE_DELAY) };
            assert_eq!(delay as i64, super::MIMALLOC_DEFAULT_PURGE_DELAY_MS);
        }
    }

    #[test]
    fn only_sqlite_and_the_default_limit_the_arenas() {
        assert!(super::limits_arenas_for(None));
        assert!(super::limits_arenas_for(Some("sqlite://data/cribs.db?mode=rwc")));
        assert!(!super::limits_arenas_for(Some("postgres://u:p@127.0.0.1/cribs")));
        assert!(!super::limits_arenas_for(Some("postgresql://u:p@127.0.0.1/cribs")));
    }
}
