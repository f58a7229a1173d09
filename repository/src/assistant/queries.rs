//! Query history (`query_history`, seed 003): record a query with the measurements taken while
//! answering it, read it back, list by time range, type and session (newest first), and delete
//! old queries in chunks (retention), their performance metrics first.
//!
//! The seed's table has no result-count column: a query's result count (and any other
//! measurement of it) is a row of `performance_metrics` tied to it (`query_id`), written in the
//! same transaction as the query. [`RESULT_COUNT`] is the metric name of the result count.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::assistant::performance_metrics;
use entity::assistant::query_history::{ActiveModel, Column, Entity, Model};
use entity::{DbDateTime, DbUuid};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::metrics::{MetricValue, metric_model};
use super::{TimeWindow, check_chunk};
use crate::error::{Error, Result};
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "query";
}

/// Longest query text accepted, in characters.
pub const MAX_QUERY_TEXT_LEN: usize = 100_000;
/// `query_type VARCHAR(20)`.
pub const MAX_QUERY_TYPE_LEN: usize = 20;
/// Most measurements recorded with one query.
pub const MAX_METRICS_PER_QUERY: usize = 100;
/// The metric name a query's result count is recorded under.
pub const RESULT_COUNT: &str = "result_count";

/// One query to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewQuery {
    /// What was asked (not empty).
    pub query_text: String,
    /// The kind of query (`sql`, `vector`, `hybrid`, …): 1 to 20 characters.
    pub query_type: String,
    /// How long the answer took, in seconds (finite, zero or more).
    pub response_time: f64,
    /// Whether the answer came from the cache.
    pub cache_hit: bool,
    /// The session that asked, if known.
    pub user_session_id: Option<UuidText>,
    /// Measurements of this query, stored in `performance_metrics` with its id.
    pub metrics: Vec<MetricValue>,
}

impl NewQuery {
    /// A query of `query_type` answered in `response_time` seconds, not from the cache, of no
    /// session, with no measurements.
    #[must_use]
    pub fn new(
        query_text: impl Into<String>,
        query_type: impl Into<String>,
        response_time: f64,
    ) -> Self {
        Self {
            query_text: query_text.into(),
            query_type: query_type.into(),
            response_time,
            cache_hit: false,
            user_session_id: None,
            metrics: Vec::new(),
        }
    }

    /// The same query, answered from the cache or not.
    #[must_use]
    pub const fn with_cache_hit(mut self, hit: bool) -> Self {
        self.cache_hit = hit;
        self
    }

    /// The same query, asked by `session`.
    #[must_use]
    pub const fn with_session(mut self, session: UuidText) -> Self {
        self.user_session_id = Some(session);
        self
    }

    /// The same query, with `count` results (the [`RESULT_COUNT`] metric).
    #[must_use]
    pub fn with_result_count(self, count: u32) -> Self {
        self.with_metric(RESULT_COUNT, f64::from(count))
    }

    /// The same query, with one more measurement.
    #[must_use]
    pub fn with_metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.metrics.push(MetricValue::new(name, value));
        self
    }

    /// The rules of the seed's columns: text not empty, type of 1 to 20 characters, response
    /// time finite and zero or more, each measurement valid.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("query_text", &self.query_text, MAX_QUERY_TEXT_LEN)?;
        validate::text("query_type", &self.query_type, MAX_QUERY_TYPE_LEN)?;
        if !(self.response_time.is_finite() && self.response_time >= 0.0) {
            return Err(Error::validation(
                "response_time",
                "must be a finite number of 0 or more",
                self.response_time,
            ));
        }
        if self.metrics.len() > MAX_METRICS_PER_QUERY {
            return Err(Error::validation(
                "metrics",
                format!("must hold at most {MAX_METRICS_PER_QUERY} measurements"),
                self.metrics.len(),
            ));
        }
        store::validate_batch("metrics", &self.metrics, MetricValue::validate)?;
        Ok(())
    }
}

/// Which queries a listing returns: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Created in this window (`[from, to)`).
    pub window: Option<TimeWindow>,
    /// Of this type.
    pub query_type: Option<String>,
    /// Asked by this session.
    pub session: Option<UuidText>,
}

/// Query history.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait QueryHistoryRepository: Send + Sync {
    /// Record a query and its measurements (one transaction); returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`NewQuery::validate`]); [`Error::Db`].
    async fn record(&self, new: NewQuery) -> Result<Model>;

    /// The query with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, id: UuidText) -> Result<Model>;

    /// A page of the queries `filter` selects, newest first (ties by id).
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page, window or type; [`Error::Db`].
    async fn list(&self, filter: HistoryFilter, page: Page) -> Result<Vec<Model>>;

    /// How many queries there are.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn count(&self) -> Result<u64>;

    /// Delete queries created before `cutoff`, `chunk` queries at a time, each chunk one
    /// transaction that deletes the chunk's performance metrics first (the foreign key has no
    /// cascade). Queries with no `created_at` are kept. Returns (queries, metrics) deleted.
    ///
    /// # Errors
    /// [`Error::Validation`] for a chunk of 0 or above 10,000; [`Error::Db`].
    async fn delete_older_than(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<(u64, u64)>;
}

crate::store! {
    /// [`QueryHistoryRepository`] on SeaORM.
    pub struct QueryHistoryStore;
}

#[async_trait]
impl<C: Db> QueryHistoryRepository for QueryHistoryStore<C> {
    #[instrument(skip_all, fields(db.table = "query_history", db.rows))]
    async fn record(&self, new: NewQuery) -> Result<Model> {
        new.validate()?;
        let at = entity::behavior::now();
        let model = Model {
            id: DbUuid::new_v4(),
            query_text: new.query_text,
            query_type: new.query_type,
            response_time: new.response_time,
            cache_hit: Some(new.cache_hit),
            user_session_id: new.user_session_id.map(DbUuid::from),
            created_at: Some(at),
            updated_at: Some(at),
        };
        let metrics: Vec<performance_metrics::ActiveModel> = new
            .metrics
            .into_iter()
            .map(|m| store::insertable(metric_model(m, Some(model.id), at)))
            .collect();
        tracing::Span::current().record("db.rows", 1 + metrics.len());
        let txn = crate::begin_write(&self.db).await?;
        Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .exec_without_returning(&txn)
            .await?;
        if !metrics.is_empty() {
            performance_metrics::Entity::insert_many(metrics)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "query_history"))]
    async fn get(&self, id: UuidText) -> Result<Model> {
        Entity::find_by_id(DbUuid::from(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(id))
    }

    #[instrument(skip_all, fields(db.table = "query_history"))]
    async fn list(&self, filter: HistoryFilter, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        let mut find = Entity::find();
        if let Some(window) = filter.window {
            window.validate()?;
            find = find
                .filter(Column::CreatedAt.gte(DbDateTime::from(window.from)))
                .filter(Column::CreatedAt.lt(DbDateTime::from(window.to)));
        }
        if let Some(query_type) = filter.query_type {
            validate::text("query_type", &query_type, MAX_QUERY_TYPE_LEN)?;
            find = find.filter(Column::QueryType.eq(query_type));
        }
        if let Some(session) = filter.session {
            find = find.filter(Column::UserSessionId.eq(DbUuid::from(session)));
        }
        Ok(find
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "query_history"))]
    async fn count(&self) -> Result<u64> {
        Ok(Entity::find().count(&self.db).await?)
    }

    #[instrument(skip_all, fields(db.table = "query_history", db.rows))]
    async fn delete_older_than(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<(u64, u64)> {
        let limit = check_chunk(chunk)?;
        let cutoff = DbDateTime::from(cutoff);
        let (mut queries, mut metrics) = (0, 0);
        loop {
            let txn = crate::begin_write(&self.db).await?;
            let ids: Vec<DbUuid> = Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(Column::CreatedAt.lt(cutoff))
                .order_by_asc(Column::CreatedAt)
                .limit(limit)
                .into_tuple()
                .all(&txn)
                .await?;
            if ids.is_empty() {
                txn.commit().await?;
                break;
            }
            let found = ids.len() as u64;
            metrics += performance_metrics::Entity::delete_many()
                .filter(performance_metrics::Column::QueryId.is_in(ids.clone()))
                .exec(&txn)
                .await?
                .rows_affected;
            queries += Entity::delete_many()
                .filter(Column::Id.is_in(ids))
                .exec(&txn)
                .await?
                .rows_affected;
            txn.commit().await?;
            if found < limit {
                break;
            }
        }
        tracing::Span::current().record("db.rows", queries + metrics);
        Ok((queries, metrics))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_follows_the_columns() {
        let ok = NewQuery::new("q", "hybrid", 0.0).with_result_count(3);
        ok.validate().expect("valid");
        for (bad, field) in [
            (NewQuery::new(" ", "sql", 0.1), "query_text"),
            (NewQuery::new("q", "", 0.1), "query_type"),
            (NewQuery::new("q", "x".repeat(21), 0.1), "query_type"),
            (NewQuery::new("q", "sql", -1.0), "response_time"),
            (NewQuery::new("q", "sql", f64::NAN), "response_time"),
            (
                NewQuery::new("q", "sql", 0.1).with_metric("x".repeat(51), 1.0),
                "metrics[0].metric_name",
            ),
            (
                NewQuery::new("q", "sql", 0.1).with_metric("ok", f64::INFINITY),
                "metrics[0].metric_value",
            ),
        ] {
            let err = bad.validate().expect_err(field);
            assert!(
                matches!(&err, Error::Validation { field: f, .. } if f == field),
                "{err}"
            );
        }
    }
}
