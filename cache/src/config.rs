//! [`CacheConfig`]: which backend, the key prefix, timeouts and sizes. Nothing here reads the
//! environment: the `app` crate builds this from its own configuration.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// Every URL scheme [`CacheTarget::parse`] accepts as Redis: standalone (`redis`), TLS
/// (`rediss`), Cluster (`redis-cluster`, `rediss-cluster`), and Valkey's names for the same.
/// The one list: the `app` crate asks [`CacheTarget::parse`] instead of keeping its own.
pub const REDIS_URL_SCHEMES: &[&str] = &[
    "redis",
    "rediss",
    "redis-cluster",
    "rediss-cluster",
    "valkey",
    "valkeys",
    "valkey-cluster",
    "valkeys-cluster",
];

/// Where the cache lives.
#[derive(Clone, PartialEq, Eq)]
pub enum CacheTarget {
    /// The in-process cache (moka): the default when no Redis is configured.
    Memory,
    /// Redis at this URL: `redis://`, `rediss://` for a standalone server, `redis-cluster://` /
    /// `rediss-cluster://` (optionally with `?node=host:port&node=…`) for Redis Cluster, or the
    /// `valkey` forms of these (every scheme of [`REDIS_URL_SCHEMES`]).
    Redis(String),
}

impl CacheTarget {
    /// `memory` (or an empty string) for the in-process cache, anything else as a Redis URL.
    ///
    /// # Errors
    /// [`Error::Config`] when the text is neither `memory` nor a URL with a scheme of
    /// [`REDIS_URL_SCHEMES`] (the message shows the URL redacted).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("memory") {
            return Ok(Self::Memory);
        }
        let parsed = url::Url::parse(text)
            .map_err(|e| Error::Config(format!("cache URL {}: {e}", redact_url(text))))?;
        if REDIS_URL_SCHEMES.contains(&parsed.scheme()) {
            Ok(Self::Redis(text.to_owned()))
        } else {
            Err(Error::Config(format!(
                "cache URL scheme `{}` is not supported (use memory or {})",
                parsed.scheme(),
                REDIS_URL_SCHEMES
                    .iter()
                    .map(|s| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }

    /// The target as text with any password replaced by `***` (safe to log or print).
    #[must_use]
    pub fn redacted(&self) -> String {
        match self {
            Self::Memory => "memory".to_owned(),
            Self::Redis(url) => redact_url(url),
        }
    }
}

impl fmt::Debug for CacheTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("Memory"),
            Self::Redis(url) => f.debug_tuple("Redis").field(&redact_url(url)).finish(),
        }
    }
}

impl fmt::Display for CacheTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The one redaction of the workspace (crate `redact`): the password and secret query values
/// masked, `<unparseable>` for text that is not a URL.
use crate::redact::redact_url;

/// Everything the cache needs to start. Build it with [`CacheConfig::memory`],
/// [`CacheConfig::redis`] or [`CacheConfig::from_url`], then adjust with the `with_*` methods.
///
/// Its `Debug` output redacts any password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// In-process or Redis.
    pub target: CacheTarget,
    /// Put before every key (for example `dal:`); empty for none. Patterns given to
    /// [`crate::CacheManager::clear_pattern`] only ever match keys under this prefix.
    pub key_prefix: String,
    /// Upper bound on one Redis command, queueing included (fred's default command timeout).
    pub command_timeout: Duration,
    /// Upper bound on opening one connection, and on how long [`crate::CacheManager::connect`]
    /// waits for Redis before it starts anyway and keeps reconnecting in the background.
    pub connect_timeout: Duration,
    /// Number of multiplexed Redis connections in the fred pool.
    pub pool_size: usize,
    /// In-process backend: the most bytes (keys plus values, approximately) kept before the least
    /// useful entries are evicted.
    pub memory_max_capacity: u64,
}

impl CacheConfig {
    /// Default command timeout: 1 s.
    pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
    /// Default connect timeout: 2 s.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
    /// Default pool size: 2 multiplexed connections (each pipelines; on small machines more
    /// connections mean fewer commands per write and more system calls, not more throughput).
    pub const DEFAULT_POOL_SIZE: usize = 2;
    /// Default in-process capacity: 128 MiB.
    pub const DEFAULT_MEMORY_MAX_CAPACITY: u64 = 128 * 1024 * 1024;

    /// The in-process cache with default settings.
    #[must_use]
    pub fn memory() -> Self {
        Self {
            target: CacheTarget::Memory,
            key_prefix: String::new(),
            command_timeout: Self::DEFAULT_COMMAND_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            pool_size: Self::DEFAULT_POOL_SIZE,
            memory_max_capacity: Self::DEFAULT_MEMORY_MAX_CAPACITY,
        }
    }

    /// Redis at `url` with default settings (the URL is checked by [`CacheManager::connect`]).
    ///
    /// [`CacheManager::connect`]: crate::CacheManager::connect
    #[must_use]
    pub fn redis(url: impl Into<String>) -> Self {
        Self {
            target: CacheTarget::Redis(url.into()),
            ..Self::memory()
        }
    }

    /// `memory` (or empty) for the in-process cache, else a Redis URL.
    ///
    /// # Errors
    /// [`Error::Config`] for an unsupported scheme or an unparseable URL.
    pub fn from_url(text: &str) -> Result<Self> {
        Ok(Self {
            target: CacheTarget::parse(text)?,
            ..Self::memory()
        })
    }

    /// With this key prefix (for example `dal:`).
    #[must_use]
    pub fn with_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// With this command timeout.
    #[must_use]
    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// With this connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// With this many pooled Redis connections.
    #[must_use]
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// With this in-process capacity in bytes.
    #[must_use]
    pub fn with_memory_max_capacity(mut self, bytes: u64) -> Self {
        self.memory_max_capacity = bytes;
        self
    }

    /// Check the values before use.
    ///
    /// # Errors
    /// [`Error::Config`] for a zero timeout, pool size or capacity, or a bad URL.
    pub fn validate(&self) -> Result<()> {
        if self.command_timeout.is_zero() {
            return Err(Error::Config("command timeout must be above zero".into()));
        }
        if self.connect_timeout.is_zero() {
            return Err(Error::Config("connect timeout must be above zero".into()));
        }
        if self.pool_size == 0 || self.pool_size > 256 {
            return Err(Error::Config("pool size must be between 1 and 256".into()));
        }
        if self.memory_max_capacity == 0 {
            return Err(Error::Config(
                "in-process cache capacity must be above zero".into(),
            ));
        }
        if let CacheTarget::Redis(url) = &self.target {
            CacheTarget::parse(url)?;
        }
        Ok(())
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self::memory()
    }
}

impl fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheConfig")
            .field("target", &self.target)
            .field("key_prefix", &self.key_prefix)
            .field("command_timeout", &self.command_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("pool_size", &self.pool_size)
            .field("memory_max_capacity", &self.memory_max_capacity)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_password() {
        let config = CacheConfig::redis("redis://user:s3cret@localhost:6379/0");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        assert!(!config.target.to_string().contains("s3cret"));
    }

    #[test]
    fn parse_targets() {
        assert_eq!(CacheTarget::parse("memory").ok(), Some(CacheTarget::Memory));
        assert_eq!(CacheTarget::parse("").ok(), Some(CacheTarget::Memory));
        assert!(matches!(
            CacheTarget::parse("redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001"),
            Ok(CacheTarget::Redis(_))
        ));
        assert!(CacheTarget::parse("http://localhost").is_err());
        assert!(CacheTarget::parse("not a url").is_err());
        for scheme in REDIS_URL_SCHEMES {
            let url = format!("{scheme}://u:pw@127.0.0.1:6379");
            assert_eq!(
                CacheTarget::parse(&url).ok(),
                Some(CacheTarget::Redis(url.clone()))
            );
        }
    }

    #[test]
    fn refusals_never_show_the_password() {
        for text in ["redis://u:pa#ss@h:6379", "http://u:s3cret@h", "u:s3cret@h"] {
            let err = CacheTarget::parse(text).expect_err("refused");
            let shown = err.to_string();
            assert!(
                !shown.contains("pa#ss") && !shown.contains("s3cret"),
                "{shown}"
            );
        }
    }

    #[test]
    fn unparseable_urls_leak_nothing() {
        let shown = redact_url("redis://user:pa ss@@::bad");
        assert!(!shown.contains("pa ss"), "{shown}");
    }

    #[test]
    fn validation() {
        assert!(CacheConfig::memory().validate().is_ok());
        assert!(CacheConfig::memory().with_pool_size(0).validate().is_err());
        assert!(
            CacheConfig::memory()
                .with_command_timeout(Duration::ZERO)
                .validate()
                .is_err()
        );
    }
}
