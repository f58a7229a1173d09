//! Sessions (seed 004's `SessionManager`, seed 000's `session:{session_id}` hash, 1800 s).
//!
//! A session is a hash: each top-level field of the session data (a JSON object) is one hash
//! field holding that field's JSON. Creating replaces the whole hash and sets its TTL in one
//! atomic step; [`SessionStore::update`] changes fields and keeps the TTL; reading does not
//! extend the TTL ([`SessionStore::refresh`] does).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::backend::KeyTtl;
use crate::codec;
use crate::error::{Error, Result};
use crate::keys::{self, KeyKind};
use crate::manager::CacheManager;

/// Internal hash field holding the creation time (unix ms): it keeps an empty session present
/// (Redis has no empty hashes) and is never returned as session data.
const CREATED_FIELD: &str = "__created_at_ms";

/// Sessions over a [`CacheManager`]; get one with [`CacheManager::sessions`].
#[derive(Debug, Clone)]
pub struct SessionStore {
    cache: CacheManager,
}

fn fields_of<T: Serialize + ?Sized>(data: &T) -> Result<Vec<(String, Bytes)>> {
    let value =
        serde_json::to_value(data).map_err(|e| Error::codec(format!("encode session: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(Error::codec("session data must serialize to a JSON object"));
    };
    let mut fields = Vec::with_capacity(map.len() + 1);
    for (name, value) in map {
        if name == CREATED_FIELD {
            return Err(Error::InvalidArgument(format!(
                "session field name {CREATED_FIELD} is reserved"
            )));
        }
        fields.push((name, codec::to_json(&value)?));
    }
    Ok(fields)
}

fn check_id(session_id: &str) -> Result<()> {
    if session_id.is_empty() {
        Err(Error::InvalidArgument("empty session id".into()))
    } else {
        Ok(())
    }
}

impl SessionStore {
    /// The default session TTL: 1800 s (seed 000).
    #[must_use]
    pub fn default_ttl() -> Duration {
        KeyKind::Session.spec().ttl
    }

    pub(crate) fn new(cache: CacheManager) -> Self {
        Self { cache }
    }

    /// Seed 004's `create(session_id, data)`: store `data` (a JSON object) as the session,
    /// replacing any previous one, expiring after the default 1800 s.
    ///
    /// # Errors
    /// [`Error::Codec`] when `data` is not a JSON object; [`Error::Cache`] on a backend failure.
    pub async fn create<T: Serialize + ?Sized>(&self, session_id: &str, data: &T) -> Result<()> {
        self.create_with_ttl(session_id, data, Self::default_ttl())
            .await
    }

    /// [`SessionStore::create`] with its own TTL.
    ///
    /// # Errors
    /// As [`SessionStore::create`]; [`Error::InvalidArgument`] for a zero TTL or an empty id.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.cache.backend_kind().as_str(), cache.key_pattern = "session"))]
    pub async fn create_with_ttl<T: Serialize + ?Sized>(
        &self,
        session_id: &str,
        data: &T,
        ttl: Duration,
    ) -> Result<()> {
        check_id(session_id)?;
        if ttl.is_zero() {
            return Err(Error::InvalidArgument(
                "session TTL must be above zero".into(),
            ));
        }
        let mut fields = fields_of(data)?;
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        fields.push((CREATED_FIELD.to_owned(), Bytes::from(now_ms.to_string())));
        let key = keys::session(session_id);
        let full = self.cache.full_key(key.as_str());
        let result = self
            .cache
            .inner
            .backend
            .hash_replace(&full, fields, ttl)
            .await;
        self.cache.observe(key.spec(), "session_create", result)
    }

    /// Seed 004's `get(session_id)`: the session data, or `None` when missing or expired.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure; [`Error::Codec`] when the stored fields do not
    /// decode into `T`.
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.cache.backend_kind().as_str(), cache.key_pattern = "session"))]
    pub async fn get<T: DeserializeOwned>(&self, session_id: &str) -> Result<Option<T>> {
        check_id(session_id)?;
        let key = keys::session(session_id);
        let full = self.cache.full_key(key.as_str());
        let result = self.cache.inner.backend.hash_get_all(&full).await;
        let Some(fields) = self.cache.observe(key.spec(), "session_get", result)? else {
            return Ok(None);
        };
        let mut map = serde_json::Map::with_capacity(fields.len());
        for (name, value) in fields {
            if name == CREATED_FIELD {
                continue;
            }
            map.insert(name, codec::from_json(&value)?);
        }
        serde_json::from_value(serde_json::Value::Object(map))
            .map(Some)
            .map_err(|e| Error::codec(format!("decode session: {e}")))
    }

    /// Set some fields of an existing session (the others and the TTL are kept): whether the
    /// session existed (nothing is created otherwise).
    ///
    /// # Errors
    /// As [`SessionStore::create`].
    #[tracing::instrument(level = "debug", skip_all, fields(cache.backend = self.cache.backend_kind().as_str(), cache.key_pattern = "session"))]
    pub async fn update<T: Serialize + ?Sized>(
        &self,
        session_id: &str,
        fields: &T,
    ) -> Result<bool> {
        check_id(session_id)?;
        let fields = fields_of(fields)?;
        let key = keys::session(session_id);
        let full = self.cache.full_key(key.as_str());
        let result = self.cache.inner.backend.hash_update(&full, fields).await;
        self.cache.observe(key.spec(), "session_update", result)
    }

    /// Seed 004's `refresh(session_id, ttl_seconds)`: expire the session `ttl` from now. Whether
    /// it existed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero TTL; [`Error::Cache`] on a backend failure.
    pub async fn refresh(&self, session_id: &str, ttl: Duration) -> Result<bool> {
        check_id(session_id)?;
        self.cache.expire(&keys::session(session_id), ttl).await
    }

    /// The session's time to live.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    pub async fn ttl(&self, session_id: &str) -> Result<KeyTtl> {
        self.cache.ttl(&keys::session(session_id)).await
    }

    /// Seed 004's `delete(session_id)`: whether it existed.
    ///
    /// # Errors
    /// [`Error::Cache`] on a backend failure.
    pub async fn delete(&self, session_id: &str) -> Result<bool> {
        check_id(session_id)?;
        self.cache.delete(&keys::session(session_id)).await
    }
}
