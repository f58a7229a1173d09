//! `[database]`: pool and timeouts of the database, and its read replicas.

use serde::Deserialize;

/// `[database]` of the config file (and the `DAL_DB_*` variables). `Debug` shows the replica
/// URLs redacted.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// Most pooled connections.
    pub max_connections: Option<u32>,
    /// Connections kept while idle.
    pub min_connections: Option<u32>,
    /// Seconds to wait for a connection to open.
    pub connect_timeout_secs: Option<u64>,
    /// Seconds a caller waits for a pooled connection.
    pub acquire_timeout_secs: Option<u64>,
    /// Seconds before an idle connection is closed.
    pub idle_timeout_secs: Option<u64>,
    /// Seconds before a connection is recycled.
    pub max_lifetime_secs: Option<u64>,
    /// SQLite: milliseconds a writer waits on a locked database.
    pub busy_timeout_ms: Option<u64>,
    /// SQLite: WAL pages after which a commit checkpoints.
    pub wal_autocheckpoint_pages: Option<u32>,
    /// PostgreSQL: seconds before a statement is cancelled.
    pub statement_timeout_secs: Option<u64>,
    /// PostgreSQL read replicas (`postgres://…` each) for replica-safe reads
    /// (`DATABASE_REPLICA_URLS`, comma-separated). None: every statement goes to the primary.
    pub replicas: Option<Vec<String>>,
    /// Milliseconds of replication lag beyond which a replica leaves the rotation (5000).
    pub max_replica_lag_ms: Option<u64>,
    /// Milliseconds between two checks of each replica's reachability and lag (1000).
    pub replica_check_interval_ms: Option<u64>,
}

impl std::fmt::Debug for DatabaseSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSection")
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("max_lifetime_secs", &self.max_lifetime_secs)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .field("wal_autocheckpoint_pages", &self.wal_autocheckpoint_pages)
            .field("statement_timeout_secs", &self.statement_timeout_secs)
            .field(
                "replicas",
                &self.replicas.as_ref().map(|urls| {
                    urls.iter()
                        .map(|u| repository::redact_url(u))
                        .collect::<Vec<_>>()
                }),
            )
            .field("max_replica_lag_ms", &self.max_replica_lag_ms)
            .field("replica_check_interval_ms", &self.replica_check_interval_ms)
            .finish()
    }
}

impl DatabaseSection {
    /// The variable that lists the replicas, comma-separated.
    pub const REPLICAS_VARIABLE: &'static str = "DATABASE_REPLICA_URLS";

    /// The replicas in `text` (comma-separated; blanks between commas are skipped), each
    /// checked to be a PostgreSQL URL.
    ///
    /// # Errors
    /// A [`super::ConfigError`] named `name` for a URL that is not `postgres://`.
    pub(crate) fn replicas_of(text: &str, name: &str) -> Result<Vec<String>, super::ConfigError> {
        let urls: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        Self::check_replicas(&urls, name)?;
        Ok(urls)
    }

    /// Every replica URL is PostgreSQL.
    ///
    /// # Errors
    /// A [`super::ConfigError`] named `name`, the bad URL redacted.
    pub(crate) fn check_replicas(urls: &[String], name: &str) -> Result<(), super::ConfigError> {
        for (i, url) in urls.iter().enumerate() {
            if repository::config::backend_of(url).ok() != Some(repository::DbBackend::Postgres) {
                return Err(super::ConfigError::new(
                    name,
                    format!(
                        "replica {i} ({}) is not a postgres:// URL",
                        repository::redact_url(url)
                    ),
                ));
            }
        }
        Ok(())
    }
}
