//! Query analytics (seed 003, "performance analytics and reporting"): over a time window, and
//! optionally for one query type, the number of queries, the mean and the 50th, 95th and 99th
//! percentiles of their response time, and the cache-hit rate; the same per hour or per day for
//! a chart. Everything is computed by the database in one statement, never by loading rows.
//!
//! # Definitions
//! - The window is `[from, to)` on `created_at`; queries with no `created_at` are in no window.
//! - Percentile `p` (0 < p ≤ 1) of `n` response times is **nearest-rank**: the value at 1-based
//!   position `ceil(p × n)` of the times in ascending order ([`nearest_rank`]); it is always one
//!   of the recorded times. PostgreSQL computes it with `percentile_disc(p)`, whose definition
//!   this is; SQLite, which has no percentile function, numbers the rows of each bucket with
//!   `ROW_NUMBER()` and counts them with `COUNT(*) OVER`, and picks the row whose number is
//!   `ceil(p × n)` (the same double-precision product on both).
//! - The cache-hit rate is the share of queries with `cache_hit` true; a NULL `cache_hit` (the
//!   seed's column is nullable, `DEFAULT FALSE`) counts as a miss.
//! - Buckets start on the hour or the day, in UTC, and only buckets holding queries are returned,
//!   oldest first.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{DbBackend, FromQueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::TimeWindow;
use super::queries::MAX_QUERY_TYPE_LEN;
use crate::error::{Error, Result};
use crate::store::Db;
use crate::validate;

/// The percentiles every statistic reports, as fractions: p50, p95, p99.
pub const PERCENTILES: [f64; 3] = [0.5, 0.95, 0.99];

/// The 1-based position of percentile `p` (0 < p ≤ 1) among `n` sorted values: `ceil(p × n)`,
/// at least 1 (the nearest-rank definition).
#[must_use]
pub fn nearest_rank(p: f64, n: usize) -> usize {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = (p * n as f64).ceil() as usize;
    rank.max(1)
}

/// How wide a bucket of [`AnalyticsRepository::buckets`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One bucket per hour (UTC).
    Hour,
    /// One bucket per day (UTC).
    Day,
}

/// The statistics of a set of queries.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct QueryStats {
    /// How many queries.
    pub count: u64,
    /// Mean response time (`None` with no query).
    pub mean: Option<f64>,
    /// Median response time (nearest rank).
    pub p50: Option<f64>,
    /// 95th percentile of the response time (nearest rank).
    pub p95: Option<f64>,
    /// 99th percentile of the response time (nearest rank).
    pub p99: Option<f64>,
    /// Share of queries answered from the cache, 0 to 1.
    pub cache_hit_rate: Option<f64>,
}

/// The statistics of the queries of one hour or day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// The first instant of the bucket (UTC).
    pub start: DateTime<Utc>,
    /// Its queries' statistics.
    pub stats: QueryStats,
}

/// Analytics over the query history.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AnalyticsRepository: Send + Sync {
    /// The statistics of the queries created in `window` (of `query_type` only, when given).
    /// With no query: a count of 0 and no values.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad window or type; [`Error::Db`].
    async fn summary(&self, window: TimeWindow, query_type: Option<String>) -> Result<QueryStats>;

    /// The same statistics per hour or day of `window`, oldest first; buckets with no query are
    /// left out.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad window or type; [`Error::Db`].
    async fn buckets(
        &self,
        window: TimeWindow,
        query_type: Option<String>,
        granularity: Granularity,
    ) -> Result<Vec<Bucket>>;
}

crate::store! {
    /// [`AnalyticsRepository`] on SeaORM (hand-built SQL per backend, values bound).
    pub struct AnalyticsStore;
}

/// One row of the statistics statement.
#[derive(Debug, FromQueryResult)]
struct Row {
    bucket: String,
    count: i64,
    mean: Option<f64>,
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
    cache_hit_rate: Option<f64>,
}

impl Row {
    fn stats(&self) -> QueryStats {
        QueryStats {
            count: u64::try_from(self.count).unwrap_or(0),
            mean: self.mean,
            p50: self.p50,
            p95: self.p95,
            p99: self.p99,
            cache_hit_rate: self.cache_hit_rate,
        }
    }
}

/// What the statement groups by.
#[derive(Clone, Copy)]
enum Grouping {
    All,
    By(Granularity),
}

/// The statistics statement on `backend`. Only the fixed fragments of this function make up
/// its text; the window and the type are bound.
fn statement(
    backend: DbBackend,
    window: TimeWindow,
    query_type: Option<String>,
    grouping: Grouping,
) -> Statement {
    let mut values: Vec<Value> = vec![
        entity::DbDateTime::from(window.from).into(),
        entity::DbDateTime::from(window.to).into(),
    ];
    let postgres = backend == DbBackend::Postgres;
    let param = |i: usize| {
        if postgres {
            format!("${i}")
        } else {
            "?".to_owned()
        }
    };
    let mut filter = format!("created_at >= {} AND created_at < {}", param(1), param(2));
    if let Some(t) = query_type {
        filter.push_str(&format!(" AND query_type = {}", param(3)));
        values.push(t.into());
    }
    let hit_rate = "AVG(CASE WHEN cache_hit THEN 1.0 ELSE 0.0 END)";
    let sql = if postgres {
        let bucket = match grouping {
            Grouping::All => "CAST('' AS text)".to_owned(),
            Grouping::By(g) => format!(
                "to_char(date_trunc('{}', created_at), 'YYYY-MM-DD HH24:MI:SS')",
                match g {
                    Granularity::Hour => "hour",
                    Granularity::Day => "day",
                }
            ),
        };
        let pcts: Vec<String> = PERCENTILES
            .iter()
            .zip(["p50", "p95", "p99"])
            .map(|(p, name)| {
                format!("percentile_disc({p}) WITHIN GROUP (ORDER BY response_time) AS {name}")
            })
            .collect();
        format!(
            "SELECT {bucket} AS bucket, COUNT(*) AS count, AVG(response_time) AS mean, {}, \
             CAST({hit_rate} AS double precision) AS cache_hit_rate \
             FROM query_history WHERE {filter} GROUP BY 1 ORDER BY 1",
            pcts.join(", ")
        )
    } else {
        let bucket = match grouping {
            Grouping::All => "''",
            Grouping::By(Granularity::Hour) => "strftime('%Y-%m-%d %H:00:00', created_at)",
            Grouping::By(Granularity::Day) => "strftime('%Y-%m-%d 00:00:00', created_at)",
        };
        // ceil(p * n) without SQLite's optional math functions: the integer part, plus one
        // when the product has a fraction.
        let pcts: Vec<String> = PERCENTILES
            .iter()
            .zip(["p50", "p95", "p99"])
            .map(|(p, name)| {
                format!(
                    "MIN(CASE WHEN rn = CAST({p} * n AS INTEGER) + ({p} * n > CAST({p} * n AS INTEGER)) \
                     THEN response_time END) AS {name}"
                )
            })
            .collect();
        format!(
            "SELECT bucket, COUNT(*) AS count, AVG(response_time) AS mean, {}, \
             {hit_rate} AS cache_hit_rate FROM (\
             SELECT {bucket} AS bucket, response_time, cache_hit, \
             ROW_NUMBER() OVER (PARTITION BY {bucket} ORDER BY response_time) AS rn, \
             COUNT(*) OVER (PARTITION BY {bucket}) AS n \
             FROM query_history WHERE {filter}) AS ranked \
             GROUP BY bucket ORDER BY bucket",
            pcts.join(", ")
        )
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn check(window: TimeWindow, query_type: Option<&str>) -> Result<()> {
    window.validate()?;
    validate::opt_text("query_type", query_type, MAX_QUERY_TYPE_LEN)
}

#[async_trait]
impl<C: Db> AnalyticsRepository for AnalyticsStore<C> {
    #[instrument(skip_all, fields(db.table = "query_history"))]
    async fn summary(&self, window: TimeWindow, query_type: Option<String>) -> Result<QueryStats> {
        check(window, query_type.as_deref())?;
        let stmt = statement(
            self.db.get_database_backend(),
            window,
            query_type,
            Grouping::All,
        );
        let row = Row::find_by_statement(stmt).one(&self.db.reader()).await?;
        Ok(row.map(|r| r.stats()).unwrap_or_default())
    }

    #[instrument(skip_all, fields(db.table = "query_history"))]
    async fn buckets(
        &self,
        window: TimeWindow,
        query_type: Option<String>,
        granularity: Granularity,
    ) -> Result<Vec<Bucket>> {
        check(window, query_type.as_deref())?;
        let stmt = statement(
            self.db.get_database_backend(),
            window,
            query_type,
            Grouping::By(granularity),
        );
        Row::find_by_statement(stmt)
            .all(&self.db.reader())
            .await?
            .into_iter()
            .map(|r| {
                let start = NaiveDateTime::parse_from_str(&r.bucket, "%Y-%m-%d %H:%M:%S")
                    .map_err(|e| {
                        Error::Db(sea_orm::DbErr::Type(format!(
                            "bucket {:?} is not a timestamp: {e}",
                            r.bucket
                        )))
                    })?
                    .and_utc();
                Ok(Bucket {
                    start,
                    stats: r.stats(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_the_ceiling() {
        assert_eq!(nearest_rank(0.5, 1), 1);
        assert_eq!(nearest_rank(0.5, 4), 2);
        assert_eq!(nearest_rank(0.5, 5), 3);
        assert_eq!(nearest_rank(0.95, 100), 95);
        assert_eq!(nearest_rank(0.99, 10), 10);
        assert_eq!(nearest_rank(0.01, 10), 1);
    }

    #[test]
    fn statements_bind_the_window_and_type() {
        let now = Utc::now();
        let w = TimeWindow::new(now, now);
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let s = statement(
                backend,
                w,
                Some("sql".into()),
                Grouping::By(Granularity::Hour),
            );
            assert_eq!(s.values.map(|v| v.0.len()), Some(3));
            assert!(!s.sql.contains("'sql'"), "{}", s.sql);
        }
    }
}
