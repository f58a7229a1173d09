#![doc = include_str!("../README.md")]

pub mod audit;
pub mod backup;
mod bench;
pub mod cli;
pub mod config;
pub mod copy;
pub mod docsync;
pub mod log_sink;
pub mod maintenance;
pub mod migrate;
pub mod progress;
pub mod status;
pub mod vector;

use std::sync::Arc;

use anyhow::{Context, Result};
use cache::CacheManager;
use repository::DatabaseManager;
use repository::vector::VectorStore;
use sea_orm::DatabaseConnection;

pub use config::Config;

/// The composition root: the database pool, the cache and the vector store, built from a
/// [`Config`]; repositories are built on [`App::conn`].
pub struct App {
    /// The resolved configuration.
    pub config: Config,
    /// The database manager (owns the pool).
    pub db: Arc<DatabaseManager>,
    /// A handle on the primary's pool, for repositories and migrations: every statement on it
    /// runs on the primary.
    pub conn: DatabaseConnection,
    /// The primary and its read replicas (`DATABASE_REPLICA_URLS`): a repository built on it
    /// writes on the primary and sends its replica-safe reads (listings, analytics) to a
    /// healthy replica; [`repository::DbRouter::on_primary`] for read-your-writes. Without
    /// replicas it is the primary.
    pub router: repository::DbRouter,
    /// The cache: Redis when `REDIS_URL` is set, else in-process.
    pub cache: CacheManager,
    /// Vector collections: on a Chroma server when `CHROMA_URL` is set, else in the database
    /// (over [`App::conn`]).
    pub vector: Arc<dyn VectorStore>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Connect to the configured database, start the cache and build the vector store.
    ///
    /// # Errors
    /// When the database cannot be reached, or the cache or vector configuration is unusable.
    pub async fn connect(config: Config) -> Result<Self> {
        let db_config = config.db_config();
        let db = DatabaseManager::connect_with(db_config.clone())
            .await
            .with_context(|| format!("connecting to {}", db_config.redacted_url()))?;
        let router = db.router().await?;
        let conn = router.primary().clone();
        // Never fails because Redis is down: calls then fail fast and the pool keeps reconnecting.
        let cache = CacheManager::connect(config.cache_config()?)
            .await
            .context("starting the cache")?;
        let vector = vector::store(&config, &conn)?;
        Ok(Self {
            config,
            db: Arc::new(db),
            conn,
            router,
            cache,
            vector,
        })
    }

    /// Close the cache and the pool.
    ///
    /// # Errors
    /// When closing fails.
    pub async fn close(self) -> Result<()> {
        if let Err(err) = self.cache.disconnect().await {
            tracing::warn!(error = %err, "closing the cache failed");
        }
        self.db
            .disconnect()
            .await
            .context("closing the database pool")
    }
}

/// Create the configured database when it does not exist yet: the SQLite file (owner-only)
/// happens on connect; a PostgreSQL database is created through the server's `postgres` database.
///
/// # Errors
/// When the server cannot be reached or the database cannot be created.
pub async fn create_database_if_missing(config: &Config) -> Result<()> {
    if repository::config::backend_of(&config.database_url)? != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    create_postgres_database_if_missing(&config.database_url).await
}

/// Create the PostgreSQL database `database_url` names when it does not exist yet, through the
/// server's `postgres` database.
///
/// # Errors
/// When `database_url` is not a URL, the server cannot be reached or the database cannot be
/// created.
pub async fn create_postgres_database_if_missing(database_url: &str) -> Result<()> {
    use sea_orm::ConnectionTrait;
    let mut url = url::Url::parse(database_url).context("the database URL is not a URL")?;
    let name = url.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return Ok(());
    }
    match sea_orm::Database::connect(database_url).await {
        Ok(conn) => {
            conn.close().await.ok();
            return Ok(());
        }
        Err(err) if !err.to_string().contains("does not exist") => {
            return Err(err).with_context(|| {
                format!("connecting to {}", repository::redact_url(database_url))
            });
        }
        Err(_) => {}
    }
    url.set_path("/postgres");
    let admin = sea_orm::Database::connect(url.as_str())
        .await
        .with_context(|| {
            format!(
                "connecting to {} to create database {name}",
                repository::redact_url(url.as_str())
            )
        })?;
    // An identifier cannot be a bound parameter; quote it as one.
    let quoted = quoted_identifier(&name);
    admin
        .execute_unprepared(&format!("CREATE DATABASE {quoted}"))
        .await
        .with_context(|| format!("creating database {name}"))?;
    admin.close().await.ok();
    tracing::info!(db.name = %name, "database created");
    Ok(())
}

// The workspace README's examples, compiled as doc tests (with `repository`'s `mock` feature, as a
// downstream crate's tests have it) so that they cannot drift from the API; they name only
// `repository::…` and `cache::…` paths (checked by a test in `repository`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod workspace_readme {}

/// `name` as a double-quoted SQL identifier (embedded quotes doubled), for the names SQL cannot
/// bind: tables and columns read from the catalogue, a database to create.
pub(crate) fn quoted_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
