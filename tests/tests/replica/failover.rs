//! Failover on a pair of its own: the replica killed under load fails no call, and gets its
//! traffic back once restarted; a replica whose replay is paused lags out of the rotation and
//! back in once it catches up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use repository::Page;
use repository::knowledge::{ContentFilter, ContentOrder, ContentRepository};
use sea_orm::ConnectionTrait;

use super::{Cluster, ReplicaDb, content_scans, doc, wait_for_scans};

/// Listings by `tasks` concurrent callers until `stop`: (calls, failures, first failure).
fn load(
    db: &ReplicaDb,
    tasks: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<(u64, u64, Option<String>)>> {
    (0..tasks)
        .map(|_| {
            let store = db.contents();
            let stop = Arc::clone(stop);
            tokio::spawn(async move {
                let (mut calls, mut failures, mut first) = (0, 0, None);
                while !stop.load(Ordering::Relaxed) {
                    calls += 1;
                    let listed = store
                        .list(
                            ContentFilter::default(),
                            ContentOrder::CreatedAsc,
                            Page::first(50),
                        )
                        .await;
                    match listed {
                        Ok(rows) if rows.len() == 20 => {}
                        Ok(rows) => {
                            failures += 1;
                            first.get_or_insert(format!("{} rows", rows.len()));
                        }
                        Err(err) => {
                            failures += 1;
                            first.get_or_insert(err.to_string());
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                (calls, failures, first)
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(dal_pg_server),
    ignore = "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not installed"
)]
async fn replica_killed_under_load_fails_no_call_and_gets_traffic_back_after_restart() {
    let cluster = Cluster::start();
    let db = ReplicaDb::create(&cluster, |_| {}).await;
    let store = db.contents();
    for i in 0..20 {
        store.create(doc(i)).await.expect("write");
    }
    db.caught_up().await;

    let stop = Arc::new(AtomicBool::new(false));
    let tasks = load(&db, 4, &stop);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let killed_at = Instant::now();
    cluster.replica.kill();
    db.wait_in_rotation(false).await;
    eprintln!(
        "replica out of the rotation {} ms after it was killed",
        killed_at.elapsed().as_millis()
    );
    assert!(
        !db.router.reader().is_replica(),
        "reads fall back to the primary"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;

    cluster.replica.restart();
    let restarted_at = Instant::now();
    db.wait_in_rotation(true).await;
    eprintln!(
        "replica back in the rotation {} ms after its restart",
        restarted_at.elapsed().as_millis()
    );
    // The restarted server counts from zero: it serves the load again.
    let served = wait_for_scans(&db.on_replica, 20).await;
    assert!(
        served >= 20,
        "the restarted replica served {served} listings"
    );

    stop.store(true, Ordering::Relaxed);
    let (mut calls, mut failures, mut first) = (0, 0, None);
    for task in tasks {
        let (c, f, e) = task.await.expect("load task");
        calls += c;
        failures += f;
        first = first.or(e);
    }
    eprintln!("{calls} listings, {failures} failed");
    assert!(calls > 100, "the load ran: {calls} calls");
    assert_eq!(failures, 0, "a call failed: {first:?}");
    db.manager.disconnect().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(dal_pg_server),
    ignore = "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not installed"
)]
async fn replica_lagging_beyond_max_replica_lag_leaves_the_rotation_until_it_catches_up() {
    let cluster = Cluster::start();
    let db = ReplicaDb::create(&cluster, |c| {
        c.max_replica_lag = Duration::from_millis(300);
    })
    .await;
    let store = db.contents();
    store.create(doc(0)).await.expect("write");
    db.caught_up().await;
    db.wait_in_rotation(true).await;

    db.on_replica
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .expect("pause replay");
    // Writes the replica receives but does not replay: its lag grows past 300 ms.
    let writer = {
        let store = db.contents();
        tokio::spawn(async move {
            for i in 1..40 {
                store.create(doc(i)).await.expect("write");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    db.wait_in_rotation(false).await;
    let nodes = db.router.nodes().await;
    assert!(
        nodes[1]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("max_replica_lag")),
        "{nodes:?}"
    );
    writer.await.expect("writer");
    let rows = store
        .list(
            ContentFilter::default(),
            ContentOrder::CreatedAsc,
            Page::first(100),
        )
        .await
        .expect("listing");
    assert_eq!(
        rows.len(),
        40,
        "while the replica lags, listings read the primary"
    );

    db.on_replica
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .expect("resume replay");
    db.caught_up().await;
    db.wait_in_rotation(true).await;
    assert!(db.router.reader().is_replica());
    let before = content_scans(&db.on_replica).await;
    for _ in 0..5 {
        store
            .list(
                ContentFilter::default(),
                ContentOrder::CreatedAsc,
                Page::first(100),
            )
            .await
            .expect("listing");
    }
    assert!(wait_for_scans(&db.on_replica, before + 5).await >= before + 5);
    db.manager.disconnect().await.ok();
}
