//! SQLite settings that need its C API: one process-wide, one per connection.
//!
//! **Memory statistics off** ([`configure`]). By default SQLite keeps memory statistics
//! (`sqlite3_memory_used`, `sqlite3_status64`, and what the soft and hard heap limits need) and,
//! to keep them, takes one process-global mutex around every allocation and free it makes. With
//! a pool of connections on several threads that mutex becomes the busiest lock of the process
//! (the figures are in `bench/README.md`). Neither this layer nor sqlx reads the statistics or
//! sets a heap limit, so they are switched off before SQLite initialises.
//!
//! Why a runtime call and not the build-time default `SQLITE_DEFAULT_MEMSTATUS=0`:
//! libsqlite3-sys compiles SQLite from source and takes that flag from `LIBSQLITE3_FLAGS`, which
//! a `.cargo/config.toml` `[env]` section can set (`PRAGMA compile_options` then lists
//! `DEFAULT_MEMSTATUS=0`); but Cargo reads that file only from the workspace that runs the
//! build, so every application that depends on this crate from its own workspace would silently
//! build SQLite with the statistics on. The call works wherever this crate is used.
//!
//! `sqlite3_config` only takes effect before SQLite initialises, i.e. before the process's first
//! use of SQLite. If something else in the process used SQLite first, the call changes nothing and
//! returns `SQLITE_MISUSE`; that is harmless (the statistics stay on) and only logged.
//!
//! **A busy handler that sleeps briefly** ([`install_busy_handler`]), on every pooled connection.

// The workspace's FFI calls (`configure`, `install_busy_handler`), each with its SAFETY note.
#![allow(unsafe_code)]

use std::sync::Once;

static CONFIGURE: Once = Once::new();

/// Switch SQLite's memory statistics off, once per process, before this crate opens its first
/// SQLite connection.
pub(crate) fn configure() {
    CONFIGURE.call_once(|| {
        // SAFETY: SQLite documents `sqlite3_config` as not threadsafe: no other thread may be
        // inside any SQLite interface while it runs. Before `sqlite3_initialize` (or after
        // `sqlite3_shutdown`) it applies the option; afterwards it returns `SQLITE_MISUSE` and
        // changes no setting (it only reports the misuse to SQLite's error log, when an
        // application installed one). `SQLITE_CONFIG_MEMSTATUS` takes exactly one `int`, which is what is
        // passed.
        // What holds: this crate makes no SQLite call until this one has returned. `configure`
        // runs in `DatabaseManager::connect` before the pool opens a connection, and `Once`
        // blocks every other caller (another manager connecting on another thread) until the
        // call has returned. What this crate cannot rule out is SQLite used on another thread
        // by other code of the process at this very moment (its first SQLite use); that is the
        // requirement `DatabaseManager` documents for applications that reach SQLite some other
        // way too.
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

/// Attempt `n`'s sleep (µs) of [`busy_handler`]: 25 µs doubling to 1 ms.
const fn busy_delay_us(attempt: u32) -> u64 {
    let shift = if attempt > 6 { 6 } else { attempt };
    let delay = 25_u64 << shift;
    if delay > 1_000 { 1_000 } else { delay }
}

/// How long attempts `0..n` of [`busy_handler`] slept in all (µs).
const fn busy_waited_us(attempts: u32) -> u64 {
    let mut total = 0;
    let mut k = 0;
    while k < attempts && k <= 6 {
        total += busy_delay_us(k);
        k += 1;
    }
    if attempts > 7 {
        total += (attempts as u64 - 7) * 1_000;
    }
    total
}

/// SQLite's busy handler, replacing the one `busy_timeout` installs.
///
/// SQLite's own sleeps 1, 2, 5, 10, 15, 20, 25… ms between attempts to take a lock, however soon
/// it comes free; this layer's write transactions hold the lock for well under a millisecond, so
/// a waiting writer would sleep far longer than the lock is held (the figures are in
/// `bench/README.md`). This one starts at 25 µs and doubles up to 1 ms, and gives up
/// (`SQLITE_BUSY`, "database is locked") once its sleeps add up to the same busy timeout.
///
/// `timeout_ms` travels in the callback's user-data pointer as a plain integer, so there is
/// nothing to allocate or free.
unsafe extern "C" fn busy_handler(timeout_ms: *mut std::ffi::c_void, attempts: i32) -> i32 {
    let attempts = u32::try_from(attempts).unwrap_or(0);
    let timeout_us = (timeout_ms as usize as u64).saturating_mul(1_000);
    if busy_waited_us(attempts) >= timeout_us {
        return 0;
    }
    std::thread::sleep(std::time::Duration::from_micros(busy_delay_us(attempts)));
    1
}

/// Install [`busy_handler`] on a new pooled connection (sqlx's `after_connect`).
///
/// # Errors
/// When the connection's handle cannot be locked.
pub(crate) async fn install_busy_handler(
    conn: &mut sea_orm::sqlx::SqliteConnection,
    timeout: std::time::Duration,
) -> Result<(), sea_orm::sqlx::Error> {
    let timeout_ms = usize::try_from(timeout.as_millis()).unwrap_or(usize::MAX);
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, locked for the call. The handler is a plain
    // function that only reads its integer argument and sleeps; SQLite calls it on the thread
    // that is using the connection, while the connection is open.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_busy_handler(db, Some(busy_handler), timeout_ms as *mut _)
    };
    if rc != libsqlite3_sys::SQLITE_OK {
        tracing::warn!(
            sqlite.rc = rc,
            "could not install the busy handler; SQLite's own stays"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_schedule_starts_short_and_caps_at_a_millisecond() {
        assert_eq!(busy_delay_us(0), 25);
        assert_eq!(busy_delay_us(1), 50);
        assert_eq!(busy_delay_us(5), 800);
        assert_eq!(busy_delay_us(6), 1_000);
        assert_eq!(busy_delay_us(60), 1_000);
        assert_eq!(busy_waited_us(0), 0);
        assert_eq!(busy_waited_us(3), 25 + 50 + 100);
        assert_eq!(busy_waited_us(7), 25 + 50 + 100 + 200 + 400 + 800 + 1_000);
        assert_eq!(busy_waited_us(10), busy_waited_us(7) + 3_000);
    }
}
