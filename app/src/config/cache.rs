//! `[cache]`: pool, timeouts and in-process capacity of the cache.

use std::time::Duration;

use ::cache::CacheConfig;
use serde::Deserialize;

use super::ConfigError;

/// `[cache]` of the config file (and the `DAL_CACHE_*` variables). Unset keys keep the cache
/// crate's defaults ([`CacheConfig::memory`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    /// Multiplexed Redis connections in the pool.
    pub pool_size: Option<usize>,
    /// Milliseconds one Redis command may take, queueing included.
    pub command_timeout_ms: Option<u64>,
    /// Milliseconds to open a Redis connection (and the most `connect` waits at start).
    pub connect_timeout_ms: Option<u64>,
    /// In-process cache: the most MiB kept before entries are evicted.
    pub memory_max_capacity_mb: Option<u64>,
}

impl CacheSection {
    /// The keys with their `DAL_CACHE_*` variable.
    pub(super) const VARIABLES: [(&'static str, &'static str); 4] = [
        ("pool_size", "DAL_CACHE_POOL_SIZE"),
        ("command_timeout_ms", "DAL_CACHE_COMMAND_TIMEOUT_MS"),
        ("connect_timeout_ms", "DAL_CACHE_CONNECT_TIMEOUT_MS"),
        ("memory_max_capacity_mb", "DAL_CACHE_MEMORY_MAX_CAPACITY_MB"),
    ];

    /// `config` with every key that is set.
    ///
    /// # Errors
    /// A capacity too large to count in bytes, named `memory_max_capacity_mb`.
    pub(super) fn apply(&self, mut config: CacheConfig) -> Result<CacheConfig, ConfigError> {
        if let Some(n) = self.pool_size {
            config.pool_size = n;
        }
        if let Some(ms) = self.command_timeout_ms {
            config.command_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.connect_timeout_ms {
            config.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(mb) = self.memory_max_capacity_mb {
            config.memory_max_capacity = mb
                .checked_mul(1024 * 1024)
                .ok_or_else(|| ConfigError::new("memory_max_capacity_mb", "too large"))?;
        }
        Ok(config)
    }

    /// Take every key `other` sets, each checked by the cache crate's own rules
    /// ([`CacheConfig::validate`]) and named by `name(key)` when refused.
    pub(super) fn merge_checked(
        &mut self,
        other: &Self,
        name: impl Fn(&str) -> String,
    ) -> Result<(), ConfigError> {
        let one = |key: &str, section: Self| {
            section
                .apply(CacheConfig::memory())
                .and_then(|config| {
                    config
                        .validate()
                        .map_err(|e| ConfigError::new(key, e.to_string()))
                })
                .map_err(|e| ConfigError::new(name(key), e.reason))
        };
        if let Some(n) = other.pool_size {
            one(
                "pool_size",
                Self {
                    pool_size: Some(n),
                    ..Self::default()
                },
            )?;
            self.pool_size = Some(n);
        }
        if let Some(ms) = other.command_timeout_ms {
            one(
                "command_timeout_ms",
                Self {
                    command_timeout_ms: Some(ms),
                    ..Self::default()
                },
            )?;
            self.command_timeout_ms = Some(ms);
        }
        if let Some(ms) = other.connect_timeout_ms {
            one(
                "connect_timeout_ms",
                Self {
                    connect_timeout_ms: Some(ms),
                    ..Self::default()
                },
            )?;
            self.connect_timeout_ms = Some(ms);
        }
        if let Some(mb) = other.memory_max_capacity_mb {
            one(
                "memory_max_capacity_mb",
                Self {
                    memory_max_capacity_mb: Some(mb),
                    ..Self::default()
                },
            )?;
            self.memory_max_capacity_mb = Some(mb);
        }
        Ok(())
    }
}
