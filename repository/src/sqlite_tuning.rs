//! Process-wide SQLite settings that must be made before the first connection opens.
//!
//! SQLite keeps memory statistics (`sqlite3_memory_used`) by default, and to keep them it takes
//! one process-global mutex around every `malloc` and `free` it makes. With a pool of
//! connections, each on its own worker thread, that mutex is the busiest lock of the process:
//! measured with `perf` on `dal bench` (8 concurrent primary-key reads), a fifth of all CPU time
//! went to waking and parking threads on it. Nothing in this layer (or in sqlx) reads those
//! statistics, so they are switched off once, before SQLite initialises.
//!
//! The setting is global to the process and can only be made before SQLite's first use. If
//! something else in the process opened an SQLite database first, SQLite refuses the call with
//! `SQLITE_MISUSE`; that is harmless (the statistics simply stay on) and is only logged.

// The one FFI call of the workspace; see `configure`.
#![allow(unsafe_code)]

use std::sync::Once;

static CONFIGURE: Once = Once::new();

/// Switch SQLite's memory statistics off, once per process, before any connection opens.
pub(crate) fn configure() {
    CONFIGURE.call_once(|| {
        // SAFETY: `sqlite3_config` is documented as callable before `sqlite3_initialize` (or
        // after `sqlite3_shutdown`) and returns `SQLITE_MISUSE` otherwise, without side effects.
        // `SQLITE_CONFIG_MEMSTATUS` takes exactly one `int` argument. `Once` keeps two threads
        // of this crate from making the call at the same moment; a concurrent first open by
        // unrelated code could race with it, which SQLite also reports as `SQLITE_MISUSE`.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0_i32)
        };
        if rc == libsqlite3_sys::SQLITE_OK {
            tracing::debug!("sqlite memory statistics off");
        } else {
            tracing::debug!(
                sqlite.rc = rc,
                "sqlite was initialised before the first connection; memory statistics stay on"
            );
        }
    });
}
