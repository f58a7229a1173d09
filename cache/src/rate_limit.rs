//! Fixed-window rate limiting (seed 004's `RateLimiter`, seed 000's `rate_limit:api:{ip}`).
//!
//! One call is one atomic step on the backend: increment the window's counter and, on the first
//! hit of the window, set its expiry (a Lua script on Redis; a per-key compute on the in-process
//! backend). Requests are allowed while the count is at most the limit, so with `max` = N exactly
//! N calls of a window are allowed however many run concurrently.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::keys::{self, CacheKey, KeyKind};
use crate::manager::CacheManager;

/// The outcome of one rate-limit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitDecision {
    /// Whether this request is within the limit.
    pub allowed: bool,
    /// Requests counted in the current window, this one included.
    pub count: u64,
    /// The limit of the window.
    pub limit: u64,
    /// Requests still allowed in the current window.
    pub remaining: u64,
    /// Time until the window resets.
    pub reset_after: Duration,
}

/// Rate limits over a [`CacheManager`]; get one with [`CacheManager::rate_limiter`].
#[derive(Debug, Clone)]
pub struct RateLimiter {
    cache: CacheManager,
}

impl RateLimiter {
    pub(crate) fn new(cache: CacheManager) -> Self {
        Self { cache }
    }

    /// Count one request of `identifier` (key `rate_limit:{identifier}`) in a window of `window`
    /// allowing `max` requests.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero window; [`Error::Cache`] on a backend failure.
    pub async fn check(
        &self,
        identifier: &str,
        max: u64,
        window: Duration,
    ) -> Result<RateLimitDecision> {
        self.check_key(&keys::rate_limit(identifier), max, window)
            .await
    }

    /// Seed 000's per-IP API limit: key `rate_limit:api:{ip_address}`, a 60 s window.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    pub async fn check_ip(&self, ip_address: &str, max: u64) -> Result<RateLimitDecision> {
        let key = keys::rate_limit_api(ip_address);
        let window = KeyKind::RateLimitApi.spec().ttl;
        self.check_key(&key, max, window).await
    }

    /// Count one request against any counter key.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero window; [`Error::Cache`] on a backend failure.
    pub async fn check_key(
        &self,
        key: &CacheKey,
        max: u64,
        window: Duration,
    ) -> Result<RateLimitDecision> {
        if window.is_zero() {
            return Err(Error::InvalidArgument(
                "rate-limit window must be above zero".into(),
            ));
        }
        let (count, reset_after) = self.cache.increment_with_expiry(key, 1, window).await?;
        let count = count.max(0).unsigned_abs();
        Ok(RateLimitDecision {
            allowed: count <= max,
            count,
            limit: max,
            remaining: max.saturating_sub(count),
            reset_after,
        })
    }

    /// Seed 004's `is_allowed(identifier, max_requests, window_seconds)`: count this request and
    /// say whether it is within the limit.
    ///
    /// # Errors
    /// As [`RateLimiter::check`].
    pub async fn is_allowed(&self, identifier: &str, max: u64, window: Duration) -> Result<bool> {
        Ok(self.check(identifier, max, window).await?.allowed)
    }

    /// Seed 004's `get_remaining(identifier, max_requests)`: requests still allowed in the
    /// current window, without counting one.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure; [`Error::Codec`] if the counter holds a non-integer.
    pub async fn get_remaining(&self, identifier: &str, max: u64) -> Result<u64> {
        let key = keys::rate_limit(identifier);
        let count = match self.cache.get(&key).await? {
            None => 0,
            Some(bytes) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| Error::codec("rate-limit counter is not an integer"))?
                .max(0)
                .unsigned_abs(),
        };
        Ok(max.saturating_sub(count))
    }

    /// Forget the current window of `identifier`: whether there was one.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    pub async fn reset(&self, identifier: &str) -> Result<bool> {
        self.cache.delete(&keys::rate_limit(identifier)).await
    }
}
