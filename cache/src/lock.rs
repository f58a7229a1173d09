//! Distributed locks (seed 004's `DistributedLock`): key `lock:{name}` holding a random token.
//!
//! Acquiring is `SET lock:{name} token NX PX timeout`. Only the holder of the token can release
//! or extend the lock: both are compare-and-act in one atomic step (a Lua script on Redis, a
//! per-key compute in process), so a holder whose lock expired and was taken by someone else
//! cannot release or extend the new holder's lock. A [`LockGuard`] releases on drop.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;

use crate::error::{Error, Result};
use crate::keys::{self, CacheKey};
use crate::manager::CacheManager;

/// Distributed locks over a [`CacheManager`]; get one with [`CacheManager::locks`].
#[derive(Debug, Clone)]
pub struct LockManager {
    cache: CacheManager,
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

fn check(name: &str, timeout: Duration) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument("empty lock name".into()));
    }
    if timeout.is_zero() {
        return Err(Error::InvalidArgument(
            "lock timeout must be above zero".into(),
        ));
    }
    Ok(())
}

impl LockManager {
    pub(crate) fn new(cache: CacheManager) -> Self {
        Self { cache }
    }

    /// Seed 004's `acquire(name)`: take the lock for `timeout` (it expires by itself after that
    /// unless extended), or `None` if someone holds it. Does not wait.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty name or a zero timeout; [`Error::Cache`] on a
    /// backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.cache.backend_kind().as_str(), cache.key_pattern = "lock", cache.acquired))]
    pub async fn acquire(&self, name: &str, timeout: Duration) -> Result<Option<LockGuard>> {
        check(name, timeout)?;
        let key = keys::lock(name);
        let token = new_token();
        let full = self.cache.full_key(key.as_str());
        let result = self
            .cache
            .inner
            .backend
            .set_nx(&full, Bytes::copy_from_slice(token.as_bytes()), timeout)
            .await;
        let acquired = self.cache.observe(key.spec(), "lock_acquire", result)?;
        tracing::Span::current().record("cache.acquired", acquired);
        Ok(acquired.then(|| LockGuard {
            locks: self.clone(),
            key,
            token,
            armed: true,
        }))
    }

    /// Take the lock, retrying (with growing, jittered pauses) until `wait` has passed: `None`
    /// if it was still held then.
    ///
    /// # Errors
    /// As [`LockManager::acquire`].
    pub async fn acquire_wait(
        &self,
        name: &str,
        timeout: Duration,
        wait: Duration,
    ) -> Result<Option<LockGuard>> {
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        loop {
            if let Some(guard) = self.acquire(name, timeout).await? {
                return Ok(Some(guard));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let jitter = Duration::from_millis(
                rand::rng().random_range(0..=pause.as_millis().min(50) as u64),
            );
            tokio::time::sleep((pause + jitter).min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// Seed 004's `release(name)` for the holder of `token`: whether the lock was released
    /// (`false` if it is held by another token, or expired).
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.cache.backend_kind().as_str(), cache.key_pattern = "lock"))]
    pub async fn release(&self, name: &str, token: &str) -> Result<bool> {
        self.release_key(&keys::lock(name), token).await
    }

    async fn release_key(&self, key: &CacheKey, token: &str) -> Result<bool> {
        let full = self.cache.full_key(key.as_str());
        let result = self
            .cache
            .inner
            .backend
            .delete_if_equals(&full, token.as_bytes())
            .await;
        self.cache.observe(key.spec(), "lock_release", result)
    }

    /// Extend the lock held with `token` to expire `timeout` from now: whether it was extended
    /// (`false` if it is held by another token, or expired).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero timeout; [`Error::Cache`] on a backend failure.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.cache.backend_kind().as_str(), cache.key_pattern = "lock"))]
    pub async fn extend(&self, name: &str, token: &str, timeout: Duration) -> Result<bool> {
        check(name, timeout)?;
        self.extend_key(&keys::lock(name), token, timeout).await
    }

    async fn extend_key(&self, key: &CacheKey, token: &str, timeout: Duration) -> Result<bool> {
        let full = self.cache.full_key(key.as_str());
        let result = self
            .cache
            .inner
            .backend
            .expire_if_equals(&full, token.as_bytes(), timeout)
            .await;
        self.cache.observe(key.spec(), "lock_extend", result)
    }

    /// Whether anyone holds the lock.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    pub async fn is_locked(&self, name: &str) -> Result<bool> {
        self.cache.exists(&keys::lock(name)).await
    }
}

/// A held lock. Release it with [`LockGuard::release`]; if dropped while still held, it is
/// released in the background (on the current Tokio runtime).
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct LockGuard {
    locks: LockManager,
    key: CacheKey,
    token: String,
    armed: bool,
}

impl LockGuard {
    /// This holder's token.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Release now: whether this holder still held the lock.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure (the lock then expires by its timeout).
    pub async fn release(mut self) -> Result<bool> {
        self.armed = false;
        self.locks.release_key(&self.key, &self.token).await
    }

    /// Extend the lock to expire `timeout` from now: whether this holder still held it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero timeout; [`Error::Cache`] on a backend failure.
    pub async fn extend(&self, timeout: Duration) -> Result<bool> {
        if timeout.is_zero() {
            return Err(Error::InvalidArgument(
                "lock timeout must be above zero".into(),
            ));
        }
        self.locks.extend_key(&self.key, &self.token, timeout).await
    }

    /// Keep the lock past the guard (it then expires by its timeout unless released with
    /// [`LockManager::release`] and the returned token).
    #[must_use]
    pub fn into_token(mut self) -> String {
        self.armed = false;
        std::mem::take(&mut self.token)
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let locks = self.locks.clone();
                let key = self.key.clone();
                let token = std::mem::take(&mut self.token);
                handle.spawn(async move {
                    let _ = locks.release_key(&key, &token).await;
                });
            }
            Err(_) => {
                tracing::warn!(
                    cache.key_pattern = "lock",
                    "lock guard dropped outside a Tokio runtime; the lock expires by its timeout"
                );
            }
        }
    }
}
