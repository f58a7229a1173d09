//! The schema cache (`schema_cache`, seed 003): the database schema discovered through a
//! connection, keyed by a hash of the connection string (never the string itself), valid until
//! `expires_at`.
//!
//! The seed also caches discovered schemas in Redis under `schema:discovery:{hash}` and asks for
//! cache invalidation: whenever a row changes (replaced, expired, purged), the store deletes
//! that key through the [`CacheManager`] it was given (Redis or in-process). A cache outage never
//! fails the database write: the failed delete is logged and the key expires on its own TTL.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use cache::CacheManager;
use entity::assistant::schema_cache::{ActiveModel, Column, Entity, Model};
use entity::{DbJson, DbUuid};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use sha2::{Digest, Sha256};
use tracing::instrument;

use super::check_chunk;
use crate::error::{Error, Result};
use crate::store::{self, Db, Table};
use crate::types::ContentHash;

impl Table for Entity {
    const ROW: &'static str = "schema cache entry";
}

/// Longest time a discovered schema may be cached: 30 days.
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// The hash a connection string is cached under: SHA-256, 64 lowercase hex digits (so the
/// string, which may hold a password, is never stored).
#[must_use]
pub fn connection_hash(connection_string: &str) -> String {
    hex::encode(Sha256::digest(connection_string.as_bytes()))
}

fn check_hash(hash: &str) -> Result<()> {
    ContentHash::parse_field("connection_string_hash", hash).map(drop)
}

/// The schema cache.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SchemaCacheRepository: Send + Sync {
    /// The unexpired entry for `hash` (the latest discovered), if any.
    ///
    /// # Errors
    /// [`Error::Validation`] for a hash that is not 64 lowercase hex digits; [`Error::Db`].
    async fn get(&self, hash: String) -> Result<Option<Model>>;

    /// Replace every entry of `hash` by `schema`, discovered now and valid for `ttl` (one
    /// transaction), then invalidate the Redis key. Returns the new entry.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad hash or a TTL of 0 or above [`MAX_TTL`]; [`Error::Db`].
    async fn replace(&self, hash: String, schema: JsonValue, ttl: Duration) -> Result<Model>;

    /// Expire the entries of `hash` now (they are no longer returned; the retention job deletes
    /// them), then invalidate the Redis key. Returns how many entries were unexpired.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad hash; [`Error::Db`].
    async fn expire(&self, hash: String) -> Result<u64>;

    /// Delete expired entries, `chunk` rows per transaction, invalidating the keys of their
    /// hashes; returns how many were deleted.
    ///
    /// # Errors
    /// [`Error::Validation`] for a chunk of 0 or above 10,000; [`Error::Db`].
    async fn delete_expired(&self, chunk: u64) -> Result<u64>;
}

/// [`SchemaCacheRepository`] on SeaORM, invalidating `schema:discovery:{hash}` through a cache.
///
/// `C` is a pool handle (`DatabaseConnection`) or, to join a unit of work, a transaction.
#[derive(Debug, Clone)]
pub struct SchemaCacheStore<C> {
    db: C,
    cache: Option<CacheManager>,
}

impl<C> SchemaCacheStore<C> {
    /// A store over `db` that invalidates keys in `cache`.
    pub const fn new(db: C, cache: CacheManager) -> Self {
        Self {
            db,
            cache: Some(cache),
        }
    }

    /// A store over `db` with no cache to invalidate (a deployment without the schema key).
    pub const fn without_cache(db: C) -> Self {
        Self { db, cache: None }
    }

    /// The connection or transaction the store runs on.
    pub const fn connection(&self) -> &C {
        &self.db
    }

    /// Delete the cached schema keys of `hashes`; a failure is logged, never returned.
    async fn invalidate<'a>(&self, hashes: impl IntoIterator<Item = &'a str>) {
        let Some(cache) = &self.cache else {
            return;
        };
        for hash in hashes {
            if let Err(err) = cache.delete(&cache::keys::schema_discovery(hash)).await {
                tracing::warn!(
                    error = %err,
                    "could not invalidate a schema:discovery key; it expires on its TTL"
                );
            }
        }
    }
}

fn check_ttl(ttl: Duration) -> Result<chrono::TimeDelta> {
    if ttl.is_zero() || ttl > MAX_TTL {
        return Err(Error::validation(
            "ttl",
            format!("must be between 1 s and {} s", MAX_TTL.as_secs()),
            format!("{} s", ttl.as_secs_f64()),
        ));
    }
    chrono::TimeDelta::from_std(ttl).map_err(|_| Error::validation("ttl", "is too large", ""))
}

#[async_trait]
impl<C: Db> SchemaCacheRepository for SchemaCacheStore<C> {
    #[instrument(skip_all, fields(db.table = "schema_cache"))]
    async fn get(&self, hash: String) -> Result<Option<Model>> {
        check_hash(&hash)?;
        Ok(Entity::find()
            .filter(Column::ConnectionStringHash.eq(hash))
            .filter(Column::ExpiresAt.gt(entity::behavior::now()))
            .order_by_desc(Column::DiscoveredAt)
            .order_by_desc(Column::CreatedAt)
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "schema_cache"))]
    async fn replace(&self, hash: String, schema: JsonValue, ttl: Duration) -> Result<Model> {
        check_hash(&hash)?;
        let ttl = check_ttl(ttl)?;
        let at = entity::behavior::now();
        let model = Model {
            id: DbUuid::new_v4(),
            connection_string_hash: hash.clone(),
            schema_data: DbJson::from(schema),
            discovered_at: Some(at),
            expires_at: at + ttl,
            created_at: Some(at),
        };
        let txn = crate::begin_write(&self.db).await?;
        Entity::delete_many()
            .filter(Column::ConnectionStringHash.eq(hash.as_str()))
            .exec(&txn)
            .await?;
        Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        self.invalidate([hash.as_str()]).await;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "schema_cache", db.rows))]
    async fn expire(&self, hash: String) -> Result<u64> {
        check_hash(&hash)?;
        let at = entity::behavior::now();
        let expired = Entity::update_many()
            .col_expr(Column::ExpiresAt, Expr::value(at))
            .filter(Column::ConnectionStringHash.eq(hash.as_str()))
            .filter(Column::ExpiresAt.gt(at))
            .exec(&self.db)
            .await?
            .rows_affected;
        tracing::Span::current().record("db.rows", expired);
        self.invalidate([hash.as_str()]).await;
        Ok(expired)
    }

    #[instrument(skip_all, fields(db.table = "schema_cache", db.rows))]
    async fn delete_expired(&self, chunk: u64) -> Result<u64> {
        let limit = check_chunk(chunk)?;
        let mut deleted = 0;
        loop {
            let now = entity::behavior::now();
            let txn = crate::begin_write(&self.db).await?;
            let rows: Vec<(DbUuid, String)> = Entity::find()
                .select_only()
                .column(Column::Id)
                .column(Column::ConnectionStringHash)
                .filter(Column::ExpiresAt.lte(now))
                .limit(limit)
                .into_tuple()
                .all(&txn)
                .await?;
            let found = rows.len() as u64;
            if found > 0 {
                deleted += Entity::delete_many()
                    .filter(Column::Id.is_in(rows.iter().map(|(id, _)| *id)))
                    .exec(&txn)
                    .await?
                    .rows_affected;
            }
            txn.commit().await?;
            let hashes: BTreeSet<&str> = rows.iter().map(|(_, h)| h.as_str()).collect();
            self.invalidate(hashes).await;
            if found < limit {
                break;
            }
        }
        tracing::Span::current().record("db.rows", deleted);
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_ttls_are_checked() {
        let h = connection_hash("postgres://u:secret@db/hr");
        assert_eq!(h.len(), 64);
        check_hash(&h).expect("valid");
        assert!(check_hash("ABC").is_err());
        assert!(check_ttl(Duration::ZERO).is_err());
        assert!(check_ttl(MAX_TTL + Duration::from_secs(1)).is_err());
        assert!(check_ttl(Duration::from_secs(3600)).is_ok());
    }
}
