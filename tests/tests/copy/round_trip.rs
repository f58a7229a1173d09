//! SQLite → PostgreSQL → SQLite, and SQLite → SQLite: every table's content equals the
//! original's, the reports' per-table checksums agree, and PostgreSQL holds the values exactly.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tests::{Backend, TestDb};

use super::{content, copy, fixture, sqlite_url};

/// `table` → (rows, sha256) of a `dal copy --json` report.
fn tables_of(report: &serde_json::Value) -> BTreeMap<String, (u64, String)> {
    report["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| {
            (
                t["table"].as_str().expect("table").to_owned(),
                (
                    t["rows"].as_u64().expect("rows"),
                    t["sha256"].as_str().expect("sha256").to_owned(),
                ),
            )
        })
        .collect()
}

/// A SQLite database holding rows in every table.
async fn filled_source() -> TestDb {
    let db = TestDb::migrated(Backend::Sqlite).await;
    fixture::fill(&db).await;
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_sqlite_keeps_every_table() {
    let source = filled_source().await;
    let original = content::of_sqlite(&source.conn).await;
    for (table, rows) in &original {
        assert!(!rows.is_empty(), "the fixture writes rows into {table}");
    }
    let dir = tempfile::tempdir().expect("dir");
    let target = sqlite_url(dir.path(), "copy.sqlite3");
    let report = copy(dir.path(), &source.url, &target).await.expect("copy");
    assert_eq!(report["migrated_target"], true, "{report}");
    let tables = tables_of(&report);
    assert_eq!(
        tables.keys().collect::<Vec<_>>(),
        original.keys().collect::<Vec<_>>()
    );
    for (table, (rows, _)) in &tables {
        assert_eq!(*rows as usize, original[table].len(), "{table}");
    }
    let copied = sea_orm::Database::connect(&target).await.expect("open");
    content::assert_same(&original, &content::of_sqlite(&copied).await);
    copied.close().await.expect("close");

    // Without --from, the configured database is the source; without --json, one line per
    // table and a total.
    let env = std::collections::HashMap::from([("DATABASE_URL".to_owned(), source.url.clone())]);
    let again = sqlite_url(dir.path(), "again.sqlite3");
    let (out, result) = crate::cli::dal_output(
        dir.path(),
        &env,
        &["copy", "--to", &again, "--batch-rows", "7"],
    )
    .await;
    result.expect("copy from the configured database");
    assert!(out.contains("counts and checksums match"), "{out}");
    for (table, (rows, sha256)) in &tables {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table.as_str()))
            .unwrap_or_else(|| panic!("a line for {table}: {out}"));
        assert!(line.contains(&format!(" {rows} rows")), "{line}");
        assert!(line.ends_with(sha256.as_str()), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn sqlite_to_postgres_to_sqlite_keeps_every_table() {
    let source = filled_source().await;
    let original = content::of_sqlite(&source.conn).await;
    let dir = tempfile::tempdir().expect("dir");

    // Into a PostgreSQL database without tables: migrated inside the copy's transaction.
    let pg = TestDb::empty(Backend::Postgres).await;
    let there = copy(dir.path(), &source.url, &pg.url).await.expect("to pg");
    assert_eq!(there["migrated_target"], true, "{there}");
    for (table, (rows, _)) in tables_of(&there) {
        assert_eq!(rows as usize, original[&table].len(), "{table}");
    }
    fixture::assert_exact_on_postgres(&pg).await;

    // Sequences follow the copied ids: the next serial id is max + 1.
    let next = pg
        .conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "INSERT INTO rate_limit (ip_address) VALUES ('192.0.2.99') RETURNING id",
        ))
        .await
        .expect("insert")
        .expect("row")
        .try_get::<i32>("", "id")
        .expect("id");
    assert_eq!(next, fixture::MAX_RATE_LIMIT_ID + 1);
    pg.raw("DELETE FROM rate_limit WHERE ip_address = '192.0.2.99'")
        .await
        .expect("delete");

    // And back into a new SQLite file.
    let target = sqlite_url(dir.path(), "back.sqlite3");
    let back = copy(dir.path(), &pg.url, &target).await.expect("to sqlite");
    assert_eq!(
        tables_of(&back),
        tables_of(&there),
        "the same rows and checksums both ways"
    );
    let copied = sea_orm::Database::connect(&target).await.expect("open");
    content::assert_same(&original, &content::of_sqlite(&copied).await);
    copied.close().await.expect("close");
}
