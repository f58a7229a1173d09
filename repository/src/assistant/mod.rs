//! Repositories of the assistant system (seed 003, the data layer of a document-RAG assistant):
//! query history and its analytics, uploaded document metadata (with its vectors), the schema
//! cache (with its Redis key), performance metrics, user sessions and system logs, and the
//! retention deletes the maintenance jobs run.
//!
//! Everything the repositories take or return is named here: the repositories, their inputs,
//! filters and reports, and the rows they return (aliases of the `entity` models).
//!
//! Decisions where the seed's schema is silent:
//! - a query's result count is the `result_count` row of `performance_metrics` tied to the query
//!   ([`queries::RESULT_COUNT`]), written in the query's transaction: the seed's table has no
//!   column for it;
//! - a document's processing error is a `system_logs` record (level `ERROR`, logger
//!   [`documents::PROCESSING_LOGGER`], the document id in its context) written in the same
//!   transaction as the status change to `failed`: the seed's table has no column for it;
//! - percentiles are nearest-rank (see [`analytics`]), the same on both backends.

pub mod analytics;
pub mod documents;
pub mod logs;
pub mod metrics;
pub mod queries;
pub mod schema_cache;
pub mod sessions;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::validate;

pub use entity::assistant::sea_orm_active_enums::LogLevel;

/// A row of `query_history`.
pub type QueryRecord = entity::assistant::query_history::Model;
/// A row of `document_metadata`.
pub type Document = entity::assistant::document_metadata::Model;
/// A row of `schema_cache`.
pub type SchemaCacheEntry = entity::assistant::schema_cache::Model;
/// A row of `performance_metrics`.
pub type Metric = entity::assistant::performance_metrics::Model;
/// A row of `user_sessions`.
pub type Session = entity::assistant::user_sessions::Model;
/// A row of `system_logs`.
pub type LogRecord = entity::assistant::system_logs::Model;

#[cfg(any(test, feature = "mock"))]
pub use analytics::MockAnalyticsRepository;
pub use analytics::{
    AnalyticsRepository, AnalyticsStore, Bucket, Granularity, PERCENTILES, QueryStats, nearest_rank,
};
#[cfg(any(test, feature = "mock"))]
pub use documents::MockDocumentRepository;
pub use documents::{
    DocumentFilter, DocumentRepository, DocumentStore, NewDocument, PROCESSING_LOGGER,
    ProcessingStatus, create_with_vectors, delete_with_vectors,
};
#[cfg(any(test, feature = "mock"))]
pub use logs::MockSystemLogRepository;
pub use logs::{LogFilter, NewLog, SystemLogRepository, SystemLogStore};
#[cfg(any(test, feature = "mock"))]
pub use metrics::MockPerformanceMetricRepository;
pub use metrics::{
    MetricAggregate, MetricValue, NewMetric, PerformanceMetricRepository, PerformanceMetricStore,
};
#[cfg(any(test, feature = "mock"))]
pub use queries::MockQueryHistoryRepository;
pub use queries::{
    HistoryFilter, NewQuery, QueryHistoryRepository, QueryHistoryStore, RESULT_COUNT,
};
#[cfg(any(test, feature = "mock"))]
pub use schema_cache::MockSchemaCacheRepository;
pub use schema_cache::{SchemaCacheRepository, SchemaCacheStore, connection_hash};
#[cfg(any(test, feature = "mock"))]
pub use sessions::MockUserSessionRepository;
pub use sessions::{NewSession, UserSessionRepository, UserSessionStore, token_hash};

/// A time window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// The first instant in the window.
    pub from: DateTime<Utc>,
    /// The first instant after the window.
    pub to: DateTime<Utc>,
}

impl TimeWindow {
    /// `[from, to)`.
    #[must_use]
    pub const fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self { from, to }
    }

    /// `from` must not be after `to`.
    ///
    /// # Errors
    /// [`Error::Validation`] naming `from`.
    pub fn validate(&self) -> Result<()> {
        if self.from > self.to {
            return Err(Error::validation(
                "from",
                "must not be after `to`",
                self.from,
            ));
        }
        Ok(())
    }
}

/// Largest chunk a retention delete takes.
pub const MAX_DELETE_CHUNK: u64 = 10_000;
/// Rows deleted per transaction by the retention deletes unless told otherwise.
pub const DEFAULT_DELETE_CHUNK: u64 = 1_000;

/// `chunk` checked (1 to [`MAX_DELETE_CHUNK`]).
pub(crate) fn check_chunk(chunk: u64) -> Result<u64> {
    validate::range_i64(
        "chunk",
        i64::try_from(chunk).unwrap_or(i64::MAX),
        1,
        i64::try_from(MAX_DELETE_CHUNK).unwrap_or(i64::MAX),
    )?;
    Ok(chunk)
}

/// Insert `rows` (of `columns` bound values each) in as many statements as the backend's bind
/// limit needs, on `db` (the caller's transaction).
pub(crate) async fn insert_chunked<E, A, C>(db: &C, rows: Vec<A>, columns: usize) -> Result<()>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    let per = crate::bulk::rows_per_statement(db.get_database_backend(), columns);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}
