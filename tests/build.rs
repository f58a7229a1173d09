//! Decides at build time which server-backed test variants are compiled as runnable, so that the
//! test runner reports the others as *ignored, with the reason* instead of as passed:
//!
//! - `dal_pg`: `DAL_TEST_DATABASE_URL` is set (or `CI` is), so the PostgreSQL variants run;
//! - `dal_redis`: `DAL_TEST_REDIS_URL` is set (or `CI` is), so the Redis variants run;
//! - `dal_chroma`: `DAL_TEST_CHROMA_URL` is set (or `CI` is), so the Chroma variants run;
//! - `dal_redis_cluster`: `DAL_TEST_REDIS_CLUSTER_URL` is set (or `CI` is), so the tests on that
//!   Redis Cluster run (`scripts/test` starts one on ports 7000-7002).
//!
//! - `dal_pg_server`: the PostgreSQL server binaries (`initdb`, `pg_ctl`, `pg_basebackup`) are
//!   installed (or `CI` is set), so the tests that start a private primary and its streaming
//!   replica run.
//!
//! With `CI` set all are always on: a missing URL then fails the tests that need it, loudly,
//! rather than skipping them. Cargo rebuilds the tests when any of these variables changes.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(dal_pg)");
    println!("cargo::rustc-check-cfg=cfg(dal_redis)");
    println!("cargo::rustc-check-cfg=cfg(dal_chroma)");
    println!("cargo::rustc-check-cfg=cfg(dal_redis_cluster)");
    let ci = std::env::var_os("CI").is_some();
    for (var, cfg) in [
        ("DAL_TEST_DATABASE_URL", "dal_pg"),
        ("DAL_TEST_REDIS_URL", "dal_redis"),
        ("DAL_TEST_CHROMA_URL", "dal_chroma"),
        ("DAL_TEST_REDIS_CLUSTER_URL", "dal_redis_cluster"),
    ] {
        println!("cargo::rerun-if-env-changed={var}");
        let set = std::env::var_os(var).is_some_and(|url| !url.is_empty());
        if set || ci {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    println!("cargo::rustc-check-cfg=cfg(dal_pg_server)");
    println!("cargo::rerun-if-changed=/usr/lib/postgresql");
    if ci || pg_server_binaries() {
        println!("cargo::rustc-cfg=dal_pg_server");
    }
    println!("cargo::rerun-if-env-changed=CI");
}

/// Whether `initdb`, `pg_ctl` and `pg_basebackup` are in a `/usr/lib/postgresql/*/bin` (Debian)
/// or on `PATH` (the same places `tests::pg_server` looks).
fn pg_server_binaries() -> bool {
    let complete = |dir: &std::path::Path| {
        ["initdb", "pg_ctl", "pg_basebackup"]
            .iter()
            .all(|bin| dir.join(bin).is_file())
    };
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| complete(&entry.path().join("bin")));
    debian
        || std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| complete(&dir)))
}
