//! Cache suite: every behaviour on the in-process backend always, and on the Redis of
//! `DAL_TEST_REDIS_URL` (each test under its own key prefix; the server is never flushed). Plus a
//! fault test (a closed port), a recovery test (a private `redis-server` stopped and restarted)
//! and the whole suite on a private three-node Redis Cluster, when `redis-server` is installed.
//! Pub/sub: the same suite, a subscriber surviving a restart of a private `redis-server`, and
//! the Redis Cluster of `DAL_TEST_REDIS_CLUSTER_URL` (`scripts/test` starts one on 7000-7002).

mod cluster;
mod fault;
mod pubsub;
mod pubsub_servers;
pub mod server;
mod suite;

use std::future::Future;
use std::sync::Arc;

use cache::{CacheBackend, CacheConfig, CacheManager, MemoryBackend, RedisBackend};

/// One test's caches: `cache` under a unique prefix, and `sibling` on the same backend under
/// another unique prefix (to check that prefixes isolate).
#[derive(Clone)]
pub struct Env {
    /// The cache under test.
    pub cache: CacheManager,
    /// Same backend, another prefix.
    pub sibling: CacheManager,
}

fn prefix() -> String {
    format!("{}:", tests::unique_name())
}

/// Two managers over one fresh in-process backend.
pub fn memory_env() -> Env {
    tests::init_tracing();
    let backend: Arc<dyn CacheBackend> = Arc::new(MemoryBackend::new(64 * 1024 * 1024));
    Env {
        cache: CacheManager::with_backend(Arc::clone(&backend), "memory", &prefix()),
        sibling: CacheManager::with_backend(backend, "memory", &prefix()),
    }
}

/// Two managers over one Redis pool at `url`.
///
/// # Panics
/// When Redis at `url` is unreachable.
pub async fn redis_env_at(url: &str) -> Env {
    tests::init_tracing();
    let config = CacheConfig::redis(url);
    let backend: Arc<dyn CacheBackend> = Arc::new(
        RedisBackend::connect(url, &config)
            .await
            .expect("Redis configuration"),
    );
    let env = Env {
        cache: CacheManager::with_backend(Arc::clone(&backend), url, &prefix()),
        sibling: CacheManager::with_backend(backend, url, &prefix()),
    };
    env.cache
        .ping()
        .await
        .unwrap_or_else(|e| panic!("Redis at {} is unreachable: {e}", cache::redact_url(url)));
    env
}

/// The Redis of `DAL_TEST_REDIS_URL`.
///
/// # Panics
/// When it is unset or unreachable.
pub async fn redis_env() -> Env {
    redis_env_at(&tests::redis_url()).await
}

/// Run `test` on `env` in its own task, then delete every key of both prefixes (also when the
/// test panicked), then re-raise a panic.
pub async fn run<F, Fut>(env: Env, test: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let result = tokio::spawn(test(env.clone())).await;
    let _ = env.cache.clear_pattern("*").await;
    let _ = env.sibling.clear_pattern("*").await;
    if let Err(error) = result {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("test task failed: {error}");
    }
}

/// Generate `mod $name { memory(); redis(); }` running `suite::$name(Env)` on the in-process
/// backend and on the Redis of `DAL_TEST_REDIS_URL` (ignored, with the reason, unless it or `CI`
/// was set when the tests were built).
macro_rules! cache_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn memory() {
                    super::run(super::memory_env(), super::suite::$name).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
                async fn redis() {
                    super::run(super::redis_env().await, super::suite::$name).await;
                }
            }
        )*
    };
}

/// Every behavioural test, in the order the cluster run replays them.
macro_rules! suite_list {
    ($callback:ident) => {
        $callback!(
            get_set_delete,
            ttl_expiry,
            increment_counts,
            increment_sets_the_pattern_ttl,
            json_codec_by_key_pattern,
            key_table_ttls,
            corrupt_payloads,
            clear_pattern_many_pages,
            prefixes_isolate,
            single_flight,
            single_flight_errors_and_cancellation,
            rate_limiter_exact_under_concurrency,
            rate_limiter_window,
            lock_ownership,
            lock_expiry_wait_and_drop,
            sessions,
            session_expiry,
            health,
            pubsub_delivers_in_order,
            pubsub_fan_out_and_unsubscribe,
            pubsub_prefixes_isolate,
            pubsub_concurrent_publishers,
            pubsub_invalid_arguments,
        );
    };
}

/// The pub/sub tests of `suite_list!`, also run on the Redis Cluster of
/// `DAL_TEST_REDIS_CLUSTER_URL` (`pubsub_servers.rs`).
macro_rules! pubsub_list {
    ($callback:ident) => {
        $callback!(
            pubsub_delivers_in_order,
            pubsub_fan_out_and_unsubscribe,
            pubsub_prefixes_isolate,
            pubsub_concurrent_publishers,
            pubsub_invalid_arguments,
        );
    };
}

suite_list!(cache_tests);
pub(crate) use {pubsub_list, suite_list};
