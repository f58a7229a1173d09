//! Test harness for the one integration-test binary (`tests/main.rs`).
//!
//! Every test gets its own fresh database: a temporary SQLite file, or a uniquely named
//! PostgreSQL database created on the server of `DAL_TEST_DATABASE_URL` and dropped afterwards.
//! Logs are shown only when `TEST_LOG` is set.

pub mod column_types;
pub mod introspect;
pub mod pg_server;
pub mod spec;

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use migration::{Migrator, MigratorTrait};
use repository::{DatabaseManager, DbConfig};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// The backends a database test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the server of `DAL_TEST_DATABASE_URL`.
    Postgres,
}

/// Install a tracing subscriber once, when `TEST_LOG` is set.
pub fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("TEST_LOG")
                        .unwrap_or_else(|_| "debug".into()),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

/// `DAL_TEST_DATABASE_URL`, the server the PostgreSQL variants run on.
///
/// # Panics
/// When it is unset. The PostgreSQL variants are compiled as runnable only when it was set at
/// build time, or `CI` was (see `build.rs`); otherwise they are ignored. So this panics only in CI
/// without it, or when ignored tests are run anyway: either way the test fails, it never passes.
#[must_use]
pub fn postgres_url() -> String {
    required_url("DAL_TEST_DATABASE_URL", "PostgreSQL")
}

/// `DAL_TEST_REDIS_URL`, the server the Redis variants run on.
///
/// # Panics
/// When it is unset (see [`postgres_url`]).
#[must_use]
pub fn redis_url() -> String {
    required_url("DAL_TEST_REDIS_URL", "Redis")
}

/// `DAL_TEST_REDIS_CLUSTER_URL`, the Redis Cluster (`redis-cluster://host:port?node=…`) the
/// cluster variants run on.
///
/// # Panics
/// When it is unset (see [`postgres_url`]).
#[must_use]
pub fn redis_cluster_url() -> String {
    required_url("DAL_TEST_REDIS_CLUSTER_URL", "Redis Cluster")
}

/// `DAL_TEST_CHROMA_URL`, the Chroma server the Chroma variants run on.
///
/// # Panics
/// When it is unset (see [`postgres_url`]).
#[must_use]
pub fn chroma_url() -> String {
    required_url("DAL_TEST_CHROMA_URL", "Chroma")
}

fn required_url(var: &str, what: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{var} is not set: the {what} tests cannot run (in CI they may not be skipped; \
             outside CI they are ignored unless {var} is set when they are built)"
        ),
    }
}

/// A unique name for this test's database or key prefix: `dal_test_<pid>_<n>_<nanos>`.
#[must_use]
pub fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("dal_test_{}_{n}_{nanos}", std::process::id())
}

/// A fresh, empty database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    /// Which backend this is.
    pub backend: Backend,
    /// The database URL (contains no secret in tests, but never print it anyway).
    pub url: String,
    /// The connected manager.
    pub manager: DatabaseManager,
    /// A handle on the manager's pool.
    pub conn: DatabaseConnection,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh empty database.
    ///
    /// # Panics
    /// When the database cannot be created or reached, or for PostgreSQL when
    /// `DAL_TEST_DATABASE_URL` is unset ([`postgres_url`]).
    pub async fn empty(backend: Backend) -> Self {
        init_tracing();
        let (url, dir, pg) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let admin = postgres_url();
                let name = unique_name();
                let admin_conn = sea_orm::Database::connect(&admin)
                    .await
                    .expect("PostgreSQL of DAL_TEST_DATABASE_URL is unreachable");
                admin_conn
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin_conn.close().await.ok();
                (with_database(&admin, &name), None, Some((admin, name)))
            }
        };
        let manager = DatabaseManager::connect_with(DbConfig::new(url.clone()))
            .await
            .expect("connect to the test database");
        let conn = manager.connection().await.expect("connection");
        Self {
            backend,
            url,
            manager,
            conn,
            dir,
            pg,
        }
    }

    /// A fresh database migrated to the latest version.
    ///
    /// # Panics
    /// As [`TestDb::empty`], or when migrating fails.
    pub async fn migrated(backend: Backend) -> Self {
        let db = Self::empty(backend).await;
        Migrator::up(&db.conn, None).await.expect("migrate up");
        db
    }

    /// The SeaORM backend.
    #[must_use]
    pub fn db_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// The directory holding the SQLite file (SQLite only).
    #[must_use]
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }

    /// Run a statement built with sea-query (an insert, update, delete or DDL).
    ///
    /// # Errors
    /// The database error.
    pub async fn exec<S: sea_orm::StatementBuilder>(&self, stmt: &S) -> Result<(), sea_orm::DbErr> {
        let built = self.db_backend().build(stmt);
        self.conn.execute_raw(built).await.map(drop)
    }

    /// Run raw SQL text (no parameters).
    ///
    /// # Errors
    /// The database error.
    pub async fn raw(&self, sql: &str) -> Result<u64, sea_orm::DbErr> {
        self.conn
            .execute_raw(Statement::from_string(self.db_backend(), sql))
            .await
            .map(|r| r.rows_affected())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            let conn = self.conn.clone();
            // Drop the database from a separate thread with its own runtime: Drop cannot await.
            let handle = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    drop(conn);
                    if let Ok(admin_conn) = sea_orm::Database::connect(&admin).await {
                        let _ = admin_conn
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin_conn.close().await;
                    }
                });
            });
            let _ = handle.join();
        }
    }
}

/// `url` with its database (path) replaced by `name`.
#[must_use]
pub fn with_database(url: &str, name: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_path(&format!("/{name}"));
            parsed.to_string()
        }
        Err(_) => format!("{}/{name}", url.trim_end_matches('/')),
    }
}

/// Generate `mod $name { sqlite(); postgres(); }` running `$name(&TestDb)` on a fresh, migrated
/// database of each backend. The PostgreSQL variant is ignored (with the reason) unless
/// `DAL_TEST_DATABASE_URL` or `CI` was set when the tests were built (`build.rs`).
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = $crate::TestDb::migrated($crate::Backend::Sqlite).await;
                    super::$name(&db).await;
                    db.assert_sqlite_timestamps().await;
                }

                $crate::pg_tests!(@postgres $name);
            }
        )*
    };
}

/// Generate `mod $name { postgres(); }` for checks that only mean something on PostgreSQL
/// (its planner, its types), ignored like the PostgreSQL variant of [`db_tests!`].
#[macro_export]
macro_rules! pg_tests {
    (@postgres $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
        async fn postgres() {
            let db = $crate::TestDb::migrated($crate::Backend::Postgres).await;
            super::$name(&db).await;
        }
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                $crate::pg_tests!(@postgres $name);
            }
        )*
    };
}

/// The columns of one row to insert ([`TestDb::insert`]), each with its bound value.
pub type Row = Vec<(&'static str, sea_orm::sea_query::Expr)>;

/// `row` with `column` set to `value` (replacing the value it had, if any).
#[must_use]
pub fn with(mut row: Row, column: &'static str, value: sea_orm::sea_query::Expr) -> Row {
    row.retain(|(c, _)| *c != column);
    row.push((column, value));
    row
}

/// `row` without `column` (so that the column gets its default, or NULL).
#[must_use]
pub fn without(mut row: Row, column: &str) -> Row {
    row.retain(|(c, _)| *c != column);
    row
}

impl TestDb {
    /// Assert that every `TIMESTAMP` column of every table holds SQLite's own shape
    /// (`YYYY-MM-DD HH:MM:SS[.fff…]`, UTC, no `T`, no offset): whatever a test wrote through the
    /// repositories compares right against `CURRENT_TIMESTAMP` and other clients' values.
    ///
    /// # Panics
    /// When a value of another shape is found (SQLite only; a no-op on PostgreSQL).
    pub async fn assert_sqlite_timestamps(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        let columns = self
            .conn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT m.name AS t, c.name AS c FROM sqlite_schema m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND c.type = 'TIMESTAMP'",
            ))
            .await
            .expect("timestamp columns");
        let mut problems = Vec::new();
        for row in columns {
            let table: String = row.try_get("", "t").expect("table");
            let column: String = row.try_get("", "c").expect("column");
            // Identifiers from the schema itself, not input.
            let sql = format!(
                "SELECT \"{column}\" AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL \
                 AND NOT (typeof(\"{column}\") = 'text' AND \"{column}\" GLOB \
                 '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' \
                 AND substr(\"{column}\", 20) NOT GLOB '*[^0-9.]*') LIMIT 1"
            );
            let bad = self
                .conn
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .expect("timestamp shape");
            if let Some(row) = bad {
                let value: String = row.try_get("", "v").unwrap_or_else(|_| "<not text>".into());
                problems.push(format!("{table}.{column} = {value:?}"));
            }
        }
        assert!(
            problems.is_empty(),
            "timestamps not in SQLite's own shape:\n{}",
            problems.join("\n")
        );
    }
}

/// A bound value for a sea-query insert.
pub fn v<T: Into<sea_orm::Value>>(value: T) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::val(value)
}

/// A JSON value for a `json`/`jsonb` column.
#[must_use]
pub fn json(value: impl Into<sea_orm::Value>) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::val(value)
}

impl TestDb {
    /// A UUID literal for a `uuid` column: cast on PostgreSQL, text on SQLite.
    #[must_use]
    pub fn uuid(&self, value: uuid::Uuid) -> sea_orm::sea_query::Expr {
        let text = sea_orm::sea_query::Expr::val(value.to_string());
        match self.backend {
            Backend::Postgres => sea_orm::sea_query::ExprTrait::cast_as(text, "uuid"),
            Backend::Sqlite => text,
        }
    }

    /// `INSERT INTO table (columns…) VALUES (values…)` with every value bound.
    ///
    /// # Errors
    /// The database error (a refused CHECK, foreign key, NOT NULL or UNIQUE).
    pub async fn insert(&self, table: &'static str, values: Row) -> Result<(), sea_orm::DbErr> {
        let (columns, exprs): (Vec<_>, Vec<_>) = values.into_iter().unzip();
        let stmt = sea_orm::sea_query::Query::insert()
            .into_table(table)
            .columns(columns)
            .values(exprs)
            .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?
            .take();
        self.exec(&stmt).await
    }

    /// Assert that the insert is refused, naming `what` in the failure message.
    ///
    /// # Panics
    /// When the database accepts the row.
    pub async fn assert_refused(&self, what: &str, table: &'static str, values: Row) {
        let result = self.insert(table, values).await;
        assert!(
            result.is_err(),
            "{:?}: {what}: the database accepted a row it must refuse",
            self.backend
        );
    }

    /// Assert that the insert succeeds.
    ///
    /// # Panics
    /// When the database refuses the row.
    pub async fn assert_accepted(&self, what: &str, table: &'static str, values: Row) {
        if let Err(e) = self.insert(table, values).await {
            panic!(
                "{:?}: {what}: the database refused a valid row: {e}",
                self.backend
            );
        }
    }

    /// `SELECT count(*) FROM table`.
    ///
    /// # Panics
    /// When the query fails.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .conn
            .query_one_raw(Statement::from_string(
                self.db_backend(),
                format!("SELECT count(*) AS n FROM \"{table}\""),
            ))
            .await
            .expect("count query")
            .expect("one row");
        row.try_get("", "n").expect("count")
    }

    /// The value of `column`, as text, in the row of `table` whose `key` is `id` (compared as
    /// text, so integer and UUID keys work alike): `None` when there is no such row, `Some(None)`
    /// when the value is NULL.
    ///
    /// # Panics
    /// When the query fails.
    pub async fn cell(
        &self,
        table: &str,
        column: &str,
        key: &str,
        id: impl std::fmt::Display,
    ) -> Option<Option<String>> {
        self.conn
            .query_one_raw(Statement::from_string(
                self.db_backend(),
                format!(
                    "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" \
                     WHERE CAST(\"{key}\" AS TEXT) = '{id}'"
                ),
            ))
            .await
            .expect("select a cell")
            .map(|row| row.try_get::<Option<String>>("", "v").expect("text cell"))
    }
}

/// The current time at the stored precision, as repository inputs take it.
#[must_use]
pub fn now() -> chrono::DateTime<chrono::Utc> {
    entity::behavior::now().into_inner()
}
