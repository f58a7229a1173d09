//! The in-process backend: a moka cache with a deadline per entry.
//!
//! Every entry carries its own deadline (moka's `Expiry` hands it to the eviction timer), and
//! reads check it too, so an expired entry is never returned even before moka evicts it. Every
//! write goes through moka's `and_compute_with`, which serializes calls on the same key with a
//! key-level lock: read-modify-write operations (counters, compare-and-delete, hash updates) are
//! atomic and exact under any number of concurrent callers, while different keys never contend.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache;
use moka::ops::compute::Op;

use super::{BackendKind, CacheBackend, KeyTtl};
use crate::error::{CacheErrorKind, Error, Result};
use crate::glob;
use crate::pubsub::{ChannelHub, ChannelReceiver};

#[derive(Debug, Clone)]
enum Stored {
    Bytes(Bytes),
    Int(i64),
    Hash(Arc<Vec<(String, Bytes)>>),
}

#[derive(Debug, Clone)]
struct Entry {
    value: Stored,
    expires_at: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }

    fn weight(&self) -> usize {
        match &self.value {
            Stored::Bytes(b) => b.len(),
            Stored::Int(_) => 8,
            Stored::Hash(fields) => fields.iter().map(|(k, v)| k.len() + v.len() + 32).sum(),
        }
    }

    fn remaining(&self, now: Instant) -> KeyTtl {
        match self.expires_at {
            None => KeyTtl::Persistent,
            Some(at) => KeyTtl::ExpiresIn(at.saturating_duration_since(now)),
        }
    }
}

struct Deadline;

impl Expiry<String, Entry> for Deadline {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Entry,
        created_at: Instant,
    ) -> Option<Duration> {
        value
            .expires_at
            .map(|at| at.saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        value
            .expires_at
            .map(|at| at.saturating_duration_since(updated_at))
    }
}

fn wrong_type() -> Error {
    Error::cache(
        CacheErrorKind::Backend,
        "WRONGTYPE Operation against a key holding the wrong kind of value",
    )
}

fn not_integer() -> Error {
    Error::cache(
        CacheErrorKind::Backend,
        "ERR value is not an integer or out of range",
    )
}

fn deadline(now: Instant, ttl: Duration) -> Option<Instant> {
    // A TTL too large to represent means "practically never".
    Some(
        now.checked_add(ttl)
            .unwrap_or(now + Duration::from_secs(100 * 365 * 86_400)),
    )
}

/// The in-process cache (moka): the default when no Redis is configured.
pub struct MemoryBackend {
    cache: Cache<String, Entry>,
    /// Pub/sub: one in-process broadcast channel per subscribed channel name.
    hub: Arc<ChannelHub>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("entries", &self.cache.entry_count())
            .field("weighted_size", &self.cache.weighted_size())
            .finish()
    }
}

impl MemoryBackend {
    /// An empty cache holding at most about `max_capacity` bytes of keys and values.
    #[must_use]
    pub fn new(max_capacity: u64) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_capacity)
            .weigher(|key: &String, entry: &Entry| {
                u32::try_from(key.len() + entry.weight() + 64).unwrap_or(u32::MAX)
            })
            .expire_after(Deadline)
            .build();
        Self {
            cache,
            hub: ChannelHub::new(),
        }
    }

    /// Number of entries (approximate: expired entries may still be counted until evicted).
    #[must_use]
    pub fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }

    async fn live(&self, key: &str) -> Option<Entry> {
        let entry = self.cache.get(key).await?;
        entry.live(Instant::now()).then_some(entry)
    }

    /// Run `f` on the live entry (if any) under the key's lock; its `Op` is applied atomically.
    async fn compute<R>(
        &self,
        key: &str,
        f: impl FnOnce(Option<Entry>, Instant) -> (Op<Entry>, R),
    ) -> Result<R> {
        let mut out = None;
        self.cache
            .entry_by_ref(key)
            .and_compute_with(|current| {
                let now = Instant::now();
                let live = current.map(moka::Entry::into_value).filter(|e| e.live(now));
                let (op, result) = f(live, now);
                out = Some(result);
                std::future::ready(op)
            })
            .await;
        out.ok_or_else(|| Error::cache(CacheErrorKind::Backend, "in-process compute did not run"))
    }

    fn matches_value(entry: &Entry, expected: &[u8]) -> Result<bool> {
        match &entry.value {
            Stored::Bytes(b) => Ok(b.as_ref() == expected),
            Stored::Int(n) => Ok(n.to_string().as_bytes() == expected),
            Stored::Hash(_) => Err(wrong_type()),
        }
    }

    fn incr(current: Option<Entry>, by: i64) -> Result<Entry> {
        let (old, expires_at) = match current {
            None => (0, None),
            Some(Entry {
                value: Stored::Int(n),
                expires_at,
            }) => (n, expires_at),
            Some(Entry {
                value: Stored::Bytes(b),
                expires_at,
            }) => {
                let n = std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(not_integer)?;
                (n, expires_at)
            }
            Some(Entry {
                value: Stored::Hash(_),
                ..
            }) => return Err(wrong_type()),
        };
        let new = old.checked_add(by).ok_or_else(|| {
            Error::cache(
                CacheErrorKind::Backend,
                "ERR increment or decrement would overflow",
            )
        })?;
        Ok(Entry {
            value: Stored::Int(new),
            expires_at,
        })
    }
}

#[async_trait]
impl CacheBackend for MemoryBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        match self.live(key).await {
            None => Ok(None),
            Some(Entry {
                value: Stored::Bytes(b),
                ..
            }) => Ok(Some(b)),
            Some(Entry {
                value: Stored::Int(n),
                ..
            }) => Ok(Some(Bytes::from(n.to_string()))),
            Some(Entry {
                value: Stored::Hash(_),
                ..
            }) => Err(wrong_type()),
        }
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
        self.compute(key, |_, now| {
            let entry = Entry {
                value: Stored::Bytes(value),
                expires_at: deadline(now, ttl),
            };
            (Op::Put(entry), ())
        })
        .await
    }

    async fn set_nx(&self, key: &str, value: Bytes, ttl: Duration) -> Result<bool> {
        self.compute(key, |current, now| match current {
            Some(_) => (Op::Nop, false),
            None => {
                let entry = Entry {
                    value: Stored::Bytes(value),
                    expires_at: deadline(now, ttl),
                };
                (Op::Put(entry), true)
            }
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        self.compute(key, |current, _| (Op::Remove, current.is_some()))
            .await
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.live(key).await.is_some())
    }

    async fn ttl(&self, key: &str) -> Result<KeyTtl> {
        Ok(match self.live(key).await {
            None => KeyTtl::Missing,
            Some(entry) => entry.remaining(Instant::now()),
        })
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool> {
        self.compute(key, |current, now| match current {
            None => (Op::Nop, false),
            Some(mut entry) => {
                entry.expires_at = deadline(now, ttl);
                (Op::Put(entry), true)
            }
        })
        .await
    }

    async fn incr_by(&self, key: &str, by: i64) -> Result<i64> {
        self.compute(key, |current, _| match Self::incr(current, by) {
            Ok(entry) => {
                let Stored::Int(n) = entry.value else {
                    return (Op::Nop, Err(not_integer()));
                };
                (Op::Put(entry), Ok(n))
            }
            Err(e) => (Op::Nop, Err(e)),
        })
        .await?
    }

    async fn incr_with_expiry(&self, key: &str, by: i64, ttl: Duration) -> Result<(i64, Duration)> {
        self.compute(key, |current, now| match Self::incr(current, by) {
            Ok(mut entry) => {
                let Stored::Int(n) = entry.value else {
                    return (Op::Nop, Err(not_integer()));
                };
                if entry.expires_at.is_none() {
                    entry.expires_at = deadline(now, ttl);
                }
                let left = entry.remaining(now).remaining().unwrap_or(ttl);
                (Op::Put(entry), Ok((n, left)))
            }
            Err(e) => (Op::Nop, Err(e)),
        })
        .await?
    }

    async fn delete_if_equals(&self, key: &str, expected: &[u8]) -> Result<bool> {
        self.compute(key, |current, _| match current {
            None => (Op::Nop, Ok(false)),
            Some(entry) => match Self::matches_value(&entry, expected) {
                Ok(true) => (Op::Remove, Ok(true)),
                other => (Op::Nop, other),
            },
        })
        .await?
    }

    async fn expire_if_equals(&self, key: &str, expected: &[u8], ttl: Duration) -> Result<bool> {
        self.compute(key, |current, now| match current {
            None => (Op::Nop, Ok(false)),
            Some(mut entry) => match Self::matches_value(&entry, expected) {
                Ok(true) => {
                    entry.expires_at = deadline(now, ttl);
                    (Op::Put(entry), Ok(true))
                }
                other => (Op::Nop, other),
            },
        })
        .await?
    }

    async fn hash_replace(
        &self,
        key: &str,
        fields: Vec<(String, Bytes)>,
        ttl: Duration,
    ) -> Result<()> {
        let mut merged: Vec<(String, Bytes)> = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            match merged.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => merged.push((name, value)),
            }
        }
        self.compute(key, |_, now| {
            let entry = Entry {
                value: Stored::Hash(Arc::new(merged)),
                expires_at: deadline(now, ttl),
            };
            (Op::Put(entry), ())
        })
        .await
    }

    async fn hash_get_all(&self, key: &str) -> Result<Option<Vec<(String, Bytes)>>> {
        match self.live(key).await {
            None => Ok(None),
            Some(Entry {
                value: Stored::Hash(fields),
                ..
            }) => Ok(Some(fields.as_ref().clone())),
            Some(_) => Err(wrong_type()),
        }
    }

    async fn hash_update(&self, key: &str, fields: Vec<(String, Bytes)>) -> Result<bool> {
        self.compute(key, |current, _| match current {
            None => (Op::Nop, Ok(false)),
            Some(Entry {
                value: Stored::Hash(old),
                expires_at,
            }) => {
                let mut merged = old.as_ref().clone();
                for (name, value) in fields {
                    match merged.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = value,
                        None => merged.push((name, value)),
                    }
                }
                let entry = Entry {
                    value: Stored::Hash(Arc::new(merged)),
                    expires_at,
                };
                (Op::Put(entry), Ok(true))
            }
            Some(_) => (Op::Nop, Err(wrong_type())),
        })
        .await?
    }

    async fn delete_pattern(&self, pattern: &str, batch: u32) -> Result<u64> {
        let pattern = pattern.as_bytes();
        let matching: Vec<Arc<String>> = self
            .cache
            .iter()
            .filter(|(key, _)| glob::matches(pattern, key.as_bytes()))
            .map(|(key, _)| key)
            .collect();
        let mut deleted = 0u64;
        for (i, key) in matching.iter().enumerate() {
            if self.delete(key).await? {
                deleted += 1;
            }
            if batch > 0 && i % (batch as usize) == 0 {
                // Let other tasks run between batches, as the Redis backend does between pages.
                tokio::task::yield_now().await;
            }
        }
        Ok(deleted)
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn publish(&self, channel: &str, payload: Bytes) -> Result<()> {
        self.hub.deliver(channel, payload);
        Ok(())
    }

    async fn subscribe(&self, channels: &[String]) -> Result<Vec<ChannelReceiver>> {
        channels.iter().map(|c| self.hub.subscribe(c)).collect()
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }
}
