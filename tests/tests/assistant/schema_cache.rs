//! `SchemaCacheRepository`: the unexpired entry per connection hash, replaced on rediscovery,
//! expired, purged; and the `schema:discovery:{hash}` key invalidated on every change, on the
//! in-process cache and on Redis. A Redis that cannot be reached never fails the write.

use std::time::Duration;

use cache::{CacheConfig, CacheManager, keys};
use repository::assistant::{SchemaCacheRepository, SchemaCacheStore, connection_hash};
use repository::entity::assistant::schema_cache;
use repository::{DatabaseConnection, Error};
use serde_json::json;
use tests::{Backend, TestDb, db_tests};

use super::set_time;

const HOUR: Duration = Duration::from_secs(3600);

async fn cached(cache: &CacheManager, hash: &str) -> bool {
    cache
        .exists(&keys::schema_discovery(hash))
        .await
        .expect("exists")
}

async fn put(cache: &CacheManager, hash: &str) {
    cache
        .put(&keys::schema_discovery(hash), &json!({"tables": ["stale"]}))
        .await
        .expect("put");
}

/// Every behaviour of the store over `cache`.
async fn behaves(db: &TestDb, cache: CacheManager) {
    let repo = SchemaCacheStore::new(db.conn.clone(), cache.clone());
    let hash = connection_hash("postgresql://hr:secret@db.internal/hr");
    let other = connection_hash("postgresql://hr:secret@db.internal/payroll");
    assert_eq!(repo.get(hash.clone()).await.expect("get"), None);
    let err = repo.get("NOT-HEX".into()).await.expect_err("bad hash");
    assert!(matches!(&err, Error::Validation { field, .. } if field == "connection_string_hash"));
    let err = repo
        .replace(hash.clone(), json!({}), Duration::ZERO)
        .await
        .expect_err("ttl 0");
    assert!(matches!(&err, Error::Validation { field, .. } if field == "ttl"));

    put(&cache, &hash).await;
    put(&cache, &other).await;
    let first = repo
        .replace(hash.clone(), json!({"tables": ["employees"]}), HOUR)
        .await
        .expect("replace");
    assert!(!cached(&cache, &hash).await, "replace invalidates the key");
    assert!(cached(&cache, &other).await, "other keys stay");
    assert_eq!(
        repo.get(hash.clone()).await.expect("get"),
        Some(first.clone())
    );

    put(&cache, &hash).await;
    let second = repo
        .replace(
            hash.clone(),
            json!({"tables": ["employees", "contracts"]}),
            HOUR,
        )
        .await
        .expect("rediscover");
    assert!(!cached(&cache, &hash).await);
    assert_eq!(
        repo.get(hash.clone()).await.expect("get"),
        Some(second.clone())
    );
    assert_eq!(
        db.count("schema_cache").await,
        1,
        "the old entry is replaced"
    );
    assert_eq!(second.schema_data["tables"][1], "contracts");

    put(&cache, &hash).await;
    assert_eq!(repo.expire(hash.clone()).await.expect("expire"), 1);
    assert!(!cached(&cache, &hash).await, "expire invalidates the key");
    assert_eq!(repo.get(hash.clone()).await.expect("get"), None);
    assert_eq!(repo.expire(hash.clone()).await.expect("again"), 0);

    // Purge: the expired entry and one that expired long ago; the live one stays.
    let live = repo
        .replace(other.clone(), json!({"tables": []}), HOUR)
        .await
        .expect("other");
    let third = connection_hash("sqlite:///tmp/x.db");
    let stale = repo
        .replace(third.clone(), json!({"tables": []}), HOUR)
        .await
        .expect("third");
    set_time::<schema_cache::Entity>(
        db,
        schema_cache::Column::ExpiresAt,
        schema_cache::Column::Id,
        stale.id,
        tests::now() - chrono::Duration::days(3),
    )
    .await;
    put(&cache, &third).await;
    put(&cache, &other).await;
    assert_eq!(repo.delete_expired(1).await.expect("purge"), 2);
    assert!(!cached(&cache, &third).await, "a purge invalidates the key");
    assert!(cached(&cache, &other).await, "a live entry's key stays");
    assert_eq!(repo.get(other.clone()).await.expect("get"), Some(live));
    assert_eq!(db.count("schema_cache").await, 1);
}

async fn invalidates_the_in_process_cache(db: &TestDb) {
    behaves(db, crate::cache::memory_env().cache).await;
}

db_tests!(invalidates_the_in_process_cache);

/// Redis down (a closed port, short timeouts): every write still commits.
async fn a_redis_outage_never_fails_the_write(db: &TestDb) {
    let config = CacheConfig::redis("redis://127.0.0.1:1/0")
        .with_command_timeout(Duration::from_millis(200))
        .with_connect_timeout(Duration::from_millis(200));
    let cache = CacheManager::connect(config)
        .await
        .expect("connect tolerates Redis down");
    let repo = SchemaCacheStore::new(db.conn.clone(), cache.clone());
    let hash = connection_hash("postgresql://down");
    let entry = repo
        .replace(hash.clone(), json!({"tables": ["t"]}), HOUR)
        .await
        .expect("the database write commits");
    assert_eq!(repo.get(hash.clone()).await.expect("get"), Some(entry));
    assert_eq!(repo.expire(hash.clone()).await.expect("expire"), 1);
    assert_eq!(repo.delete_expired(10).await.expect("purge"), 1);
    cache.disconnect().await.ok();

    let no_cache: SchemaCacheStore<DatabaseConnection> =
        SchemaCacheStore::without_cache(db.conn.clone());
    no_cache
        .replace(hash, json!({}), HOUR)
        .await
        .expect("without a cache");
}

db_tests!(a_redis_outage_never_fails_the_write);

/// On the Redis of `DAL_TEST_REDIS_URL`, with each database backend.
async fn on_redis(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let env = crate::cache::redis_env().await;
    let cache = env.cache.clone();
    behaves(&db, cache.clone()).await;
    let _ = cache.clear_pattern("*").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn invalidates_redis_sqlite() {
    on_redis(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    any(not(dal_redis), not(dal_pg)),
    ignore = "DAL_TEST_REDIS_URL or DAL_TEST_DATABASE_URL not set"
)]
async fn invalidates_redis_postgres() {
    on_redis(Backend::Postgres).await;
}
