//! Pub/sub against servers the tests control: a subscriber that survives a restart of a private
//! `redis-server` (killed and started again on the same port), fast failures while it is down,
//! and the Redis Cluster of `DAL_TEST_REDIS_CLUSTER_URL` (the suite, and a message published on
//! each node reaching a subscriber of the cluster).

use std::time::{Duration, Instant};

use cache::{BackendKind, CacheConfig, CacheManager, Error, Subscription};

use super::pubsub::{next, nothing_more};
use super::server::{self, RedisServer};

const TIMEOUT: Duration = Duration::from_millis(300);
/// Generous slack over the configured timeout for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);

fn config(url: &str, prefix: &str) -> CacheConfig {
    CacheConfig::redis(url)
        .with_command_timeout(TIMEOUT)
        .with_connect_timeout(TIMEOUT)
        .with_key_prefix(prefix)
}

/// Publish `payload-N` every 100 ms until one arrives on `sub` (the subscriber connection may
/// still be resubscribing): the first message received.
async fn publish_until_received(
    cache: &CacheManager,
    sub: &mut Subscription,
    channel: &str,
    payload: &str,
    within: Duration,
) -> cache::Message {
    let deadline = Instant::now() + within;
    let mut n = 0;
    loop {
        assert!(
            Instant::now() < deadline,
            "nothing received within {within:?}"
        );
        let start = Instant::now();
        let published = cache.publish(channel, format!("{payload}-{n}")).await;
        assert!(
            start.elapsed() < TIMEOUT + SLACK,
            "publish took {:?}",
            start.elapsed()
        );
        n += 1;
        if published.is_ok()
            && let Ok(Some(message)) =
                tokio::time::timeout(Duration::from_millis(100), sub.recv()).await
        {
            return message;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn subscribers_survive_a_redis_restart() {
    tests::init_tracing();
    server::require();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let prefix = format!("{}:", tests::unique_name());

    let redis = RedisServer::start(port, dir.path(), &[]);
    let cache = CacheManager::connect(config(&url, &prefix))
        .await
        .expect("connect");
    let mut sub = cache.subscribe(["feed"]).await.expect("subscribe");
    cache.publish("feed", "before").await.expect("publish");
    assert_eq!(&next(&mut sub).await.payload[..], b"before");

    // Down: publishing and new subscriptions fail promptly; the subscription stays open.
    drop(redis);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let start = Instant::now();
        let result = cache.publish("feed", "while-down").await;
        assert!(
            start.elapsed() < TIMEOUT + SLACK,
            "publish took {:?}",
            start.elapsed()
        );
        if let Err(error) = result {
            assert!(matches!(error, Error::Cache { .. }), "{error:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "publish still succeeds after Redis stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = Instant::now();
    let refused = cache.subscribe(["other"]).await;
    assert!(
        start.elapsed() < TIMEOUT + SLACK,
        "subscribe took {:?}",
        start.elapsed()
    );
    assert!(matches!(refused, Err(Error::Cache { .. })), "{refused:?}");

    // Back on the same port: the subscriber connection reconnects and resubscribes by itself.
    let _redis = RedisServer::start(port, dir.path(), &[]);
    let message =
        publish_until_received(&cache, &mut sub, "feed", "after", Duration::from_secs(20)).await;
    assert_eq!(message.channel, "feed");
    assert!(message.payload.starts_with(b"after-"), "{message:?}");
    // Drain the retries that may still be on their way, then one more round trip.
    while tokio::time::timeout(Duration::from_millis(300), sub.recv())
        .await
        .is_ok()
    {}
    cache.publish("feed", "steady").await.expect("publish");
    assert_eq!(&next(&mut sub).await.payload[..], b"steady");

    // New subscriptions work again too.
    let mut fresh = cache.subscribe(["other"]).await.expect("subscribe");
    cache.publish("other", "x").await.expect("publish");
    assert_eq!(&next(&mut fresh).await.payload[..], b"x");
    nothing_more(&mut sub).await;

    // Disconnecting ends the subscriptions.
    cache.disconnect().await.expect("disconnect");
    assert!(
        tokio::time::timeout(Duration::from_secs(5), sub.recv())
            .await
            .expect("ends in time")
            .is_none()
    );
}

/// The `host:port` of every node named by a `redis-cluster://host:port?node=host:port&…` URL.
fn cluster_nodes(url: &str) -> Vec<String> {
    let parsed = url::Url::parse(url).expect("cluster URL");
    let mut nodes = vec![format!(
        "{}:{}",
        parsed.host_str().expect("host"),
        parsed.port().unwrap_or(6379)
    )];
    nodes.extend(
        parsed
            .query_pairs()
            .filter(|(name, _)| name == "node")
            .map(|(_, value)| value.into_owned()),
    );
    nodes
}

macro_rules! run_pubsub_on_cluster {
    ($url:expr; $($name:ident),* $(,)?) => {
        $(
            eprintln!("cluster pub/sub: {}", stringify!($name));
            let env = super::redis_env_at($url).await;
            assert_eq!(env.cache.backend_kind(), BackendKind::RedisCluster);
            super::run(env, super::suite::$name).await;
        )*
    };
}

macro_rules! cluster_pubsub_suite {
    ($($name:ident),* $(,)?) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(not(dal_redis_cluster), ignore = "DAL_TEST_REDIS_CLUSTER_URL not set")]
        async fn pubsub_suite_on_the_test_cluster() {
            tests::init_tracing();
            let url = tests::redis_cluster_url();
            run_pubsub_on_cluster!(&url; $($name),*);
        }
    };
}

super::pubsub_list!(cluster_pubsub_suite);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis_cluster), ignore = "DAL_TEST_REDIS_CLUSTER_URL not set")]
async fn a_message_published_on_any_node_reaches_cluster_subscribers() {
    tests::init_tracing();
    let url = tests::redis_cluster_url();
    let prefix = format!("{}:", tests::unique_name());
    let cluster = CacheManager::connect(CacheConfig::redis(&url).with_key_prefix(&prefix))
        .await
        .expect("connect");
    assert_eq!(cluster.backend_kind(), BackendKind::RedisCluster);
    let mut sub = cluster.subscribe(["everywhere"]).await.expect("subscribe");

    let nodes = cluster_nodes(&url);
    assert!(nodes.len() >= 3, "a cluster of three primaries: {nodes:?}");
    for node in &nodes {
        // A plain connection to this one node: its PUBLISH travels over the cluster bus.
        let single = CacheManager::connect(
            CacheConfig::redis(format!("redis://{node}")).with_key_prefix(&prefix),
        )
        .await
        .expect("connect to one node");
        assert_eq!(single.backend_kind(), BackendKind::Redis);
        single
            .publish("everywhere", node.clone())
            .await
            .expect("publish on one node");
        let message = next(&mut sub).await;
        assert_eq!(message.channel, "everywhere");
        assert_eq!(&message.payload[..], node.as_bytes(), "from {node}");
        single.disconnect().await.expect("disconnect");
    }
    // And through the cluster client itself.
    cluster
        .publish("everywhere", "cluster")
        .await
        .expect("publish");
    assert_eq!(&next(&mut sub).await.payload[..], b"cluster");
    nothing_more(&mut sub).await;
    cluster.disconnect().await.expect("disconnect");
}
