//! `Config`: where the database and the cache are, and how to size the pool.
//!
//! Sources, later ones winning: built-in defaults; a TOML file (`--config`, else `DAL_CONFIG`, else
//! `./dal.toml` when present); a `.env` file in the working directory; the process environment.
//! With nothing set the database is `./data/dal.sqlite3` and the cache is in-process.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use repository::DbConfig;
use serde::Deserialize;

/// The default SQLite file, relative to the working directory.
pub const DEFAULT_SQLITE_PATH: &str = "data/dal.sqlite3";

/// Resolved configuration of the `dal` tool and of [`crate::App`].
#[derive(Clone)]
pub struct Config {
    /// Database URL (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// Redis URL; `None` means the in-process cache.
    pub redis_url: Option<String>,
    /// Prefix put before every cache key (`None`: no prefix).
    pub cache_prefix: Option<String>,
    /// Pool and timeouts for the database.
    pub database: DatabaseSection,
}

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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    redis_url: Option<String>,
    cache_prefix: Option<String>,
    #[serde(default)]
    database: DatabaseSection,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &repository::redact_url(&self.database_url))
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(repository::redact_url),
            )
            .field("cache_prefix", &self.cache_prefix)
            .field("database", &self.database)
            .finish()
    }
}

impl Config {
    /// Load from the process: `.env` in `dir`, the environment, and the config file.
    ///
    /// # Errors
    /// An unreadable or invalid config file, or an invalid value in a variable.
    pub fn load(dir: &Path, config_file: Option<&Path>) -> Result<Self> {
        let mut env: HashMap<String, String> = HashMap::new();
        let dotenv = dir.join(".env");
        if dotenv.is_file() {
            for item in dotenvy::from_path_iter(&dotenv)
                .with_context(|| format!("reading {}", dotenv.display()))?
            {
                let (key, value) = item.with_context(|| format!("parsing {}", dotenv.display()))?;
                env.insert(key, value);
            }
        }
        // The real environment wins over `.env`.
        env.extend(std::env::vars());
        Self::from_sources(dir, &env, config_file)
    }

    /// Resolve from explicit sources (no process state is read but the config file).
    ///
    /// # Errors
    /// An unreadable or invalid config file, or an invalid value in a variable.
    pub fn from_sources(
        dir: &Path,
        env: &HashMap<String, String>,
        config_file: Option<&Path>,
    ) -> Result<Self> {
        let var = |name: &str| {
            env.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let file_path: Option<PathBuf> = match (config_file, var("DAL_CONFIG")) {
            (Some(path), _) => Some(path.to_path_buf()),
            (None, Some(path)) => Some(PathBuf::from(path)),
            (None, None) => Some(dir.join("dal.toml")).filter(|p| p.is_file()),
        };
        let file = match &file_path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };

        let database_url = var("DATABASE_URL")
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", dir.join(DEFAULT_SQLITE_PATH).display()));
        repository::config::backend_of(&database_url).context("DATABASE_URL")?;
        let redis_url = var("REDIS_URL")
            .or(file.redis_url)
            .filter(|u| u != "memory");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("redis-cluster://"))
        {
            bail!(
                "REDIS_URL must start with redis://, rediss:// or redis-cluster:// (or be \"memory\")"
            );
        }
        let mut database = file.database;
        let num = |name: &str| -> Result<Option<u64>> {
            var(name)
                .map(|v| {
                    v.parse::<u64>()
                        .with_context(|| format!("{name} must be a whole number, got {v:?}"))
                })
                .transpose()
        };
        let u32_of = |v: Option<u64>, name: &str| -> Result<Option<u32>> {
            v.map(|n| u32::try_from(n).with_context(|| format!("{name} is too large")))
                .transpose()
        };
        if let Some(n) = u32_of(num("DAL_DB_MAX_CONNECTIONS")?, "DAL_DB_MAX_CONNECTIONS")? {
            database.max_connections = Some(n);
        }
        if let Some(n) = u32_of(num("DAL_DB_MIN_CONNECTIONS")?, "DAL_DB_MIN_CONNECTIONS")? {
            database.min_connections = Some(n);
        }
        if let Some(n) = u32_of(
            num("DAL_DB_WAL_AUTOCHECKPOINT_PAGES")?,
            "DAL_DB_WAL_AUTOCHECKPOINT_PAGES",
        )? {
            database.wal_autocheckpoint_pages = Some(n);
        }
        for (name, slot) in [
            (
                "DAL_DB_CONNECT_TIMEOUT_SECS",
                &mut database.connect_timeout_secs,
            ),
            (
                "DAL_DB_ACQUIRE_TIMEOUT_SECS",
                &mut database.acquire_timeout_secs,
            ),
            ("DAL_DB_IDLE_TIMEOUT_SECS", &mut database.idle_timeout_secs),
            ("DAL_DB_MAX_LIFETIME_SECS", &mut database.max_lifetime_secs),
            ("DAL_DB_BUSY_TIMEOUT_MS", &mut database.busy_timeout_ms),
            (
                "DAL_DB_STATEMENT_TIMEOUT_SECS",
                &mut database.statement_timeout_secs,
            ),
        ] {
            if let Some(n) = num(name)? {
                *slot = Some(n);
            }
        }
        if database.max_connections == Some(0) {
            bail!("database max_connections must be at least 1");
        }

        Ok(Self {
            database_url,
            redis_url,
            cache_prefix: var("DAL_CACHE_PREFIX").or(file.cache_prefix),
            database,
        })
    }

    /// The cache crate's view: Redis at `redis_url`, else in-process; `cache_prefix` on every key.
    ///
    /// # Errors
    /// An unusable Redis URL.
    pub fn cache_config(&self) -> Result<cache::CacheConfig> {
        let config = match &self.redis_url {
            Some(url) => cache::CacheConfig::from_url(url).context("REDIS_URL")?,
            None => cache::CacheConfig::memory(),
        };
        Ok(config.with_key_prefix(self.cache_prefix.clone().unwrap_or_default()))
    }

    /// The repository crate's view of the database settings.
    #[must_use]
    pub fn db_config(&self) -> DbConfig {
        let mut db = DbConfig::new(self.database_url.clone());
        let d = &self.database;
        db.max_connections = d.max_connections;
        if let Some(n) = d.min_connections {
            db.min_connections = n;
        }
        if let Some(s) = d.connect_timeout_secs {
            db.connect_timeout = Duration::from_secs(s);
        }
        if let Some(s) = d.acquire_timeout_secs {
            db.acquire_timeout = Duration::from_secs(s);
        }
        if let Some(s) = d.idle_timeout_secs {
            db.idle_timeout = Some(Duration::from_secs(s));
        }
        if let Some(s) = d.max_lifetime_secs {
            db.max_lifetime = Some(Duration::from_secs(s));
        }
        if let Some(ms) = d.busy_timeout_ms {
            db.busy_timeout = Duration::from_millis(ms);
        }
        if let Some(pages) = d.wal_autocheckpoint_pages {
            db.wal_autocheckpoint_pages = pages;
        }
        db.statement_timeout = d.statement_timeout_secs.map(Duration::from_secs);
        db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn nothing_set_means_sqlite_file_and_memory_cache() {
        let dir = Path::new("/srv/app");
        let config = Config::from_sources(dir, &env(&[]), None).expect("config");
        assert_eq!(config.database_url, "sqlite:///srv/app/data/dal.sqlite3");
        assert!(config.redis_url.is_none());
    }

    #[test]
    fn environment_beats_file_and_memory_means_no_redis() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("dal.toml"),
            "database_url = \"postgres://file@db/x\"\nredis_url = \"redis://file:6379\"\n[database]\nmax_connections = 3\n",
        )
        .expect("write");
        let config = Config::from_sources(
            dir.path(),
            &env(&[
                ("DATABASE_URL", "postgres://env:pw@db/y"),
                ("REDIS_URL", "memory"),
            ]),
            None,
        )
        .expect("config");
        assert_eq!(config.database_url, "postgres://env:pw@db/y");
        assert!(config.redis_url.is_none());
        assert_eq!(config.db_config().max_connections, Some(3));
        assert_eq!(config.db_config().wal_autocheckpoint_pages, 10_000);
        let tuned = Config::from_sources(
            dir.path(),
            &env(&[("DAL_DB_WAL_AUTOCHECKPOINT_PAGES", "2000")]),
            None,
        )
        .expect("config");
        assert_eq!(tuned.db_config().wal_autocheckpoint_pages, 2_000);
        assert!(
            !format!("{config:?}").contains("pw@"),
            "Debug redacts the password"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::from_sources(
            Path::new("/x"),
            &env(&[("DAL_DB_MAX_CONNECTIONS", "many")]),
            None,
        )
        .expect_err("invalid");
        assert!(format!("{err:#}").contains("DAL_DB_MAX_CONNECTIONS"));
        let err = Config::from_sources(
            Path::new("/x"),
            &env(&[("DATABASE_URL", "mysql://x")]),
            None,
        )
        .expect_err("invalid");
        assert!(format!("{err:#}").contains("DATABASE_URL"));
    }
}
