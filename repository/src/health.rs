//! The database's health: a timed round trip, the pool's use, storage sizes, and on PostgreSQL
//! the diagnostics the seeds ask for (unused indexes, the slowest statements when
//! `pg_stat_statements` is installed). [`crate::DatabaseManager::health`] and `dal status` read it.

use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use tracing::instrument;

use crate::config::DbConfig;
use crate::error::Result;

/// Pool use above which [`DbHealth::warnings`] warns, in percent of the maximum.
pub const POOL_WARN_PERCENT: u32 = 80;

/// The statements [`DbHealth::slowest_statements`] lists at most.
const SLOWEST_STATEMENTS: i64 = 5;

/// What [`health`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DbHealth {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The server's own version string (its first line).
    pub server_version: String,
    /// One `SELECT 1`, in milliseconds.
    pub round_trip_ms: f64,
    /// The pool.
    pub pool: PoolUse,
    /// Storage.
    pub storage: Storage,
    /// PostgreSQL's indexes never scanned since its statistics were reset (empty on SQLite).
    pub unused_indexes: Vec<UnusedIndex>,
    /// The slowest statements by mean time; `None` when `pg_stat_statements` is not installed
    /// (always on SQLite).
    pub slowest_statements: Option<Vec<SlowStatement>>,
    /// What needs attention, for people (pool use above [`POOL_WARN_PERCENT`]).
    pub warnings: Vec<String>,
}

/// The pool's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolUse {
    /// The most it opens.
    pub max: u32,
    /// Open now.
    pub open: u32,
    /// Open and idle.
    pub idle: u32,
    /// Open and lent out.
    pub in_use: u32,
    /// `in_use` in percent of `max`.
    pub utilisation_percent: u32,
}

/// How much the database takes on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Storage {
    /// A SQLite file.
    Sqlite {
        /// Pages in the main file.
        page_count: u64,
        /// Bytes per page.
        page_size: u64,
        /// Bytes of the write-ahead log (0 when there is none).
        wal_bytes: u64,
    },
    /// A PostgreSQL database.
    Postgres {
        /// `pg_database_size` of the current database.
        database_bytes: i64,
        /// `pg_total_relation_size` of each table of the current schema (indexes and TOAST
        /// included), largest first.
        tables: Vec<TableSize>,
    },
}

/// One table's size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct TableSize {
    /// The table.
    pub table: String,
    /// Bytes, indexes and TOAST included.
    pub bytes: i64,
}

/// An index PostgreSQL has never used for a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct UnusedIndex {
    /// Its table.
    pub table: String,
    /// The index.
    pub index: String,
    /// Its size in bytes.
    pub bytes: i64,
}

/// A statement from `pg_stat_statements` (its text normalised by PostgreSQL: constants are
/// `$n`, so no value appears).
#[derive(Debug, Clone, PartialEq, Serialize, FromQueryResult)]
pub struct SlowStatement {
    /// The normalised text.
    pub query: String,
    /// Times run.
    pub calls: i64,
    /// Mean time, ms.
    pub mean_ms: f64,
    /// Total time, ms.
    pub total_ms: f64,
}

/// The health of the database behind `conn`, configured by `config`.
///
/// # Errors
/// [`crate::Error::Db`] when a query fails (the database is down, or a catalogue is not
/// readable).
#[instrument(skip_all, fields(db.backend = ?conn.get_database_backend()))]
pub async fn health(conn: &DatabaseConnection, config: &DbConfig) -> Result<DbHealth> {
    let backend = conn.get_database_backend();
    let started = Instant::now();
    conn.execute_unprepared("SELECT 1").await?;
    let round_trip_ms = started.elapsed().as_secs_f64() * 1000.0;
    let pool = pool_use(conn, config.max_connections_or_default());
    let mut health = if backend == DbBackend::Sqlite {
        DbHealth {
            backend: "sqlite",
            server_version: scalar_text(conn, "SELECT 'SQLite ' || sqlite_version() AS v").await?,
            round_trip_ms,
            pool,
            storage: sqlite_storage(conn, config).await?,
            unused_indexes: Vec::new(),
            slowest_statements: None,
            warnings: Vec::new(),
        }
    } else {
        DbHealth {
            backend: "postgres",
            server_version: scalar_text(conn, "SELECT version() AS v").await?,
            round_trip_ms,
            pool,
            storage: postgres_storage(conn).await?,
            unused_indexes: unused_indexes(conn).await?,
            slowest_statements: slowest_statements(conn).await?,
            warnings: Vec::new(),
        }
    };
    if pool.utilisation_percent > POOL_WARN_PERCENT {
        health.warnings.push(format!(
            "pool utilisation {}% ({} of {} connections in use) is above {POOL_WARN_PERCENT}%",
            pool.utilisation_percent, pool.in_use, pool.max
        ));
    }
    Ok(health)
}

pub(crate) fn pool_use(conn: &DatabaseConnection, max: u32) -> PoolUse {
    let (open, idle) = match conn.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(open);
    let in_use = open - idle;
    PoolUse {
        max,
        open,
        idle,
        in_use,
        utilisation_percent: (in_use * 100).checked_div(max).unwrap_or(0),
    }
}

async fn scalar_text(conn: &DatabaseConnection, sql: &str) -> Result<String> {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?;
    let text: String = match row {
        Some(row) => row.try_get("", "v")?,
        None => String::new(),
    };
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

async fn sqlite_storage(conn: &DatabaseConnection, config: &DbConfig) -> Result<Storage> {
    let pragma = |name: &'static str| async move {
        let row = conn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT {name} AS n FROM pragma_{name}"),
            ))
            .await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok::<u64, crate::Error>(u64::try_from(n).unwrap_or(0))
    };
    let wal_bytes = config
        .sqlite_path()
        .and_then(|path| {
            let mut wal = path.into_os_string();
            wal.push("-wal");
            std::fs::metadata(wal).ok()
        })
        .map_or(0, |meta| meta.len());
    Ok(Storage::Sqlite {
        page_count: pragma("page_count").await?,
        page_size: pragma("page_size").await?,
        wal_bytes,
    })
}

async fn postgres_storage(conn: &DatabaseConnection) -> Result<Storage> {
    let database_bytes: i64 = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_database_size(current_database()) AS n",
        ))
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let tables = TableSize::find_by_statement(Statement::from_string(
        DbBackend::Postgres,
        "SELECT c.relname::text AS \"table\", pg_total_relation_size(c.oid) AS bytes \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() \
         ORDER BY bytes DESC, c.relname",
    ))
    .all(conn)
    .await?;
    Ok(Storage::Postgres {
        database_bytes,
        tables,
    })
}

/// Indexes of the current schema with `idx_scan = 0`, except those that enforce a primary key
/// or a unique constraint (they are used by every insert, never "unused").
async fn unused_indexes(conn: &DatabaseConnection) -> Result<Vec<UnusedIndex>> {
    Ok(UnusedIndex::find_by_statement(Statement::from_string(
        DbBackend::Postgres,
        "SELECT s.relname::text AS \"table\", s.indexrelname::text AS \"index\", \
                pg_relation_size(s.indexrelid) AS bytes \
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid \
         WHERE s.idx_scan = 0 AND NOT i.indisunique AND s.schemaname = current_schema() \
         ORDER BY s.relname, s.indexrelname",
    ))
    .all(conn)
    .await?)
}

/// The slowest statements by mean time (PostgreSQL 13+ column names), or `None` when the
/// extension is not installed in this database.
async fn slowest_statements(conn: &DatabaseConnection) -> Result<Option<Vec<SlowStatement>>> {
    let installed = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT 1 AS n FROM pg_extension WHERE extname = 'pg_stat_statements'",
        ))
        .await?
        .is_some();
    if !installed {
        return Ok(None);
    }
    let statements = SlowStatement::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT query, calls, mean_exec_time AS mean_ms, total_exec_time AS total_ms \
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database \
         WHERE datname = current_database()) ORDER BY mean_exec_time DESC LIMIT $1",
        [SLOWEST_STATEMENTS.into()],
    ))
    .all(conn)
    .await;
    // Installed but not preloaded (`shared_preload_libraries`): the view refuses to be read.
    Ok(statements.ok())
}
