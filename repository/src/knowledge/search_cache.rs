//! The search cache table (`search_cache`, PRD-009): put with an expiry, get only while unexpired
//! (counting the access), and the cleanup of expired rows in short chunks (DB-008).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use entity::DbDateTime;
use entity::behavior::now;
use entity::knowledge::search_cache::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::{
    DeleteStatement, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement,
};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, JsonValue, QueryFilter,
    TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::store::{self, Db};
use crate::types::QueryHash;
use crate::validate;

/// Rows deleted per statement on SQLite by [`SearchCacheRepository::cleanup_expired`] unless
/// told otherwise (PostgreSQL's default is one statement).
///
/// Measured with `dal bench` (release build, idle 2-core machine, 2026-11-24): 100,000 rows with
/// random 64-digit hashes, 50,000 of them expired, whole cleanup in seconds:
///
/// | rows per chunk | 5,000 | 20,000 | 50,000 (one statement) |
/// |----------------|-------|--------|------------------------|
/// | SQLite (WAL)   | 0.40  | 0.27   | 0.21–0.24              |
///
/// and on PostgreSQL 15, for the same 50,000 rows, 0.055 s in chunks of 5,000 against
/// 0.012–0.021 s for the one plain `DELETE`. Every chunk commits and rewrites every page of the primary key's
/// index it touched (random hashes: most of them), so the cost per row falls steeply with the
/// chunk size; what a larger chunk costs is the longest a concurrent SQLite writer waits, one
/// chunk (~0.2 s at 50,000 rows here; readers never wait, in WAL mode). An earlier default of
/// 5,000 made the cleanup half as fast as a single `DELETE` of the Python stack the seeds were
/// written for. Pass a smaller chunk where write latency matters more than cleanup time.
pub const DEFAULT_CLEANUP_CHUNK: u64 = 50_000;

/// Largest chunk [`SearchCacheRepository::cleanup_expired`] accepts.
pub const MAX_CLEANUP_CHUNK: u64 = 100_000;

/// Longest time to live a cache entry may have (one year).
pub const MAX_TTL: Duration = Duration::from_secs(366 * 24 * 3600);

/// Longest query text accepted.
pub const MAX_QUERY_LEN: usize = 10_000;

/// The time to live [`NewSearchCache::new`] gives an entry: the seed's one hour for search
/// results.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// Rows per INSERT in [`SearchCacheRepository::put_many`] (12 bound values each, well under
/// SQLite's 32,766 and PostgreSQL's 65,535 parameters).
const PUT_MANY_ROWS: usize = 1_000;

/// A search and its results, to cache for `ttl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSearchCache {
    /// Digest of the normalised query; the key.
    pub query_hash: QueryHash,
    /// The query as the user typed it.
    pub original_query: String,
    /// The results, as JSON (anything but JSON `null`).
    pub search_results: JsonValue,
    /// The technology the query was narrowed to, if any.
    pub technology_hint: Option<String>,
    /// The workspaces searched, if known (stored as a JSON array).
    pub workspace_slugs: Option<Vec<String>>,
    /// How many results there are (zero or more).
    pub result_count: i32,
    /// How long the search took, in milliseconds (zero or more).
    pub execution_time_ms: i32,
    /// How long the entry stays valid: more than zero, at most [`MAX_TTL`].
    pub ttl: Duration,
}

impl NewSearchCache {
    /// An entry for `query_hash` with `search_results`, valid for [`DEFAULT_TTL`]; its
    /// `result_count` is the number of elements when the results are a JSON array (0 otherwise),
    /// and it has no technology hint, no workspaces and an execution time of 0.
    #[must_use]
    pub fn new(
        query_hash: QueryHash,
        original_query: impl Into<String>,
        search_results: JsonValue,
    ) -> Self {
        let result_count = search_results
            .as_array()
            .map_or(0, |a| i32::try_from(a.len()).unwrap_or(i32::MAX));
        Self {
            query_hash,
            original_query: original_query.into(),
            search_results,
            technology_hint: None,
            workspace_slugs: None,
            result_count,
            execution_time_ms: 0,
            ttl: DEFAULT_TTL,
        }
    }

    /// The same entry, valid for `ttl`.
    #[must_use]
    pub const fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The same entry, with a technology hint.
    #[must_use]
    pub fn with_technology_hint(mut self, technology: impl Into<String>) -> Self {
        self.technology_hint = Some(technology.into());
        self
    }

    /// The same entry, with the workspaces searched.
    #[must_use]
    pub fn with_workspace_slugs(mut self, slugs: Vec<String>) -> Self {
        self.workspace_slugs = Some(slugs);
        self
    }

    /// The same entry, with the time the search took.
    #[must_use]
    pub const fn with_execution_time_ms(mut self, ms: i32) -> Self {
        self.execution_time_ms = ms;
        self
    }

    /// Check every field (the hash is valid by type).
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("original_query", &self.original_query, MAX_QUERY_LEN)?;
        if matches!(self.search_results, JsonValue::Null) {
            return Err(Error::validation(
                "search_results",
                "must not be JSON null",
                "null",
            ));
        }
        validate::opt_text("technology_hint", self.technology_hint.as_deref(), 100)?;
        if let Some(slugs) = &self.workspace_slugs {
            for slug in slugs {
                validate::text("workspace_slugs", slug, validate::MAX_KEY_LEN)?;
            }
        }
        validate::non_negative("result_count", self.result_count.into())?;
        validate::non_negative("execution_time_ms", self.execution_time_ms.into())?;
        if self.ttl.is_zero() || self.ttl > MAX_TTL {
            return Err(Error::validation(
                "ttl",
                format!("must be more than 0 s and at most {} s", MAX_TTL.as_secs()),
                format!("{:?}", self.ttl),
            ));
        }
        Ok(())
    }

    /// The row as stored at `at`: created and last accessed `at`, expiring `ttl` later (to the
    /// microsecond), with no accesses.
    fn into_model(self, at: DateTime<Utc>) -> Model {
        // `validate` bounds the ttl, so this neither overflows nor fails.
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        let expires_at = at
            .checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
            .trunc_subsecs(6);
        Model {
            query_hash: self.query_hash.into_string(),
            original_query: self.original_query,
            search_results: self.search_results.into(),
            technology_hint: self.technology_hint,
            workspace_slugs: self
                .workspace_slugs
                .map(|s| JsonValue::Array(s.into_iter().map(JsonValue::String).collect()).into()),
            result_count: self.result_count,
            execution_time_ms: self.execution_time_ms,
            cache_hit: false,
            created_at: at.into(),
            expires_at: expires_at.into(),
            access_count: 0,
            last_accessed_at: at.into(),
        }
    }
}

/// `ON CONFLICT (query_hash) DO UPDATE SET` every other column: a put replaces the whole row.
fn replace_on_conflict() -> OnConflict {
    OnConflict::column(Column::QueryHash)
        .update_columns([
            Column::OriginalQuery,
            Column::SearchResults,
            Column::TechnologyHint,
            Column::WorkspaceSlugs,
            Column::ResultCount,
            Column::ExecutionTimeMs,
            Column::CacheHit,
            Column::CreatedAt,
            Column::ExpiresAt,
            Column::AccessCount,
            Column::LastAccessedAt,
        ])
        .to_owned()
}

/// What [`SearchCacheRepository::cleanup_expired`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupReport {
    /// Rows deleted.
    pub deleted: u64,
    /// DELETE statements that removed at least one row (each its own short transaction).
    pub chunks: u64,
    /// Wall time of the whole cleanup, in milliseconds.
    pub duration_ms: u64,
}

/// Counts of the cache table at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheStats {
    /// Every row.
    pub total: u64,
    /// Rows with `expires_at <= now` (waiting for the cleanup).
    pub expired: u64,
}

/// The search cache table.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SearchCacheRepository: Send + Sync {
    /// Cache a search: insert, or replace the row with the same `query_hash` (results, expiry and
    /// every other column; the access count starts again at 0), in one statement. Returns the
    /// row as stored.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input.
    async fn put(&self, new: NewSearchCache) -> Result<Model>;

    /// [`put`](Self::put) many entries in one transaction (multi-row statements), all created
    /// at the same instant; when a `query_hash` repeats, its last entry wins. Returns the number
    /// of rows written.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first bad entry (`entries[i].field`); nothing is
    /// written.
    async fn put_many(&self, entries: Vec<NewSearchCache>) -> Result<u64>;

    /// The cached search for `query_hash` if it has not expired at `now` (`expires_at > now`),
    /// counting the access in the same statement: `access_count + 1`, `last_accessed_at = now`,
    /// `cache_hit = true`. An expired row is a miss (`None`) and is left untouched.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn get(&self, query_hash: &str, now: DateTime<Utc>) -> Result<Option<Model>>;

    /// Delete every row with `expires_at <= now`, at most `chunk_size` rows per statement
    /// ([`DEFAULT_CLEANUP_CHUNK`] when `None`), each statement its own short transaction, so the
    /// SQLite write lock is never held long (DB-008). With `None` on PostgreSQL: one statement
    /// (MVCC: nothing waits for it but writers of the same expired rows). Once what is left fits
    /// in one chunk, the last statement is the plain `DELETE … WHERE expires_at <= now`, the
    /// cheapest form on both engines (a row written meanwhile with an expiry at or before `now`
    /// goes with it).
    ///
    /// # Errors
    /// [`Error::Validation`] for a `chunk_size` of 0 or above [`MAX_CLEANUP_CHUNK`]; [`Error::Db`]
    /// (rows deleted by earlier chunks stay deleted).
    async fn cleanup_expired(
        &self,
        now: DateTime<Utc>,
        chunk_size: Option<u64>,
    ) -> Result<CleanupReport>;

    /// How many rows there are, and how many of them have expired at `now`.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn stats(&self, now: DateTime<Utc>) -> Result<CacheStats>;
}

crate::store! {
    /// [`SearchCacheRepository`] on SeaORM.
    pub struct SearchCacheStore;
}

/// One chunk of the cleanup, a single statement (its own transaction):
///
/// `DELETE FROM search_cache WHERE <row id> IN (SELECT <row id> FROM search_cache
///  WHERE expires_at <= $now ORDER BY expires_at LIMIT $n) AND expires_at <= $now`
///
/// The inner query walks `idx_search_cache_expires_at`. The row id is SQLite's `rowid` (no second
/// look-up through the primary key's index) and, on PostgreSQL, `ctid` compared with
/// `= ANY(ARRAY(…))`, a TID scan: with `query_hash IN (…)` PostgreSQL picks a hash semi-join
/// over a sequential scan of the whole table for every chunk. The outer `expires_at <= $now`
/// is rechecked by PostgreSQL against a row a concurrent `put` revived, so it is never deleted.
/// Only constant SQL text is custom here; `now` and the limit are bound.
fn delete_expired_chunk(
    backend: DbBackend,
    now: DateTime<Utc>,
    chunk_size: u64,
) -> DeleteStatement {
    let row_id = match backend {
        DbBackend::Postgres => "ctid",
        _ => "rowid",
    };
    let expired = Query::select()
        .expr(Expr::cust(row_id))
        .from(Entity)
        .and_where(Expr::col(Column::ExpiresAt).lte(DbDateTime::from(now)))
        .order_by(Column::ExpiresAt, Order::Asc)
        .limit(chunk_size)
        .take();
    let row_in_chunk = match backend {
        DbBackend::Postgres => Expr::cust_with_expr(
            "ctid = ANY(ARRAY($1))",
            Expr::SubQuery(None, Box::new(expired.into())),
        ),
        _ => Expr::cust(row_id).in_subquery(expired),
    };
    Query::delete()
        .from_table(Entity)
        .and_where(row_in_chunk)
        .and_where(Expr::col(Column::ExpiresAt).lte(DbDateTime::from(now)))
        .take()
}

/// `SELECT expires_at FROM search_cache WHERE expires_at <= $now ORDER BY expires_at
///  LIMIT 1 OFFSET $chunk_size`: a row only when more than `chunk_size` rows have expired (a
/// walk of `idx_search_cache_expires_at`, which covers it).
fn more_than_chunk_expired(now: DateTime<Utc>, chunk_size: u64) -> SelectStatement {
    Query::select()
        .column(Column::ExpiresAt)
        .from(Entity)
        .and_where(Expr::col(Column::ExpiresAt).lte(DbDateTime::from(now)))
        .order_by(Column::ExpiresAt, Order::Asc)
        .limit(1)
        .offset(chunk_size)
        .take()
}

/// `DELETE FROM search_cache WHERE expires_at <= $now`: the last chunk.
fn delete_all_expired(now: DateTime<Utc>) -> DeleteStatement {
    Query::delete()
        .from_table(Entity)
        .and_where(Expr::col(Column::ExpiresAt).lte(DbDateTime::from(now)))
        .take()
}

impl<C: Db> SearchCacheStore<C> {
    /// The chunked cleanup: statements of at most `chunk_size` rows, the last a plain range delete.
    async fn delete_expired_in_chunks(
        &self,
        now: DateTime<Utc>,
        chunk_size: u64,
        report: &mut CleanupReport,
    ) -> Result<()> {
        tracing::Span::current().record("db.chunk_size", chunk_size);
        let backend = self.db.get_database_backend();
        loop {
            // When what is left fits in one chunk (no expired row past the first `chunk_size`),
            // the last statement is the plain range delete, the cheapest form on both engines.
            let last = self
                .db
                .query_one(&more_than_chunk_expired(now, chunk_size))
                .await?
                .is_none();
            let statement = if last {
                delete_all_expired(now)
            } else {
                delete_expired_chunk(backend, now, chunk_size)
            };
            let deleted = self.db.execute(&statement).await?.rows_affected();
            if deleted > 0 {
                report.deleted += deleted;
                report.chunks += 1;
            }
            if last || deleted < chunk_size {
                break;
            }
            // Let other tasks (and writers waiting for the SQLite lock) in between chunks.
            tokio::task::yield_now().await;
        }
        Ok(())
    }
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    total: i64,
    expired: i64,
}

#[async_trait]
impl<C: Db> SearchCacheRepository for SearchCacheStore<C> {
    #[instrument(skip_all, fields(db.table = "search_cache"))]
    async fn put(&self, new: NewSearchCache) -> Result<Model> {
        new.validate()?;
        let model = new.into_model(now().into_inner());
        Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .on_conflict(replace_on_conflict())
            .exec_without_returning(&self.db)
            .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "search_cache", db.rows = entries.len()))]
    async fn put_many(&self, entries: Vec<NewSearchCache>) -> Result<u64> {
        store::validate_batch("entries", &entries, NewSearchCache::validate)?;
        // The last entry of each query_hash wins: one statement may not touch a row twice.
        let mut seen = HashSet::with_capacity(entries.len());
        let mut unique: Vec<NewSearchCache> = entries
            .into_iter()
            .rev()
            .filter(|e| seen.insert(e.query_hash.clone()))
            .collect();
        unique.reverse();
        if unique.is_empty() {
            return Ok(0);
        }
        let total = unique.len() as u64;
        let at = now().into_inner();
        let txn = begin_write(&self.db).await?;
        let mut rows = unique.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<ActiveModel> = rows
                .by_ref()
                .take(PUT_MANY_ROWS)
                .map(|e| store::insertable(e.into_model(at)))
                .collect();
            Entity::insert_many(chunk)
                .on_conflict(replace_on_conflict())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(total)
    }

    #[instrument(skip_all, fields(db.table = "search_cache", cache.hit))]
    async fn get(&self, query_hash: &str, now: DateTime<Utc>) -> Result<Option<Model>> {
        // One UPDATE … RETURNING: the access is counted and the row read atomically, and an
        // expired row matches nothing, so it is neither returned nor touched.
        let update = Entity::update_many()
            .col_expr(Column::AccessCount, Expr::col(Column::AccessCount).add(1))
            .col_expr(Column::LastAccessedAt, Expr::value(DbDateTime::from(now)))
            .col_expr(Column::CacheHit, Expr::value(true))
            .filter(Column::QueryHash.eq(query_hash))
            .filter(Column::ExpiresAt.gt(DbDateTime::from(now)));
        let found = store::update_returning(&self.db, update).await?;
        tracing::Span::current().record("cache.hit", found.is_some());
        Ok(found)
    }

    #[instrument(
        skip_all,
        fields(db.table = "search_cache", db.chunk_size, cache.deleted, cache.chunks)
    )]
    async fn cleanup_expired(
        &self,
        now: DateTime<Utc>,
        chunk_size: Option<u64>,
    ) -> Result<CleanupReport> {
        let backend = self.db.get_database_backend();
        if let Some(n) = chunk_size
            && (n == 0 || n > MAX_CLEANUP_CHUNK)
        {
            return Err(Error::validation(
                "chunk_size",
                format!("must be between 1 and {MAX_CLEANUP_CHUNK}"),
                n,
            ));
        }
        let started = Instant::now();
        let mut report = CleanupReport::default();
        if chunk_size.is_none() && backend == DbBackend::Postgres {
            // PostgreSQL's default is one statement: readers never wait for it (MVCC) and its
            // row locks are on expired rows only, so chunks would only add statements.
            let deleted = self
                .db
                .execute(&delete_all_expired(now))
                .await?
                .rows_affected();
            report.deleted = deleted;
            report.chunks = u64::from(deleted > 0);
        } else {
            self.delete_expired_in_chunks(
                now,
                chunk_size.unwrap_or(DEFAULT_CLEANUP_CHUNK),
                &mut report,
            )
            .await?;
        }
        report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let span = tracing::Span::current();
        span.record("cache.deleted", report.deleted);
        span.record("cache.chunks", report.chunks);
        tracing::debug!(
            deleted = report.deleted,
            chunks = report.chunks,
            duration_ms = report.duration_ms,
            "expired search cache rows deleted"
        );
        Ok(report)
    }

    #[instrument(skip_all, fields(db.table = "search_cache"))]
    async fn stats(&self, now: DateTime<Utc>) -> Result<CacheStats> {
        let query = Query::select()
            .expr_as(Expr::col(Column::QueryHash).count(), "total")
            .expr_as(
                Expr::case(Expr::col(Column::ExpiresAt).lte(DbDateTime::from(now)), 1).count(),
                "expired",
            )
            .from(Entity)
            .take();
        let stmt = self.db.get_database_backend().build(&query);
        let row = StatsRow::find_by_statement(stmt)
            .one(&self.db)
            .await?
            .unwrap_or(StatsRow {
                total: 0,
                expired: 0,
            });
        Ok(CacheStats {
            total: u64::try_from(row.total).unwrap_or(0),
            expired: u64::try_from(row.expired).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanup_chunks_are_one_statement_by_row_id_through_the_expiry_index() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let pg = DbBackend::Postgres.build(&delete_expired_chunk(DbBackend::Postgres, at, 10));
        assert_eq!(
            pg.sql,
            r#"DELETE FROM "search_cache" WHERE (ctid = ANY(ARRAY((SELECT ctid FROM "search_cache" WHERE "expires_at" <= $1 ORDER BY "expires_at" ASC LIMIT $2)))) AND "expires_at" <= $3"#
        );
        let lite = DbBackend::Sqlite.build(&delete_expired_chunk(DbBackend::Sqlite, at, 10));
        assert_eq!(
            lite.sql,
            r#"DELETE FROM "search_cache" WHERE (rowid) IN (SELECT rowid FROM "search_cache" WHERE "expires_at" <= ? ORDER BY "expires_at" ASC LIMIT ?) AND "expires_at" <= ?"#
        );
    }
}
