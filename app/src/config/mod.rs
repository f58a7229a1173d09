//! `Config`: where the database and the cache are, and how to size the pool.
//!
//! Sources, later ones winning: built-in defaults; a TOML file (`--config`, else `DAL_CONFIG`, else
//! `./dal.toml` when present); a `.env` file in the working directory; the process environment;
//! then the command-line flags (`--database-url`, `--redis-url`). With nothing set the database is
//! `./data/dal.sqlite3`, the cache is in-process and vectors live in the database (the embedded
//! store); `CHROMA_URL` (or `[vector] url`) moves them to a Chroma server. A value that cannot be used is a
//! [`ConfigError`] naming the variable, flag or file key it came from.
//!
//! Without a `DATABASE_URL` / `REDIS_URL` (variable, `.env` or file key), the seed's
//! `POSTGRES_HOST/PORT/DB/USER/PASSWORD` and `REDIS_HOST/PORT/PASSWORD/DB/SSL` build them
//! (`seed_env`); an explicit URL always wins.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod assistant;
mod cache;
mod chat;
mod database;
mod docsync;
mod maintain;
mod migrate;
mod seed_env;
#[cfg(test)]
mod tests;
mod vector;

pub use assistant::AssistantSection;
pub use cache::CacheSection;
pub use chat::ChatSection;
pub use database::DatabaseSection;
pub use docsync::DocsyncSection;
pub use maintain::MaintainSection;
pub use migrate::MigrateSection;
pub(crate) use migrate::bool_of_text;
pub(crate) use vector::chroma_url_of;
pub use vector::{
    DEFAULT_CHROMA_DATABASE, DEFAULT_CHROMA_TENANT, DEFAULT_VECTOR_DIMENSION, MAX_VECTOR_DIMENSION,
    VectorBackend, VectorConfig, VectorSection,
};

use ::cache::{CacheConfig, CacheTarget};
use anyhow::{Context, Result};
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
    /// Pool, timeouts and in-process capacity for the cache.
    pub cache: CacheSection,
    /// The chat system's rate limit and retention.
    pub chat: ChatSection,
    /// The docsync system's purge.
    pub docsync: DocsyncSection,
    /// What `dal migrate` does first.
    pub migrate: MigrateSection,
    /// The assistant system's retention windows and logging sink.
    pub assistant: AssistantSection,
    /// How often `dal maintain` runs each system's retention job.
    pub maintain: MaintainSection,
    /// Where vector collections live, and the dimension of the collections `dal init` creates.
    pub vector: VectorConfig,
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {name}: {reason}")]
pub struct ConfigError {
    /// Where the value came from: a variable (`DAL_CACHE_POOL_SIZE`), a flag (`--redis-url`) or
    /// a key of the config file (`[cache] pool_size in ./dal.toml`).
    pub name: String,
    /// What is wrong with it. A URL in it is redacted.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(name: impl Into<String>, reason: impl ToString) -> Self {
        Self {
            name: name.into(),
            reason: reason.to_string(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    redis_url: Option<String>,
    cache_prefix: Option<String>,
    #[serde(default)]
    database: DatabaseSection,
    #[serde(default)]
    cache: CacheSection,
    #[serde(default)]
    chat: ChatSection,
    #[serde(default)]
    docsync: DocsyncSection,
    #[serde(default)]
    migrate: MigrateSection,
    #[serde(default)]
    assistant: AssistantSection,
    #[serde(default)]
    maintain: MaintainSection,
    #[serde(default)]
    vector: VectorSection,
}

/// The Redis URL in `text`, `None` for the in-process cache (`memory` or empty): the cache
/// crate decides which schemes it takes ([`cache::REDIS_URL_SCHEMES`]).
///
/// # Errors
/// A [`ConfigError`] named `name` for an unparseable URL or a scheme the cache does not take.
pub(crate) fn redis_url_of(text: &str, name: &str) -> Result<Option<String>, ConfigError> {
    match CacheTarget::parse(text).map_err(|e| ConfigError::new(name, e))? {
        CacheTarget::Memory => Ok(None),
        CacheTarget::Redis(url) => Ok(Some(url)),
    }
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
            .field("cache", &self.cache)
            .field("chat", &self.chat)
            .field("docsync", &self.docsync)
            .field("migrate", &self.migrate)
            .field("assistant", &self.assistant)
            .field("maintain", &self.maintain)
            .field("vector", &self.vector)
            .finish()
    }
}

impl Config {
    /// Load from the process: `.env` in `dir`, the environment, and the config file.
    ///
    /// # Errors
    /// An unreadable or invalid config file or `.env`, or an invalid value in a variable.
    pub fn load(dir: &Path, config_file: Option<&Path>) -> Result<Self> {
        Self::load_with_env(dir, &std::env::vars().collect(), config_file)
    }

    /// As [`Config::load`] with `env` standing for the process environment: `.env` in `dir`
    /// is read, and `env` wins over it.
    ///
    /// # Errors
    /// An unreadable or invalid config file or `.env`, or an invalid value in a variable.
    pub fn load_with_env(
        dir: &Path,
        env: &HashMap<String, String>,
        config_file: Option<&Path>,
    ) -> Result<Self> {
        let mut merged: HashMap<String, String> = HashMap::new();
        let dotenv = dir.join(".env");
        if dotenv.is_file() {
            for item in dotenvy::from_path_iter(&dotenv)
                .with_context(|| format!("reading {}", dotenv.display()))?
            {
                let (key, value) = item.with_context(|| format!("parsing {}", dotenv.display()))?;
                merged.insert(key, value);
            }
        }
        // The real environment wins over `.env`.
        merged.extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self::from_sources(dir, &merged, config_file)
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

        // An explicit URL wins; else the seed's `POSTGRES_*` parts; else the SQLite file.
        let database_url = match var("DATABASE_URL").or(file.database_url) {
            Some(url) => url,
            None => seed_env::database_url(&var)?
                .unwrap_or_else(|| format!("sqlite://{}", dir.join(DEFAULT_SQLITE_PATH).display())),
        };
        repository::config::backend_of(&database_url)
            .map_err(|e| ConfigError::new("DATABASE_URL", e))?;
        let file_key = |key: &str| match &file_path {
            Some(path) => format!("{key} in {}", path.display()),
            None => key.to_owned(),
        };
        let redis_url = match (var("REDIS_URL"), file.redis_url) {
            (Some(text), _) => redis_url_of(&text, "REDIS_URL")?,
            (None, Some(text)) => redis_url_of(&text, &file_key("redis_url"))?,
            // The seed's `REDIS_*` parts, when no URL is given.
            (None, None) => match seed_env::redis_url(&var)? {
                Some(url) => redis_url_of(&url, "REDIS_HOST")?,
                None => None,
            },
        };
        let num = |name: &str| -> Result<Option<u64>, ConfigError> {
            var(name)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| {
                        ConfigError::new(name, format!("expected a whole number, got {v:?}"))
                    })
                })
                .transpose()
        };
        let u32_of = |name: &str| -> Result<Option<u32>, ConfigError> {
            num(name)?
                .map(|n| u32::try_from(n).map_err(|_| ConfigError::new(name, "too large")))
                .transpose()
        };

        let mut database = file.database;
        if let Some(n) = u32_of("DAL_DB_MAX_CONNECTIONS")? {
            database.max_connections = Some(n);
        }
        if let Some(n) = u32_of("DAL_DB_MIN_CONNECTIONS")? {
            database.min_connections = Some(n);
        }
        if let Some(n) = u32_of("DAL_DB_WAL_AUTOCHECKPOINT_PAGES")? {
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
        for (name, slot) in [
            (
                "DAL_DB_MAX_REPLICA_LAG_MS",
                &mut database.max_replica_lag_ms,
            ),
            (
                "DAL_DB_REPLICA_CHECK_INTERVAL_MS",
                &mut database.replica_check_interval_ms,
            ),
        ] {
            if let Some(n) = num(name)? {
                *slot = Some(n);
            }
        }
        if let Some(urls) = &database.replicas {
            DatabaseSection::check_replicas(urls, &file_key("[database] replicas"))?;
        }
        if let Some(text) = env.get(DatabaseSection::REPLICAS_VARIABLE) {
            database.replicas = Some(DatabaseSection::replicas_of(
                text,
                DatabaseSection::REPLICAS_VARIABLE,
            )?);
        }
        if database.replicas.as_ref().is_some_and(|r| !r.is_empty())
            && repository::config::backend_of(&database_url).ok()
                != Some(repository::DbBackend::Postgres)
        {
            return Err(ConfigError::new(
                DatabaseSection::REPLICAS_VARIABLE,
                "read replicas need a PostgreSQL DATABASE_URL",
            )
            .into());
        }
        if database.replica_check_interval_ms == Some(0) {
            return Err(ConfigError::new(
                "database replica_check_interval_ms",
                "must be at least 1",
            )
            .into());
        }
        if database.max_connections == Some(0) {
            return Err(ConfigError::new("database max_connections", "must be at least 1").into());
        }

        let mut cache = CacheSection::default();
        cache.merge_checked(&file.cache, |key| file_key(&format!("[cache] {key}")))?;
        let mut from_env = CacheSection::default();
        for (key, name) in CacheSection::VARIABLES {
            let Some(n) = num(name)? else { continue };
            match key {
                "pool_size" => {
                    from_env.pool_size =
                        Some(usize::try_from(n).map_err(|_| ConfigError::new(name, "too large"))?);
                }
                "command_timeout_ms" => from_env.command_timeout_ms = Some(n),
                "connect_timeout_ms" => from_env.connect_timeout_ms = Some(n),
                _ => from_env.memory_max_capacity_mb = Some(n),
            }
        }
        cache.merge_checked(&from_env, |key| {
            CacheSection::VARIABLES
                .iter()
                .find(|(k, _)| *k == key)
                .map_or_else(|| key.to_owned(), |(_, name)| (*name).to_owned())
        })?;

        let mut chat = file.chat;
        chat.check(|key| file_key(&format!("[chat] {key}")))?;
        for (key, name) in ChatSection::VARIABLES {
            let Some(n) = u32_of(name)? else { continue };
            let one = if key == "keep_days" {
                chat.keep_days = Some(n);
                ChatSection {
                    keep_days: Some(n),
                    ..ChatSection::default()
                }
            } else {
                chat.rate_limit_per_minute = Some(n);
                ChatSection {
                    rate_limit_per_minute: Some(n),
                    ..ChatSection::default()
                }
            };
            one.check(|_| name.to_owned())?;
        }
        let mut docsync = file.docsync;
        docsync.check(|| file_key("[docsync] purge_days"))?;
        if let Some(n) = u32_of(DocsyncSection::PURGE_DAYS_VARIABLE)? {
            docsync.purge_days = Some(n);
            docsync.check(|| DocsyncSection::PURGE_DAYS_VARIABLE.to_owned())?;
        }
        let mut migrate = file.migrate;
        if let Some(text) = var("DAL_MIGRATE_BACKUP_FIRST") {
            migrate.backup_first = Some(bool_of_text("DAL_MIGRATE_BACKUP_FIRST", &text)?);
        }
        let assistant = file.assistant.merged(var, u32_of, file_key)?;
        let maintain = file.maintain.merged(var, file_key)?;
        let vector = {
            let file_vector = file.vector;
            let url = match (var("CHROMA_URL"), file_vector.url) {
                (Some(text), _) => chroma_url_of(&text, "CHROMA_URL")?,
                (None, Some(text)) => chroma_url_of(&text, &file_key("[vector] url"))?,
                (None, None) => None,
            };
            let dimension = match u32_of("DAL_VECTOR_DIMENSION")? {
                Some(n) => (n, "DAL_VECTOR_DIMENSION".to_owned()),
                None => (
                    file_vector.dimension.unwrap_or(DEFAULT_VECTOR_DIMENSION),
                    file_key("[vector] dimension"),
                ),
            };
            if !(1..=MAX_VECTOR_DIMENSION).contains(&dimension.0) {
                return Err(ConfigError::new(
                    dimension.1,
                    format!("must be 1 to {MAX_VECTOR_DIMENSION}"),
                )
                .into());
            }
            let backend = match url {
                None => VectorBackend::Embedded,
                Some(url) => VectorBackend::Chroma {
                    url,
                    tenant: var("CHROMA_TENANT")
                        .or(file_vector.tenant)
                        .unwrap_or_else(|| DEFAULT_CHROMA_TENANT.to_owned()),
                    database: var("CHROMA_DATABASE")
                        .or(file_vector.database)
                        .unwrap_or_else(|| DEFAULT_CHROMA_DATABASE.to_owned()),
                },
            };
            VectorConfig {
                backend,
                dimension: dimension.0,
            }
        };

        Ok(Self {
            database_url,
            redis_url,
            cache_prefix: var("DAL_CACHE_PREFIX").or(file.cache_prefix),
            database,
            cache,
            chat,
            docsync,
            migrate,
            assistant,
            maintain,
            vector,
        })
    }

    /// The cache crate's view: Redis at `redis_url`, else in-process; `cache_prefix` on every
    /// key; the `[cache]` settings over the cache crate's defaults.
    ///
    /// # Errors
    /// An unusable Redis URL or `[cache]` value (a [`ConfigError`]).
    pub fn cache_config(&self) -> Result<CacheConfig> {
        let config = match &self.redis_url {
            Some(url) => {
                CacheConfig::from_url(url).map_err(|e| ConfigError::new("REDIS_URL", e))?
            }
            None => CacheConfig::memory(),
        };
        let config = self
            .cache
            .apply(config)?
            .with_key_prefix(self.cache_prefix.clone().unwrap_or_default());
        config
            .validate()
            .map_err(|e| ConfigError::new("[cache]", e))?;
        Ok(config)
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
        db.replicas = d.replicas.clone().unwrap_or_default();
        if let Some(ms) = d.max_replica_lag_ms {
            db.max_replica_lag = Duration::from_millis(ms);
        }
        if let Some(ms) = d.replica_check_interval_ms {
            db.replica_check_interval = Duration::from_millis(ms);
        }
        db
    }
}
