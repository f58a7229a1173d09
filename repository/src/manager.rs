//! [`DatabaseManager`]: the seed's six operations over a pooled SeaORM connection.

use std::sync::Arc;
use std::time::Instant;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, FromQueryResult,
    JsonValue, QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    Value,
};
use tokio::sync::RwLock;
use tracing::instrument;

use crate::config::DbConfig;
use crate::error::{Error, Result};
use crate::replica::{DbRouter, NodeStatus, Reader};

/// One SQL statement with its bound parameters, for [`DatabaseManager::execute_transaction`].
///
/// Write placeholders as `$1, $2, …`: both PostgreSQL and SQLite bind them by number.
#[derive(Debug, Clone)]
pub struct Query {
    /// The SQL text. Never build it from input: put input in `params`.
    pub sql: String,
    /// Values bound to `$1, $2, …` in order.
    pub params: Vec<Value>,
}

impl Query {
    /// A statement with its parameters.
    pub fn new(sql: impl Into<String>, params: impl IntoIterator<Item = Value>) -> Self {
        Self {
            sql: sql.into(),
            params: params.into_iter().collect(),
        }
    }
}

/// Owns the connection pool and runs raw, parameterised SQL (seed 000's `DatabaseManager`).
///
/// Repositories take the [`DatabaseConnection`] it hands out (or a transaction begun on it).
/// SQLite connections are opened in WAL mode with `synchronous=NORMAL`, foreign keys on and a busy
/// timeout (its waits short sleeps that grow from 25 µs, not SQLite's 1–100 ms), each of them, and
/// the database file is created readable by its owner only.
///
/// The process's first SQLite connection also switches SQLite's memory statistics off, which
/// SQLite allows only while no other thread is using SQLite: an application that also reaches
/// SQLite through other code (another library, sqlx directly) connects its first SQLite
/// `DatabaseManager` before that code starts.
///
/// With read replicas configured ([`DbConfig::replicas`], PostgreSQL), the manager also holds a
/// [`DbRouter`] over the primary and the replicas ([`DatabaseManager::router`]): this
/// manager's own statements (`execute`, `fetch_*`, transactions) run on the primary, as does
/// every store built on [`DatabaseManager::connection`]; stores built on the router send their
/// replica-safe reads to a healthy replica.
pub struct DatabaseManager {
    config: DbConfig,
    router: RwLock<Option<DbRouter>>,
}

impl std::fmt::Debug for DatabaseManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseManager")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl DatabaseManager {
    /// A manager for `config`, not yet connected.
    #[must_use]
    pub fn new(config: DbConfig) -> Self {
        Self {
            config,
            router: RwLock::new(None),
        }
    }

    /// Build a manager and connect it.
    ///
    /// # Errors
    /// As [`DatabaseManager::connect`].
    pub async fn connect_with(config: DbConfig) -> Result<Self> {
        let manager = Self::new(config);
        manager.connect().await?;
        Ok(manager)
    }

    /// The configuration this manager was built with.
    #[must_use]
    pub fn config(&self) -> &DbConfig {
        &self.config
    }

    /// Open the pool (a no-op when already connected). For SQLite, creates the file (and its
    /// directory) if missing, with owner-only permissions.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable URL, [`Error::Db`] when the database cannot be reached.
    #[instrument(skip_all, fields(db.backend))]
    pub async fn connect(&self) -> Result<()> {
        let mut guard = self.router.write().await;
        if guard.is_some() {
            return Ok(());
        }
        let backend = self.config.backend()?;
        tracing::Span::current().record("db.backend", tracing::field::debug(backend));
        if backend == DbBackend::Sqlite
            && let Some(path) = self.config.sqlite_path()
        {
            create_private_file(&path)?;
        }
        if backend == DbBackend::Sqlite {
            crate::sqlite_tuning::configure();
        }
        let started = Instant::now();
        if backend == DbBackend::Postgres {
            let timeout = self
                .config
                .connect_timeout
                .min(crate::config::REACH_TIMEOUT);
            crate::config::probe_postgres(&self.config.url, timeout).await?;
        }
        let conn = Database::connect(connect_options(&self.config, backend)).await?;
        tracing::info!(
            db.url = %self.config.redacted_url(),
            duration_ms = started.elapsed().as_millis() as u64,
            "database connected"
        );
        let router = DbRouter::connect(conn, &self.config).await?;
        if router.replica_count() > 0 {
            tracing::info!(
                db.replicas = router.replica_count(),
                "read replicas configured"
            );
        }
        *guard = Some(router);
        Ok(())
    }

    /// Close every pooled connection. Later calls fail with [`Error::NotConnected`] until
    /// [`DatabaseManager::connect`] is called again.
    ///
    /// # Errors
    /// [`Error::Db`] if closing fails.
    #[instrument(skip_all)]
    pub async fn disconnect(&self) -> Result<()> {
        if let Some(router) = self.router.write().await.take() {
            router.close().await?;
        }
        Ok(())
    }

    /// A handle on the primary's pool (cheap to clone) for repositories and transactions.
    /// Every statement on it, reads included, runs on the primary.
    ///
    /// # Errors
    /// [`Error::NotConnected`] before `connect` or after `disconnect`.
    pub async fn connection(&self) -> Result<DatabaseConnection> {
        Ok(self.router().await?.primary().clone())
    }

    /// The router over the primary and the read replicas (cheap to clone): a store built on
    /// it writes on the primary and sends its replica-safe reads to a healthy replica; without
    /// replicas it is the primary.
    ///
    /// ```no_run
    /// # async fn example(manager: &repository::DatabaseManager) -> repository::Result<()> {
    /// use repository::knowledge::ContentStore;
    /// let router = manager.router().await?;
    /// let listings = ContentStore::new(router.clone()); // listings may read a replica
    /// let fresh = ContentStore::new(router.on_primary()); // read-your-writes
    /// # let _ = (listings, fresh);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotConnected`] before `connect` or after `disconnect`.
    pub async fn router(&self) -> Result<DbRouter> {
        self.router.read().await.clone().ok_or(Error::NotConnected)
    }

    /// A connection for one replica-safe read: a healthy replica, else the primary.
    ///
    /// # Errors
    /// [`Error::NotConnected`] before `connect` or after `disconnect`.
    pub async fn reader(&self) -> Result<Reader> {
        Ok(self.router().await?.reader())
    }

    /// The primary and every replica: role, reachable, lag, pool.
    ///
    /// # Errors
    /// [`Error::NotConnected`] before `connect` or after `disconnect`.
    pub async fn nodes(&self) -> Result<Vec<NodeStatus>> {
        Ok(self.router().await?.nodes().await)
    }

    /// The database's health: a timed round trip, the pool's use, storage sizes and, on
    /// PostgreSQL, unused indexes and the slowest statements ([`crate::health`]).
    ///
    /// # Errors
    /// [`Error::NotConnected`] before `connect`; [`Error::Db`] when the database does not answer.
    pub async fn health(&self) -> Result<crate::health::DbHealth> {
        crate::health::health(&self.connection().await?, &self.config).await
    }

    /// The backend of the configured URL.
    ///
    /// # Errors
    /// [`Error::Config`] for an unsupported URL.
    pub fn backend(&self) -> Result<DbBackend> {
        self.config.backend()
    }

    /// Run one statement; returns the number of rows it affected.
    ///
    /// # Errors
    /// [`Error::Conflict`] for unique and foreign-key violations, [`Error::Db`] otherwise.
    #[instrument(skip_all, fields(db.params = params.len()))]
    pub async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64> {
        let conn = self.connection().await?;
        let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, params);
        Ok(conn.execute_raw(stmt).await?.rows_affected())
    }

    /// The first row of a query as a JSON object (`None` when there is none).
    ///
    /// # Errors
    /// [`Error::Db`].
    #[instrument(skip_all, fields(db.params = params.len()))]
    pub async fn fetch_one(&self, sql: &str, params: Vec<Value>) -> Result<Option<JsonValue>> {
        let conn = self.connection().await?;
        let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, params);
        conn.query_one_raw(stmt)
            .await?
            .map(|row| row_to_json(&row))
            .transpose()
    }

    /// Every row of a query as JSON objects.
    ///
    /// # Errors
    /// [`Error::Db`].
    #[instrument(skip_all, fields(db.params = params.len()))]
    pub async fn fetch_all(&self, sql: &str, params: Vec<Value>) -> Result<Vec<JsonValue>> {
        let conn = self.connection().await?;
        let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, params);
        conn.query_all_raw(stmt)
            .await?
            .iter()
            .map(row_to_json)
            .collect()
    }

    /// The first row of a query decoded into `T` (any [`FromQueryResult`], e.g. an entity
    /// `Model` or a `#[derive(FromQueryResult)]` struct).
    ///
    /// # Errors
    /// [`Error::Db`], including when a column does not decode into `T`.
    pub async fn fetch_one_as<T: FromQueryResult>(
        &self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Option<T>> {
        let conn = self.connection().await?;
        let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, params);
        Ok(T::find_by_statement(stmt).one(&conn).await?)
    }

    /// Every row of a query decoded into `T`.
    ///
    /// # Errors
    /// [`Error::Db`], including when a column does not decode into `T`.
    pub async fn fetch_all_as<T: FromQueryResult>(
        &self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<T>> {
        let conn = self.connection().await?;
        let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, params);
        Ok(T::find_by_statement(stmt).all(&conn).await?)
    }

    /// Raw rows, for callers that read columns themselves with `try_get`.
    ///
    /// # Errors
    /// [`Error::Db`].
    pub async fn query_raw(&self, sql: &str, params: Vec<Value>) -> Result<Vec<QueryResult>> {
        let conn = self.connection().await?;
        let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, params);
        Ok(conn.query_all_raw(stmt).await?)
    }

    /// Refresh the query planner's statistics (`ANALYZE` on both backends), as maintenance does
    /// after bulk loads so that indexed queries keep their plans.
    ///
    /// # Errors
    /// [`Error::Db`].
    #[instrument(skip_all)]
    pub async fn analyze(&self) -> Result<()> {
        let conn = self.connection().await?;
        conn.execute_unprepared("ANALYZE").await?;
        Ok(())
    }

    /// Run every statement in one transaction: all of them take effect, or none does.
    /// Returns the rows each statement affected.
    ///
    /// # Errors
    /// The first statement's error; the transaction is rolled back and nothing persists.
    #[instrument(skip_all, fields(db.statements = queries.len()))]
    pub async fn execute_transaction(&self, queries: Vec<Query>) -> Result<Vec<u64>> {
        let conn = self.connection().await?;
        let txn = begin_write(&conn).await?;
        let backend = txn.get_database_backend();
        let mut affected = Vec::with_capacity(queries.len());
        for (i, query) in queries.into_iter().enumerate() {
            let stmt = Statement::from_sql_and_values(backend, query.sql, query.params);
            match txn.execute_raw(stmt).await {
                Ok(res) => affected.push(res.rows_affected()),
                Err(err) => {
                    tracing::warn!(
                        db.statement_index = i,
                        "transaction statement failed; rolling back"
                    );
                    txn.rollback().await?;
                    return Err(err.into());
                }
            }
        }
        txn.commit().await?;
        Ok(affected)
    }
}

/// A row as a JSON object keyed by column name.
///
/// SeaORM types each value by the column's declared type; an SQLite expression column (`count(*)`,
/// `1 + $1`) has none, so its values are typed here by what they hold: integer, real, text, or
/// bytes (as an array of numbers).
fn row_to_json(row: &QueryResult) -> Result<JsonValue> {
    let mut json = JsonValue::from_query_result(row, "")?;
    if let JsonValue::Object(map) = &mut json {
        for (i, name) in row.column_names().into_iter().enumerate() {
            let slot = map.entry(name).or_insert(JsonValue::Null);
            if slot.is_null() {
                *slot = probe_value(row, i);
            }
        }
    }
    Ok(json)
}

fn probe_value(row: &QueryResult, i: usize) -> JsonValue {
    if let Ok(Some(n)) = row.try_get_by_index::<Option<i64>>(i) {
        return n.into();
    }
    if let Ok(Some(x)) = row.try_get_by_index::<Option<f64>>(i) {
        return x.into();
    }
    if let Ok(Some(s)) = row.try_get_by_index::<Option<String>>(i) {
        return s.into();
    }
    if let Ok(Some(bytes)) = row.try_get_by_index::<Option<Vec<u8>>>(i) {
        return bytes.into();
    }
    JsonValue::Null
}

/// Begin a transaction that will write: `BEGIN IMMEDIATE` on SQLite, so that two writers queue
/// on the busy timeout instead of failing on lock upgrade; a plain `BEGIN` elsewhere.
///
/// # Errors
/// [`Error::Db`] when the transaction cannot begin.
pub async fn begin_write<C: TransactionTrait>(conn: &C) -> Result<C::Transaction>
where
    C::Transaction: Send,
{
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(conn.begin_with_options(options).await?)
}

/// The SeaORM options for `config` on `backend`, with the per-connection SQLite pragmas.
pub(crate) fn connect_options(config: &DbConfig, backend: DbBackend) -> ConnectOptions {
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(config.max_connections_or_default())
        .min_connections(config.min_connections)
        .connect_timeout(config.connect_timeout)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(config.idle_timeout)
        .max_lifetime(config.max_lifetime)
        .sqlx_logging(config.log_statements)
        .sqlx_logging_level(tracing::log::LevelFilter::Debug);
    if let Some(timeout) = config.statement_timeout {
        options.statement_timeout(timeout);
    }
    if backend == DbBackend::Postgres {
        let url = config.url.clone();
        options.map_sqlx_postgres_opts(move |opts| crate::config::postgres_tls_rule(opts, &url));
    }
    let busy_timeout = config.busy_timeout;
    let wal_autocheckpoint = config.wal_autocheckpoint_pages;
    options.map_sqlx_sqlite_opts(move |opts| {
        opts.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy_timeout)
            .create_if_missing(true)
            .pragma("journal_size_limit", "67108864")
            .pragma("wal_autocheckpoint", wal_autocheckpoint.to_string())
    });
    // Short sleeps while another writer holds the lock (see sqlite_tuning::busy_handler).
    options.map_sqlx_sqlite_pool_opts(move |pool| {
        pool.after_connect(move |conn, _meta| {
            Box::pin(crate::sqlite_tuning::install_busy_handler(
                conn,
                busy_timeout,
            ))
        })
    });
    options
}

/// Create `path` (and its directory) if missing, readable and writable by its owner only.
fn create_private_file(path: &std::path::Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Config(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    open.open(path).map(drop).map_err(|e| {
        Error::Config(format!(
            "cannot create database file {}: {e}",
            path.display()
        ))
    })
}

/// Shared ownership of a manager, as the application holds it.
pub type SharedDatabaseManager = Arc<DatabaseManager>;
