//! Redis killed (SIGKILL) under load and restarted on the same port: 50 tasks use the cache and
//! read the database throughout. No cache call waits longer than the command timeout plus a
//! margin, database reads keep answering, the cache serves again within 2 s of the restart, a
//! subscriber gets a message published after the restart, and a lock held before the kill is not
//! granted to anyone else after it.
//!
//! "Not granted twice" needs the lock to outlive the server: a Redis without persistence comes
//! back empty and would grant it again. This test runs the private server as a deployment that
//! relies on Redis locks must: `appendonly yes` with `appendfsync always`, so that the `SET NX`
//! that took the lock is on disk before its reply.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cache::{CacheConfig, CacheManager};
use tests::{Backend, TestDb};

use crate::cache::server::{self, RedisServer};

const TIMEOUT: Duration = Duration::from_millis(300);
/// Margin over the command timeout for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);
const TASKS: usize = 50;
/// Persistence that keeps a lock across a crash of the server.
const DURABLE: [&str; 4] = ["--appendonly", "yes", "--appendfsync", "always"];

#[derive(Default)]
struct Stats {
    cache_ok: AtomicU64,
    cache_failed: AtomicU64,
    slowest_cache_us: AtomicU64,
    db_ok: AtomicU64,
    db_failed: AtomicU64,
}

impl Stats {
    fn cache(&self, ok: bool, took: Duration) {
        let counter = if ok {
            &self.cache_ok
        } else {
            &self.cache_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.slowest_cache_us.fetch_max(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

/// One of the loaded tasks: set, get, and a database read, until `stop`.
fn worker(
    n: usize,
    cache: CacheManager,
    db: repository::DatabaseConnection,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let key = format!("load:{n}");
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let start = Instant::now();
            let set = cache
                .set(key.as_str(), i.to_string(), Duration::from_secs(60))
                .await;
            stats.cache(set.is_ok(), start.elapsed());
            let start = Instant::now();
            let got = cache.get(key.as_str()).await;
            stats.cache(got.is_ok(), start.elapsed());
            if super::db_read(&db).await {
                stats.db_ok.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.db_failed.fetch_add(1, Ordering::Relaxed);
            }
            i += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

async fn start(port: u16, dir: std::path::PathBuf) -> RedisServer {
    tokio::task::spawn_blocking(move || RedisServer::start(port, &dir, &DURABLE))
        .await
        .expect("start redis")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn redis_killed_under_load_and_restarted() {
    tests::init_tracing();
    server::require();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let redis = start(port, dir.path().to_path_buf()).await;
    let db = TestDb::migrated(Backend::Sqlite).await;
    let cache = CacheManager::connect(
        CacheConfig::redis(&url)
            .with_command_timeout(TIMEOUT)
            .with_connect_timeout(TIMEOUT)
            .with_key_prefix(format!("{}:", tests::unique_name())),
    )
    .await
    .expect("connect");

    let mut sub = cache.subscribe(["faults"]).await.expect("subscribe");
    cache.publish("faults", "before").await.expect("publish");
    let got = tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .expect("a message before the kill")
        .expect("open");
    assert_eq!(&got.payload[..], b"before");
    let locks = cache.locks();
    let held = locks
        .acquire("nightly-job", Duration::from_secs(120))
        .await
        .expect("acquire")
        .expect("free before the kill");

    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..TASKS)
        .map(|n| {
            worker(
                n,
                cache.clone(),
                db.conn.clone(),
                Arc::clone(&stats),
                Arc::clone(&stop),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before_kill = stats.cache_ok.load(Ordering::Relaxed);
    assert!(before_kill > 0, "the load runs");

    // SIGKILL, then 1.5 s down under load.
    drop(redis);
    let db_before_outage = stats.db_ok.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let failed_while_down = stats.cache_failed.load(Ordering::Relaxed);
    assert!(failed_while_down > 0, "calls fail while Redis is down");
    assert!(
        stats.db_ok.load(Ordering::Relaxed) > db_before_outage,
        "database reads go on while Redis is down"
    );

    // Restarted on the same port, from its append-only file.
    let _redis = start(port, dir.path().to_path_buf()).await;
    let restarted = Instant::now();
    let recovered = loop {
        if cache.get("probe").await.is_ok()
            && cache
                .set("probe", "1", Duration::from_secs(5))
                .await
                .is_ok()
        {
            break restarted.elapsed();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "the cache did not serve again"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(
        recovered < Duration::from_secs(2),
        "the cache served again {recovered:?} after the restart"
    );

    // The subscriber resubscribed: a message published now reaches it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let resubscribed = loop {
        let _ = cache.publish("faults", "after").await;
        if let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_millis(100), sub.recv()).await
            && &message.payload[..] == b"after"
        {
            break restarted.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "the subscriber got nothing after the restart"
        );
    };

    // The lock survived the crash: nobody else gets it; its holder still releases it.
    assert!(
        locks
            .acquire("nightly-job", Duration::from_secs(120))
            .await
            .expect("acquire after the restart")
            .is_none(),
        "a lock held before the kill was granted again"
    );
    assert!(
        held.release().await.expect("release"),
        "the holder released it"
    );
    assert!(
        locks
            .acquire("nightly-job", Duration::from_secs(120))
            .await
            .expect("acquire")
            .is_some()
    );

    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("worker");
    }
    let slowest = Duration::from_micros(stats.slowest_cache_us.load(Ordering::Relaxed));
    assert!(
        slowest < TIMEOUT + SLACK,
        "a cache call waited {slowest:?} (command timeout {TIMEOUT:?})"
    );
    assert_eq!(
        stats.db_failed.load(Ordering::Relaxed),
        0,
        "database reads failed"
    );
    println!(
        "redis kill -9 under {TASKS} tasks: {} cache calls ok, {} failed fast (slowest {slowest:?}, \
         timeout {TIMEOUT:?}); {} database reads, none failed; served again {recovered:?} after \
         the restart, subscriber resubscribed after {resubscribed:?}; the lock was not granted twice",
        stats.cache_ok.load(Ordering::Relaxed),
        stats.cache_failed.load(Ordering::Relaxed),
        stats.db_ok.load(Ordering::Relaxed),
    );
    cache.disconnect().await.expect("disconnect");
}
