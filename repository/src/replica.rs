//! PostgreSQL read replicas: [`DbRouter`] sends writes and transactions to the primary and the
//! reads a repository marks as replica-safe to a healthy replica.
//!
//! - [`DbRouter`] is a cloneable handle that implements [`ConnectionTrait`] and
//!   [`TransactionTrait`] by delegating to the primary, so every store built on it works as on a
//!   plain `DatabaseConnection`, and every write and transaction runs on the primary.
//! - A replica-safe read (a listing, an analytics query, a lookup that tolerates lag) runs on
//!   `db.reader()` ([`ReadRoute`]): on a router, a [`Reader`] on the next healthy replica in
//!   round-robin order, or the primary when none is healthy; on a plain connection or a
//!   transaction, the connection itself (reads in a transaction stay in it).
//! - [`DbRouter::on_primary`] is a handle whose reads all go to the primary, for
//!   read-your-writes.
//! - A background task checks every replica each `replica_check_interval` (not per query): a
//!   replica that does not answer, or lags more than `max_replica_lag` behind the primary, is
//!   taken out of the rotation, and put back once it answers with little enough lag.
//! - A read that fails with a transient connection error (I/O, refused, pool timed out or
//!   closed, server shutting down) marks its replica out and is retried once on another node.
//!
//! ```no_run
//! # async fn example(manager: &repository::DatabaseManager) -> repository::Result<()> {
//! use repository::knowledge::ContentStore;
//!
//! let router = manager.router().await?;
//! // Listings on this store may read from a replica (and lag behind by up to max_replica_lag).
//! let contents = ContentStore::new(router.clone());
//! // Read-your-writes: every read of this store goes to the primary.
//! let fresh = ContentStore::new(router.on_primary());
//! # let _ = (contents, fresh);
//! # Ok(()) }
//! ```

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseExecutor, DatabaseTransaction,
    DbBackend, DbErr, ExecResult, IsolationLevel, QueryResult, RuntimeErr, Statement,
    TransactionError, TransactionOptions, TransactionTrait,
};
use serde::Serialize;
use tracing::instrument;

use crate::config::DbConfig;
use crate::health::PoolUse;

/// What a repository query asks of its connection for a replica-safe read: a connection to
/// read on. On a [`DbRouter`] that is a [`Reader`] on a healthy replica (or the primary); on a
/// plain connection, a transaction or an executor, the connection itself, so stores over
/// them behave exactly as before.
pub trait ReadRoute {
    /// The connection reads run on.
    type Reader<'a>: ConnectionTrait + Send + Sync
    where
        Self: 'a;

    /// Where the next replica-safe read runs.
    fn reader(&self) -> Self::Reader<'_>;
}

impl ReadRoute for DatabaseConnection {
    type Reader<'a> = DatabaseExecutor<'a>;

    fn reader(&self) -> DatabaseExecutor<'_> {
        DatabaseExecutor::Connection(self)
    }
}

impl ReadRoute for DatabaseTransaction {
    type Reader<'a> = DatabaseExecutor<'a>;

    fn reader(&self) -> DatabaseExecutor<'_> {
        DatabaseExecutor::Transaction(self)
    }
}

impl ReadRoute for DatabaseExecutor<'_> {
    type Reader<'a>
        = DatabaseExecutor<'a>
    where
        Self: 'a;

    fn reader(&self) -> DatabaseExecutor<'_> {
        match self {
            DatabaseExecutor::Connection(conn) => DatabaseExecutor::Connection(conn),
            DatabaseExecutor::Transaction(txn) => DatabaseExecutor::Transaction(txn),
            DatabaseExecutor::OwnedTransaction(txn) => DatabaseExecutor::Transaction(txn),
        }
    }
}

impl ReadRoute for DbRouter {
    type Reader<'a> = Reader;

    fn reader(&self) -> Reader {
        Self::reader(self)
    }
}

/// The role of a node in [`NodeStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Takes every write, every transaction, and the reads no replica can serve.
    Primary,
    /// Serves replica-safe reads while healthy.
    Replica,
}

/// One node of the router, as `dal status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeStatus {
    /// Primary or replica.
    pub role: NodeRole,
    /// The node's URL, password redacted.
    pub url: String,
    /// Whether the node answered its last check (the primary: a `SELECT 1` now).
    pub reachable: bool,
    /// Whether replica-safe reads go to it now (the primary: always `true`).
    pub in_rotation: bool,
    /// Replication lag at the last check, in milliseconds (`None` for the primary, and for a
    /// replica that did not answer or has replayed nothing it can date).
    pub lag_ms: Option<f64>,
    /// Why the node is out of the rotation, when it is.
    pub error: Option<String>,
    /// The node's connection pool.
    pub pool: PoolUse,
}

/// Routes statements between the primary and its read replicas; cheap to clone.
///
/// As a [`ConnectionTrait`] and [`TransactionTrait`] it is the primary. Replica-safe reads go
/// through [`DbRouter::reader`] (or [`ReadRoute::reader`] in a generic store).
#[derive(Clone)]
pub struct DbRouter {
    inner: Arc<Inner>,
    /// Reads of this handle all go to the primary ([`DbRouter::on_primary`]).
    pinned: bool,
}

struct Inner {
    primary: DatabaseConnection,
    primary_url: String,
    max_connections: u32,
    replicas: Vec<Replica>,
    next: AtomicUsize,
    max_lag: Duration,
    probe_timeout: Duration,
    checker: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

struct Replica {
    url: String,
    conn: DatabaseConnection,
    in_rotation: AtomicBool,
    state: Mutex<ReplicaState>,
}

#[derive(Debug, Clone, Default)]
struct ReplicaState {
    reachable: bool,
    lag_ms: Option<f64>,
    error: Option<String>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.checker.lock().ok().and_then(|mut c| c.take()) {
            task.abort();
        }
    }
}

impl std::fmt::Debug for DbRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbRouter")
            .field("primary", &self.inner.primary_url)
            .field(
                "replicas",
                &self
                    .inner
                    .replicas
                    .iter()
                    .map(|r| r.url.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("pinned", &self.pinned)
            .finish_non_exhaustive()
    }
}

/// `SELECT` the replica's lag in milliseconds: zero when it has replayed all it received (an
/// idle primary sends nothing, so the age of the last replayed transaction would grow without
/// the replica falling behind), else the age of the last replayed transaction; `NULL` when
/// it has replayed nothing it can date. A node not in recovery (a promoted replica) has none.
const LAG_SQL: &str = "SELECT CASE \
    WHEN NOT pg_is_in_recovery() THEN 0::float8 \
    WHEN pg_last_wal_receive_lsn() IS NOT NULL \
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8 \
    ELSE (EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())) * 1000)::float8 \
    END AS lag_ms";

impl DbRouter {
    /// A router with no replicas: every read goes to `primary`.
    #[must_use]
    pub fn without_replicas(primary: DatabaseConnection, config: &DbConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                primary,
                primary_url: config.redacted_url(),
                max_connections: config.max_connections_or_default(),
                replicas: Vec::new(),
                next: AtomicUsize::new(0),
                max_lag: config.max_replica_lag,
                probe_timeout: probe_timeout(config),
                checker: Mutex::new(None),
            }),
            pinned: false,
        }
    }

    /// A router over `primary` and the replicas of `config.replicas`: their pools open lazily
    /// (an unreachable replica does not stop the application, it stays out of the rotation),
    /// every replica is checked once before this returns, then every
    /// `config.replica_check_interval` by a background task that ends with the last handle.
    ///
    /// # Errors
    /// [`crate::Error::Config`] when a replica URL is not PostgreSQL, or the primary is not.
    pub(crate) async fn connect(
        primary: DatabaseConnection,
        config: &DbConfig,
    ) -> crate::Result<Self> {
        let mut router = Self::without_replicas(primary, config);
        if config.replicas.is_empty() {
            return Ok(router);
        }
        if config.backend()? != DbBackend::Postgres {
            return Err(crate::Error::Config(
                "read replicas need a PostgreSQL primary (the database URL is not postgres://)"
                    .to_owned(),
            ));
        }
        let mut replicas = Vec::with_capacity(config.replicas.len());
        for (i, url) in config.replicas.iter().enumerate() {
            if crate::config::backend_of(url)? != DbBackend::Postgres {
                return Err(crate::Error::Config(format!(
                    "replica {i} ({}) is not a postgres:// URL",
                    crate::redact_url(url)
                )));
            }
            let mut replica_config = config.clone();
            replica_config.url.clone_from(url);
            // A dead replica costs a read at most this long before it falls back.
            replica_config.acquire_timeout =
                config.acquire_timeout.min(crate::config::REACH_TIMEOUT);
            replica_config.connect_timeout =
                config.connect_timeout.min(crate::config::REACH_TIMEOUT);
            let mut options = crate::manager::connect_options(&replica_config, DbBackend::Postgres);
            options.connect_lazy(true);
            let conn = sea_orm::Database::connect(options).await?;
            replicas.push(Replica {
                url: crate::redact_url(url),
                conn,
                in_rotation: AtomicBool::new(false),
                state: Mutex::new(ReplicaState::default()),
            });
        }
        let inner = Arc::get_mut(&mut router.inner).ok_or_else(|| {
            crate::Error::Config("the router is shared before it is built".to_owned())
        })?;
        inner.replicas = replicas;
        router.inner.check_all().await;
        let task = spawn_checker(Arc::downgrade(&router.inner), config.replica_check_interval);
        if let Ok(mut checker) = router.inner.checker.lock() {
            *checker = Some(task);
        }
        Ok(router)
    }

    /// The primary's pool: for writes, transactions and reads that must see the latest write.
    #[must_use]
    pub fn primary(&self) -> &DatabaseConnection {
        &self.inner.primary
    }

    /// A handle on the same nodes whose reads all go to the primary (read-your-writes): a
    /// store built on it sees every write committed before the read, replicas or not.
    #[must_use]
    pub fn on_primary(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            pinned: true,
        }
    }

    /// Whether this handle's reads all go to the primary.
    #[must_use]
    pub const fn is_pinned_to_primary(&self) -> bool {
        self.pinned
    }

    /// How many replicas are configured (healthy or not).
    #[must_use]
    pub fn replica_count(&self) -> usize {
        self.inner.replicas.len()
    }

    /// A connection for one replica-safe read: the next healthy replica in round-robin order,
    /// or the primary when none is healthy, or when this handle is pinned to the primary.
    #[must_use]
    pub fn reader(&self) -> Reader {
        Reader {
            target: if self.pinned {
                None
            } else {
                self.inner.pick(None)
            },
            inner: Arc::clone(&self.inner),
        }
    }

    /// Check every replica now (the background task does this periodically), and return the
    /// nodes as [`DbRouter::nodes`] would.
    pub async fn check_now(&self) -> Vec<NodeStatus> {
        self.inner.check_all().await;
        self.nodes().await
    }

    /// Every node: the primary (checked now with `SELECT 1`), then each replica as its last
    /// check left it.
    pub async fn nodes(&self) -> Vec<NodeStatus> {
        let inner = &self.inner;
        let ping = tokio::time::timeout(
            inner.probe_timeout,
            inner.primary.execute_unprepared("SELECT 1"),
        )
        .await;
        let primary_error = match ping {
            Ok(Ok(_)) => None,
            Ok(Err(err)) => Some(err.to_string()),
            Err(_) => Some(format!(
                "no answer within {} ms",
                inner.probe_timeout.as_millis()
            )),
        };
        let mut nodes = vec![NodeStatus {
            role: NodeRole::Primary,
            url: inner.primary_url.clone(),
            reachable: primary_error.is_none(),
            in_rotation: true,
            lag_ms: None,
            error: primary_error,
            pool: crate::health::pool_use(&inner.primary, inner.max_connections),
        }];
        for replica in &inner.replicas {
            let state = replica.state();
            nodes.push(NodeStatus {
                role: NodeRole::Replica,
                url: replica.url.clone(),
                reachable: state.reachable,
                in_rotation: replica.in_rotation.load(Ordering::Acquire),
                lag_ms: state.lag_ms,
                error: state.error,
                pool: crate::health::pool_use(&replica.conn, inner.max_connections),
            });
        }
        nodes
    }

    /// Stop the checks and close every pool (the primary's included).
    ///
    /// # Errors
    /// [`DbErr`] when closing a pool fails.
    pub async fn close(&self) -> Result<(), DbErr> {
        if let Some(task) = self.inner.checker.lock().ok().and_then(|mut c| c.take()) {
            task.abort();
        }
        for replica in &self.inner.replicas {
            replica.conn.clone().close().await?;
        }
        self.inner.primary.clone().close().await
    }
}

/// The timeout of one check of a replica.
fn probe_timeout(config: &DbConfig) -> Duration {
    config.acquire_timeout.min(crate::config::REACH_TIMEOUT)
}

/// Check every replica each `interval` until the router is dropped.
fn spawn_checker(inner: Weak<Inner>, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(inner) = inner.upgrade() else { break };
            inner.check_all().await;
        }
    })
}

impl Replica {
    fn state(&self) -> ReplicaState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set(&self, state: ReplicaState, in_rotation: bool) {
        let was = self.in_rotation.swap(in_rotation, Ordering::AcqRel);
        if was != in_rotation {
            if in_rotation {
                tracing::info!(db.replica = %self.url, db.lag_ms = ?state.lag_ms, "replica back in rotation");
            } else {
                tracing::warn!(
                    db.replica = %self.url,
                    error = state.error.as_deref().unwrap_or_default(),
                    "replica out of rotation; reads fall back"
                );
            }
        }
        if let Ok(mut slot) = self.state.lock() {
            *slot = state;
        }
    }
}

impl Inner {
    /// The next replica in rotation after the round-robin cursor, skipping `exclude`.
    fn pick(&self, exclude: Option<usize>) -> Option<usize> {
        let n = self.replicas.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| Some(i) != exclude && self.replicas[i].in_rotation.load(Ordering::Acquire))
    }

    fn conn(&self, target: Option<usize>) -> &DatabaseConnection {
        target
            .and_then(|i| self.replicas.get(i))
            .map_or(&self.primary, |r| &r.conn)
    }

    /// After a transient error on `failed`: take a failed replica out of the rotation and pick
    /// the node to retry on (another healthy replica, else the primary).
    fn fail_over(&self, failed: Option<usize>, err: &DbErr) -> Option<usize> {
        if let Some(i) = failed
            && let Some(replica) = self.replicas.get(i)
        {
            replica.set(
                ReplicaState {
                    reachable: false,
                    lag_ms: None,
                    error: Some(err.to_string()),
                },
                false,
            );
        }
        tracing::warn!(
            db.node = failed.map_or_else(|| "primary".to_owned(), |i| format!("replica {i}")),
            error = %err,
            "transient error on a read; retrying once on another node"
        );
        self.pick(failed)
    }

    #[instrument(skip_all, fields(db.replicas = self.replicas.len()))]
    async fn check_all(&self) {
        futures::future::join_all(self.replicas.iter().map(|r| self.check(r))).await;
    }

    async fn check(&self, replica: &Replica) {
        let query = replica
            .conn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, LAG_SQL));
        let (state, in_rotation) = match tokio::time::timeout(self.probe_timeout, query).await {
            Err(_) => (
                ReplicaState {
                    reachable: false,
                    lag_ms: None,
                    error: Some(format!(
                        "no answer within {} ms",
                        self.probe_timeout.as_millis()
                    )),
                },
                false,
            ),
            Ok(Err(err)) => (
                ReplicaState {
                    reachable: false,
                    lag_ms: None,
                    error: Some(err.to_string()),
                },
                false,
            ),
            Ok(Ok(row)) => {
                let lag_ms =
                    row.and_then(|r| r.try_get::<Option<f64>>("", "lag_ms").ok().flatten());
                let max_ms = self.max_lag.as_secs_f64() * 1e3;
                match lag_ms {
                    None => (
                        ReplicaState {
                            reachable: true,
                            lag_ms: None,
                            error: Some("replication lag unknown: nothing replayed yet".to_owned()),
                        },
                        false,
                    ),
                    Some(ms) if ms > max_ms => (
                        ReplicaState {
                            reachable: true,
                            lag_ms: Some(ms),
                            error: Some(format!(
                                "replication lag {ms:.0} ms is above max_replica_lag {max_ms:.0} ms"
                            )),
                        },
                        false,
                    ),
                    Some(ms) => (
                        ReplicaState {
                            reachable: true,
                            lag_ms: Some(ms),
                            error: None,
                        },
                        true,
                    ),
                }
            }
        };
        replica.set(state, in_rotation);
    }
}

/// Whether `err` means the node or the connection failed, not the statement: worth one retry
/// on another node. I/O errors (refused, reset), a pool that timed out or was closed, TLS and
/// protocol failures, and the server's own connection-exception (`08…`), shutdown (`57P01`-`57P03`)
/// and recovery-conflict (`40001` on a standby) codes.
#[must_use]
pub fn is_transient(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db.code().is_some_and(|code| {
                    code.starts_with("08") || code.starts_with("57P") || code == "40001"
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

/// A connection for one replica-safe read ([`DbRouter::reader`]): a replica, or the primary.
///
/// Queries run on its node and, on a transient error ([`is_transient`]), once more on another
/// node. Statements that write (`execute*`) always run on the primary.
#[derive(Clone)]
pub struct Reader {
    inner: Arc<Inner>,
    target: Option<usize>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("node", &self.node_url())
            .finish()
    }
}

impl Reader {
    /// Whether this read goes to a replica (else the primary).
    #[must_use]
    pub const fn is_replica(&self) -> bool {
        self.target.is_some()
    }

    /// Run `query` on this read's node and, after a transient error, once more on the node
    /// [`Inner::fail_over`] picks.
    async fn read<T>(
        &self,
        stmt: Statement,
        query: impl AsyncFn(&DatabaseConnection, Statement) -> Result<T, DbErr>,
    ) -> Result<T, DbErr> {
        match query(self.inner.conn(self.target), stmt.clone()).await {
            Err(err) if is_transient(&err) => {
                let retry = self.inner.fail_over(self.target, &err);
                query(self.inner.conn(retry), stmt).await
            }
            other => other,
        }
    }

    /// The URL (redacted) of the node this read goes to first.
    #[must_use]
    pub fn node_url(&self) -> &str {
        self.target
            .and_then(|i| self.inner.replicas.get(i))
            .map_or(&self.inner.primary_url, |r| &r.url)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.primary.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.primary.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.primary.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.read(stmt, async |conn, stmt| conn.query_one_raw(stmt).await)
            .await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.read(stmt, async |conn, stmt| conn.query_all_raw(stmt).await)
            .await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for DbRouter {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.primary.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.primary.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.primary.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner.primary.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner.primary.query_all_raw(stmt).await
    }

    fn is_mock_connection(&self) -> bool {
        self.inner.primary.is_mock_connection()
    }
}

#[async_trait::async_trait]
impl TransactionTrait for DbRouter {
    type Transaction = DatabaseTransaction;

    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.inner.primary.begin().await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.inner
            .primary
            .begin_with_config(isolation_level, access_mode)
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        self.inner.primary.begin_with_options(options).await
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            )
                -> Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.inner.primary.transaction(callback).await
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c DatabaseTransaction,
            )
                -> Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.inner
            .primary
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_replicas_every_read_goes_to_the_primary() {
        let config = DbConfig::new("sqlite::memory:");
        let conn = sea_orm::Database::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        let router = DbRouter::without_replicas(conn, &config);
        let reader = router.reader();
        assert!(!reader.is_replica());
        assert_eq!(reader.node_url(), "sqlite::memory:");
        let row = reader
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT 41 + 1 AS n",
            ))
            .await
            .expect("query")
            .expect("row");
        assert_eq!(row.try_get::<i32>("", "n").expect("n"), 42);
        let nodes = router.nodes().await;
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].role, NodeRole::Primary);
        assert!(nodes[0].reachable);
    }

    #[test]
    fn connection_failures_are_transient_and_statement_errors_are_not() {
        assert!(is_transient(&DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout
        )));
        assert!(is_transient(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(sea_orm::sqlx::Error::PoolClosed)
        ))));
        assert!(is_transient(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(sea_orm::sqlx::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused
            )))
        ))));
        assert!(!is_transient(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(sea_orm::sqlx::Error::RowNotFound)
        ))));
        assert!(!is_transient(&DbErr::Custom("bad".to_owned())));
    }
}
