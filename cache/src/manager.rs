//! [`CacheManager`]: the seed-000 cache operations over either backend.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Span;

use crate::backend::{BackendKind, CacheBackend, KeyTtl, MemoryBackend, RedisBackend};
use crate::config::{CacheConfig, CacheTarget};
use crate::error::{CacheErrorKind, Error, Result};
use crate::flight::{self, Flights, Role};
use crate::keys::{AsKey, CacheKey, KeySpec};
use crate::lock::LockManager;
use crate::pubsub::{self, Subscription};
use crate::rate_limit::RateLimiter;
use crate::session::SessionStore;

/// Keys asked for per `SCAN` page (and deleted per `UNLINK`) by [`CacheManager::clear_pattern`].
pub const SCAN_BATCH: u32 = 1000;

/// What [`CacheManager::health`] reports (for `dal status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheHealth {
    /// `memory`, `redis` or `redis-cluster`.
    pub backend: BackendKind,
    /// Where: `memory`, or the Redis URL with any password redacted.
    pub target: String,
    /// Whether a `PING` succeeded.
    pub reachable: bool,
    /// How long the `PING` took (also when it failed).
    pub round_trip: Duration,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// Emits at most one warning per interval for backend failures, counting the rest.
struct WarnThrottle {
    start: Instant,
    last_ms: AtomicU64,
    suppressed: AtomicU64,
}

impl WarnThrottle {
    const INTERVAL_MS: u64 = 1000;

    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(suppressed since last time)` when this failure should be logged as a warning.
    fn admit(&self) -> Option<u64> {
        let now = u64::try_from(self.start.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let last = self.last_ms.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= Self::INTERVAL_MS)
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

pub(crate) struct Inner {
    pub(crate) backend: Arc<dyn CacheBackend>,
    kind: BackendKind,
    target: String,
    prefix: String,
    escaped_prefix: String,
    flights: Flights,
    warn: WarnThrottle,
}

/// The cache: Redis (standalone or Cluster) or the in-process backend, with the seed-000
/// operations, typed JSON, cache-aside with single-flight, and handles for the rate limiter,
/// sessions and locks. Cheap to clone (one `Arc`); share one per process.
///
/// Every key is put under the configured prefix. Keys are plain strings or [`CacheKey`]s from
/// [`crate::keys`]; the key's pattern decides its codec (`search:results:…` values are gzip JSON,
/// …) and its name in logs.
#[derive(Clone)]
pub struct CacheManager {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for CacheManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheManager")
            .field("backend", &self.inner.kind)
            .field("target", &self.inner.target)
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

fn check_ttl(ttl: Duration) -> Result<()> {
    if ttl.is_zero() {
        Err(Error::InvalidArgument("TTL must be above zero".into()))
    } else {
        Ok(())
    }
}

fn loader_error<E>(err: E) -> Error
where
    E: Into<Box<dyn StdError + Send + Sync + 'static>>,
{
    Error::Loader(Arc::from(err.into()))
}

impl CacheManager {
    /// The seed's `connect`: start the configured backend. With Redis, waits at most the connect
    /// timeout for a first connection and starts anyway when Redis is down (calls then fail fast
    /// and the pool reconnects in the background).
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid configuration or URL (never because Redis is down).
    #[tracing::instrument(skip_all, fields(cache.backend))]
    pub async fn connect(config: CacheConfig) -> Result<Self> {
        config.validate()?;
        let backend: Arc<dyn CacheBackend> = match &config.target {
            CacheTarget::Memory => Arc::new(MemoryBackend::new(config.memory_max_capacity)),
            CacheTarget::Redis(url) => Arc::new(RedisBackend::connect(url, &config).await?),
        };
        Span::current().record("cache.backend", backend.kind().as_str());
        Ok(Self::with_backend(
            backend,
            config.target.redacted(),
            &config.key_prefix,
        ))
    }

    /// The in-process cache with default settings and no prefix (no Redis, nothing to start).
    #[must_use]
    pub fn in_memory() -> Self {
        let config = CacheConfig::memory();
        Self::with_backend(
            Arc::new(MemoryBackend::new(config.memory_max_capacity)),
            config.target.redacted(),
            "",
        )
    }

    /// A manager over any [`CacheBackend`] (for custom backends and fault injection). `target`
    /// names it in `Debug` output and [`CacheManager::health`]; a URL there is shown redacted.
    #[must_use]
    pub fn with_backend(
        backend: Arc<dyn CacheBackend>,
        target: impl Into<String>,
        key_prefix: &str,
    ) -> Self {
        let target: String = target.into();
        let target = if target.contains(':') || target.contains('@') {
            crate::redact::redact_url(&target)
        } else {
            target
        };
        let kind = backend.kind();
        Self {
            inner: Arc::new(Inner {
                backend,
                kind,
                target,
                prefix: key_prefix.to_owned(),
                escaped_prefix: crate::glob::escape(key_prefix),
                flights: Flights::new(),
                warn: WarnThrottle::new(),
            }),
        }
    }

    /// The seed's `disconnect`: close Redis connections (the in-process cache stays usable).
    /// Later Redis calls fail with [`Error::Cache`].
    ///
    /// # Errors
    /// [`Error::Cache`] if closing fails.
    #[tracing::instrument(skip_all, fields(cache.backend = self.inner.kind.as_str()))]
    pub async fn disconnect(&self) -> Result<()> {
        self.inner.backend.shutdown().await
    }

    /// Which backend this is.
    #[must_use]
    pub fn backend_kind(&self) -> BackendKind {
        self.inner.kind
    }

    /// The global key prefix (empty for none).
    #[must_use]
    pub fn key_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The rate limiter over this cache.
    #[must_use]
    pub fn rate_limiter(&self) -> RateLimiter {
        RateLimiter::new(self.clone())
    }

    /// The session store over this cache.
    #[must_use]
    pub fn sessions(&self) -> SessionStore {
        SessionStore::new(self.clone())
    }

    /// The distributed locks over this cache.
    #[must_use]
    pub fn locks(&self) -> LockManager {
        LockManager::new(self.clone())
    }

    pub(crate) fn full_key<'a>(&self, key: &'a str) -> Cow<'a, str> {
        if self.inner.prefix.is_empty() {
            Cow::Borrowed(key)
        } else {
            let mut full = String::with_capacity(self.inner.prefix.len() + key.len());
            full.push_str(&self.inner.prefix);
            full.push_str(key);
            Cow::Owned(full)
        }
    }

    /// Log a backend failure as a (throttled) warning; pass the result through.
    pub(crate) fn observe<T>(
        &self,
        spec: &KeySpec,
        op: &'static str,
        result: Result<T>,
    ) -> Result<T> {
        if let Err(error) = &result {
            self.warn(spec, op, error);
        }
        result
    }

    fn warn(&self, spec: &KeySpec, op: &'static str, error: &Error) {
        match self.inner.warn.admit() {
            Some(suppressed) => tracing::warn!(
                cache.backend = self.inner.kind.as_str(),
                cache.key_pattern = spec.name,
                cache.op = op,
                cache.suppressed_warnings = suppressed,
                error = %error,
                "cache call failed"
            ),
            None => tracing::debug!(
                cache.backend = self.inner.kind.as_str(),
                cache.key_pattern = spec.name,
                cache.op = op,
                error = %error,
                "cache call failed"
            ),
        }
    }

    /// Round trip of one `PING`.
    ///
    /// # Errors
    /// [`Error::Cache`] when the backend is unreachable.
    #[tracing::instrument(skip_all, fields(cache.backend = self.inner.kind.as_str()))]
    pub async fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        self.inner.backend.ping().await?;
        Ok(start.elapsed())
    }

    /// Backend, target, reachability and round trip, for `dal status`. Never fails: an
    /// unreachable backend is reported as such.
    #[tracing::instrument(skip_all, fields(cache.backend = self.inner.kind.as_str()))]
    pub async fn health(&self) -> CacheHealth {
        let start = Instant::now();
        let result = self.inner.backend.ping().await;
        CacheHealth {
            backend: self.inner.kind,
            target: self.inner.target.clone(),
            reachable: result.is_ok(),
            round_trip: start.elapsed(),
            error: result.err().map(|e| e.to_string()),
        }
    }

    /// The seed's `get`: the raw stored bytes, or `None` when missing or expired.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure or timeout.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name, cache.hit))]
    pub async fn get<K: AsKey + ?Sized>(&self, key: &K) -> Result<Option<Bytes>> {
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.get(&full).await;
        if let Ok(value) = &result {
            Span::current().record("cache.hit", value.is_some());
        }
        self.observe(key.key_spec(), "get", result)
    }

    /// The seed's `set(key, value, ttl)`: store raw bytes for `ttl`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero TTL; [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn set<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: impl Into<Bytes>,
        ttl: Duration,
    ) -> Result<()> {
        check_ttl(ttl)?;
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.set(&full, value.into(), ttl).await;
        self.observe(key.key_spec(), "set", result)
    }

    /// The seed's `delete`: whether the key existed.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn delete<K: AsKey + ?Sized>(&self, key: &K) -> Result<bool> {
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.delete(&full).await;
        self.observe(key.key_spec(), "delete", result)
    }

    /// The seed's `increment` (`INCR`): the new value. A missing key counts from 0.
    ///
    /// When the key's pattern has a TTL in the key table ([`KeySpec::pattern_ttl`]: for example
    /// `rate_limit:api:{ip_address}`, 60 s), the key this call creates gets that TTL in the same
    /// atomic step, as does an existing key that has no expiry; later increments keep the TTL
    /// the key has. A custom key does not expire unless given a TTL ([`CacheManager::expire`]).
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure or when the value is not an integer.
    pub async fn increment<K: AsKey + ?Sized>(&self, key: &K) -> Result<i64> {
        self.increment_by(key, 1).await
    }

    /// `INCRBY`: like [`CacheManager::increment`] by `by` (with the same TTL rule).
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure or when the value is not an integer.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn increment_by<K: AsKey + ?Sized>(&self, key: &K, by: i64) -> Result<i64> {
        let spec = key.key_spec();
        let full = self.full_key(key.key_str());
        let result = match spec.pattern_ttl() {
            // One script on Redis, one atomic compute in process: INCRBY, then PEXPIRE when
            // the key has no expiry yet.
            Some(ttl) => self
                .inner
                .backend
                .incr_with_expiry(&full, by, ttl)
                .await
                .map(|(n, _)| n),
            None => self.inner.backend.incr_by(&full, by).await,
        };
        self.observe(spec, "increment", result)
    }

    /// Increment by `by` and, on the first hit of a window (the key has no expiry), expire it
    /// after `window` — atomically, in one round trip. Returns the new value and the time left
    /// in the window.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero window; [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn increment_with_expiry<K: AsKey + ?Sized>(
        &self,
        key: &K,
        by: i64,
        window: Duration,
    ) -> Result<(i64, Duration)> {
        check_ttl(window)?;
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.incr_with_expiry(&full, by, window).await;
        self.observe(key.key_spec(), "increment_with_expiry", result)
    }

    /// Whether the key exists (and has not expired).
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn exists<K: AsKey + ?Sized>(&self, key: &K) -> Result<bool> {
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.exists(&full).await;
        self.observe(key.key_spec(), "exists", result)
    }

    /// The key's time to live.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn ttl<K: AsKey + ?Sized>(&self, key: &K) -> Result<KeyTtl> {
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.ttl(&full).await;
        self.observe(key.key_spec(), "ttl", result)
    }

    /// Set the key's TTL: whether the key existed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero TTL; [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn expire<K: AsKey + ?Sized>(&self, key: &K, ttl: Duration) -> Result<bool> {
        check_ttl(ttl)?;
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.expire(&full, ttl).await;
        self.observe(key.key_spec(), "expire", result)
    }

    /// Delete every key (under the prefix) matching the Redis glob `pattern` (`*`, `?`, `[…]`),
    /// with `SCAN` + `UNLINK` in pages of [`SCAN_BATCH`] keys — never `KEYS` or `FLUSHDB`. On
    /// Redis Cluster every primary is scanned. Returns how many keys were deleted.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty pattern; [`Error::Cache`] on a backend failure
    /// (keys of earlier pages stay deleted).
    #[tracing::instrument(skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.deleted))]
    pub async fn clear_pattern(&self, pattern: &str) -> Result<u64> {
        if pattern.is_empty() {
            return Err(Error::InvalidArgument("empty pattern".into()));
        }
        let full = format!("{}{pattern}", self.inner.escaped_prefix);
        let spec = crate::keys::spec_for_key(pattern);
        let result = self.inner.backend.delete_pattern(&full, SCAN_BATCH).await;
        if let Ok(n) = &result {
            Span::current().record("cache.deleted", n);
        }
        self.observe(spec, "clear_pattern", result)
    }

    /// Typed `get`: decode the stored value with the key pattern's codec (gzip JSON for
    /// `search:results:…` and the other compressed patterns, JSON otherwise).
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure; [`Error::Codec`] for a corrupt payload or JSON of
    /// the wrong shape.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name, cache.hit))]
    pub async fn get_json<T: DeserializeOwned, K: AsKey + ?Sized>(
        &self,
        key: &K,
    ) -> Result<Option<T>> {
        let spec = key.key_spec();
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.get(&full).await;
        let decoded = match result {
            Ok(Some(bytes)) => spec.codec.decode(&bytes).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        if let Ok(value) = &decoded {
            Span::current().record("cache.hit", value.is_some());
        }
        self.observe(spec, "get_json", decoded)
    }

    /// Typed `set`: encode `value` with the key pattern's codec and store it for `ttl`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero TTL; [`Error::Codec`] when `value` cannot be
    /// serialized; [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name))]
    pub async fn set_json<T: Serialize + ?Sized, K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: &T,
        ttl: Duration,
    ) -> Result<()> {
        check_ttl(ttl)?;
        let spec = key.key_spec();
        let bytes = spec.codec.encode(value)?;
        let full = self.full_key(key.key_str());
        let result = self.inner.backend.set(&full, bytes, ttl).await;
        self.observe(spec, "set_json", result)
    }

    /// Store `value` under a typed key with its pattern's TTL and codec from the key table.
    ///
    /// # Errors
    /// As [`CacheManager::set_json`].
    pub async fn put<T: Serialize + ?Sized>(&self, key: &CacheKey, value: &T) -> Result<()> {
        self.set_json(key, value, key.ttl()).await
    }

    /// Cache-aside (seed 004's `cache_result`): the cached value, or else the loader's value,
    /// stored for `ttl`. When many tasks miss the same key at the same moment the loader runs
    /// once and every task gets its value (single-flight).
    ///
    /// A cache failure is never an error here: an unreachable backend or a corrupt entry counts
    /// as a miss (logged as a warning) and the loader's value is returned. When the first read
    /// failed because the backend is unreachable or timing out, the value is not written back,
    /// so a degraded Redis costs at most one command timeout per call.
    ///
    /// # Errors
    /// [`Error::Loader`] when the loader fails (every waiting task gets the same error);
    /// [`Error::Codec`] when the loaded value cannot be serialized; [`Error::InvalidArgument`]
    /// for a zero TTL.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.key_pattern = key.key_spec().name, cache.hit, cache.loaded))]
    pub async fn get_or_set<T, K, F, Fut, E>(&self, key: &K, ttl: Duration, loader: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        K: AsKey + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
        E: Into<Box<dyn StdError + Send + Sync + 'static>>,
    {
        check_ttl(ttl)?;
        let spec = key.key_spec();
        let full = self.full_key(key.key_str());
        let (hit, degraded) = self.read_through(spec, &full).await;
        if let Some(value) = hit {
            Span::current().record("cache.hit", true);
            return Ok(value);
        }
        Span::current().record("cache.hit", false);
        let mut loader = Some(loader);
        loop {
            match self.inner.flights.join(&full) {
                Role::Leader(leader) => {
                    // Another leader may have filled the key between our miss and now (not
                    // worth asking a backend that just failed or timed out).
                    if !degraded && let (Some(value), _) = self.read_through(spec, &full).await {
                        return Ok(value);
                    }
                    let Some(load) = loader.take() else {
                        return Err(Error::InvalidArgument("loader already consumed".into()));
                    };
                    Span::current().record("cache.loaded", true);
                    let value = match load().await {
                        Ok(value) => value,
                        Err(e) => {
                            let error = loader_error(e);
                            leader.finish(Err(error.clone()));
                            return Err(error);
                        }
                    };
                    let bytes = match spec.codec.encode(&value) {
                        Ok(bytes) => bytes,
                        Err(error) => {
                            leader.finish(Err(error.clone()));
                            return Err(error);
                        }
                    };
                    if !degraded {
                        let stored = self.inner.backend.set(&full, bytes.clone(), ttl).await;
                        let _ = self.observe(spec, "get_or_set", stored);
                    }
                    leader.finish(Ok(bytes));
                    return Ok(value);
                }
                Role::Waiter(receiver) => match flight::wait(receiver).await {
                    Some(Ok(bytes)) => return spec.codec.decode(&bytes),
                    Some(Err(error)) => return Err(error),
                    // The leader was cancelled: try again (perhaps as the leader).
                    None => {}
                },
            }
        }
    }

    /// `get_or_set` with the TTL of the key's pattern from the key table.
    ///
    /// # Errors
    /// As [`CacheManager::get_or_set`].
    pub async fn get_or_load<T, F, Fut, E>(&self, key: &CacheKey, loader: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
        E: Into<Box<dyn StdError + Send + Sync + 'static>>,
    {
        self.get_or_set(key, key.ttl(), loader).await
    }

    /// A hit decoded, or `None` for a miss, a backend failure or a corrupt entry (logged); and
    /// whether the backend is degraded (unreachable or timing out), so that the caller skips
    /// further calls to it.
    async fn read_through<T: DeserializeOwned>(
        &self,
        spec: &KeySpec,
        full: &str,
    ) -> (Option<T>, bool) {
        match self.inner.backend.get(full).await {
            Ok(Some(bytes)) => match spec.codec.decode(&bytes) {
                Ok(value) => (Some(value), false),
                Err(error) => {
                    self.warn(spec, "get_or_set", &error);
                    (None, false)
                }
            },
            Ok(None) => (None, false),
            Err(error) => {
                self.warn(spec, "get_or_set", &error);
                let degraded = matches!(
                    error.cache_kind(),
                    Some(CacheErrorKind::Timeout | CacheErrorKind::Unavailable)
                );
                (None, degraded)
            }
        }
    }

    /// Publish `payload` on `channel` (under the global key prefix, like keys): every
    /// subscription to it that exists now receives it, on Redis Cluster whichever node it is
    /// connected to. Nothing is kept for later subscribers (at-most-once delivery).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty channel name; [`Error::Cache`] on a backend
    /// failure, at once when Redis is down (never waiting past the command timeout).
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.payload_bytes))]
    pub async fn publish(&self, channel: &str, payload: impl Into<Bytes>) -> Result<()> {
        pubsub::check_channel(channel)?;
        let payload = payload.into();
        // Sizes only: a channel name may carry an identifier and a payload is a value.
        Span::current().record("cache.payload_bytes", payload.len());
        let full = self.full_key(channel);
        let result = self.inner.backend.publish(&full, payload).await;
        self.observe_pubsub("publish", result)
    }

    /// [`CacheManager::publish`] of `value` as JSON (read it back with [`crate::Message::json`]).
    ///
    /// # Errors
    /// [`Error::Codec`] when `value` cannot be serialized; otherwise as
    /// [`CacheManager::publish`].
    pub async fn publish_json<T: Serialize + ?Sized>(
        &self,
        channel: &str,
        value: &T,
    ) -> Result<()> {
        let payload = serde_json::to_vec(value).map_err(Error::codec)?;
        self.publish(channel, payload).await
    }

    /// Subscribe to `channels` (under the global key prefix): the returned [`Subscription`]
    /// receives every message published on any of them once this has returned. On Redis the
    /// subscription goes through one dedicated subscriber connection per backend, which
    /// resubscribes by itself after Redis restarts or the connection drops (messages published
    /// while it is disconnected are missed).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no channel or an empty channel name; [`Error::Cache`] on a
    /// backend failure: when Redis is down, within the connect timeout for the first
    /// subscription and at once afterwards.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.inner.kind.as_str(), cache.channels))]
    pub async fn subscribe<I, S>(&self, channels: I) -> Result<Subscription>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let names = pubsub::checked_channels(channels)?;
        Span::current().record("cache.channels", names.len());
        let full: Vec<String> = names
            .iter()
            .map(|name| self.full_key(name).into_owned())
            .collect();
        let result = self.inner.backend.subscribe(&full).await;
        let receivers = self.observe_pubsub("subscribe", result)?;
        Ok(Subscription::new(names, receivers))
    }

    /// Log a pub/sub failure as a (throttled) warning, like [`CacheManager::observe`] (no key
    /// pattern: channels are not keys); pass the result through.
    fn observe_pubsub<T>(&self, op: &'static str, result: Result<T>) -> Result<T> {
        if let Err(error) = &result {
            match self.inner.warn.admit() {
                Some(suppressed) => tracing::warn!(
                    cache.backend = self.inner.kind.as_str(),
                    cache.op = op,
                    cache.suppressed_warnings = suppressed,
                    error = %error,
                    "cache call failed"
                ),
                None => tracing::debug!(
                    cache.backend = self.inner.kind.as_str(),
                    cache.op = op,
                    error = %error,
                    "cache call failed"
                ),
            }
        }
        result
    }

    /// Loads in flight right now (single-flight leaders), for diagnostics and tests.
    #[must_use]
    pub fn loads_in_flight(&self) -> usize {
        self.inner.flights.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_target_url_is_shown_redacted() {
        let backend: Arc<dyn CacheBackend> = Arc::new(MemoryBackend::new(1024 * 1024));
        let cache = CacheManager::with_backend(
            Arc::clone(&backend),
            "redis://u:s3cret@127.0.0.1:6379/0",
            "",
        );
        assert!(!format!("{cache:?}").contains("s3cret"), "{cache:?}");
        assert_eq!(
            cache.health().await.target,
            "redis://u:***@127.0.0.1:6379/0"
        );
        let named = CacheManager::with_backend(backend, "memory", "");
        assert_eq!(named.health().await.target, "memory");
    }
}
