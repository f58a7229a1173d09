//! `dal status`: what the layer is connected to and what it holds.

use anyhow::{Context, Result};
use sea_orm::DbBackend;
use serde::Serialize;

use crate::migrate::{self, MigrationState};
use repository::health::Storage;

use crate::vector::VectorStatus;

/// Everything `dal status` reports.
#[derive(Debug, Serialize)]
pub struct Status {
    /// The database side.
    pub database: DatabaseStatus,
    /// Every migration and whether it is applied.
    pub migrations: Vec<MigrationState>,
    /// Every table (migration ledgers included) with its row count.
    pub tables: Vec<TableCount>,
    /// The chat tables (seed 001's `get_database_stats`): rows and, on PostgreSQL, the
    /// planner's statistics; empty before the chat tables exist.
    pub chat: Vec<repository::chat::TableStats>,
    /// The cache side.
    pub cache: CacheStatus,
    /// The vector store: backend, round trip, collections and their record counts.
    pub vector: VectorStatus,
    /// The database's round trip, pool use, sizes and (PostgreSQL) diagnostics.
    pub health: repository::health::DbHealth,
}

/// The cache side of [`Status`].
#[derive(Debug, Serialize)]
pub struct CacheStatus {
    /// `memory`, `redis` or `redis-cluster`.
    pub backend: &'static str,
    /// `memory`, or the Redis URL with its password redacted.
    pub target: String,
    /// Whether a `PING` succeeded.
    pub reachable: bool,
    /// How long the `PING` took, in milliseconds.
    pub round_trip_ms: f64,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl CacheStatus {
    /// Ping `cache` and report.
    pub async fn of(cache: &cache::CacheManager) -> Self {
        let health = cache.health().await;
        Self {
            backend: health.backend.as_str(),
            target: health.target,
            reachable: health.reachable,
            round_trip_ms: (health.round_trip.as_secs_f64() * 1e6).round() / 1e3,
            error: health.error,
        }
    }
}

/// The database side of [`Status`].
#[derive(Debug, Serialize)]
pub struct DatabaseStatus {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The URL with its password redacted.
    pub url: String,
    /// The server's version string.
    pub server_version: String,
    /// The latest applied migration, if any.
    pub version: Option<String>,
    /// How many migrations are applied.
    pub applied: usize,
    /// How many migrations are pending.
    pub pending: usize,
    /// Pool size limit.
    pub pool_max_connections: u32,
    /// Connections currently open in the pool.
    pub pool_open_connections: u32,
    /// Open connections that are idle.
    pub pool_idle_connections: usize,
    /// Every node: the primary, then each read replica (role, reachable, in rotation,
    /// replication lag, pool); the primary alone without replicas.
    pub nodes: Vec<repository::replica::NodeStatus>,
}

/// A table and its row count.
#[derive(Debug, Serialize)]
pub struct TableCount {
    /// Table name.
    pub table: String,
    /// `SELECT count(*)`.
    pub rows: i64,
}

/// Gather the status of the database behind `router` (its primary, and each replica as its
/// last check left it), `cache` and `vector`.
///
/// # Errors
/// Any database error on the primary (an unreachable replica, cache or vector store is
/// reported, not an error).
pub async fn gather(
    router: &repository::DbRouter,
    config: &repository::DbConfig,
    cache: &cache::CacheManager,
    vector: &dyn repository::vector::VectorStore,
) -> Result<Status> {
    let conn = router.primary();
    let backend = conn.get_database_backend();
    let migrations = migrate::states(conn).await?;
    let applied = migrations.iter().filter(|m| m.applied).count();
    let version = migrations
        .iter()
        .rev()
        .find(|m| m.applied)
        .map(|m| m.name.clone());

    let health = repository::health::health(conn, config)
        .await
        .context("database health")?;

    let tables: Vec<TableCount> = crate::backup::table_counts(conn)
        .await?
        .into_iter()
        .map(|(table, rows)| TableCount { table, rows })
        .collect();

    let chat = if repository::chat::CHAT_TABLES
        .iter()
        .all(|t| tables.iter().any(|c| c.table == *t))
    {
        repository::chat::chat_table_stats(conn)
            .await
            .context("chat table statistics")?
    } else {
        Vec::new()
    };

    Ok(Status {
        database: DatabaseStatus {
            backend: if backend == DbBackend::Sqlite {
                "sqlite"
            } else {
                "postgres"
            },
            url: config.redacted_url(),
            server_version: health.server_version.clone(),
            version,
            applied,
            pending: migrations.len() - applied,
            pool_max_connections: config.max_connections_or_default(),
            pool_open_connections: health.pool.open,
            pool_idle_connections: health.pool.idle as usize,
            nodes: router.nodes().await,
        },
        health,
        migrations,
        tables,
        chat,
        cache: CacheStatus::of(cache).await,
        vector: VectorStatus::of(vector).await,
    })
}

impl Status {
    /// The configured backends that did not answer (the database answered, or there would be
    /// no status): `dal status` exits non-zero when there is any.
    #[must_use]
    pub fn unreachable(&self) -> Vec<String> {
        let mut down = Vec::new();
        if !self.cache.reachable {
            down.push(format!("cache {}", self.cache.target));
        }
        if !self.vector.reachable {
            down.push(format!("vector store {}", self.vector.target));
        }
        down
    }

    /// The human-readable report.
    #[must_use]
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let d = &self.database;
        let mut out = String::new();
        let _ = writeln!(out, "database  {} ({})", d.url, d.server_version);
        let _ = writeln!(
            out,
            "schema    {} ({} applied, {} pending)",
            d.version.as_deref().unwrap_or("empty"),
            d.applied,
            d.pending
        );
        let h = &self.health;
        let _ = writeln!(
            out,
            "pool      {} max, {} open, {} idle, {} in use ({}%); round trip {:.3} ms",
            h.pool.max,
            h.pool.open,
            h.pool.idle,
            h.pool.in_use,
            h.pool.utilisation_percent,
            h.round_trip_ms
        );
        match &h.storage {
            Storage::Sqlite {
                page_count,
                page_size,
                wal_bytes,
            } => {
                let _ = writeln!(
                    out,
                    "storage   {} pages of {} bytes ({} bytes), WAL {} bytes",
                    page_count,
                    page_size,
                    page_count * page_size,
                    wal_bytes
                );
            }
            Storage::Postgres {
                database_bytes,
                tables,
            } => {
                let _ = writeln!(
                    out,
                    "storage   {database_bytes} bytes in the database; largest tables: {}",
                    tables
                        .iter()
                        .take(3)
                        .map(|t| format!("{} {} bytes", t.table, t.bytes))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let _ = writeln!(
                    out,
                    "indexes   {} never scanned{}",
                    h.unused_indexes.len(),
                    match &h.slowest_statements {
                        None => "; pg_stat_statements not installed".to_owned(),
                        Some(list) => list.first().map_or_else(String::new, |s| format!(
                            "; slowest statement {:.3} ms mean over {} calls",
                            s.mean_ms, s.calls
                        )),
                    }
                );
            }
        }
        if d.nodes.len() > 1 {
            for n in &d.nodes {
                let role = match n.role {
                    repository::replica::NodeRole::Primary => "primary",
                    repository::replica::NodeRole::Replica => "replica",
                };
                let _ = writeln!(
                    out,
                    "node      {role} {} ({}{}{}); pool {} max, {} open, {} idle{}",
                    n.url,
                    if n.reachable {
                        "reachable"
                    } else {
                        "UNREACHABLE"
                    },
                    match (n.role, n.in_rotation) {
                        (repository::replica::NodeRole::Primary, _) => "",
                        (_, true) => ", in rotation",
                        (_, false) => ", OUT of rotation",
                    },
                    n.lag_ms
                        .map(|ms| format!(", lag {ms:.0} ms"))
                        .unwrap_or_default(),
                    n.pool.max,
                    n.pool.open,
                    n.pool.idle,
                    n.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                );
            }
        }
        for warning in &h.warnings {
            let _ = writeln!(out, "WARNING   {warning}");
        }
        let c = &self.cache;
        let _ = writeln!(
            out,
            "cache     {} {} ({}, round trip {:.3} ms{})",
            c.backend,
            c.target,
            if c.reachable {
                "reachable"
            } else {
                "UNREACHABLE"
            },
            c.round_trip_ms,
            c.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
        let v = &self.vector;
        let _ = writeln!(
            out,
            "vectors   {} {} ({}{}{}), {} collections",
            v.backend,
            v.target,
            if v.reachable {
                "reachable"
            } else {
                "UNREACHABLE"
            },
            v.round_trip_ms
                .map(|ms| format!(", round trip {ms:.3} ms"))
                .unwrap_or_default(),
            v.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default(),
            v.collections.len()
        );
        let vector_width = v
            .collections
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for c in &v.collections {
            let _ = writeln!(out, "  {:<vector_width$}  {:>10}", c.name, c.records);
        }
        let width = self.tables.iter().map(|t| t.table.len()).max().unwrap_or(0);
        let _ = writeln!(out, "tables    {}", self.tables.len());
        for t in &self.tables {
            let _ = writeln!(out, "  {:<width$}  {:>10}", t.table, t.rows);
        }
        for t in &self.chat {
            let Some(p) = &t.planner else { continue };
            let when = |t: Option<repository::chrono::DateTime<repository::chrono::Utc>>| {
                t.map_or_else(
                    || "never".to_owned(),
                    |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
                )
            };
            let _ = writeln!(
                out,
                "planner   {}: {} live, {} dead, {} seq scans, {} index scans, analyzed {}, autoanalyzed {}, {} columns with statistics",
                t.table,
                p.n_live_tup,
                p.n_dead_tup,
                p.seq_scan,
                p.idx_scan
                    .map_or_else(|| "no".to_owned(), |n| n.to_string()),
                when(p.last_analyze),
                when(p.last_autoanalyze),
                p.columns.len()
            );
        }
        out
    }
}
