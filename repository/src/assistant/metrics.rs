//! Performance metrics (`performance_metrics`, seed 003): named measurements, optionally of one
//! query of the history, and their aggregates by name over a time window.

use async_trait::async_trait;
use entity::assistant::performance_metrics::{ActiveModel, Column, Entity, Model};
use entity::{DbDateTime, DbUuid};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{TimeWindow, insert_chunked};
use crate::error::{Error, Result};
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "performance metric";
}

/// `metric_name VARCHAR(50)`.
pub const MAX_METRIC_NAME_LEN: usize = 50;
/// Most metrics one [`PerformanceMetricRepository::record_many`] call takes.
pub const MAX_METRICS_PER_BATCH: usize = 100_000;

/// A named measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    /// The metric (1 to 50 characters): `vector_search_ms`, `result_count`, …
    pub metric_name: String,
    /// The value (finite).
    pub metric_value: f64,
}

impl MetricValue {
    /// `name` = `value`.
    #[must_use]
    pub fn new(name: impl Into<String>, value: f64) -> Self {
        Self {
            metric_name: name.into(),
            metric_value: value,
        }
    }

    /// Name of 1 to 50 characters, finite value.
    ///
    /// # Errors
    /// [`Error::Validation`] naming `metric_name` or `metric_value`.
    pub fn validate(&self) -> Result<()> {
        validate::text("metric_name", &self.metric_name, MAX_METRIC_NAME_LEN)?;
        if !self.metric_value.is_finite() {
            return Err(Error::validation(
                "metric_value",
                "must be a finite number",
                self.metric_value,
            ));
        }
        Ok(())
    }
}

/// One measurement to record, of a query or of none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMetric {
    /// What was measured.
    pub value: MetricValue,
    /// The query measured (must exist in `query_history`), if any.
    pub query_id: Option<UuidText>,
}

impl NewMetric {
    /// `name` = `value`, of no query.
    #[must_use]
    pub fn new(name: impl Into<String>, value: f64) -> Self {
        Self {
            value: MetricValue::new(name, value),
            query_id: None,
        }
    }

    /// The same measurement, of `query`.
    #[must_use]
    pub const fn of_query(mut self, query: UuidText) -> Self {
        self.query_id = Some(query);
        self
    }
}

/// The row of a measurement taken `at`.
pub(crate) fn metric_model(value: MetricValue, query_id: Option<DbUuid>, at: DbDateTime) -> Model {
    Model {
        id: DbUuid::new_v4(),
        query_id,
        metric_name: value.metric_name,
        metric_value: value.metric_value,
        recorded_at: Some(at),
    }
}

/// The aggregates of one metric over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromQueryResult)]
pub struct MetricAggregate {
    /// The metric.
    pub metric_name: String,
    /// How many measurements.
    pub count: i64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// The arithmetic mean.
    pub mean: f64,
    /// The sum.
    pub sum: f64,
}

/// Performance metrics.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PerformanceMetricRepository: Send + Sync {
    /// Record one measurement (recorded now); returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] when the query does not exist; [`Error::Db`].
    async fn record(&self, new: NewMetric) -> Result<Model>;

    /// Record many measurements in one transaction (chunked under the bind limits); all or
    /// none. Returns how many were written.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the bad item (`metrics[3].metric_name`), before any SQL;
    /// [`Error::Conflict`]; [`Error::Db`].
    async fn record_many(&self, news: Vec<NewMetric>) -> Result<u64>;

    /// The measurements of one query, oldest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn for_query(&self, query_id: UuidText) -> Result<Vec<Model>>;

    /// Count, min, max, mean and sum per metric name of the measurements recorded in `window`,
    /// by name; only `name` when given.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad window or name; [`Error::Db`].
    async fn aggregates(
        &self,
        window: TimeWindow,
        name: Option<String>,
    ) -> Result<Vec<MetricAggregate>>;
}

crate::store! {
    /// [`PerformanceMetricRepository`] on SeaORM.
    pub struct PerformanceMetricStore;
}

#[async_trait]
impl<C: Db> PerformanceMetricRepository for PerformanceMetricStore<C> {
    #[instrument(skip_all, fields(db.table = "performance_metrics"))]
    async fn record(&self, new: NewMetric) -> Result<Model> {
        new.value.validate()?;
        let model = metric_model(
            new.value,
            new.query_id.map(DbUuid::from),
            entity::behavior::now(),
        );
        Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .exec_without_returning(&self.db)
            .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "performance_metrics", db.rows = news.len()))]
    async fn record_many(&self, news: Vec<NewMetric>) -> Result<u64> {
        if news.len() > MAX_METRICS_PER_BATCH {
            return Err(Error::validation(
                "metrics",
                format!("must hold at most {MAX_METRICS_PER_BATCH} measurements"),
                news.len(),
            ));
        }
        store::validate_batch("metrics", &news, |m| m.value.validate())?;
        if news.is_empty() {
            return Ok(0);
        }
        let at = entity::behavior::now();
        let rows: Vec<ActiveModel> = news
            .into_iter()
            .map(|m| store::insertable(metric_model(m.value, m.query_id.map(DbUuid::from), at)))
            .collect();
        let total = rows.len() as u64;
        let txn = crate::begin_write(&self.db).await?;
        insert_chunked::<Entity, _, _>(&txn, rows, 5).await?;
        txn.commit().await?;
        Ok(total)
    }

    #[instrument(skip_all, fields(db.table = "performance_metrics"))]
    async fn for_query(&self, query_id: UuidText) -> Result<Vec<Model>> {
        Ok(Entity::find()
            .filter(Column::QueryId.eq(DbUuid::from(query_id)))
            .order_by_asc(Column::RecordedAt)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "performance_metrics"))]
    async fn aggregates(
        &self,
        window: TimeWindow,
        name: Option<String>,
    ) -> Result<Vec<MetricAggregate>> {
        window.validate()?;
        let mut find = Entity::find()
            .select_only()
            .column(Column::MetricName)
            .column_as(Column::Id.count(), "count")
            .column_as(Column::MetricValue.min(), "min")
            .column_as(Column::MetricValue.max(), "max")
            .column_as(
                Expr::from(Func::avg(Expr::col(Column::MetricValue))),
                "mean",
            )
            .column_as(Column::MetricValue.sum(), "sum")
            .filter(Column::RecordedAt.gte(DbDateTime::from(window.from)))
            .filter(Column::RecordedAt.lt(DbDateTime::from(window.to)));
        if let Some(name) = name {
            validate::text("metric_name", &name, MAX_METRIC_NAME_LEN)?;
            find = find.filter(Column::MetricName.eq(name));
        }
        Ok(find
            .group_by(Column::MetricName)
            .order_by_asc(Column::MetricName)
            .into_model::<MetricAggregate>()
            .all(&self.db)
            .await?)
    }
}
