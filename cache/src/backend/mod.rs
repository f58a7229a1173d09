//! The backend trait and its two implementations: Redis through fred ([`RedisBackend`]) and the
//! in-process cache ([`MemoryBackend`]).
//!
//! Backends see full keys (the global prefix already applied) and raw bytes; encoding, key
//! patterns, single-flight and logging live in [`crate::CacheManager`]. Every operation has the
//! semantics of the Redis command(s) named in its documentation, and both backends must behave
//! alike: the integration suite runs the same tests against each.

mod memory;
mod redis;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

pub use memory::MemoryBackend;
pub use redis::RedisBackend;

use crate::error::{CacheErrorKind, Error, Result};
use crate::pubsub::ChannelReceiver;

/// Which backend a manager runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// The in-process cache (moka).
    Memory,
    /// A standalone Redis server.
    Redis,
    /// A Redis Cluster.
    RedisCluster,
}

impl BackendKind {
    /// `memory`, `redis` or `redis-cluster`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Redis => "redis",
            Self::RedisCluster => "redis-cluster",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The time to live of a key (`PTTL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyTtl {
    /// The key does not exist (`-2`).
    Missing,
    /// The key exists and never expires (`-1`).
    Persistent,
    /// The key expires after this long.
    ExpiresIn(Duration),
}

impl KeyTtl {
    /// From a `PTTL` reply.
    #[must_use]
    pub fn from_pttl(ms: i64) -> Self {
        match ms {
            -1 => Self::Persistent,
            ms if ms < 0 => Self::Missing,
            ms => Self::ExpiresIn(Duration::from_millis(ms.unsigned_abs())),
        }
    }

    /// The remaining time, if the key exists and expires.
    #[must_use]
    pub fn remaining(self) -> Option<Duration> {
        match self {
            Self::ExpiresIn(d) => Some(d),
            _ => None,
        }
    }
}

/// A cache backend. Keys are full keys (prefix applied); values are opaque bytes.
#[async_trait]
pub trait CacheBackend: Send + Sync + fmt::Debug + 'static {
    /// Memory, Redis or Redis Cluster.
    fn kind(&self) -> BackendKind;

    /// `GET`: the value, or `None` when missing or expired.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure or when the key holds a hash.
    async fn get(&self, key: &str) -> Result<Option<Bytes>>;

    /// `SET key value PX ttl`.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()>;

    /// `SET key value NX PX ttl`: whether the value was set (the key did not exist).
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn set_nx(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool>;

    /// `UNLINK`: whether the key existed.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn delete(&self, key: &str) -> Result<bool>;

    /// `EXISTS`.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn exists(&self, key: &str) -> Result<bool>;

    /// `PTTL`.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn ttl(&self, key: &str) -> Result<KeyTtl>;

    /// `PEXPIRE`: whether the key existed.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool>;

    /// `INCRBY` (a missing key counts from 0; the TTL of an existing key is kept).
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure, or when the value is not an integer.
    async fn incr_by(&self, key: &str, by: i64) -> Result<i64>;

    /// `INCRBY`, and `PEXPIRE ttl` when the key has no expiry yet (first hit of a window), in one
    /// atomic step: the new value and the time left in the window.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure, or when the value is not an integer.
    async fn incr_with_expiry(&self, key: &str, by: i64, ttl: Duration) -> Result<(i64, Duration)>;

    /// Delete the key only if it holds `expected` (compare-and-delete, atomic).
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn delete_if_equals(&self, key: &str, expected: &[u8]) -> Result<bool>;

    /// Set the key's TTL only if it holds `expected` (compare-and-expire, atomic).
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn expire_if_equals(&self, key: &str, expected: &[u8], ttl: Duration) -> Result<bool>;

    /// Replace the key with a hash of `fields` expiring after `ttl` (`DEL` + `HSET` + `PEXPIRE`,
    /// atomic). `fields` must not be empty.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure.
    async fn hash_replace(
        &self,
        key: &str,
        fields: Vec<(String, Bytes)>,
        ttl: Duration,
    ) -> Result<()>;

    /// `HGETALL`: `None` when the key is missing.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure, or when the key is not a hash.
    async fn hash_get_all(&self, key: &str) -> Result<Option<Vec<(String, Bytes)>>>;

    /// `HSET` of `fields` only if the hash exists, keeping its TTL: whether it existed.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure, or when the key is not a hash.
    async fn hash_update(&self, key: &str, fields: Vec<(String, Bytes)>) -> Result<bool>;

    /// Delete every key matching the glob `pattern` (`SCAN MATCH` pages of about `batch` keys,
    /// each page `UNLINK`ed): how many were deleted.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure (keys of earlier pages stay deleted).
    async fn delete_pattern(&self, pattern: &str, batch: u32) -> Result<u64>;

    /// `PING`.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] when the backend is unreachable.
    async fn ping(&self) -> Result<()>;

    /// `PUBLISH channel payload`: hand `payload` to every current subscription of `channel`
    /// (on Redis Cluster, of the whole cluster). Nothing is stored for later subscribers.
    ///
    /// The default refuses: a backend without pub/sub.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure or when the backend has no pub/sub.
    async fn publish(&self, channel: &str, payload: Bytes) -> Result<()> {
        let _ = (channel, payload);
        Err(no_pubsub())
    }

    /// `SUBSCRIBE channels…`: one receiver per channel, in the order given, each receiving the
    /// payloads published on its channel once this has returned. `channels` is not empty and
    /// holds no duplicates.
    ///
    /// The default refuses: a backend without pub/sub.
    ///
    /// # Errors
    /// [`crate::Error::Cache`] on a backend failure or when the backend has no pub/sub.
    async fn subscribe(&self, channels: &[String]) -> Result<Vec<ChannelReceiver>> {
        let _ = channels;
        Err(no_pubsub())
    }

    /// Close connections; later calls fail with [`crate::Error::Cache`] (Redis) or keep working
    /// (memory).
    ///
    /// # Errors
    /// [`crate::Error::Cache`] if closing fails.
    async fn shutdown(&self) -> Result<()>;
}

fn no_pubsub() -> Error {
    Error::cache(
        CacheErrorKind::Backend,
        "this cache backend has no publish/subscribe",
    )
}
