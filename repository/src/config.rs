//! Database configuration: the URL and the pool.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};

/// How to reach the database and size its pool.
///
/// `Debug` never shows a password: the URL is printed with it replaced by `***`.
#[derive(Clone)]
pub struct DbConfig {
    /// `sqlite://path/to/file.sqlite3` (created if missing) or `postgres://user:pass@host/db`.
    pub url: String,
    /// Most connections in the pool (default: [`DbConfig::DEFAULT_MAX_CONNECTIONS_POSTGRES`] or
    /// [`DbConfig::DEFAULT_MAX_CONNECTIONS_SQLITE`]; see [`DbConfig::max_connections_or_default`]).
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
    /// PostgreSQL read replicas (`postgres://…` each): replica-safe reads go to them
    /// ([`crate::replica`]). Empty: every statement goes to `url`.
    pub replicas: Vec<String>,
    /// A replica lagging further behind the primary than this is taken out of the rotation
    /// (default 5 s).
    pub max_replica_lag: Duration,
    /// How often each replica's reachability and lag are checked (default 1 s).
    pub replica_check_interval: Duration,
}

impl DbConfig {
    /// Pool size on SQLite when `max_connections` is unset: WAL readers work in parallel, and
    /// writers queue on SQLite's one write lock whatever the pool size.
    pub const DEFAULT_MAX_CONNECTIONS_SQLITE: u32 = 8;
    /// Pool size on PostgreSQL when `max_connections` is unset.
    pub const DEFAULT_MAX_CONNECTIONS_POSTGRES: u32 = 10;

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
            replicas: Vec::new(),
            max_replica_lag: Duration::from_secs(5),
            replica_check_interval: Duration::from_secs(1),
        }
    }

    /// The backend named by the URL's scheme.
    ///
    /// # Errors
    /// [`crate::Error::Config`] for a scheme that is neither SQLite nor PostgreSQL.
    pub fn backend(&self) -> crate::Result<sea_orm::DbBackend> {
        backend_of(&self.url)
    }

    /// The pool size used: `max_connections`, else the default for the URL's backend.
    #[must_use]
    pub fn max_connections_or_default(&self) -> u32 {
        self.max_connections.unwrap_or(match self.backend() {
            Ok(sea_orm::DbBackend::Sqlite) => Self::DEFAULT_MAX_CONNECTIONS_SQLITE,
            _ => Self::DEFAULT_MAX_CONNECTIONS_POSTGRES,
        })
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
            .field(
                "replicas",
                &self
                    .replicas
                    .iter()
                    .map(|url| redact_url(url))
                    .collect::<Vec<_>>(),
            )
            .field("max_replica_lag", &self.max_replica_lag)
            .field("replica_check_interval", &self.replica_check_interval)
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

/// The one redaction of the workspace (crate `redact`): the password and secret query values
/// masked, `<unparseable>` for text that is not a URL.
pub use cache::redact_url;

/// Whether the URL sets `sslmode` itself (an unparseable URL counts as setting it: it is left
/// alone, and its connection fails on its own).
fn names_ssl_mode(url: &str) -> bool {
    url::Url::parse(url).map_or(true, |u| {
        u.query_pairs()
            .any(|(key, _)| key == "sslmode" || key == "ssl-mode")
    })
}

/// Whether `options` reach the server over a Unix socket or the loopback interface
/// (`localhost`, 127.0.0.0/8, `::1`).
fn is_local(options: &PgConnectOptions) -> bool {
    let host = options.get_host();
    if options.get_socket().is_some() || host.starts_with('/') {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        })
}

/// PostgreSQL's TLS rule: when the URL gives no `sslmode` (sqlx then uses `prefer`) and the
/// server is reached over a Unix socket or loopback, connect with `sslmode=disable`. TLS
/// protects nothing there, and through sqlx 0.9.0 it is slow: its TCP sockets lack
/// `TCP_NODELAY`, so Nagle's algorithm holds the tail of each TLS record (sqlx issue #4335).
/// An `sslmode` in the URL, or a `PGSSLMODE` other than `prefer`, is always respected.
pub(crate) fn postgres_tls_rule(options: PgConnectOptions, url: &str) -> PgConnectOptions {
    if !names_ssl_mode(url)
        && matches!(options.get_ssl_mode(), PgSslMode::Prefer)
        && is_local(&options)
    {
        options.ssl_mode(PgSslMode::Disable)
    } else {
        options
    }
}

/// The longest a PostgreSQL server may take to accept a TCP connection before
/// [`crate::DatabaseManager::connect`] reports it unreachable.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(2);

/// Check that the PostgreSQL server of `url` accepts TCP connections, within `timeout`.
///
/// sqlx's pool treats a refused or unanswered connection as retriable and retries until its
/// acquire timeout, then reports only "pool timed out"; one plain TCP connect first names the
/// real cause at once. A Unix-socket URL, or one sqlx cannot parse (sqlx then reports it), is
/// not probed. Unknown hosts, authentication, TLS and missing databases are reported by sqlx
/// itself without retrying.
///
/// # Errors
/// [`Error::Db`] naming the host and port (never the user or password) and the cause.
pub(crate) async fn probe_postgres(url: &str, timeout: Duration) -> crate::Result<()> {
    use std::str::FromStr as _;

    let Ok(options) = PgConnectOptions::from_str(url) else {
        return Ok(());
    };
    let host = options.get_host();
    if options.get_socket().is_some() || host.starts_with('/') {
        return Ok(());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let port = options.get_port();
    let unreachable = |cause: String| {
        crate::Error::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
            format!("cannot reach the PostgreSQL server at {host}:{port}: {cause}"),
        )))
    };
    // An unknown host is sqlx's to report: it names it the same way, without retrying.
    let Ok(addresses) = tokio::net::lookup_host((bare, port)).await else {
        return Ok(());
    };
    let addresses: Vec<std::net::SocketAddr> = addresses.collect();
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&addresses[..])).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(unreachable("connection refused".to_owned()))
        }
        Ok(Err(err)) => Err(unreachable(err.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} ms",
            timeout.as_millis()
        ))),
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
        let mut config = DbConfig::new("postgres://dal:s3cret@localhost:5432/dal");
        config
            .replicas
            .push("postgres://dal:s3cret@replica:5432/dal".to_owned());
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

    /// The TLS mode a connection to `url` uses.
    fn ssl_mode(url: &str) -> PgSslMode {
        let parsed = url.parse::<PgConnectOptions>().expect("valid URL");
        postgres_tls_rule(parsed, url).get_ssl_mode()
    }

    #[test]
    fn local_postgres_without_sslmode_skips_tls() {
        for url in [
            "postgres://user@127.0.0.1/db",
            "postgres://user:pw@127.0.0.1:5432/db",
            "postgresql://user@127.8.9.10:6543/db",
            "postgres://user@localhost/db",
            "postgres://user@LOCALHOST/db",
            "postgres://user@[::1]:5432/db",
            "postgres://user@[::ffff:127.0.0.1]/db",
            "postgres:///db?host=/var/run/postgresql",
            "postgres://%2Fvar%2Frun%2Fpostgresql/db",
            "postgres://user@127.0.0.1/db?application_name=dal",
        ] {
            assert!(
                matches!(ssl_mode(url), PgSslMode::Disable),
                "{url}: {:?}",
                ssl_mode(url)
            );
        }
    }

    #[test]
    fn remote_postgres_keeps_the_default() {
        for url in [
            "postgres://user@db.internal/db",
            "postgres://user@10.0.0.5/db",
            "postgres://user@192.0.2.1:5432/db",
            "postgres://user@[2001:db8::1]/db",
            "postgres://user@128.0.0.1/db",
        ] {
            assert!(matches!(ssl_mode(url), PgSslMode::Prefer), "{url}");
        }
    }

    #[test]
    fn an_explicit_sslmode_is_respected() {
        for (url, expected) in [
            (
                "postgres://u@127.0.0.1/db?sslmode=require",
                PgSslMode::Require,
            ),
            (
                "postgres://u@127.0.0.1/db?sslmode=prefer",
                PgSslMode::Prefer,
            ),
            (
                "postgres://u@localhost/db?sslmode=verify-full",
                PgSslMode::VerifyFull,
            ),
            (
                "postgres://u@[::1]/db?sslmode=verify-ca",
                PgSslMode::VerifyCa,
            ),
            (
                "postgres://u@127.0.0.1/db?ssl-mode=require",
                PgSslMode::Require,
            ),
            ("postgres://u@127.0.0.1/db?sslmode=allow", PgSslMode::Allow),
            (
                "postgres://u@db.internal/db?sslmode=disable",
                PgSslMode::Disable,
            ),
            (
                "postgres://u@db.internal/db?sslmode=require",
                PgSslMode::Require,
            ),
        ] {
            let got = ssl_mode(url);
            assert_eq!(
                std::mem::discriminant(&got),
                std::mem::discriminant(&expected),
                "{url}: {got:?}"
            );
        }
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
