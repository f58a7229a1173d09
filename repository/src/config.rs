//! Database configuration: the URL and the pool.

use std::fmt;
use std::time::Duration;

/// How to reach the database and size its pool.
///
/// `Debug` never shows a password: the URL is printed with it replaced by `***`.
#[derive(Clone)]
pub struct DbConfig {
    /// `sqlite://path/to/file.sqlite3` (created if missing) or `postgres://user:pass@host/db`.
    pub url: String,
    /// Most connections in the pool (default: 10 for PostgreSQL, 8 for SQLite).
    pub max_connections: Option<u32>,
    /// Connections kept open while idle (default 1).
    pub min_connections: u32,
    /// How long to wait for a new connection to open.
    pub connect_timeout: Duration,
    /// How long a caller waits for a pooled connection before failing.
    pub acquire_timeout: Duration,
    /// Close connections idle for longer than this.
    pub idle_timeout: Option<Duration>,
    /// Recycle connections older than this (the seeds' `pool_recycle`, 300 s).
    pub max_lifetime: Option<Duration>,
    /// SQLite only: how long a writer waits on a locked database before failing.
    pub busy_timeout: Duration,
    /// SQLite only: WAL pages after which a commit checkpoints the WAL into the database file
    /// (SQLite's own default is 1,000, i.e. 4 MB). Each checkpoint rewrites pages and syncs the
    /// file, so fewer, larger checkpoints (default 10,000: at most ~40 MB of WAL) speed up bulk
    /// writes without slowing reads (measured in `bench/README.md`).
    pub wal_autocheckpoint_pages: u32,
    /// PostgreSQL only: abort statements running longer than this.
    pub statement_timeout: Option<Duration>,
    /// Log every statement through `tracing` (at debug level).
    pub log_statements: bool,
}

impl DbConfig {
    /// Defaults for `url`.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: None,
            min_connections: 1,
            connect_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(300)),
            busy_timeout: Duration::from_secs(5),
            wal_autocheckpoint_pages: 10_000,
            statement_timeout: None,
            log_statements: false,
        }
    }

    /// The backend named by the URL's scheme.
    ///
    /// # Errors
    /// [`crate::Error::Config`] for a scheme that is neither SQLite nor PostgreSQL.
    pub fn backend(&self) -> crate::Result<sea_orm::DbBackend> {
        backend_of(&self.url)
    }

    /// The URL with any password replaced by `***`, for logs and status output.
    #[must_use]
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    /// For SQLite URLs, the database file path (`None` for in-memory databases).
    #[must_use]
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        sqlite_path(&self.url)
    }
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &self.redacted_url())
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("busy_timeout", &self.busy_timeout)
            .field("wal_autocheckpoint_pages", &self.wal_autocheckpoint_pages)
            .field("statement_timeout", &self.statement_timeout)
            .field("log_statements", &self.log_statements)
            .finish()
    }
}

/// The backend a database URL names.
///
/// # Errors
/// [`crate::Error::Config`] for any scheme but `sqlite:`, `postgres:` and `postgresql:`.
pub fn backend_of(url: &str) -> crate::Result<sea_orm::DbBackend> {
    let scheme = url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Ok(sea_orm::DbBackend::Sqlite),
        "postgres" | "postgresql" => Ok(sea_orm::DbBackend::Postgres),
        _ => Err(crate::Error::Config(format!(
            "unsupported database URL scheme {scheme:?} (use sqlite:// or postgres://)"
        ))),
    }
}

/// `url` with its password (if any) replaced by `***`. Text that is not a URL is returned as is.
#[must_use]
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The file behind a `sqlite:` URL, or `None` for an in-memory database.
#[must_use]
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let config = DbConfig::new("postgres://dal:s3cret@localhost:5432/dal");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://dal:***@localhost:5432/dal"),
            "{shown}"
        );
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://data/dal.sqlite3?mode=rwc"),
            Some("data/dal.sqlite3".into())
        );
        assert_eq!(sqlite_path("sqlite:///tmp/x.db"), Some("/tmp/x.db".into()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }

    #[test]
    fn backends() {
        assert!(backend_of("mysql://x").is_err());
        assert_eq!(
            backend_of("postgresql://x").ok(),
            Some(sea_orm::DbBackend::Postgres)
        );
    }
}
