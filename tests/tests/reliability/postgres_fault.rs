//! PostgreSQL stopped under load and restarted: 8 tasks write and read through the knowledge
//! repository of a private server (`pg_ctl stop -m immediate`, as by a crash). Calls in flight
//! fail with a typed error or succeed, none waits past the acquire timeout (plus slack for a
//! loaded machine), the pool recovers by itself, and every write that returned `Ok` is there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use repository::knowledge::{ContentRepository, ContentStore};
use repository::{DatabaseManager, DbConfig};
use tests::pg_server::PgServer;

use crate::replica::doc;

const TASKS: usize = 8;
const ACQUIRE: Duration = Duration::from_secs(2);
/// Slack over the acquire timeout for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);

/// What one task saw: ids whose write returned `Ok`, calls, failures, the slowest call.
struct Seen {
    written: Vec<String>,
    calls: u64,
    failures: u64,
    slowest: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(dal_pg_server),
    ignore = "PostgreSQL server binaries (initdb, pg_ctl) not installed"
)]
async fn postgres_stopped_under_load_loses_no_acknowledged_write_and_the_pool_recovers() {
    tests::init_tracing();
    let server = PgServer::init().expect("the PostgreSQL server binaries");
    server.start("127.0.0.1", &["max_connections = 50".to_owned()]);
    let mut config = DbConfig::new(server.url("postgres"));
    config.max_connections = Some(8);
    config.min_connections = 0;
    config.acquire_timeout = ACQUIRE;
    config.connect_timeout = ACQUIRE;
    let manager = DatabaseManager::connect_with(config)
        .await
        .expect("connect");
    let conn = manager.connection().await.expect("connection");
    Migrator::up(&conn, None).await.expect("migrate");

    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let store = ContentStore::new(conn.clone());
            let (stop, next) = (Arc::clone(&stop), Arc::clone(&next));
            tokio::spawn(async move {
                let mut seen = Seen {
                    written: Vec::new(),
                    calls: 0,
                    failures: 0,
                    slowest: Duration::ZERO,
                };
                while !stop.load(Ordering::Relaxed) {
                    let new = doc(next.fetch_add(1, Ordering::Relaxed));
                    let id = new.content_id.to_string();
                    let started = Instant::now();
                    let wrote = store.create(new).await;
                    let read = store.get(&id).await;
                    seen.slowest = seen.slowest.max(started.elapsed());
                    seen.calls += 2;
                    match wrote {
                        Ok(_) => {
                            seen.written.push(id);
                            // Read-after-write fails only while the server is down.
                            seen.failures += u64::from(read.is_err());
                        }
                        Err(_) => seen.failures += 1 + u64::from(read.is_err()),
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                seen
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    server.restart();
    let restarted = Instant::now();
    // The pool recovers by itself: the same manager answers again without reconnecting.
    let store = ContentStore::new(conn.clone());
    loop {
        if store.count(Default::default()).await.is_ok() {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(15),
            "the pool did not recover within 15 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = restarted.elapsed();
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, Ordering::Relaxed);

    let (mut written, mut calls, mut failures, mut slowest) = (Vec::new(), 0, 0, Duration::ZERO);
    for task in tasks {
        let seen = task.await.expect("a load task panicked");
        written.extend(seen.written);
        calls += seen.calls;
        failures += seen.failures;
        slowest = slowest.max(seen.slowest);
    }
    eprintln!(
        "{calls} calls, {failures} failed while the server was down, slowest write+read {} ms, \
         pool answered {} ms after the restart, {} writes acknowledged",
        slowest.as_millis(),
        recovered.as_millis(),
        written.len()
    );
    assert!(failures > 0, "the outage was not seen: no call failed");
    // A write and its read each wait at most the acquire timeout.
    assert!(
        slowest <= 2 * ACQUIRE + SLACK,
        "a write+read took {slowest:?}, past twice the acquire timeout"
    );
    // Every acknowledged write survived the crash.
    for id in &written {
        store
            .get(id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged write {id} lost: {e}"));
    }
    assert!(
        u64::try_from(written.len()).expect("count")
            <= store.count(Default::default()).await.expect("count"),
        "rows"
    );
    manager.disconnect().await.ok();
}
