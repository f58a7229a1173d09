//! Routing on the shared primary + replica: listings read the replica, writes and
//! transactions run on the primary, a handle pinned to the primary reads its own writes, and
//! the router reports both nodes.

use repository::knowledge::{ContentFilter, ContentOrder, ContentRepository};
use repository::replica::NodeRole;
use repository::{Page, ReadRoute};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use super::{ReplicaDb, content_scans, doc, shared, wait_for_scans};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(dal_pg_server),
    ignore = "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not installed"
)]
async fn replica_serves_listings_and_the_primary_takes_writes() {
    let db = ReplicaDb::create(shared(), |_| {}).await;
    let store = db.contents();
    for i in 0..10 {
        store
            .create(doc(i))
            .await
            .expect("a write through the router");
    }
    db.caught_up().await;
    // Let the writers' own scans (existence checks) be published before counting.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (replica_before, primary_before) = (
        content_scans(&db.on_replica).await,
        content_scans(&db.on_primary).await,
    );

    const READS: i64 = 30;
    for _ in 0..READS {
        let rows = store
            .list(
                ContentFilter::default(),
                ContentOrder::CreatedAsc,
                Page::first(100),
            )
            .await
            .expect("a listing");
        assert_eq!(rows.len(), 10, "the replica has every replicated row");
    }
    let replica_after = wait_for_scans(&db.on_replica, replica_before + READS).await;
    let primary_after = content_scans(&db.on_primary).await;
    assert!(
        replica_after - replica_before >= READS,
        "the replica counted {} scans for {READS} listings",
        replica_after - replica_before
    );
    assert!(
        primary_after - primary_before < READS,
        "the primary counted {} scans: the listings ran there",
        primary_after - primary_before
    );

    // Writes and transactions on the router run on the primary (a standby refuses them).
    let txn = db
        .router
        .begin()
        .await
        .expect("a transaction on the router");
    let in_txn = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_is_in_recovery() AS standby",
        ))
        .await
        .expect("query in the transaction")
        .and_then(|r| r.try_get::<bool>("", "standby").ok());
    assert_eq!(in_txn, Some(false), "transactions run on the primary");
    // Reads in a transaction stay in it.
    let reader = txn.reader();
    reader
        .execute_unprepared(
            "UPDATE content_metadata SET word_count = 7 WHERE content_id = 'r00000000'",
        )
        .await
        .expect("a write in the transaction");
    txn.commit().await.expect("commit");
    let written = db
        .router
        .reader()
        .execute_unprepared(
            "UPDATE content_metadata SET word_count = 8 WHERE content_id = 'r00000001'",
        )
        .await
        .expect("a write through a reader runs on the primary");
    assert_eq!(written.rows_affected(), 1);

    let nodes = db.manager.nodes().await.expect("nodes");
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert_eq!(nodes[0].role, NodeRole::Primary);
    assert_eq!(nodes[1].role, NodeRole::Replica);
    assert!(
        nodes.iter().all(|n| n.reachable && n.in_rotation),
        "{nodes:?}"
    );
    assert!(nodes[1].lag_ms.is_some_and(|ms| ms < 5000.0), "{nodes:?}");
    assert!(nodes[1].pool.open >= 1, "{nodes:?}");
    db.manager.disconnect().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(dal_pg_server),
    ignore = "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not installed"
)]
async fn replica_read_your_writes_on_a_handle_pinned_to_the_primary() {
    let db = ReplicaDb::create(shared(), |_| {}).await;
    let pinned = repository::knowledge::ContentStore::new(db.router.on_primary());
    assert!(!db.router.on_primary().reader().is_replica());
    assert!(db.router.reader().is_replica(), "the replica is healthy");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let replica_before = content_scans(&db.on_replica).await;
    for i in 0..25u32 {
        pinned.create(doc(i)).await.expect("write");
        let rows = pinned
            .list(
                ContentFilter::default(),
                ContentOrder::CreatedAsc,
                Page::first(100),
            )
            .await
            .expect("listing");
        assert_eq!(
            rows.len(),
            i as usize + 1,
            "the listing right after write {i} sees it"
        );
        let count = pinned.count(ContentFilter::default()).await.expect("count");
        assert_eq!(count, u64::from(i) + 1);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        content_scans(&db.on_replica).await,
        replica_before,
        "no read of the pinned handle went to the replica"
    );
    db.manager.disconnect().await.ok();
}
