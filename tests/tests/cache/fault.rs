//! Redis unreachable: calls fail within the configured timeout with a `Cache` error, reads
//! through `get_or_set` fall back to the loader, and the pool recovers by itself.

use std::future::Future;
use std::time::{Duration, Instant};

use cache::{CacheConfig, CacheManager, Error, keys};
use serde_json::{Value, json};

use super::server::{self, RedisServer};

const TIMEOUT: Duration = Duration::from_millis(300);
/// Generous slack over the configured timeout for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);

fn config(url: &str) -> CacheConfig {
    CacheConfig::redis(url)
        .with_command_timeout(TIMEOUT)
        .with_connect_timeout(TIMEOUT)
        .with_key_prefix(format!("{}:", tests::unique_name()))
}

/// Run `call`, assert it failed with a `Cache` error within the timeout (+ slack).
async fn fails_fast<T: std::fmt::Debug>(what: &str, call: impl Future<Output = cache::Result<T>>) {
    let start = Instant::now();
    let result = call.await;
    let took = start.elapsed();
    assert!(took < TIMEOUT + SLACK, "{what} took {took:?}");
    match result {
        Err(Error::Cache { .. }) => {}
        other => panic!("{what}: expected a Cache error, got {other:?}"),
    }
}

async fn every_call_fails_fast(cache: &CacheManager) {
    fails_fast("get", cache.get("k")).await;
    fails_fast("set", cache.set("k", "v", Duration::from_secs(60))).await;
    fails_fast("delete", cache.delete("k")).await;
    fails_fast("increment", cache.increment("k")).await;
    fails_fast("exists", cache.exists("k")).await;
    fails_fast("ttl", cache.ttl("k")).await;
    fails_fast(
        "get_json",
        cache.get_json::<Value, _>(&keys::search_results("h")),
    )
    .await;
    fails_fast(
        "set_json",
        cache.put(&keys::search_results("h"), &json!({"a": 1})),
    )
    .await;
    fails_fast("clear_pattern", cache.clear_pattern("*")).await;
    fails_fast("rate_limit", cache.rate_limiter().check_ip("10.0.0.1", 10)).await;
    fails_fast("session", cache.sessions().create("s", &json!({"a": 1}))).await;
    fails_fast("lock", cache.locks().acquire("l", Duration::from_secs(5))).await;
    fails_fast("ping", cache.ping()).await;
    fails_fast("publish", cache.publish("channel", "payload")).await;
    fails_fast("subscribe", cache.subscribe(["channel"])).await;

    // Cache-aside still answers, from the loader.
    let start = Instant::now();
    let value: Value = cache
        .get_or_set(
            &keys::system_config("1.0"),
            Duration::from_secs(60),
            || async { Ok::<_, std::io::Error>(json!({"from": "loader"})) },
        )
        .await
        .expect("get_or_set falls back to the loader");
    assert_eq!(value, json!({"from": "loader"}));
    assert!(
        start.elapsed() < 2 * TIMEOUT + SLACK,
        "get_or_set took {:?}",
        start.elapsed()
    );

    let health = cache.health().await;
    assert!(!health.reachable, "{health:?}");
    assert!(health.error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_port_fails_fast_and_get_or_set_uses_the_loader() {
    tests::init_tracing();
    let start = Instant::now();
    let cache = CacheManager::connect(config("redis://127.0.0.1:1/0"))
        .await
        .expect("starts although Redis is down");
    assert!(
        start.elapsed() < TIMEOUT + SLACK,
        "connect took {:?}",
        start.elapsed()
    );
    assert_eq!(cache.backend_kind(), cache::BackendKind::Redis);
    every_call_fails_fast(&cache).await;
    // Still failing fast while the pool keeps reconnecting in the background.
    tokio::time::sleep(Duration::from_millis(500)).await;
    every_call_fails_fast(&cache).await;
    cache.disconnect().await.expect("disconnect");
}

async fn wait_until_reachable(cache: &CacheManager, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cache.ping().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the cache did not reconnect within {within:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn recovers_by_itself_when_redis_comes_back() {
    tests::init_tracing();
    server::require();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let url = format!("redis://127.0.0.1:{port}/0");

    // Down at start.
    let cache = CacheManager::connect(config(&url))
        .await
        .expect("starts while down");
    every_call_fails_fast(&cache).await;

    // Comes up: the pool connects by itself.
    let redis = RedisServer::start(port, dir.path(), &[]);
    wait_until_reachable(&cache, Duration::from_secs(15)).await;
    cache
        .set("k", "v", Duration::from_secs(60))
        .await
        .expect("set");
    assert_eq!(
        cache.get("k").await.expect("get").as_deref(),
        Some(&b"v"[..])
    );
    assert!(cache.health().await.reachable);

    // Goes down: calls fail fast again.
    drop(redis);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let start = Instant::now();
        let result = cache.get("k").await;
        assert!(
            start.elapsed() < TIMEOUT + SLACK,
            "get took {:?}",
            start.elapsed()
        );
        if result.is_err() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "calls still succeed after Redis stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    every_call_fails_fast(&cache).await;

    // Comes back: recovers without any call to reconnect.
    let _redis = RedisServer::start(port, dir.path(), &[]);
    wait_until_reachable(&cache, Duration::from_secs(15)).await;
    cache
        .set("k", "again", Duration::from_secs(60))
        .await
        .expect("set after recovery");
    assert_eq!(
        cache.get("k").await.expect("get").as_deref(),
        Some(&b"again"[..])
    );
    assert_eq!(
        cache
            .increment("n")
            .await
            .expect("scripts and counters work"),
        1
    );
    assert!(
        cache
            .rate_limiter()
            .check("r", 5, Duration::from_secs(60))
            .await
            .expect("script")
            .allowed
    );
    cache.disconnect().await.expect("disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_does_not_hang_calls() {
    tests::init_tracing();
    // Accepts connections, reads everything, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            held.push(tokio::spawn(async move {
                let mut sink = tokio::io::sink();
                let _ = tokio::io::copy(&mut socket, &mut sink).await;
            }));
        }
    });
    let start = Instant::now();
    let cache = CacheManager::connect(config(&format!("redis://127.0.0.1:{port}")))
        .await
        .expect("starts although Redis does not answer");
    assert!(
        start.elapsed() < TIMEOUT + SLACK,
        "connect took {:?}",
        start.elapsed()
    );
    every_call_fails_fast(&cache).await;
    let _ = cache.disconnect().await;
    silent.abort();
}
