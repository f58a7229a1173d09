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

mod seed_env;

use anyhow::{Context, Result};
use cache::{CacheConfig, CacheTarget};
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
    /// Where vector collections live, and the dimension of the collections `dal init` creates.
    pub vector: VectorConfig,
}

/// The default dimension of the collections `dal init` creates (all-MiniLM-L6-v2, the
/// sentence-transformers model Chroma embeds with by default).
pub const DEFAULT_VECTOR_DIMENSION: u32 = 384;

/// The largest dimension accepted for the collections `dal init` creates.
pub const MAX_VECTOR_DIMENSION: u32 = 65_536;

/// Chroma's default tenant.
pub const DEFAULT_CHROMA_TENANT: &str = "default_tenant";

/// Chroma's default database.
pub const DEFAULT_CHROMA_DATABASE: &str = "default_database";

/// Where vector collections live.
#[derive(Clone, PartialEq, Eq)]
pub enum VectorBackend {
    /// In the project's own database (`repository::vector::EmbeddedVectorStore`).
    Embedded,
    /// On a Chroma server.
    Chroma {
        /// The server's URL (`http://…` or `https://…`).
        url: String,
        /// The Chroma tenant.
        tenant: String,
        /// The Chroma database within the tenant.
        database: String,
    },
}

impl fmt::Debug for VectorBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Embedded => f.write_str("Embedded"),
            Self::Chroma {
                url,
                tenant,
                database,
            } => f
                .debug_struct("Chroma")
                .field("url", &repository::redact_url(url))
                .field("tenant", tenant)
                .field("database", database)
                .finish(),
        }
    }
}

/// The resolved `[vector]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorConfig {
    /// Where the collections live.
    pub backend: VectorBackend,
    /// Components per embedding of the collections `dal init` creates.
    pub dimension: u32,
}

impl Default for VectorConfig {
    fn default() -> Self {
        Self {
            backend: VectorBackend::Embedded,
            dimension: DEFAULT_VECTOR_DIMENSION,
        }
    }
}

/// `[vector]` of the config file (and `CHROMA_URL`, `CHROMA_TENANT`, `CHROMA_DATABASE`,
/// `DAL_VECTOR_DIMENSION`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorSection {
    /// The Chroma server; unset, empty or `embedded` for the embedded store.
    pub url: Option<String>,
    /// The Chroma tenant (default `default_tenant`).
    pub tenant: Option<String>,
    /// The Chroma database (default `default_database`).
    pub database: Option<String>,
    /// Components per embedding of the collections `dal init` creates (default 384).
    pub dimension: Option<u32>,
}

/// The vector backend `text` names: `None` for the embedded store (`embedded` or empty), else a
/// Chroma URL, which must be `http` or `https`.
pub(crate) fn chroma_url_of(text: &str, name: &str) -> Result<Option<String>, ConfigError> {
    let text = text.trim();
    if text.is_empty() || text == "embedded" {
        return Ok(None);
    }
    let parsed = url::Url::parse(text).map_err(|e| {
        ConfigError::new(
            name,
            format!("not a URL ({e}): {}", repository::redact_url(text)),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ConfigError::new(
            name,
            format!(
                "expected http://host:port or https://…, or `embedded`, got {}",
                repository::redact_url(text)
            ),
        ));
    }
    Ok(Some(text.to_owned()))
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

/// `[cache]` of the config file (and the `DAL_CACHE_*` variables). Unset keys keep the cache
/// crate's defaults ([`CacheConfig::memory`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    /// Multiplexed Redis connections in the pool.
    pub pool_size: Option<usize>,
    /// Milliseconds one Redis command may take, queueing included.
    pub command_timeout_ms: Option<u64>,
    /// Milliseconds to open a Redis connection (and the most `connect` waits at start).
    pub connect_timeout_ms: Option<u64>,
    /// In-process cache: the most MiB kept before entries are evicted.
    pub memory_max_capacity_mb: Option<u64>,
}

impl CacheSection {
    /// The keys with their `DAL_CACHE_*` variable.
    const VARIABLES: [(&'static str, &'static str); 4] = [
        ("pool_size", "DAL_CACHE_POOL_SIZE"),
        ("command_timeout_ms", "DAL_CACHE_COMMAND_TIMEOUT_MS"),
        ("connect_timeout_ms", "DAL_CACHE_CONNECT_TIMEOUT_MS"),
        ("memory_max_capacity_mb", "DAL_CACHE_MEMORY_MAX_CAPACITY_MB"),
    ];

    /// `config` with every key that is set.
    ///
    /// # Errors
    /// A capacity too large to count in bytes, named `memory_max_capacity_mb`.
    fn apply(&self, mut config: CacheConfig) -> Result<CacheConfig, ConfigError> {
        if let Some(n) = self.pool_size {
            config.pool_size = n;
        }
        if let Some(ms) = self.command_timeout_ms {
            config.command_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.connect_timeout_ms {
            config.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(mb) = self.memory_max_capacity_mb {
            config.memory_max_capacity = mb
                .checked_mul(1024 * 1024)
                .ok_or_else(|| ConfigError::new("memory_max_capacity_mb", "too large"))?;
        }
        Ok(config)
    }

    /// Take every key `other` sets, each checked by the cache crate's own rules
    /// ([`CacheConfig::validate`]) and named by `name(key)` when refused.
    fn merge_checked(
        &mut self,
        other: &Self,
        name: impl Fn(&str) -> String,
    ) -> Result<(), ConfigError> {
        let one = |key: &str, section: Self| {
            section
                .apply(CacheConfig::memory())
                .and_then(|config| {
                    config
                        .validate()
                        .map_err(|e| ConfigError::new(key, e.to_string()))
                })
                .map_err(|e| ConfigError::new(name(key), e.reason))
        };
        if let Some(n) = other.pool_size {
            one(
                "pool_size",
                Self {
                    pool_size: Some(n),
                    ..Self::default()
                },
            )?;
            self.pool_size = Some(n);
        }
        if let Some(ms) = other.command_timeout_ms {
            one(
                "command_timeout_ms",
                Self {
                    command_timeout_ms: Some(ms),
                    ..Self::default()
                },
            )?;
            self.command_timeout_ms = Some(ms);
        }
        if let Some(ms) = other.connect_timeout_ms {
            one(
                "connect_timeout_ms",
                Self {
                    connect_timeout_ms: Some(ms),
                    ..Self::default()
                },
            )?;
            self.connect_timeout_ms = Some(ms);
        }
        if let Some(mb) = other.memory_max_capacity_mb {
            one(
                "memory_max_capacity_mb",
                Self {
                    memory_max_capacity_mb: Some(mb),
                    ..Self::default()
                },
            )?;
            self.memory_max_capacity_mb = Some(mb);
        }
        Ok(())
    }
}

/// `[chat]` of the config file (and the `DAL_CHAT_*` variables): seed 001's settings. Unset
/// keys keep the seed's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSection {
    /// Requests one IP address may make per minute (the seed's `RATE_LIMIT_PER_MINUTE`,
    /// default 60), at least 1.
    pub rate_limit_per_minute: Option<u32>,
    /// Days conversations are kept (the seed's `days_to_keep`, default 30), at least 1.
    pub keep_days: Option<u32>,
}

impl ChatSection {
    /// The default of `keep_days`: the seed's `days_to_keep`.
    pub const DEFAULT_KEEP_DAYS: u32 = 30;

    /// The keys with their `DAL_CHAT_*` variable.
    const VARIABLES: [(&'static str, &'static str); 2] = [
        ("rate_limit_per_minute", "DAL_CHAT_RATE_LIMIT_PER_MINUTE"),
        ("keep_days", "DAL_CHAT_KEEP_DAYS"),
    ];

    /// The limit per IP and minute in force.
    #[must_use]
    pub fn rate_limit_per_minute(&self) -> u32 {
        self.rate_limit_per_minute
            .unwrap_or(repository::chat::DEFAULT_RATE_LIMIT_PER_MINUTE)
    }

    /// The days conversations are kept.
    #[must_use]
    pub fn keep_days(&self) -> u32 {
        self.keep_days.unwrap_or(Self::DEFAULT_KEEP_DAYS)
    }

    /// Refuse a 0, naming the key by `name(key)`.
    fn check(&self, name: impl Fn(&str) -> String) -> Result<(), ConfigError> {
        for (key, value) in [
            ("rate_limit_per_minute", self.rate_limit_per_minute),
            ("keep_days", self.keep_days),
        ] {
            if value == Some(0) {
                return Err(ConfigError::new(name(key), "must be at least 1"));
            }
        }
        Ok(())
    }
}

/// `[migrate]` of the config file (and `DAL_MIGRATE_BACKUP_FIRST`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateSection {
    /// Take a backup set (into `./backups`) before `dal migrate` changes a database that has
    /// tables (the seeds' "always backup before migrations"); default off.
    pub backup_first: Option<bool>,
}

impl MigrateSection {
    /// Whether `dal migrate` backs up first.
    #[must_use]
    pub fn backup_first(&self) -> bool {
        self.backup_first.unwrap_or(false)
    }
}

/// `text` as a boolean (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`), naming `name` when it
/// is none of them.
fn bool_of_text(name: &str, text: &str) -> Result<bool, ConfigError> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(name, "must be true or false")),
    }
}

/// `[docsync]` of the config file (and `DAL_DOCSYNC_PURGE_DAYS`): seed 002's settings. Unset
/// keys keep the seed's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocsyncSection {
    /// Days recommendations and developer decisions are kept (the seed's "7-day purge",
    /// default 7), at least 1.
    pub purge_days: Option<u32>,
}

impl DocsyncSection {
    /// The variable that overrides `purge_days`.
    const PURGE_DAYS_VARIABLE: &'static str = "DAL_DOCSYNC_PURGE_DAYS";

    /// The days recommendations and decisions are kept.
    #[must_use]
    pub fn purge_days(&self) -> u32 {
        self.purge_days
            .unwrap_or(repository::docsync::DEFAULT_PURGE_DAYS)
    }

    /// Refuse a 0, naming the key as `name`.
    fn check(&self, name: impl Fn() -> String) -> Result<(), ConfigError> {
        if self.purge_days == Some(0) {
            return Err(ConfigError::new(name(), "must be at least 1"));
        }
        Ok(())
    }
}

/// `[assistant]` of the config file (and the `DAL_ASSISTANT_*` variables): seed 003's retention
/// windows and the logging sink. Unset keys keep the defaults (DESIGN.md: query history 90 days,
/// system logs 30 days, sessions idle, revoked or deleted 30 days; the sink off, at WARN).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistantSection {
    /// Days queries (and their performance metrics) are kept (default 90), at least 1.
    pub query_history_days: Option<u32>,
    /// Days system log records are kept (default 30), at least 1.
    pub system_logs_days: Option<u32>,
    /// Days a session may stay idle, revoked or deleted before it is purged (default 30), at
    /// least 1.
    pub session_days: Option<u32>,
    /// Rows deleted per transaction by the retention jobs (default 1,000), 1 to 10,000.
    pub delete_chunk: Option<u32>,
    /// Write tracing events to `system_logs` (default false).
    pub log_sink: Option<bool>,
    /// The least severe level the sink writes: `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`
    /// (default `WARN`).
    pub log_sink_level: Option<String>,
    /// Records the sink's channel holds before it drops (default 10,000), at least 1.
    pub log_sink_capacity: Option<u32>,
}

impl AssistantSection {
    /// The default of `query_history_days`.
    pub const DEFAULT_QUERY_HISTORY_DAYS: u32 = 90;
    /// The default of `system_logs_days`.
    pub const DEFAULT_SYSTEM_LOGS_DAYS: u32 = 30;
    /// The default of `session_days`.
    pub const DEFAULT_SESSION_DAYS: u32 = 30;
    /// The default of `delete_chunk`.
    pub const DEFAULT_DELETE_CHUNK: u32 = 1_000;

    /// The numeric keys with their `DAL_ASSISTANT_*` variable.
    const VARIABLES: [(&'static str, &'static str); 5] = [
        ("query_history_days", "DAL_ASSISTANT_QUERY_HISTORY_DAYS"),
        ("system_logs_days", "DAL_ASSISTANT_SYSTEM_LOGS_DAYS"),
        ("session_days", "DAL_ASSISTANT_SESSION_DAYS"),
        ("delete_chunk", "DAL_ASSISTANT_DELETE_CHUNK"),
        ("log_sink_capacity", "DAL_ASSISTANT_LOG_SINK_CAPACITY"),
    ];

    /// Days queries are kept.
    #[must_use]
    pub fn query_history_days(&self) -> u32 {
        self.query_history_days
            .unwrap_or(Self::DEFAULT_QUERY_HISTORY_DAYS)
    }

    /// Days log records are kept.
    #[must_use]
    pub fn system_logs_days(&self) -> u32 {
        self.system_logs_days
            .unwrap_or(Self::DEFAULT_SYSTEM_LOGS_DAYS)
    }

    /// Days before a stale session is purged.
    #[must_use]
    pub fn session_days(&self) -> u32 {
        self.session_days.unwrap_or(Self::DEFAULT_SESSION_DAYS)
    }

    /// Rows per retention transaction.
    #[must_use]
    pub fn delete_chunk(&self) -> u32 {
        self.delete_chunk.unwrap_or(Self::DEFAULT_DELETE_CHUNK)
    }

    /// Whether the logging sink is on.
    #[must_use]
    pub fn log_sink(&self) -> bool {
        self.log_sink.unwrap_or(false)
    }

    /// The sink's settings (level and capacity; the default batch size).
    #[must_use]
    pub fn log_sink_settings(&self) -> crate::log_sink::LogSinkSettings {
        let defaults = crate::log_sink::LogSinkSettings::default();
        crate::log_sink::LogSinkSettings {
            min_level: self
                .log_sink_level
                .as_deref()
                .and_then(|l| l.parse().ok())
                .unwrap_or(defaults.min_level),
            capacity: self
                .log_sink_capacity
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(defaults.capacity),
            ..defaults
        }
    }

    /// Refuse out-of-range values, naming the key by `name(key)`.
    fn check(&self, name: impl Fn(&str) -> String) -> Result<(), ConfigError> {
        for (key, value) in [
            ("query_history_days", self.query_history_days),
            ("system_logs_days", self.system_logs_days),
            ("session_days", self.session_days),
            ("log_sink_capacity", self.log_sink_capacity),
        ] {
            if value == Some(0) {
                return Err(ConfigError::new(name(key), "must be at least 1"));
            }
        }
        if let Some(n) = self.delete_chunk
            && !(1..=10_000).contains(&n)
        {
            return Err(ConfigError::new(name("delete_chunk"), "must be 1 to 10000"));
        }
        if let Some(level) = &self.log_sink_level
            && level.parse::<tracing::Level>().is_err()
        {
            return Err(ConfigError::new(
                name("log_sink_level"),
                "must be ERROR, WARN, INFO, DEBUG or TRACE",
            ));
        }
        Ok(())
    }

    /// The file's section checked, then each `DAL_ASSISTANT_*` variable that is set applied
    /// over it and checked (naming the variable).
    fn merged(
        mut self,
        var: impl Fn(&str) -> Option<String>,
        u32_of: impl Fn(&str) -> Result<Option<u32>, ConfigError>,
        file_key: impl Fn(&str) -> String,
    ) -> Result<Self, ConfigError> {
        self.check(|key| file_key(&format!("[assistant] {key}")))?;
        for (key, name) in Self::VARIABLES {
            let Some(n) = u32_of(name)? else { continue };
            let mut one = Self::default();
            let slot = match key {
                "query_history_days" => (&mut self.query_history_days, &mut one.query_history_days),
                "system_logs_days" => (&mut self.system_logs_days, &mut one.system_logs_days),
                "session_days" => (&mut self.session_days, &mut one.session_days),
                "delete_chunk" => (&mut self.delete_chunk, &mut one.delete_chunk),
                _ => (&mut self.log_sink_capacity, &mut one.log_sink_capacity),
            };
            *slot.0 = Some(n);
            *slot.1 = Some(n);
            one.check(|_| name.to_owned())?;
        }
        if let Some(text) = var("DAL_ASSISTANT_LOG_SINK") {
            self.log_sink = Some(bool_of_text("DAL_ASSISTANT_LOG_SINK", &text)?);
        }
        if let Some(level) = var("DAL_ASSISTANT_LOG_SINK_LEVEL") {
            let one = Self {
                log_sink_level: Some(level.clone()),
                ..Self::default()
            };
            one.check(|_| "DAL_ASSISTANT_LOG_SINK_LEVEL".to_owned())?;
            self.log_sink_level = Some(level);
        }
        Ok(self)
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
    fn chat_settings_default_to_the_seed_and_the_environment_wins() {
        let dir = tempfile::tempdir().expect("dir");
        let config = Config::from_sources(dir.path(), &env(&[]), None).expect("defaults");
        assert_eq!(config.chat.rate_limit_per_minute(), 60);
        assert_eq!(config.chat.keep_days(), 30);
        std::fs::write(
            dir.path().join("dal.toml"),
            "[chat]\nrate_limit_per_minute = 10\nkeep_days = 7\n",
        )
        .expect("write");
        let config = Config::from_sources(dir.path(), &env(&[]), None).expect("file");
        assert_eq!(config.chat.rate_limit_per_minute(), 10);
        assert_eq!(config.chat.keep_days(), 7);
        let config = Config::from_sources(
            dir.path(),
            &env(&[("DAL_CHAT_RATE_LIMIT_PER_MINUTE", "120")]),
            None,
        )
        .expect("env");
        assert_eq!(config.chat.rate_limit_per_minute(), 120);
        assert_eq!(config.chat.keep_days(), 7);
        for (name, value) in [
            ("DAL_CHAT_RATE_LIMIT_PER_MINUTE", "0"),
            ("DAL_CHAT_KEEP_DAYS", "0"),
            ("DAL_CHAT_KEEP_DAYS", "soon"),
        ] {
            let err = Config::from_sources(dir.path(), &env(&[(name, value)]), None)
                .expect_err("refused");
            assert!(format!("{err:#}").contains(name), "{err:#}");
        }
        std::fs::write(dir.path().join("dal.toml"), "[chat]\nkeep_days = 0\n").expect("write");
        let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("file 0");
        assert!(format!("{err:#}").contains("[chat] keep_days"), "{err:#}");
    }

    #[test]
    fn docsync_purge_days_default_to_seven_and_the_environment_wins() {
        let dir = tempfile::tempdir().expect("dir");
        let config = Config::from_sources(dir.path(), &env(&[]), None).expect("defaults");
        assert_eq!(config.docsync.purge_days(), 7);
        std::fs::write(dir.path().join("dal.toml"), "[docsync]\npurge_days = 3\n").expect("write");
        let config = Config::from_sources(dir.path(), &env(&[]), None).expect("file");
        assert_eq!(config.docsync.purge_days(), 3);
        let config =
            Config::from_sources(dir.path(), &env(&[("DAL_DOCSYNC_PURGE_DAYS", "14")]), None)
                .expect("env");
        assert_eq!(config.docsync.purge_days(), 14);
        for value in ["0", "a week"] {
            let err =
                Config::from_sources(dir.path(), &env(&[("DAL_DOCSYNC_PURGE_DAYS", value)]), None)
                    .expect_err("refused");
            assert!(
                format!("{err:#}").contains("DAL_DOCSYNC_PURGE_DAYS"),
                "{err:#}"
            );
        }
        std::fs::write(dir.path().join("dal.toml"), "[docsync]\npurge_days = 0\n").expect("write");
        let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("file 0");
        assert!(
            format!("{err:#}").contains("[docsync] purge_days"),
            "{err:#}"
        );
        std::fs::write(dir.path().join("dal.toml"), "[docsync]\nkeep = 1\n").expect("write");
        assert!(Config::from_sources(dir.path(), &env(&[]), None).is_err());
    }

    #[test]
    fn assistant_settings_default_to_the_design_and_the_environment_wins() {
        let dir = tempfile::tempdir().expect("dir");
        let config = Config::from_sources(dir.path(), &env(&[]), None).expect("defaults");
        let a = &config.assistant;
        assert_eq!(
            (
                a.query_history_days(),
                a.system_logs_days(),
                a.session_days()
            ),
            (90, 30, 30)
        );
        assert_eq!(a.delete_chunk(), 1_000);
        assert!(!a.log_sink());
        assert_eq!(a.log_sink_settings().min_level, tracing::Level::WARN);
        std::fs::write(
            dir.path().join("dal.toml"),
            "[assistant]\nquery_history_days = 120\nlog_sink = true\nlog_sink_level = \"ERROR\"\n",
        )
        .expect("write");
        let config = Config::from_sources(dir.path(), &env(&[]), None).expect("file");
        assert_eq!(config.assistant.query_history_days(), 120);
        assert!(config.assistant.log_sink());
        assert_eq!(
            config.assistant.log_sink_settings().min_level,
            tracing::Level::ERROR
        );
        let config = Config::from_sources(
            dir.path(),
            &env(&[
                ("DAL_ASSISTANT_SESSION_DAYS", "7"),
                ("DAL_ASSISTANT_LOG_SINK", "false"),
                ("DAL_ASSISTANT_LOG_SINK_CAPACITY", "50"),
            ]),
            None,
        )
        .expect("env");
        assert_eq!(config.assistant.session_days(), 7);
        assert_eq!(config.assistant.query_history_days(), 120);
        assert!(!config.assistant.log_sink());
        assert_eq!(config.assistant.log_sink_settings().capacity, 50);
        for (name, value) in [
            ("DAL_ASSISTANT_QUERY_HISTORY_DAYS", "0"),
            ("DAL_ASSISTANT_DELETE_CHUNK", "10001"),
            ("DAL_ASSISTANT_LOG_SINK", "maybe"),
            ("DAL_ASSISTANT_LOG_SINK_LEVEL", "loud"),
        ] {
            let err = Config::from_sources(dir.path(), &env(&[(name, value)]), None)
                .expect_err("refused");
            assert!(format!("{err:#}").contains(name), "{err:#}");
        }
        std::fs::write(
            dir.path().join("dal.toml"),
            "[assistant]\nsession_days = 0\n",
        )
        .expect("write");
        let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("file 0");
        assert!(
            format!("{err:#}").contains("[assistant] session_days"),
            "{err:#}"
        );
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
    fn the_seed_environment_builds_urls_only_when_none_is_given() {
        let seed = [
            ("POSTGRES_HOST", "db.internal"),
            ("POSTGRES_PORT", "5433"),
            ("POSTGRES_DB", "ai_company_db"),
            ("POSTGRES_USER", "postgres"),
            ("POSTGRES_PASSWORD", "pa:ss@word#1"),
            ("REDIS_HOST", "cache.internal"),
            ("REDIS_PORT", "6380"),
            ("REDIS_PASSWORD", "r3dis/pw"),
            ("REDIS_DB", "3"),
            ("REDIS_SSL", "true"),
        ];
        let dir = tempfile::tempdir().expect("dir");
        let built = Config::from_sources(dir.path(), &env(&seed), None).expect("config");
        assert_eq!(
            built.database_url,
            "postgres://postgres:pa%3Ass%40word%231@db.internal:5433/ai_company_db"
        );
        assert_eq!(
            built.redis_url.as_deref(),
            Some("rediss://:r3dis%2Fpw@cache.internal:6380/3")
        );
        assert!(built.cache_config().is_ok());
        let shown = format!("{built:?}");
        for secret in ["pa%3Ass", "pa:ss", "r3dis"] {
            assert!(!shown.contains(secret), "{shown}");
        }

        // Explicit URLs win: the variables…
        let mut explicit = seed.to_vec();
        explicit.extend([
            ("DATABASE_URL", "postgres://env@db/explicit"),
            ("REDIS_URL", "memory"),
        ]);
        let config = Config::from_sources(dir.path(), &env(&explicit), None).expect("config");
        assert_eq!(config.database_url, "postgres://env@db/explicit");
        assert_eq!(config.redis_url, None);

        // …and the config file's keys.
        std::fs::write(
            dir.path().join("dal.toml"),
            "database_url = \"postgres://file@db/x\"\nredis_url = \"redis://file:6379\"\n",
        )
        .expect("write");
        let config = Config::from_sources(dir.path(), &env(&seed), None).expect("config");
        assert_eq!(config.database_url, "postgres://file@db/x");
        assert_eq!(config.redis_url.as_deref(), Some("redis://file:6379"));
        std::fs::remove_file(dir.path().join("dal.toml")).expect("rm");

        // The seed's `.env` (with an empty REDIS_PASSWORD) works from the file too.
        std::fs::write(
            dir.path().join(".env"),
            "POSTGRES_HOST=localhost\nPOSTGRES_DB=ai_company_db\nPOSTGRES_USER=postgres\n\
             POSTGRES_PASSWORD=yourpassword\nREDIS_HOST=localhost\nREDIS_PORT=6379\n\
             REDIS_PASSWORD=\nREDIS_DB=0\nREDIS_SSL=false\n",
        )
        .expect("write");
        let config = Config::load_with_env(dir.path(), &env(&[]), None).expect("config");
        assert_eq!(
            config.database_url,
            "postgres://postgres:yourpassword@localhost:5432/ai_company_db"
        );
        assert_eq!(
            config.redis_url.as_deref(),
            Some("redis://localhost:6379/0")
        );

        // A bad part is named, and the password is nowhere in the message.
        let err = Config::from_sources(
            Path::new("/x"),
            &env(&[("POSTGRES_PORT", "five"), ("POSTGRES_PASSWORD", "s3cret")]),
            None,
        )
        .expect_err("refused");
        assert_eq!(named(&err).name, "POSTGRES_PORT");
        assert!(!format!("{err:#}").contains("s3cret"), "{err:#}");
        let err = Config::from_sources(
            Path::new("/x"),
            &env(&[
                ("REDIS_HOST", "h"),
                ("REDIS_SSL", "sometimes"),
                ("REDIS_PASSWORD", "s3cret"),
            ]),
            None,
        )
        .expect_err("refused");
        assert_eq!(named(&err).name, "REDIS_SSL");
        assert!(!format!("{err:#}").contains("s3cret"), "{err:#}");
    }

    /// The `ConfigError` inside `err`, which must be one.
    fn named(err: &anyhow::Error) -> &ConfigError {
        err.downcast_ref::<ConfigError>()
            .unwrap_or_else(|| panic!("not a ConfigError: {err:#}"))
    }

    #[test]
    fn cache_settings_defaults_file_dotenv_environment() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = |vars: &[(&str, &str)]| {
            Config::load_with_env(dir.path(), &env(vars), None)
                .expect("config")
                .cache_config()
                .expect("cache config")
        };

        // Defaults: the cache crate's.
        let defaults = cache(&[]);
        assert_eq!(defaults.pool_size, CacheConfig::DEFAULT_POOL_SIZE);
        assert_eq!(
            defaults.command_timeout,
            CacheConfig::DEFAULT_COMMAND_TIMEOUT
        );
        assert_eq!(
            defaults.connect_timeout,
            CacheConfig::DEFAULT_CONNECT_TIMEOUT
        );
        assert_eq!(
            defaults.memory_max_capacity,
            CacheConfig::DEFAULT_MEMORY_MAX_CAPACITY
        );

        // dal.toml beats the defaults.
        std::fs::write(
            dir.path().join("dal.toml"),
            "redis_url = \"rediss-cluster://file:7000\"\n[cache]\npool_size = 4\ncommand_timeout_ms = 1500\nconnect_timeout_ms = 2500\nmemory_max_capacity_mb = 16\n",
        )
        .expect("write");
        let file = cache(&[]);
        assert_eq!(
            file.target,
            CacheTarget::Redis("rediss-cluster://file:7000".into())
        );
        assert_eq!(file.pool_size, 4);
        assert_eq!(file.command_timeout, Duration::from_millis(1500));
        assert_eq!(file.connect_timeout, Duration::from_millis(2500));
        assert_eq!(file.memory_max_capacity, 16 * 1024 * 1024);

        // .env beats dal.toml, key by key.
        std::fs::write(
            dir.path().join(".env"),
            "DAL_CACHE_POOL_SIZE=5\nDAL_CACHE_COMMAND_TIMEOUT_MS=1600\nREDIS_URL=valkey://dotenv:6379\n",
        )
        .expect("write");
        let dotenv = cache(&[]);
        assert_eq!(
            dotenv.target,
            CacheTarget::Redis("valkey://dotenv:6379".into())
        );
        assert_eq!(dotenv.pool_size, 5);
        assert_eq!(dotenv.command_timeout, Duration::from_millis(1600));
        assert_eq!(dotenv.connect_timeout, Duration::from_millis(2500));

        // The environment beats .env.
        let environment = cache(&[
            ("DAL_CACHE_POOL_SIZE", "6"),
            ("DAL_CACHE_CONNECT_TIMEOUT_MS", "700"),
            ("DAL_CACHE_MEMORY_MAX_CAPACITY_MB", "1"),
            ("REDIS_URL", "memory"),
        ]);
        assert_eq!(environment.target, CacheTarget::Memory);
        assert_eq!(environment.pool_size, 6);
        assert_eq!(environment.command_timeout, Duration::from_millis(1600));
        assert_eq!(environment.connect_timeout, Duration::from_millis(700));
        assert_eq!(environment.memory_max_capacity, 1024 * 1024);
    }

    #[test]
    fn redis_url_takes_every_scheme_of_the_cache_crate() {
        for scheme in cache::REDIS_URL_SCHEMES {
            let url = format!("{scheme}://127.0.0.1:6379");
            let config = Config::from_sources(Path::new("/x"), &env(&[("REDIS_URL", &url)]), None)
                .expect("accepted");
            assert_eq!(config.redis_url.as_deref(), Some(url.as_str()));
            assert!(config.cache_config().is_ok());
        }
        for text in ["http://u:s3cret@h", "redis://u:pa#ss@h:6379"] {
            let err = Config::from_sources(Path::new("/x"), &env(&[("REDIS_URL", text)]), None)
                .expect_err("refused");
            assert_eq!(named(&err).name, "REDIS_URL");
            let shown = format!("{err:#}");
            assert!(
                !shown.contains("s3cret") && !shown.contains("pa#ss"),
                "{shown}"
            );
        }
    }

    #[test]
    fn bad_cache_values_are_named() {
        for (name, value) in [
            ("DAL_CACHE_POOL_SIZE", "0"),
            ("DAL_CACHE_POOL_SIZE", "1000"),
            ("DAL_CACHE_POOL_SIZE", "many"),
            ("DAL_CACHE_COMMAND_TIMEOUT_MS", "0"),
            ("DAL_CACHE_COMMAND_TIMEOUT_MS", "-5"),
            ("DAL_CACHE_CONNECT_TIMEOUT_MS", "0"),
            ("DAL_CACHE_MEMORY_MAX_CAPACITY_MB", "0"),
            ("DAL_CACHE_MEMORY_MAX_CAPACITY_MB", "99999999999999999"),
        ] {
            let err = Config::from_sources(Path::new("/x"), &env(&[(name, value)]), None)
                .expect_err("refused");
            assert_eq!(named(&err).name, name, "{err:#}");
            // The cause is printed once.
            let shown = format!("{err:#}");
            assert_eq!(shown.matches(name).count(), 1, "{shown}");
        }

        let dir = tempfile::tempdir().expect("dir");
        let toml = dir.path().join("dal.toml");
        std::fs::write(&toml, "[cache]\npool_size = 0\n").expect("write");
        let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
        assert_eq!(
            named(&err).name,
            format!("[cache] pool_size in {}", toml.display())
        );
        // The environment is checked on its own: a good variable does not hide a bad file.
        let err = Config::from_sources(dir.path(), &env(&[("DAL_CACHE_POOL_SIZE", "3")]), None)
            .expect_err("refused");
        assert!(named(&err).name.starts_with("[cache] pool_size"));
        std::fs::write(&toml, "[cache]\npool_size = \"big\"\n").expect("write");
        let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
        assert!(format!("{err:#}").contains("pool_size"), "{err:#}");
        std::fs::write(&toml, "[cache]\npool_sise = 3\n").expect("write");
        let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
        assert!(format!("{err:#}").contains("pool_sise"), "{err:#}");
    }

    #[test]
    fn vector_defaults_file_and_environment() {
        let config = Config::from_sources(Path::new("/x"), &env(&[]), None).expect("config");
        assert_eq!(config.vector, VectorConfig::default());
        assert_eq!(config.vector.dimension, 384);

        let dir = tempfile::tempdir().expect("dir");
        let toml = dir.path().join("dal.toml");
        std::fs::write(
            &toml,
            "[vector]\nurl = \"http://chroma.internal:8000\"\ntenant = \"t\"\ndimension = 768\n",
        )
        .expect("write");
        let file = Config::from_sources(dir.path(), &env(&[]), None).expect("config");
        assert_eq!(
            file.vector.backend,
            VectorBackend::Chroma {
                url: "http://chroma.internal:8000".into(),
                tenant: "t".into(),
                database: DEFAULT_CHROMA_DATABASE.into(),
            }
        );
        assert_eq!(file.vector.dimension, 768);

        let environment = Config::from_sources(
            dir.path(),
            &env(&[
                ("CHROMA_URL", "https://u:s3cret@chroma.example:443"),
                ("CHROMA_DATABASE", "db"),
                ("DAL_VECTOR_DIMENSION", "16"),
            ]),
            None,
        )
        .expect("config");
        assert!(matches!(
            &environment.vector.backend,
            VectorBackend::Chroma { tenant, database, .. } if tenant == "t" && database == "db"
        ));
        assert_eq!(environment.vector.dimension, 16);
        assert!(
            !format!("{environment:?}").contains("s3cret"),
            "Debug redacts"
        );

        let embedded = Config::from_sources(dir.path(), &env(&[("CHROMA_URL", "embedded")]), None)
            .expect("config");
        assert_eq!(embedded.vector.backend, VectorBackend::Embedded);

        for (name, value) in [
            ("CHROMA_URL", "redis://h:6379"),
            ("CHROMA_URL", "not a url"),
            ("DAL_VECTOR_DIMENSION", "0"),
            ("DAL_VECTOR_DIMENSION", "many"),
        ] {
            let err = Config::from_sources(dir.path(), &env(&[(name, value)]), None)
                .expect_err("refused");
            assert_eq!(named(&err).name, name, "{err:#}");
        }
        std::fs::write(&toml, "[vector]\ndimension = 0\n").expect("write");
        let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
        assert!(
            named(&err).name.starts_with("[vector] dimension"),
            "{err:#}"
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
