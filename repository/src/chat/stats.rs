//! The chat tables' statistics (seed 001's `get_database_stats`): rows per table and, on
//! PostgreSQL, what the planner knows of them: `pg_stat_user_tables` (live and dead tuples,
//! last analyze, scans) and `pg_stats` per column (distinct values, correlation), which the
//! seed reads.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement, Value};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::Result;

/// The chat system's tables.
pub const CHAT_TABLES: [&str; 3] = ["conversation", "document_chunk", "rate_limit"];

/// One chat table's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableStats {
    /// The table.
    pub table: String,
    /// `SELECT count(*)`.
    pub rows: u64,
    /// The planner's view (PostgreSQL; `None` on SQLite).
    pub planner: Option<PlannerStats>,
}

/// `pg_stat_user_tables` of one table, and `pg_stats` of its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannerStats {
    /// Estimated live rows.
    pub n_live_tup: i64,
    /// Estimated dead rows (awaiting vacuum).
    pub n_dead_tup: i64,
    /// Last manual `ANALYZE`.
    pub last_analyze: Option<DateTime<Utc>>,
    /// Last autovacuum analyze.
    pub last_autoanalyze: Option<DateTime<Utc>>,
    /// Sequential scans started.
    pub seq_scan: i64,
    /// Index scans started (`None` when the table has no index).
    pub idx_scan: Option<i64>,
    /// Per column, once the table has been analyzed.
    pub columns: Vec<ColumnStats>,
}

/// `pg_stats` of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// The column.
    pub column: String,
    /// Distinct values: a count, or minus the fraction of rows when negative.
    pub n_distinct: Option<f64>,
    /// Correlation of physical and logical order (-1 to 1).
    pub correlation: Option<f64>,
}

/// The statistics of every chat table, in [`CHAT_TABLES`] order.
///
/// # Errors
/// [`crate::Error::Db`].
#[instrument(skip_all)]
pub async fn chat_table_stats<C: ConnectionTrait>(db: &C) -> Result<Vec<TableStats>> {
    let counts = [
        entity::chat::conversation::Entity::find().count(db).await?,
        entity::chat::document_chunk::Entity::find()
            .count(db)
            .await?,
        entity::chat::rate_limit::Entity::find().count(db).await?,
    ];
    let mut out = Vec::with_capacity(CHAT_TABLES.len());
    for (table, rows) in CHAT_TABLES.into_iter().zip(counts) {
        let planner = match db.get_database_backend() {
            DbBackend::Postgres => planner_stats(db, table).await?,
            _ => None,
        };
        out.push(TableStats {
            table: table.to_owned(),
            rows,
            planner,
        });
    }
    Ok(out)
}

async fn planner_stats<C: ConnectionTrait>(db: &C, table: &str) -> Result<Option<PlannerStats>> {
    let table_sql = "SELECT n_live_tup, n_dead_tup, last_analyze, last_autoanalyze, seq_scan, \
                     idx_scan FROM pg_stat_user_tables \
                     WHERE schemaname = current_schema() AND relname = $1";
    let Some(row) = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            table_sql,
            [Value::from(table)],
        ))
        .await?
    else {
        return Ok(None);
    };
    let columns_sql = "SELECT attname::text AS attname, n_distinct::float8 AS n_distinct, \
                       correlation::float8 AS correlation FROM pg_stats \
                       WHERE schemaname = current_schema() AND tablename = $1 ORDER BY attname";
    let columns = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            columns_sql,
            [Value::from(table)],
        ))
        .await?
        .into_iter()
        .map(|r| {
            Ok(ColumnStats {
                column: r.try_get("", "attname")?,
                n_distinct: r.try_get("", "n_distinct")?,
                correlation: r.try_get("", "correlation")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(Some(PlannerStats {
        n_live_tup: row.try_get("", "n_live_tup")?,
        n_dead_tup: row.try_get("", "n_dead_tup")?,
        last_analyze: row.try_get("", "last_analyze")?,
        last_autoanalyze: row.try_get("", "last_autoanalyze")?,
        seq_scan: row.try_get("", "seq_scan")?,
        idx_scan: row.try_get("", "idx_scan")?,
        columns,
    }))
}
