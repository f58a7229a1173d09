//! SQLite files are shared with other clients: the `sqlite3` shell, SQLite's own date functions
//! and the seeds' Python stack. Rows they write (`CURRENT_TIMESTAMP`, `datetime('now', …)`,
//! SQLAlchemy's `YYYY-MM-DD HH:MM:SS.ffffff`) are found, ordered, expired and cleaned right by every
//! repository query that compares time; files we write are read back by Python's `sqlite3`; files
//! written by earlier versions of this project are converted in place by a migration.

use chrono::{DateTime, TimeDelta, Utc};
use entity::knowledge::{search_cache, source_metadata};
use migration::{Migrator, MigratorTrait};
use repository::Page;
use repository::knowledge::{
    ContentFilter, ContentOrder, ContentRepository, ContentStore, MappingRepository, MappingStore,
    NewMapping, SearchCacheRepository, SearchCacheStore, SourceRepository, SourceStore,
};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use tests::{Backend, TestDb};

/// SQLAlchemy's SQLite storage format for `DateTime` columns.
fn sqlalchemy(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

async fn sqlite() -> TestDb {
    TestDb::migrated(Backend::Sqlite).await
}

/// Run `sql` with bound text parameters.
async fn exec(db: &TestDb, sql: &str, params: &[&str]) {
    db.conn
        .execute_raw(Statement::from_sql_and_values(
            db.db_backend(),
            sql,
            params.iter().map(|p| (*p).into()),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn text(db: &TestDb, sql: &str) -> String {
    db.conn
        .query_one_raw(Statement::from_string(db.db_backend(), sql))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index(0)
        .expect("text")
}

/// A search-cache row written by another client, its expiry an SQL expression.
async fn cache_row(db: &TestDb, hash: &str, expires_at_sql: &str) {
    exec(
        db,
        &format!(
            "INSERT INTO search_cache (query_hash, original_query, search_results, expires_at) \
             VALUES (?, 'q', '[]', {expires_at_sql})"
        ),
        &[hash],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_cache_expiry_written_by_other_clients() {
    let db = sqlite().await;
    let soon = sqlalchemy(Utc::now() + TimeDelta::minutes(10));
    let past = sqlalchemy(Utc::now() - TimeDelta::minutes(10));
    cache_row(&db, &"a".repeat(64), "datetime('now', '+1 hour')").await;
    cache_row(&db, &"b".repeat(64), "datetime('now', '-1 hour')").await;
    cache_row(&db, &"c".repeat(64), &format!("'{soon}'")).await;
    cache_row(&db, &"d".repeat(64), &format!("'{past}'")).await;
    cache_row(&db, &"e".repeat(64), "CURRENT_TIMESTAMP").await;

    let repo = SearchCacheStore::new(db.conn.clone());
    let now = tests::now();
    for live in ["a", "c"] {
        let hit = repo.get(&live.repeat(64), now).await.expect("get");
        assert!(hit.is_some(), "{live}: an unexpired row is a hit");
    }
    for expired in ["b", "d", "e"] {
        let hit = repo.get(&expired.repeat(64), now).await.expect("get");
        assert!(hit.is_none(), "{expired}: an expired row is a miss");
    }
    let stats = repo.stats(now).await.expect("stats");
    assert_eq!((stats.total, stats.expired), (5, 3));

    let removed = repo.cleanup_expired(now, None).await.expect("cleanup");
    assert_eq!(removed.deleted, 3, "exactly the expired rows are cleaned");
    let left: Vec<String> = search_cache::Entity::find()
        .all(&db.conn)
        .await
        .expect("rows")
        .into_iter()
        .map(|m| m.query_hash[..1].to_owned())
        .collect();
    assert_eq!(left, ["a", "c"]);
    // The CURRENT_TIMESTAMP default of another client's row reads back as a time.
    let row = search_cache::Entity::find_by_id("a".repeat(64))
        .one(&db.conn)
        .await
        .expect("find")
        .expect("row");
    assert!((row.created_at.into_inner() - Utc::now()).abs() < TimeDelta::seconds(5));
    assert!(row.expires_at.into_inner() > Utc::now() + TimeDelta::minutes(55));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stored_shape_reads_as_the_same_instant() {
    let db = sqlite().await;
    let shapes = [
        "2026-12-01 04:35:00",
        "2026-12-01 04:35:00.000",
        "2026-12-01 04:35:00.000000",
        "2026-12-01T04:35:00",
        "2026-12-01T04:35:00Z",
        "2026-12-01T04:35:00+00:00",
        "2026-12-01T04:35:00.000+00:00",
        "2026-12-01 06:35:00+02:00",
        "2026-12-01T00:35:00-04:00",
    ];
    for (i, shape) in shapes.iter().enumerate() {
        cache_row(&db, &format!("{i:064}"), &format!("'{shape}'")).await;
    }
    let expected: DateTime<Utc> = "2026-12-01T04:35:00Z".parse().expect("instant");
    for (i, shape) in shapes.iter().enumerate() {
        let row = search_cache::Entity::find_by_id(format!("{i:064}"))
            .one(&db.conn)
            .await
            .expect("find")
            .expect("row");
        assert_eq!(row.expires_at, expected, "{shape}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_mappings_and_rate_limits_written_by_other_clients() {
    let db = sqlite().await;
    let mappings = MappingStore::new(db.conn.clone());
    let new = |repo: &str| NewMapping::github("rust", "example", repo);
    mappings
        .seed(&[
            new("due-shell"),
            new("fresh-shell"),
            new("due-sqlalchemy"),
            new("fresh-sqlalchemy"),
        ])
        .await
        .expect("seed");
    let set_last = |repo: &'static str, sql: String| {
        let db = &db;
        async move {
            exec(
                db,
                &format!("UPDATE technology_mappings SET last_updated = {sql} WHERE repo = ?"),
                &[repo],
            )
            .await;
        }
    };
    set_last("due-shell", "datetime('now', '-25 hours')".to_owned()).await;
    set_last("fresh-shell", "datetime('now', '-23 hours')".to_owned()).await;
    set_last(
        "due-sqlalchemy",
        format!(
            "'{}'",
            sqlalchemy(Utc::now() - TimeDelta::hours(24) - TimeDelta::seconds(5))
        ),
    )
    .await;
    set_last(
        "fresh-sqlalchemy",
        format!("'{}'", sqlalchemy(Utc::now() - TimeDelta::hours(23))),
    )
    .await;
    let mut due: Vec<String> = mappings
        .due_for_update(tests::now(), 10)
        .await
        .expect("due")
        .into_iter()
        .filter_map(|m| m.repo)
        .collect();
    due.sort();
    assert_eq!(due, ["due-shell", "due-sqlalchemy"]);

    // A rate-limit window set by another client: still limited before its reset, lifted after.
    exec(
        &db,
        "INSERT INTO source_metadata (source_id, source_type, source_url, technology, \
         rate_limit_status, rate_limit_reset_at) VALUES \
         ('limited', 'github', 'https://github.com/a/b', 'rust', 'limited', datetime('now', '+1 hour')), \
         ('lifted', 'github', 'https://github.com/a/c', 'rust', 'limited', datetime('now', '-1 minute'))",
        &[],
    )
    .await;
    let sources = SourceStore::new(db.conn.clone());
    let limited = sources.rate_limit_status("limited").await.expect("status");
    assert_eq!(
        limited.status,
        entity::knowledge::sea_orm_active_enums::RateLimitStatus::Limited
    );
    let lifted = sources.rate_limit_status("lifted").await.expect("status");
    assert_eq!(
        lifted.status,
        entity::knowledge::sea_orm_active_enums::RateLimitStatus::Normal
    );
    let row = source_metadata::Entity::find_by_id("limited")
        .one(&db.conn)
        .await
        .expect("find")
        .expect("row");
    assert!(row.created_at.into_inner() <= Utc::now());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_order_mixes_our_rows_and_other_clients() {
    let db = sqlite().await;
    let insert = |id: &'static str, created_sql: String| {
        let db = &db;
        async move {
            exec(
                db,
                &format!(
                    "INSERT INTO content_metadata (content_id, title, source_url, technology, \
                     content_hash, created_at) VALUES (?, 't', 'https://example.com', 'rust', ?, \
                     {created_sql})"
                ),
                &[id, &format!("{id:0>64}")],
            )
            .await;
        }
    };
    let base = Utc::now() - TimeDelta::hours(1);
    // Written by other clients at base - 2 s, base - 1 s and base + 1 s; and by us (through a
    // bound parameter, as every repository writes) at base.
    insert(
        "1",
        format!("'{}'", sqlalchemy(base - TimeDelta::seconds(2))),
    )
    .await;
    insert(
        "2",
        format!(
            "datetime('{}', '-1 second')",
            base.format("%Y-%m-%d %H:%M:%S")
        ),
    )
    .await;
    insert(
        "4",
        format!("'{}'", sqlalchemy(base + TimeDelta::seconds(1))),
    )
    .await;
    db.conn
        .execute_raw(Statement::from_sql_and_values(
            db.db_backend(),
            "INSERT INTO content_metadata (content_id, title, source_url, technology, \
             content_hash, created_at) VALUES ('3', 't', 'https://example.com', 'rust', ?, ?)",
            [
                format!("{:0>64}", 3).into(),
                entity::DbDateTime::from(base).into(),
            ],
        ))
        .await
        .expect("insert ours");
    let content = ContentStore::new(db.conn.clone());
    let ids: Vec<String> = content
        .list(
            ContentFilter::default(),
            ContentOrder::CreatedAsc,
            Page::first(10),
        )
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.content_id)
        .collect();
    assert_eq!(
        ids,
        ["1", "2", "3", "4"],
        "oldest first, whoever wrote the row"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sqlite3_reads_a_file_made_by_dal_init() {
    let dir = tempfile::tempdir().expect("dir");
    let cli = <app::cli::Cli as clap::Parser>::try_parse_from(["dal", "init"]).expect("args");
    let env = std::collections::HashMap::new();
    app::cli::run(cli, dir.path(), Some(&env), &mut Vec::new())
        .await
        .expect("dal init");
    let file = dir.path().join("data/dal.sqlite3");
    // Every TIMESTAMP column of every table parses with the sqlite3 module's own converter, every
    // JSON column with json.loads, and each column's declared type is what reflection sees.
    let script = r#"
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1], detect_types=sqlite3.PARSE_DECLTYPES)
tables = [r[0] for r in con.execute(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
checked = 0
for table in tables:
    for _, name, decl, *_ in con.execute(f'PRAGMA table_info("{table}")').fetchall():
        if decl in ('timestamp_with_timezone_text', 'json_text', 'jsonb_text', 'uuid_text'):
            sys.exit(f'{table}.{name} is declared {decl}')
        for (value,) in con.execute(f'SELECT "{name}" FROM "{table}"'):
            if value is None:
                continue
            if decl == 'TIMESTAMP':
                assert value.__class__.__name__ == 'datetime', (table, name, value)
                checked += 1
            elif decl == 'JSON':
                json.loads(value) if isinstance(value, str) else value
                checked += 1
print(checked)
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python3 runs (scripts/test needs it)");
    assert!(
        out.status.success(),
        "python3 could not read the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checked: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("count");
    assert!(checked > 50, "values checked: {checked}");
}

/// The migrations released before the SQLite conversion.
const BEFORE_CONVERSION: u32 = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_an_earlier_version_is_converted_in_place_and_back() {
    let db = TestDb::empty(Backend::Sqlite).await;
    Migrator::up(&db.conn, Some(BEFORE_CONVERSION))
        .await
        .expect("earlier schema");
    let declared = "SELECT type FROM pragma_table_info('search_cache') WHERE name = 'expires_at'";
    assert_eq!(text(&db, declared).await, "timestamp_with_timezone_text");
    // Rows as earlier versions wrote them: RFC 3339 from the application, the T-shaped default,
    // a bare JSON number as text, and an append-only audit row.
    exec(
        &db,
        "INSERT INTO search_cache (query_hash, original_query, search_results, expires_at) VALUES \
         ('h1', 'q', '[]', '2026-12-01T04:35:00.123456+00:00'), \
         ('h2', 'q', '[]', '2026-12-01T06:35:00+02:00'), \
         ('h3', 'q', '[]', '2026-12-01T04:35:00Z')",
        &[],
    )
    .await;
    exec(
        &db,
        "INSERT INTO system_config (key, value) VALUES ('n', '42'), ('s', '\"x\"')",
        &[],
    )
    .await;
    exec(
        &db,
        "INSERT INTO audit_logs (event_type, old_values) VALUES ('task_created', '7')",
        &[],
    )
    .await;
    let old_default = text(
        &db,
        "SELECT created_at FROM search_cache WHERE query_hash = 'h1'",
    )
    .await;
    assert!(
        old_default.contains('T') && old_default.ends_with("+00:00"),
        "{old_default}"
    );

    Migrator::up(&db.conn, None).await.expect("convert");
    assert_eq!(text(&db, declared).await, "TIMESTAMP");
    let expires =
        |hash: &str| format!("SELECT expires_at FROM search_cache WHERE query_hash = '{hash}'");
    assert_eq!(
        text(&db, &expires("h1")).await,
        "2026-12-01 04:35:00.123456"
    );
    assert_eq!(text(&db, &expires("h2")).await, "2026-12-01 04:35:00.000");
    assert_eq!(text(&db, &expires("h3")).await, "2026-12-01 04:35:00");
    let converted = text(
        &db,
        "SELECT created_at FROM search_cache WHERE query_hash = 'h1'",
    )
    .await;
    assert_eq!(
        converted,
        old_default.replace('T', " ").replace("+00:00", "")
    );
    assert_eq!(
        text(
            &db,
            "SELECT typeof(value) FROM system_config WHERE key = 'n'"
        )
        .await,
        "integer"
    );
    let config = repository::knowledge::SystemConfigStore::new(db.conn.clone());
    let n: i64 = repository::knowledge::SystemConfigRepository::get_value(&config, "n")
        .await
        .expect("get")
        .and_then(|v| v.value.as_i64())
        .expect("a JSON number");
    assert_eq!(n, 42);
    assert!(
        !text(&db, "SELECT created_at FROM audit_logs")
            .await
            .contains('T'),
        "audit timestamps converted too"
    );
    assert_eq!(text(&db, "PRAGMA integrity_check").await, "ok");
    assert!(
        db.raw("UPDATE audit_logs SET event_type = 'x'")
            .await
            .is_err(),
        "audit_logs is append-only again"
    );
    let schema = text(
        &db,
        "SELECT group_concat(sql, ';') FROM sqlite_schema WHERE type = 'table'",
    )
    .await;
    for old in [
        "timestamp_with_timezone_text",
        "json_text",
        "jsonb_text",
        "uuid_text",
        "strftime(",
    ] {
        assert!(!schema.contains(old), "{old} left in the schema");
    }

    // Back down to before the conversion (through any migration released after it).
    let since_conversion =
        u32::try_from(Migrator::migrations().len()).expect("count") - BEFORE_CONVERSION;
    Migrator::down(&db.conn, Some(since_conversion))
        .await
        .expect("convert back");
    assert_eq!(text(&db, declared).await, "timestamp_with_timezone_text");
    assert_eq!(
        text(&db, &expires("h1")).await,
        "2026-12-01T04:35:00.123456+00:00"
    );
    assert_eq!(
        text(
            &db,
            "SELECT typeof(value) FROM system_config WHERE key = 'n'"
        )
        .await,
        "text"
    );
    assert_eq!(text(&db, "PRAGMA integrity_check").await, "ok");
    assert!(db.raw("DELETE FROM audit_logs").await.is_err());
    Migrator::up(&db.conn, None).await.expect("convert again");
    assert_eq!(
        text(&db, &expires("h1")).await,
        "2026-12-01 04:35:00.123456"
    );
}
