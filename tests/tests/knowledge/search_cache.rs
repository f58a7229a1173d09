//! `SearchCacheRepository` on a real database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use repository::knowledge::search_cache::{MAX_CLEANUP_CHUNK, MAX_TTL};
use repository::knowledge::{
    CacheStats, DEFAULT_CLEANUP_CHUNK, NewSearchCache, SearchCacheRepository, SearchCacheStore,
};
use repository::{Error, QueryHash};
use sea_orm::{DatabaseExecutor, TransactionTrait};
use serde_json::json;
use tests::now;
use tests::{TestDb, db_tests};

/// Breaks one field of a valid input.
type Breaker<T> = Box<dyn Fn(&mut T)>;

fn store(db: &TestDb) -> SearchCacheStore<sea_orm::DatabaseConnection> {
    SearchCacheStore::new(db.conn.clone())
}

fn hash(i: u32) -> String {
    format!("{i:064x}")
}

fn qh(i: u32) -> QueryHash {
    hash(i).parse().expect("a valid query hash")
}

fn entry(i: u32, ttl: Duration) -> NewSearchCache {
    NewSearchCache {
        query_hash: qh(i),
        original_query: format!("how do I borrow {i}"),
        search_results: json!([{"title": "Ownership", "score": 0.9, "i": i}]),
        technology_hint: Some("rust".into()),
        workspace_slugs: Some(vec!["rust-docs".into(), "rust-book".into()]),
        result_count: 1,
        execution_time_ms: 12,
        ttl,
    }
}

const HOUR: Duration = Duration::from_secs(3600);

fn micro() -> chrono::Duration {
    chrono::Duration::microseconds(1)
}

async fn put_then_get_counts_accesses(db: &TestDb) {
    let repo = store(db);
    let before = now();
    let stored = repo.put(entry(1, HOUR)).await.expect("put");
    assert_eq!(stored.access_count, 0);
    assert!(!stored.cache_hit);
    assert!(stored.created_at >= before);
    assert_eq!(
        stored.expires_at - stored.created_at,
        chrono::Duration::hours(1)
    );
    assert_eq!(
        stored.workspace_slugs,
        Some(json!(["rust-docs", "rust-book"]).into())
    );

    let at = now();
    let hit = repo.get(&hash(1), at).await.expect("get").expect("hit");
    assert_eq!(hit.access_count, 1);
    assert!(hit.cache_hit);
    assert_eq!(hit.last_accessed_at, at);
    assert_eq!(hit.search_results, stored.search_results);
    assert_eq!(hit.original_query, stored.original_query);
    assert_eq!(hit.workspace_slugs, stored.workspace_slugs);
    assert_eq!(hit.expires_at, stored.expires_at);
    assert_eq!(hit.created_at, stored.created_at);

    let again = repo.get(&hash(1), now()).await.expect("get").expect("hit");
    assert_eq!(again.access_count, 2);

    // A miss is None, not an error.
    assert_eq!(repo.get(&hash(2), now()).await.expect("miss"), None);

    // No optional parts.
    let mut bare = entry(3, HOUR);
    bare.technology_hint = None;
    bare.workspace_slugs = None;
    bare.search_results = json!({"results": []});
    bare.result_count = 0;
    bare.execution_time_ms = 0;
    let stored = repo.put(bare).await.expect("put bare");
    let hit = repo.get(&hash(3), now()).await.expect("get").expect("hit");
    assert_eq!(hit.technology_hint, None);
    assert_eq!(hit.workspace_slugs, None);
    assert_eq!(hit.search_results, stored.search_results);
}

async fn put_replaces_the_entry(db: &TestDb) {
    let repo = store(db);
    repo.put(entry(1, HOUR)).await.expect("put");
    repo.get(&hash(1), now()).await.expect("get").expect("hit");
    repo.get(&hash(1), now()).await.expect("get").expect("hit");

    let mut newer = entry(1, HOUR * 2);
    newer.search_results = json!([{"title": "Borrowing"}]);
    newer.result_count = 7;
    let replaced = repo.put(newer).await.expect("put again");
    assert_eq!(db.count("search_cache").await, 1);
    let hit = repo.get(&hash(1), now()).await.expect("get").expect("hit");
    assert_eq!(hit.access_count, 1, "the access count starts again");
    assert_eq!(hit.search_results, json!([{"title": "Borrowing"}]));
    assert_eq!(hit.result_count, 7);
    assert_eq!(hit.expires_at, replaced.expires_at);
    assert_eq!(
        replaced.expires_at - replaced.created_at,
        chrono::Duration::hours(2)
    );

    // Replacing an expired entry revives it.
    repo.put(entry(2, Duration::from_secs(1)))
        .await
        .expect("short");
    let later = now() + chrono::Duration::seconds(5);
    assert_eq!(repo.get(&hash(2), later).await.expect("expired"), None);
    repo.put(entry(2, HOUR)).await.expect("revive");
    assert!(repo.get(&hash(2), later).await.expect("get").is_some());
}

async fn expiry_is_exclusive_at_now(db: &TestDb) {
    let repo = store(db);
    let stored = repo.put(entry(1, HOUR)).await.expect("put");
    let expires_at = stored.expires_at.into_inner();

    // expires_at == now: expired. A miss, and the row is not touched.
    assert_eq!(repo.get(&hash(1), expires_at).await.expect("get"), None);
    assert_eq!(
        repo.get(&hash(1), expires_at + micro()).await.expect("get"),
        None
    );
    assert_eq!(
        repo.stats(expires_at).await.expect("stats"),
        CacheStats {
            total: 1,
            expired: 1
        }
    );
    // One microsecond before: still valid, and this access is the first one counted.
    let hit = repo
        .get(&hash(1), expires_at - micro())
        .await
        .expect("get")
        .expect("hit just before expiry");
    assert_eq!(hit.access_count, 1, "the misses were not counted");
    assert_eq!(
        repo.stats(expires_at - micro()).await.expect("stats"),
        CacheStats {
            total: 1,
            expired: 0
        }
    );

    // The cleanup agrees: nothing to delete a microsecond before, the row at expires_at.
    let report = repo
        .cleanup_expired(expires_at - micro(), Some(DEFAULT_CLEANUP_CHUNK))
        .await
        .expect("cleanup");
    assert_eq!((report.deleted, report.chunks), (0, 0));
    assert_eq!(db.count("search_cache").await, 1);
    let report = repo
        .cleanup_expired(expires_at, None)
        .await
        .expect("cleanup");
    assert_eq!((report.deleted, report.chunks), (1, 1));
    assert_eq!(db.count("search_cache").await, 0);
}

/// Insert `n` rows, the even ones expiring at `now - 1 h`, the odd ones at `now + 1 h`.
async fn fill(repo: &SearchCacheStore<sea_orm::DatabaseConnection>, n: u32) -> DateTime<Utc> {
    for i in 0..n {
        let ttl = if i % 2 == 0 {
            Duration::from_secs(1)
        } else {
            HOUR * 2
        };
        repo.put(entry(i, ttl)).await.expect("put");
    }
    now() + chrono::Duration::hours(1)
}

async fn cleanup_deletes_only_expired_rows_in_chunks(db: &TestDb) {
    let repo = store(db);
    let at = fill(&repo, 25).await;
    assert_eq!(
        repo.stats(at).await.expect("stats"),
        CacheStats {
            total: 25,
            expired: 13
        }
    );

    let report = repo.cleanup_expired(at, Some(5)).await.expect("cleanup");
    assert_eq!(report.deleted, 13);
    assert_eq!(report.chunks, 3, "5 + 5 + 3");
    assert_eq!(
        repo.stats(at).await.expect("stats"),
        CacheStats {
            total: 12,
            expired: 0
        }
    );
    for i in 0..25 {
        let found = repo.get(&hash(i), at).await.expect("get");
        assert_eq!(found.is_some(), i % 2 == 1, "row {i}");
    }

    // Nothing left to do.
    let report = repo
        .cleanup_expired(at, Some(5))
        .await
        .expect("cleanup again");
    assert_eq!((report.deleted, report.chunks), (0, 0));

    // An exact multiple of the chunk size.
    let at = fill(&repo, 20).await;
    let report = repo.cleanup_expired(at, Some(10)).await.expect("cleanup");
    assert_eq!((report.deleted, report.chunks), (10, 1));
    let report = repo.cleanup_expired(at, Some(1)).await.expect("cleanup");
    assert_eq!((report.deleted, report.chunks), (0, 0));
}

async fn cleanup_chunk_size_is_bounded(db: &TestDb) {
    let repo = store(db);
    for bad in [0, MAX_CLEANUP_CHUNK + 1] {
        assert!(matches!(
            repo.cleanup_expired(now(), Some(bad)).await,
            Err(Error::Validation { field, .. }) if field == "chunk_size"
        ));
    }
    let report = repo
        .cleanup_expired(now(), Some(MAX_CLEANUP_CHUNK))
        .await
        .expect("largest chunk on an empty table");
    assert_eq!((report.deleted, report.chunks), (0, 0));
    assert_eq!(
        repo.stats(now()).await.expect("stats"),
        CacheStats::default(),
        "an empty table"
    );
}

async fn cleanup_runs_beside_readers_and_writers(db: &TestDb) {
    let repo = store(db);
    let at = fill(&repo, 200).await;
    let cleaner = {
        let repo = store(db);
        tokio::spawn(async move { repo.cleanup_expired(at, Some(7)).await })
    };
    let mut others = Vec::new();
    for k in 0..4u32 {
        let repo = store(db);
        others.push(tokio::spawn(async move {
            for i in 0..25u32 {
                let odd = 2 * (k * 25 + i) + 1;
                repo.get(&hash(odd), at)
                    .await
                    .expect("get")
                    .expect("unexpired row");
                repo.put(entry(1000 + k * 25 + i, HOUR * 2))
                    .await
                    .expect("put");
            }
        }));
    }
    for t in others {
        t.await.expect("join");
    }
    let report = cleaner.await.expect("join").expect("cleanup");
    assert_eq!(report.deleted, 100);
    assert_eq!(db.count("search_cache").await, 200);
}

async fn concurrent_gets_lose_no_access(db: &TestDb) {
    let repo = store(db);
    repo.put(entry(1, HOUR)).await.expect("put");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let repo = store(db);
        tasks.push(tokio::spawn(async move { repo.get(&hash(1), now()).await }));
    }
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(
            t.await
                .expect("join")
                .expect("get")
                .expect("hit")
                .access_count,
        );
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=20).collect::<Vec<_>>(),
        "each access counted once"
    );
}

async fn validation_names_field_rule_and_value(db: &TestDb) {
    let repo = store(db);
    let cases: Vec<(&str, Breaker<NewSearchCache>)> = vec![
        (
            "original_query",
            Box::new(|e| e.original_query = " ".into()),
        ),
        (
            "original_query",
            Box::new(|e| e.original_query = "q".repeat(10_001)),
        ),
        (
            "search_results",
            Box::new(|e| e.search_results = serde_json::Value::Null),
        ),
        (
            "technology_hint",
            Box::new(|e| e.technology_hint = Some(String::new())),
        ),
        (
            "workspace_slugs",
            Box::new(|e| e.workspace_slugs = Some(vec!["ok".into(), " ".into()])),
        ),
        ("result_count", Box::new(|e| e.result_count = -1)),
        ("execution_time_ms", Box::new(|e| e.execution_time_ms = -1)),
        ("ttl", Box::new(|e| e.ttl = Duration::ZERO)),
        (
            "ttl",
            Box::new(|e| e.ttl = MAX_TTL + Duration::from_secs(1)),
        ),
    ];
    for (field, break_it) in cases {
        let mut e = entry(1, HOUR);
        break_it(&mut e);
        match repo.put(e).await {
            Err(Error::Validation {
                field: f,
                rule,
                value,
            }) => {
                assert_eq!(f, field);
                assert!(!rule.is_empty() && !value.is_empty());
            }
            other => panic!("{field}: expected a Validation error, got {other:?}"),
        }
    }
    assert_eq!(db.count("search_cache").await, 0, "nothing was written");
    // The bounds themselves are accepted.
    let mut edge = entry(2, MAX_TTL);
    edge.workspace_slugs = Some(Vec::new());
    repo.put(edge).await.expect("longest ttl, no workspaces");
    repo.put(entry(3, Duration::from_micros(1)))
        .await
        .expect("shortest ttl");
}

async fn put_many_in_one_transaction(db: &TestDb) {
    let repo = store(db);
    assert_eq!(repo.put_many(Vec::new()).await.expect("nothing"), 0);

    // More rows than one statement takes; a repeated hash keeps its last entry.
    let mut entries: Vec<NewSearchCache> = (0..2_500)
        .map(|i| {
            NewSearchCache::new(qh(i), format!("query {i}"), json!([i, i + 1])).with_ttl(
                if i % 2 == 0 {
                    Duration::from_micros(1)
                } else {
                    HOUR
                },
            )
        })
        .collect();
    entries.push(
        NewSearchCache::new(qh(7), "query seven, again", json!({"again": true}))
            .with_technology_hint("go")
            .with_workspace_slugs(vec!["go-docs".into()])
            .with_execution_time_ms(9),
    );
    assert_eq!(repo.put_many(entries).await.expect("put many"), 2_500);
    assert_eq!(db.count("search_cache").await, 2_500);
    let seven = repo.get(&hash(7), now()).await.expect("get").expect("hit");
    assert_eq!(seven.original_query, "query seven, again");
    assert_eq!(seven.search_results, json!({"again": true}));
    assert_eq!(seven.result_count, 0, "not an array");
    assert_eq!(seven.technology_hint.as_deref(), Some("go"));
    assert_eq!(seven.workspace_slugs, Some(json!(["go-docs"]).into()));
    assert_eq!(seven.execution_time_ms, 9);
    assert_eq!(
        seven.expires_at - seven.created_at,
        chrono::Duration::hours(1)
    );
    let one = repo.get(&hash(1), now()).await.expect("get").expect("hit");
    assert_eq!(one.result_count, 2, "the array's length");

    // Putting again replaces; the even ones (1 µs) have expired already.
    let at = now();
    assert_eq!(
        repo.stats(at).await.expect("stats"),
        CacheStats {
            total: 2_500,
            expired: 1_250
        }
    );
    let report = repo.cleanup_expired(at, None).await.expect("cleanup");
    let chunk = DEFAULT_CLEANUP_CHUNK;
    assert_eq!(report.deleted, 1_250);
    assert_eq!(
        report.chunks,
        1_250_u64.div_ceil(chunk),
        "chunks of {chunk}"
    );

    // One bad entry: nothing is written.
    let mut bad = vec![NewSearchCache::new(qh(9_000), "fine", json!([]))];
    bad.push(NewSearchCache::new(qh(9_001), " ", json!([])));
    assert!(matches!(
        repo.put_many(bad).await,
        Err(Error::Validation { field, .. }) if field == "entries[1].original_query"
    ));
    // A bad hash cannot even be put in an entry.
    for bad in ["", "ABCDEF", "xyz"] {
        assert!(matches!(
            bad.parse::<QueryHash>(),
            Err(Error::Validation { field, .. }) if field == "query_hash"
        ));
    }
    assert_eq!(db.count("search_cache").await, 1_250);
}

async fn joins_a_unit_of_work(db: &TestDb) {
    let txn = db.conn.begin().await.expect("begin");
    {
        let repo = SearchCacheStore::new(DatabaseExecutor::from(&txn));
        repo.put(entry(1, HOUR)).await.expect("put in txn");
        assert!(repo.get(&hash(1), now()).await.expect("get").is_some());
    }
    txn.rollback().await.expect("rollback");
    assert_eq!(db.count("search_cache").await, 0);
}

db_tests!(
    put_then_get_counts_accesses,
    put_replaces_the_entry,
    expiry_is_exclusive_at_now,
    cleanup_deletes_only_expired_rows_in_chunks,
    cleanup_chunk_size_is_bounded,
    cleanup_runs_beside_readers_and_writers,
    concurrent_gets_lose_no_access,
    validation_names_field_rule_and_value,
    put_many_in_one_transaction,
    joins_a_unit_of_work,
);
