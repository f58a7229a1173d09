//! What `dal copy` refuses, and that a copy failing half-way leaves the target as it was.

use migration::MigratorTrait;
use tests::{Backend, TestDb};

use super::{content, copy, fixture, sqlite_url};

async fn filled_source() -> TestDb {
    let db = TestDb::migrated(Backend::Sqlite).await;
    fixture::fill(&db).await;
    db
}

/// Rows in all tables of `db` but the ledgers.
async fn rows_in(db: &TestDb) -> i64 {
    let counts = app::backup::table_counts(&db.conn).await.expect("counts");
    counts
        .iter()
        .filter(|(t, _)| !content::LEDGERS.contains(&t.as_str()))
        .map(|(_, n)| n)
        .sum()
}

async fn refuses_a_target_with_rows(backend: Backend) {
    let source = filled_source().await;
    let target = TestDb::migrated(backend).await;
    target
        .raw("INSERT INTO rate_limit (ip_address, request_count) VALUES ('198.51.100.7', 3)")
        .await
        .expect("a row");
    let dir = tempfile::tempdir().expect("dir");
    let err = copy(dir.path(), &source.url, &target.url)
        .await
        .expect_err("refused");
    let message = format!("{err:#}");
    assert!(message.contains("not empty"), "{message}");
    assert!(message.contains("rate_limit"), "{message}");
    assert_eq!(rows_in(&target).await, 1, "the target is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_target_with_rows_is_refused() {
    refuses_a_target_with_rows(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn postgres_target_with_rows_is_refused() {
    refuses_a_target_with_rows(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_at_another_version_is_refused_naming_both() {
    let source = filled_source().await;
    let target = TestDb::empty(Backend::Sqlite).await;
    migration::Migrator::up(&target.conn, Some(3))
        .await
        .expect("up 3");
    let dir = tempfile::tempdir().expect("dir");
    let err = copy(dir.path(), &source.url, &target.url)
        .await
        .expect_err("refused");
    let message = format!("{err:#}");
    let migrations = migration::Migrator::migrations();
    let latest = migrations.last().expect("one").name().to_owned();
    let third = migrations[2].name().to_owned();
    assert!(message.contains(&latest), "{message}");
    assert!(message.contains(&third), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_the_same_database_and_a_missing_source() {
    let source = filled_source().await;
    let dir = tempfile::tempdir().expect("dir");
    let err = copy(dir.path(), &source.url, &source.url)
        .await
        .expect_err("same");
    assert!(format!("{err:#}").contains("same database"), "{err:#}");
    let missing = sqlite_url(dir.path(), "missing.sqlite3");
    let err = copy(dir.path(), &missing, &sqlite_url(dir.path(), "x.sqlite3"))
        .await
        .expect_err("missing");
    assert!(format!("{err:#}").contains("not an existing"), "{err:#}");
    assert!(!dir.path().join("missing.sqlite3").exists());
}

/// A trigger on the target refuses rows of `vector_records` (copied after its parent
/// `vector_collections` and the tables without parents): the copy fails after those went in,
/// and the target holds no row afterwards.
async fn a_failure_half_way_leaves_the_target_empty(backend: Backend) {
    let source = filled_source().await;
    let target = TestDb::migrated(backend).await;
    match backend {
        Backend::Sqlite => {
            target
                .raw(
                    "CREATE TRIGGER refuse_records BEFORE INSERT ON vector_records \
                     BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                )
                .await
                .expect("trigger");
        }
        Backend::Postgres => {
            target
                .raw(
                    "CREATE FUNCTION refuse_records() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
                )
                .await
                .expect("function");
            target
                .raw(
                    "CREATE TRIGGER refuse_records BEFORE INSERT ON vector_records \
                     FOR EACH ROW EXECUTE FUNCTION refuse_records()",
                )
                .await
                .expect("trigger");
        }
    }
    let dir = tempfile::tempdir().expect("dir");
    let err = copy(dir.path(), &source.url, &target.url)
        .await
        .expect_err("the trigger stops it");
    let message = format!("{err:#}");
    assert!(message.contains("vector_records"), "{message}");
    assert_eq!(rows_in(&target).await, 0, "nothing of the copy is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_failure_half_way_leaves_the_target_empty() {
    a_failure_half_way_leaves_the_target_empty(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn postgres_failure_half_way_leaves_the_target_empty() {
    a_failure_half_way_leaves_the_target_empty(Backend::Postgres).await;
}

/// A target without tables that fails half-way is left without tables: the migrations ran in
/// the copy's transaction too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn a_failed_copy_into_a_new_database_leaves_no_tables() {
    let source = filled_source().await;
    // A row the target cannot take: PostgreSQL refuses NUL in text, SQLite stores it.
    source
        .raw(
            "INSERT INTO system_config (key, value, schema_version, updated_by) \
              VALUES ('nul', '1', '1', 'a' || char(0) || 'b')",
        )
        .await
        .expect("a NUL in text");
    let target = TestDb::empty(Backend::Postgres).await;
    let dir = tempfile::tempdir().expect("dir");
    let err = copy(dir.path(), &source.url, &target.url)
        .await
        .expect_err("PostgreSQL refuses NUL in text");
    assert!(format!("{err:#}").contains("system_config"), "{err:#}");
    let tables = app::backup::table_counts(&target.conn)
        .await
        .expect("counts");
    assert!(tables.is_empty(), "no tables left: {tables:?}");
}
