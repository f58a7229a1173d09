//! `[database]`: pool and timeouts of the database.

use serde::Deserialize;

/// `[database]` of the config file (and the `DAL_DB_*` variables).
#[derive(Debug, Clone, Default, Deserialize)]
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
}
