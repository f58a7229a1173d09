//! Redis through a fred [`Pool`], standalone or Cluster (chosen by the URL scheme).
//!
//! Configured to fail fast instead of hanging when Redis is down:
//! - every command has a timeout (`PerformanceConfig::default_command_timeout`);
//! - the reconnect policy never gives up (exponential back-off from 100 ms to 2 s, with jitter),
//!   and applies to the first connection too (`Config::fail_fast = false`), so a manager started
//!   while Redis is down connects by itself when Redis comes up;
//! - a command is sent only on a connected client: when none of the pool's clients is connected
//!   it fails at once with [`CacheErrorKind::Unavailable`] instead of queueing until the timeout;
//! - unresponsive connections (no reply within twice the command timeout) are closed and
//!   reconnected; a command interrupted that way is retried at most once.
//!
//! Multi-step operations (counter with first-hit expiry, compare-and-delete, compare-and-expire,
//! hash replace/update) are Lua scripts: one round trip, atomic, and single-key so they work on
//! Cluster. Scripts run by `EVALSHA`, falling back to `EVAL` (which caches them) on `NOSCRIPT`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use fred::clients::{Client, Pool, SubscriberClient};
use fred::interfaces::{
    ClientLike, EventInterface, HashesInterface, KeysInterface, LuaInterface, PubsubInterface,
};
use fred::types::config::{
    Config, ConnectionConfig, PerformanceConfig, ReconnectPolicy, TcpConfig, UnresponsiveConfig,
};
use fred::types::scan::{ScanResult, Scanner};
use fred::types::scripts::Script;
use fred::types::{Builder, Expiration, FromValue, Key, SetOptions, Value};
use futures::{Stream, StreamExt};
use tokio::sync::{OnceCell, broadcast, mpsc};

use super::{BackendKind, CacheBackend, KeyTtl};
use crate::config::CacheConfig;
use crate::error::{CacheErrorKind, Error, Result};
use crate::pubsub::{ChannelHub, ChannelReceiver};
use crate::redact::redact_url;

/// Messages the subscriber connection buffers for the routing task before it drops some (it
/// only hands them on, so it falls behind only under extreme bursts; drops are logged).
const ROUTER_CAPACITY: usize = 16 * 1024;

/// `INCRBY`, then `PEXPIRE` if the key has no expiry yet: `{value, ttl_ms}`.
const INCR_EXPIRE: &str = r"
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {n, ttl}
";

/// Delete the key only if it holds `ARGV[1]`.
const DELETE_IF_EQUALS: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Set the key's TTL to `ARGV[2]` ms only if it holds `ARGV[1]`.
const EXPIRE_IF_EQUALS: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Replace the key by a hash of the field/value pairs `ARGV[2..]`, expiring after `ARGV[1]` ms.
const HASH_REPLACE: &str = r"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
";

/// `HSET` the field/value pairs `ARGV` only if the hash exists (its TTL is kept).
const HASH_UPDATE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
";

struct Scripts {
    incr_expire: Script,
    delete_if_equals: Script,
    expire_if_equals: Script,
    hash_replace: Script,
    hash_update: Script,
}

/// Redis (standalone or Cluster) through a fred connection pool, plus a dedicated subscriber
/// connection for pub/sub, opened at the first [`CacheBackend::subscribe`].
pub struct RedisBackend {
    pool: Pool,
    cluster: bool,
    target: String,
    scripts: Scripts,
    /// The pool's settings, for the subscriber connection.
    builder: Builder,
    connect_timeout: Duration,
    command_timeout: Duration,
    pubsub: OnceCell<PubSub>,
}

/// The subscriber side of pub/sub: fred's `SubscriberClient` (its own connection, which
/// resubscribes to every tracked channel after a reconnection), the hub that fans its messages
/// out to local subscriptions, and the background tasks tying them together.
struct PubSub {
    client: SubscriberClient,
    hub: Arc<ChannelHub>,
    /// Serializes `SUBSCRIBE` and `UNSUBSCRIBE`, so that unsubscribing a channel whose last
    /// subscription went away never overtakes a new subscription to it; holds the probe.
    order: Arc<tokio::sync::Mutex<Probe>>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Drop for PubSub {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.hub.close();
    }
}

/// A channel private to one backend (a random name), subscribed with every `SUBSCRIBE`: a
/// nonce published on it and received back confirms that the server has processed the command.
struct Probe {
    channel: String,
    rx: ChannelReceiver,
}

fn subscribe_timeout() -> Error {
    Error::cache(
        CacheErrorKind::Timeout,
        "SUBSCRIBE was not confirmed within twice the command timeout",
    )
}

/// Hand every message of the subscriber connection to the hub, until the connection is closed
/// or the hub is gone. Logs counts only, never a channel or a payload.
async fn route(mut messages: broadcast::Receiver<fred::types::Message>, hub: Weak<ChannelHub>) {
    loop {
        match messages.recv().await {
            Ok(message) => {
                let Some(hub) = hub.upgrade() else { return };
                match message.value.convert::<Bytes>() {
                    Ok(payload) => {
                        hub.deliver(&message.channel, payload);
                    }
                    Err(_) => tracing::debug!(
                        cache.backend = "redis",
                        "pub/sub message without a byte payload ignored"
                    ),
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(
                cache.backend = "redis",
                cache.missed_messages = n,
                "pub/sub messages dropped: the routing task fell behind"
            ),
            Err(broadcast::error::RecvError::Closed) => {
                if let Some(hub) = hub.upgrade() {
                    hub.close();
                }
                return;
            }
        }
    }
}

/// `UNSUBSCRIBE` each channel reported idle by the hub, if it still is once the subscription
/// order lock is held.
async fn unsubscribe_idle(
    mut idle: mpsc::UnboundedReceiver<String>,
    client: SubscriberClient,
    hub: Weak<ChannelHub>,
    order: Arc<tokio::sync::Mutex<Probe>>,
    timeout: Duration,
) {
    while let Some(channel) = idle.recv().await {
        let Some(hub) = hub.upgrade() else { return };
        let _order = order.lock().await;
        if !hub.remove_if_idle(&channel) {
            continue;
        }
        drop(hub);
        if !client.is_connected() {
            // Not queued for the reconnection, where it could overtake a new SUBSCRIBE: the
            // channel stays tracked and resubscribed, and the hub drops its messages.
            continue;
        }
        // An empty list would mean *every* channel: never send one.
        let result = tokio::time::timeout(timeout, client.unsubscribe(channel)).await;
        if !matches!(result, Ok(Ok(()))) {
            // Still tracked by the client (resubscribed after a reconnection): its messages
            // are then dropped by the hub, which no longer knows the channel.
            tracing::debug!(
                cache.backend = "redis",
                "UNSUBSCRIBE of an idle channel failed"
            );
        }
    }
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("target", &self.target)
            .field("cluster", &self.cluster)
            .field("pool_size", &self.pool.size())
            .finish()
    }
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

fn unavailable() -> Error {
    Error::cache(CacheErrorKind::Unavailable, "Redis is not connected")
}

impl RedisBackend {
    /// Build the pool for `url` and start connecting. Waits at most `connect_timeout` for a
    /// first connection; if Redis is down the backend is returned anyway, calls fail fast with
    /// [`CacheErrorKind::Unavailable`], and the pool keeps reconnecting in the background.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable URL or pool size.
    pub async fn connect(url: &str, config: &CacheConfig) -> Result<Self> {
        let target = redact_url(url);
        let mut fred_config = Config::from_url(url)
            .map_err(|e| Error::Config(format!("Redis URL {target}: {}", e.details())))?;
        // Apply the reconnect policy to the first connection too: start even if Redis is down.
        fred_config.fail_fast = false;
        let cluster = fred_config.server.is_clustered();

        let performance = PerformanceConfig {
            default_command_timeout: config.command_timeout,
            ..PerformanceConfig::default()
        };
        let unresponsive_after = (config.command_timeout * 2).max(Duration::from_millis(500));
        let connection = ConnectionConfig {
            connection_timeout: config.connect_timeout,
            internal_command_timeout: config.connect_timeout.max(config.command_timeout),
            max_command_attempts: 2,
            max_redirections: 5,
            unresponsive: UnresponsiveConfig {
                max_timeout: Some(unresponsive_after),
                interval: (unresponsive_after / 4).max(Duration::from_millis(50)),
            },
            tcp: TcpConfig {
                nodelay: Some(true),
                ..TcpConfig::default()
            },
            ..ConnectionConfig::default()
        };
        // max_attempts 0 = retry forever; delays 100 ms doubling up to 2 s.
        let mut policy = ReconnectPolicy::new_exponential(0, 100, 2_000, 2);
        policy.set_jitter(100);

        let mut builder = Builder::from_config(fred_config);
        builder
            .set_performance_config(performance)
            .set_connection_config(connection)
            .set_policy(policy);
        let pool = builder
            .build_pool(config.pool_size)
            .map_err(|e| Error::Config(format!("Redis pool: {}", e.details())))?;

        for client in pool.clients() {
            let shown = target.clone();
            drop(client.on_reconnect(move |server| {
                tracing::info!(cache.backend = "redis", cache.target = %shown, server = %server, "cache connection (re)established");
                async { Ok(()) }
            }));
            let shown = target.clone();
            drop(client.on_error(move |(error, server)| {
                tracing::debug!(cache.backend = "redis", cache.target = %shown, server = ?server.map(|s| s.to_string()), error = %error, "cache connection error");
                async { Ok(()) }
            }));
        }

        // Spawns the connection tasks; they retry by the policy until `shutdown`.
        drop(pool.connect());
        match tokio::time::timeout(config.connect_timeout, pool.wait_for_connect()).await {
            Ok(Ok(())) => {
                tracing::info!(cache.backend = "redis", cache.target = %target, pool_size = pool.size(), "cache connected");
            }
            Ok(Err(e)) => {
                tracing::warn!(cache.backend = "redis", cache.target = %target, error = %e, "Redis unreachable at start; continuing, reconnecting in the background");
            }
            Err(_) => {
                tracing::warn!(cache.backend = "redis", cache.target = %target, "Redis not connected within the connect timeout; continuing, reconnecting in the background");
            }
        }

        Ok(Self {
            pool,
            cluster,
            target,
            scripts: Scripts {
                incr_expire: Script::from_lua(INCR_EXPIRE),
                delete_if_equals: Script::from_lua(DELETE_IF_EQUALS),
                expire_if_equals: Script::from_lua(EXPIRE_IF_EQUALS),
                hash_replace: Script::from_lua(HASH_REPLACE),
                hash_update: Script::from_lua(HASH_UPDATE),
            },
            builder,
            connect_timeout: config.connect_timeout,
            command_timeout: config.command_timeout,
            pubsub: OnceCell::new(),
        })
    }

    /// The subscriber side, started at the first call: a dedicated connection (pub/sub cannot
    /// share the pool's), waited for at most the connect timeout; when Redis is down it keeps
    /// reconnecting in the background like the pool.
    async fn pubsub(&self) -> Result<&PubSub> {
        self.pubsub
            .get_or_try_init(|| async {
                let mut builder = self.builder.clone();
                let mut performance = builder.get_performance_config().clone();
                performance.broadcast_channel_capacity = ROUTER_CAPACITY;
                builder.set_performance_config(performance);
                let client = builder
                    .build_subscriber_client()
                    .map_err(|e| Error::Config(format!("Redis subscriber: {}", e.details())))?;
                let shown = self.target.clone();
                let on_reconnect = client.on_reconnect(move |server| {
                    tracing::info!(cache.backend = "redis", cache.target = %shown, server = %server, "pub/sub connection (re)established");
                    async { Ok(()) }
                });
                let (idle_tx, idle_rx) = mpsc::unbounded_channel();
                let hub = ChannelHub::with_idle_reports(idle_tx);
                let probe = format!("__dal:pubsub:probe:{:016x}", rand::random::<u64>());
                let order = Arc::new(tokio::sync::Mutex::new(Probe {
                    rx: hub.subscribe(&probe)?,
                    channel: probe,
                }));
                let tasks = vec![
                    tokio::spawn(route(client.message_rx(), Arc::downgrade(&hub))).abort_handle(),
                    tokio::spawn(unsubscribe_idle(
                        idle_rx,
                        client.clone(),
                        Arc::downgrade(&hub),
                        Arc::clone(&order),
                        self.command_timeout,
                    ))
                    .abort_handle(),
                    // Resubscribes to every tracked channel after each reconnection.
                    client.manage_subscriptions().abort_handle(),
                    on_reconnect.abort_handle(),
                ];
                drop(client.connect());
                if tokio::time::timeout(self.connect_timeout, client.wait_for_connect())
                    .await
                    .is_err()
                {
                    tracing::warn!(cache.backend = "redis", cache.target = %self.target, "pub/sub connection not open within the connect timeout; reconnecting in the background");
                }
                Ok(PubSub {
                    client,
                    hub,
                    order,
                    tasks,
                })
            })
            .await
    }

    /// The URL with any password redacted.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A connected client of the pool, or an immediate `Unavailable` error.
    fn client(&self) -> Result<&Client> {
        let client = self.pool.next_connected();
        if client.is_connected() {
            Ok(client)
        } else {
            Err(unavailable())
        }
    }

    /// Run `script` by `EVALSHA`, loading it with `EVAL` on `NOSCRIPT`.
    async fn script<R: FromValue>(
        &self,
        script: &Script,
        key: &str,
        args: impl Fn() -> Vec<Value> + Send,
    ) -> Result<R> {
        let client = self.client()?;
        match client
            .evalsha::<R, _, _, _>(script.sha1().clone(), key, args())
            .await
        {
            Err(e) if e.details().starts_with("NOSCRIPT") => {
                let lua = script.lua().cloned().unwrap_or_default();
                Ok(client.eval::<R, _, _, _>(lua, key, args()).await?)
            }
            other => Ok(other?),
        }
    }

    async fn unlink_page(&self, client: &Client, keys: Vec<Key>) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        if !self.cluster {
            let n: i64 = client.unlink(keys).await?;
            return Ok(n.unsigned_abs());
        }
        // A multi-key command must stay within one hash slot on Cluster.
        let mut by_slot: BTreeMap<u16, Vec<Key>> = BTreeMap::new();
        for key in keys {
            by_slot
                .entry(fred::util::redis_keyslot(key.as_bytes()))
                .or_default()
                .push(key);
        }
        let results = futures::future::join_all(
            by_slot
                .into_values()
                .map(|group| client.unlink::<i64, _>(group)),
        )
        .await;
        let mut deleted = 0;
        for result in results {
            deleted += result?.unsigned_abs();
        }
        Ok(deleted)
    }

    async fn drain_scan<S>(&self, client: &Client, pages: S) -> Result<u64>
    where
        S: Stream<Item = std::result::Result<ScanResult, fred::error::Error>> + Send,
    {
        let mut pages = std::pin::pin!(pages);
        let mut deleted = 0;
        while let Some(page) = pages.next().await {
            let mut page = page?;
            let keys = page.take_results().unwrap_or_default();
            deleted += self.unlink_page(client, keys).await?;
            // Dropping the page asks for the next one.
            drop(page);
        }
        Ok(deleted)
    }
}

#[async_trait]
impl CacheBackend for RedisBackend {
    fn kind(&self) -> BackendKind {
        if self.cluster {
            BackendKind::RedisCluster
        } else {
            BackendKind::Redis
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self.client()?.get::<Option<Bytes>, _>(key).await?)
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
        self.client()?
            .set::<(), _, _>(
                key,
                Value::Bytes(value),
                Some(Expiration::PX(millis(ttl))),
                None,
                false,
            )
            .await?;
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool> {
        let reply: Value = self
            .client()?
            .set(
                key,
                Value::Bytes(value),
                Some(Expiration::PX(millis(ttl))),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        Ok(!reply.is_null())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let n: i64 = self.client()?.unlink(key).await?;
        Ok(n > 0)
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        let n: i64 = self.client()?.exists(key).await?;
        Ok(n > 0)
    }

    async fn ttl(&self, key: &str) -> Result<KeyTtl> {
        let ms: i64 = self.client()?.pttl(key).await?;
        Ok(KeyTtl::from_pttl(ms))
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool> {
        let n: i64 = self.client()?.pexpire(key, millis(ttl), None).await?;
        Ok(n > 0)
    }

    async fn incr_by(&self, key: &str, by: i64) -> Result<i64> {
        Ok(self.client()?.incr_by(key, by).await?)
    }

    async fn incr_with_expiry(&self, key: &str, by: i64, ttl: Duration) -> Result<(i64, Duration)> {
        let ms = millis(ttl);
        let (n, left): (i64, i64) = self
            .script(&self.scripts.incr_expire, key, || {
                vec![Value::Integer(by), Value::Integer(ms)]
            })
            .await?;
        Ok((n, Duration::from_millis(left.max(0).unsigned_abs())))
    }

    async fn delete_if_equals(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let expected = Bytes::copy_from_slice(expected);
        let n: i64 = self
            .script(&self.scripts.delete_if_equals, key, || {
                vec![Value::Bytes(expected.clone())]
            })
            .await?;
        Ok(n > 0)
    }

    async fn expire_if_equals(&self, key: &str, expected: &[u8], ttl: Duration) -> Result<bool> {
        let expected = Bytes::copy_from_slice(expected);
        let ms = millis(ttl);
        let n: i64 = self
            .script(&self.scripts.expire_if_equals, key, || {
                vec![Value::Bytes(expected.clone()), Value::Integer(ms)]
            })
            .await?;
        Ok(n > 0)
    }

    async fn hash_replace(
        &self,
        key: &str,
        fields: Vec<(String, Bytes)>,
        ttl: Duration,
    ) -> Result<()> {
        if fields.is_empty() {
            return Err(Error::InvalidArgument(
                "a hash needs at least one field".into(),
            ));
        }
        let ms = millis(ttl);
        let args = || {
            let mut args = Vec::with_capacity(1 + fields.len() * 2);
            args.push(Value::Integer(ms));
            for (name, value) in &fields {
                args.push(Value::String(name.as_str().into()));
                args.push(Value::Bytes(value.clone()));
            }
            args
        };
        let _: i64 = self.script(&self.scripts.hash_replace, key, args).await?;
        Ok(())
    }

    async fn hash_get_all(&self, key: &str) -> Result<Option<Vec<(String, Bytes)>>> {
        let map: HashMap<String, Bytes> = self.client()?.hgetall(key).await?;
        if map.is_empty() {
            Ok(None)
        } else {
            Ok(Some(map.into_iter().collect()))
        }
    }

    async fn hash_update(&self, key: &str, fields: Vec<(String, Bytes)>) -> Result<bool> {
        if fields.is_empty() {
            return self.exists(key).await;
        }
        let args = || {
            let mut args = Vec::with_capacity(fields.len() * 2);
            for (name, value) in &fields {
                args.push(Value::String(name.as_str().into()));
                args.push(Value::Bytes(value.clone()));
            }
            args
        };
        let n: i64 = self.script(&self.scripts.hash_update, key, args).await?;
        Ok(n > 0)
    }

    async fn delete_pattern(&self, pattern: &str, batch: u32) -> Result<u64> {
        let client = self.client()?;
        let count = Some(batch.max(1));
        if self.cluster {
            // SCAN every primary of the cluster.
            self.drain_scan(client, client.scan_cluster(pattern, count, None))
                .await
        } else {
            self.drain_scan(client, client.scan(pattern, count, None))
                .await
        }
    }

    async fn ping(&self) -> Result<()> {
        let client = self.client()?;
        let _: Value = client.ping(None).await?;
        Ok(())
    }

    async fn publish(&self, channel: &str, payload: Bytes) -> Result<()> {
        // Any pooled connection: on Cluster, a PUBLISH reaches the subscribers of every node.
        let _: i64 = self
            .client()?
            .publish(channel, Value::Bytes(payload))
            .await?;
        Ok(())
    }

    async fn subscribe(&self, channels: &[String]) -> Result<Vec<ChannelReceiver>> {
        let pubsub = self.pubsub().await?;
        let mut probe = pubsub.order.lock().await;
        // Receivers first, so that nothing published once SUBSCRIBE is confirmed is lost; on a
        // failure they are dropped again, which unsubscribes what is left unused.
        let receivers = channels
            .iter()
            .map(|c| pubsub.hub.subscribe(c))
            .collect::<Result<Vec<_>>>()?;
        if !pubsub.client.is_connected() {
            return Err(unavailable());
        }
        let mut names: Vec<Key> = channels.iter().map(|c| Key::from(c.as_str())).collect();
        // The probe channel rides along in the same SUBSCRIBE (one command, processed at once).
        names.push(Key::from(probe.channel.as_str()));
        let deadline = tokio::time::Instant::now() + self.command_timeout * 2;
        match tokio::time::timeout_at(deadline, pubsub.client.subscribe(names)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(subscribe_timeout()),
        }
        // fred completes SUBSCRIBE once it is written: its confirmation arrives out of band. A
        // nonce published on the probe channel coming back proves that the server has
        // processed it; only then can a publish from anywhere reach the new subscriptions.
        let nonce = Bytes::from(format!("{:016x}", rand::random::<u64>()));
        loop {
            let published =
                tokio::time::timeout_at(deadline, self.publish(&probe.channel, nonce.clone()))
                    .await;
            match published {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(subscribe_timeout()),
            }
            let retry = (tokio::time::Instant::now() + Duration::from_millis(50)).min(deadline);
            loop {
                match tokio::time::timeout_at(retry, probe.rx.recv_payload()).await {
                    Ok(Some(payload)) if payload == nonce => return Ok(receivers),
                    // An older nonce, from a retry of this or an earlier call.
                    Ok(Some(_)) => {}
                    Ok(None) => return Err(unavailable()),
                    Err(_) => break,
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(subscribe_timeout());
            }
        }
    }

    async fn shutdown(&self) -> Result<()> {
        if let Some(pubsub) = self.pubsub.get() {
            pubsub.hub.close();
            let _ = pubsub.client.quit().await;
        }
        self.pool.quit().await?;
        Ok(())
    }
}

impl Drop for RedisBackend {
    fn drop(&mut self) {
        // Stop the reconnecting connection tasks when the last manager handle goes away.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let pool = self.pool.clone();
            let subscriber = self.pubsub.get().map(|p| p.client.clone());
            handle.spawn(async move {
                if let Some(subscriber) = subscriber {
                    let _ = subscriber.quit().await;
                }
                let _ = pool.quit().await;
            });
        }
    }
}
