//! A pool exhausted by long transactions: the next caller gets the acquire-timeout error within
//! `acquire_timeout` (plus a margin), never a hang; once a transaction ends, calls succeed.

use std::time::{Duration, Instant};

use repository::{DatabaseManager, DbConfig, Error};
use sea_orm::{ConnAcquireErr, DbErr, TransactionTrait};
use tests::TestDb;

const ACQUIRE: Duration = Duration::from_millis(500);
/// Slack over the acquire timeout for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);

async fn exhausted_pool_times_out(db: &TestDb) {
    let mut config = DbConfig::new(db.url.clone());
    config.max_connections = Some(2);
    config.min_connections = 0;
    config.acquire_timeout = ACQUIRE;
    let manager = DatabaseManager::connect_with(config)
        .await
        .expect("connect");
    let conn = manager.connection().await.expect("connection");

    // Two long transactions hold both connections (reads: SQLite allows them side by side).
    let first = conn.begin().await.expect("first transaction");
    let second = conn.begin().await.expect("second transaction");

    for _ in 0..3 {
        let start = Instant::now();
        let result = manager
            .fetch_one("SELECT count(*) AS n FROM content_metadata", vec![])
            .await;
        let took = start.elapsed();
        assert!(
            matches!(
                result,
                Err(Error::Db(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)))
            ),
            "{:?}: expected the acquire timeout, got {result:?}",
            db.backend
        );
        assert!(
            took >= ACQUIRE.saturating_sub(Duration::from_millis(50)),
            "{took:?}"
        );
        assert!(took < ACQUIRE + SLACK, "{:?}: waited {took:?}", db.backend);
        let shown = result.expect_err("error").to_string();
        assert!(shown.contains("timed out"), "{shown}");
    }
    // A transaction ends: the next call gets its connection.
    first.rollback().await.expect("rollback");
    let row = manager
        .fetch_one("SELECT count(*) AS n FROM content_metadata", vec![])
        .await
        .expect("a call after a connection came back");
    assert!(row.is_some());
    second.rollback().await.expect("rollback");
    manager.disconnect().await.expect("disconnect");
}

tests::db_tests!(exhausted_pool_times_out);
