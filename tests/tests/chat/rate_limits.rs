//! `RateLimitRepository` on a real database: the seed's `check_rate_limit`, atomic.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::Duration;
use repository::Error;
use repository::chat::{RateLimitRepository, RateLimitStore};
use tests::{TestDb, db_tests, now};

fn store(db: &TestDb) -> RateLimitStore<repository::DatabaseConnection> {
    RateLimitStore::new(db.conn.clone())
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

async fn window_limit_and_reset(db: &TestDb) {
    let repo = store(db);
    let t0 = now();
    let a = ip("192.0.2.7");
    let first = repo.check_at(a, 3, t0).await.expect("first");
    assert!(first.allowed);
    assert_eq!(first.remaining, 2);
    assert_eq!(first.reset_time, t0 + Duration::minutes(1));
    let row = repo
        .get(a)
        .await
        .expect("get")
        .expect("a row for a new address");
    assert_eq!(row.request_count, Some(1));
    assert_eq!(row.last_request.map(|t| t.into_inner()), Some(t0));

    let t1 = t0 + Duration::seconds(10);
    assert_eq!(repo.check_at(a, 3, t1).await.expect("2").remaining, 1);
    let third = repo.check_at(a, 3, t1).await.expect("3");
    assert!(third.allowed);
    assert_eq!(third.remaining, 0);
    // At the limit: refused and not counted.
    let t2 = t0 + Duration::seconds(20);
    let refused = repo.check_at(a, 3, t2).await.expect("4");
    assert!(!refused.allowed);
    assert_eq!(refused.remaining, 0);
    assert_eq!(refused.reset_time, t0 + Duration::minutes(1));
    let row = repo.get(a).await.expect("get").expect("row");
    assert_eq!(row.request_count, Some(3));
    assert_eq!(
        row.last_request.map(|t| t.into_inner()),
        Some(t1),
        "a refusal is not a request"
    );

    // Another address has its own window.
    let b = ip("2001:db8::1");
    assert!(repo.check_at(b, 3, t2).await.expect("b").allowed);

    // The window ended: it starts again.
    let t3 = t0 + Duration::minutes(1);
    let again = repo.check_at(a, 3, t3).await.expect("after reset");
    assert!(again.allowed);
    assert_eq!(again.remaining, 2);
    assert_eq!(again.reset_time, t3 + Duration::minutes(1));
    assert_eq!(
        repo.get(a).await.expect("get").expect("row").request_count,
        Some(1)
    );

    let err = repo.check_at(a, 0, t3).await.expect_err("limit 0");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "limit"),
        "{err}"
    );

    // Expired rows: b's window ended at t2 + 1 min, a's at t3 + 1 min.
    assert_eq!(repo.count().await.expect("count"), 2);
    assert_eq!(
        repo.delete_expired(t2 + Duration::seconds(61))
            .await
            .expect("expired"),
        1
    );
    assert!(repo.get(b).await.expect("get b").is_none());
    assert_eq!(repo.count().await.expect("count"), 1);
}

async fn concurrent_requests_are_counted_exactly(db: &TestDb) {
    let repo = Arc::new(store(db));
    let at = now();
    let a = ip("198.51.100.23");
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move { repo.check_at(a, 60, at).await })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        if task.await.expect("task").expect("check").allowed {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 60);
    let row = repo.get(a).await.expect("get").expect("row");
    assert_eq!(row.request_count, Some(60));
}

db_tests!(
    window_limit_and_reset,
    concurrent_requests_are_counted_exactly
);
