//! `DatabaseManager`: the seed's six operations, parameters always bound, all-or-nothing
//! transactions, per-connection SQLite settings, errors typed.

use repository::{DatabaseManager, DbConfig, Error, Query};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, TransactionTrait, Value};
use tests::{Backend, TestDb};

const INSERT_CONTENT: &str = "INSERT INTO content_metadata (content_id, title, source_url, technology, content_hash) VALUES ($1, $2, $3, $4, $5)";

fn content(id: &str) -> Vec<Value> {
    vec![
        id.into(),
        format!("Title {id}").into(),
        "https://x".into(),
        "rust".into(),
        format!("hash-{id}").into(),
    ]
}

#[derive(Debug, FromQueryResult)]
struct Row {
    content_id: String,
    access_count: i32,
}

async fn execute_and_fetch(db: &TestDb) {
    let m = &db.manager;
    assert_eq!(
        m.execute(INSERT_CONTENT, content("c1"))
            .await
            .expect("insert"),
        1
    );
    assert_eq!(
        m.execute(INSERT_CONTENT, content("c2"))
            .await
            .expect("insert"),
        1
    );
    // A value that would break SQL built by concatenation is just data when bound.
    let tricky = "x'); DROP TABLE content_metadata; --";
    m.execute(INSERT_CONTENT, content(tricky))
        .await
        .expect("insert tricky id");

    let one = m
        .fetch_one(
            "SELECT content_id, title, access_count FROM content_metadata WHERE content_id = $1",
            vec![tricky.into()],
        )
        .await
        .expect("fetch_one")
        .expect("a row");
    assert_eq!(one["content_id"], tricky);
    assert_eq!(one["access_count"], 0);
    assert!(
        m.fetch_one(
            "SELECT * FROM content_metadata WHERE content_id = $1",
            vec!["none".into()]
        )
        .await
        .expect("fetch")
        .is_none()
    );

    let all = m
        .fetch_all(
            "SELECT content_id FROM content_metadata WHERE technology = $1 ORDER BY content_id",
            vec!["rust".into()],
        )
        .await
        .expect("fetch_all");
    assert_eq!(all.len(), 3);

    let typed: Vec<Row> = m
        .fetch_all_as("SELECT content_id, access_count FROM content_metadata WHERE content_id IN ($1, $2) ORDER BY content_id", vec!["c1".into(), "c2".into()])
        .await
        .expect("typed rows");
    assert_eq!(
        typed
            .iter()
            .map(|r| r.content_id.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    assert_eq!(typed[0].access_count, 0);

    let updated = m
        .execute(
            "UPDATE content_metadata SET access_count = access_count + $1 WHERE technology = $2",
            vec![2.into(), "rust".into()],
        )
        .await
        .expect("update");
    assert_eq!(updated, 3);
}

async fn transactions_are_all_or_nothing(db: &TestDb) {
    let m = &db.manager;
    let affected = m
        .execute_transaction(vec![
            Query::new(INSERT_CONTENT, content("a")),
            Query::new(INSERT_CONTENT, content("b")),
        ])
        .await
        .expect("both statements");
    assert_eq!(affected, vec![1, 1]);

    // The second statement breaks the unique content_hash: the first must not persist.
    let mut duplicate = content("d");
    duplicate[4] = "hash-a".into();
    let err = m
        .execute_transaction(vec![
            Query::new(INSERT_CONTENT, content("c")),
            Query::new(
                "UPDATE content_metadata SET access_count = 99 WHERE content_id = $1",
                ["a".into()],
            ),
            Query::new(INSERT_CONTENT, duplicate),
        ])
        .await
        .expect_err("the duplicate hash fails the transaction");
    assert!(
        matches!(err, Error::Conflict(_)),
        "unique violation is a Conflict: {err:?}"
    );
    assert_eq!(
        db.count("content_metadata").await,
        2,
        "nothing of the failed transaction persists"
    );
    let a = m
        .fetch_one(
            "SELECT access_count FROM content_metadata WHERE content_id = $1",
            vec!["a".into()],
        )
        .await
        .expect("a")
        .expect("row");
    assert_eq!(a["access_count"], 0);

    // A syntax error mid-way rolls back as well.
    let err = m
        .execute_transaction(vec![
            Query::new(INSERT_CONTENT, content("e")),
            Query::new("INSERT INTO nowhere VALUES ($1)", [1.into()]),
        ])
        .await
        .expect_err("bad statement");
    assert!(matches!(err, Error::Db(_)), "{err:?}");
    assert_eq!(db.count("content_metadata").await, 2);
}

async fn errors_are_typed(db: &TestDb) {
    let m = &db.manager;
    m.execute(INSERT_CONTENT, content("c1"))
        .await
        .expect("insert");
    let dup = m
        .execute(INSERT_CONTENT, content("c1"))
        .await
        .expect_err("duplicate key");
    assert!(matches!(dup, Error::Conflict(_)), "{dup:?}");
    let orphan = m
        .execute(
            "INSERT INTO feedback_events (event_id, content_id, feedback_type) VALUES ($1, $2, $3)",
            vec!["f".into(), "missing".into(), "helpful".into()],
        )
        .await
        .expect_err("orphan");
    assert!(matches!(orphan, Error::Conflict(_)), "{orphan:?}");
    let check = m
        .execute(
            "UPDATE content_metadata SET quality_score = $1 WHERE content_id = $2",
            vec![3.0.into(), "c1".into()],
        )
        .await
        .expect_err("check");
    match check {
        Error::Validation { field, .. } => assert_eq!(field, "ck_content_metadata_quality_score"),
        other => panic!("a refused CHECK is a Validation error, got {other:?}"),
    }
}

async fn disconnect_then_reconnect(db: &TestDb) {
    let m = DatabaseManager::new(db.manager.config().clone());
    assert!(matches!(
        m.fetch_all("SELECT 1 AS one", vec![]).await,
        Err(Error::NotConnected)
    ));
    m.connect().await.expect("connect");
    m.connect().await.expect("connect twice is a no-op");
    assert_eq!(
        m.fetch_one("SELECT 1 AS one", vec![])
            .await
            .expect("query")
            .expect("row")["one"],
        1
    );
    m.disconnect().await.expect("disconnect");
    assert!(matches!(
        m.execute("SELECT 1", vec![]).await,
        Err(Error::NotConnected)
    ));
    m.connect().await.expect("reconnect");
    m.disconnect().await.expect("disconnect");
}

async fn health_reports_round_trip_pool_and_sizes(db: &TestDb) {
    use repository::health::Storage;

    let health = db.manager.health().await.expect("health");
    assert!(health.round_trip_ms >= 0.0 && health.round_trip_ms.is_finite());
    assert_eq!(
        health.pool.max,
        db.manager.config().max_connections_or_default()
    );
    assert_eq!(health.pool.in_use + health.pool.idle, health.pool.open);
    assert!(health.pool.utilisation_percent <= 100);
    match (&health.storage, db.backend) {
        (
            Storage::Sqlite {
                page_count,
                page_size,
                ..
            },
            Backend::Sqlite,
        ) => {
            assert_eq!(health.backend, "sqlite");
            assert!(health.server_version.starts_with("SQLite 3."), "{health:?}");
            assert!(*page_count > 10, "a migrated file has pages: {health:?}");
            assert!(page_size.is_power_of_two());
            assert!(health.unused_indexes.is_empty());
            assert!(health.slowest_statements.is_none());
        }
        (
            Storage::Postgres {
                database_bytes,
                tables,
            },
            Backend::Postgres,
        ) => {
            assert_eq!(health.backend, "postgres");
            assert!(
                health.server_version.starts_with("PostgreSQL"),
                "{health:?}"
            );
            assert!(*database_bytes > 0);
            let content = tables
                .iter()
                .find(|t| t.table == "content_metadata")
                .expect("every table is listed");
            assert!(content.bytes > 0, "indexes count too: {content:?}");
            // A fresh database has scanned none of its secondary indexes; those enforcing a
            // key or a UNIQUE constraint are never reported.
            let names: Vec<&str> = health
                .unused_indexes
                .iter()
                .map(|i| i.index.as_str())
                .collect();
            assert!(names.contains(&"idx_search_cache_expires_at"), "{names:?}");
            assert!(!names.iter().any(|n| n.ends_with("_pkey")), "{names:?}");
        }
        (storage, backend) => panic!("{backend:?} reported {storage:?}"),
    }
}

tests::db_tests!(
    execute_and_fetch,
    transactions_are_all_or_nothing,
    errors_are_typed,
    disconnect_then_reconnect,
    health_reports_round_trip_pool_and_sizes
);

async fn pragma(conn: &impl ConnectionTrait, name: &str) -> String {
    let row = conn
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            format!("PRAGMA {name}"),
        ))
        .await
        .expect("pragma")
        .expect("row");
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .expect("value")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_settings_hold_on_every_pooled_connection() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    // Hold four connections at once (read transactions), so each is a distinct pooled connection.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(db.conn.begin().await.expect("begin"));
    }
    for txn in &held {
        assert_eq!(pragma(txn, "journal_mode").await, "wal");
        assert_eq!(pragma(txn, "foreign_keys").await, "1");
        assert_eq!(pragma(txn, "synchronous").await, "1", "NORMAL");
        // Not `PRAGMA busy_timeout`: the layer's own busy handler replaces SQLite's (it reads 0);
        // the timeout itself is tested by `a_blocked_sqlite_writer_waits_the_busy_timeout`.
        assert_eq!(pragma(txn, "wal_autocheckpoint").await, "10000");
    }
    assert!(
        db.conn.get_sqlite_connection_pool().size() >= 4,
        "the pool holds more than one connection"
    );
    for txn in held {
        txn.rollback().await.expect("rollback");
    }

    // The database file is readable and writable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = db.dir().expect("dir").join("test.sqlite3");
        let mode = std::fs::metadata(file)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "database file mode is {mode:o}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sqlite_writers_queue_instead_of_failing() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let manager_conn = db.conn.clone();
        tasks.push(tokio::spawn(async move {
            let txn = repository::begin_write(&manager_conn)
                .await
                .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
            txn.execute_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Sqlite,
                INSERT_CONTENT,
                content(&format!("w{i}")),
            ))
            .await?;
            txn.execute_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Sqlite,
                "UPDATE content_metadata SET access_count = access_count + 1",
                [],
            ))
            .await?;
            txn.commit().await
        }));
    }
    for task in tasks {
        task.await.expect("join").expect("every writer commits");
    }
    assert_eq!(db.count("content_metadata").await, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_sqlite_writer_waits_the_busy_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = DbConfig::new(format!(
        "sqlite://{}",
        dir.path().join("busy.sqlite3").display()
    ));
    config.busy_timeout = std::time::Duration::from_millis(400);
    let manager = DatabaseManager::connect_with(config)
        .await
        .expect("connect");
    let conn = manager.connection().await.expect("conn");
    conn.execute_unprepared("CREATE TABLE t (n INTEGER)")
        .await
        .expect("create");
    let insert = || {
        let conn = conn.clone();
        async move {
            let started = std::time::Instant::now();
            let result = conn.execute_unprepared("INSERT INTO t VALUES (1)").await;
            (result, started.elapsed())
        }
    };

    // Held for longer than the timeout: the writer gives up after about the timeout.
    let holder = repository::begin_write(&conn).await.expect("hold the lock");
    let (result, waited) = insert().await;
    assert!(
        result.is_err(),
        "a writer cannot get in while the lock is held"
    );
    assert!(
        waited >= std::time::Duration::from_millis(380)
            && waited < std::time::Duration::from_secs(3),
        "gave up after {waited:?}, the timeout is 400 ms"
    );

    // Released after 30 ms: the writer gets in soon after, not a whole timeout later.
    let waiter = tokio::spawn(insert());
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    holder.rollback().await.expect("release");
    let (result, waited) = waiter.await.expect("join");
    result.expect("the writer gets in once the lock is free");
    assert!(
        waited < std::time::Duration::from_millis(300),
        "waited {waited:?} for a lock held 30 ms"
    );
    manager.disconnect().await.expect("disconnect");
}

#[test]
fn debug_output_redacts_passwords() {
    let manager = DatabaseManager::new(DbConfig::new("postgres://dal:hunter2@db.example:5432/dal"));
    let shown = format!("{manager:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// A PostgreSQL port nothing listens on: the cause is named at once (sqlx's pool alone would
/// retry until its acquire timeout and say only "pool timed out"), without the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_postgres_server_is_reported_with_its_cause() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    // The listener is closed again: the port refuses connections.
    let url = format!("postgres://dal:hunter2@127.0.0.1:{port}/dal");
    let err = DatabaseManager::connect_with(DbConfig::new(url))
        .await
        .expect_err("nothing listens there");
    let text = format!("{err:#}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains("pool timed out"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    // A host that does not exist is named by sqlx, also without retrying.
    let err = DatabaseManager::connect_with(DbConfig::new(
        "postgres://dal:hunter2@no-such-host.invalid:5432/dal",
    ))
    .await
    .expect_err("unknown host");
    let text = format!("{err:#}");
    assert!(!text.contains("pool timed out"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
