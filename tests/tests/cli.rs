//! The `dal` tool, run in-process as `main` runs it.

use std::collections::HashMap;

use clap::Parser;
use migration::MigratorTrait;

async fn dal(
    dir: &std::path::Path,
    env: &HashMap<String, String>,
    args: &[&str],
) -> anyhow::Result<String> {
    let cli = app::cli::Cli::try_parse_from(std::iter::once("dal").chain(args.iter().copied()))?;
    let mut out = Vec::new();
    app::cli::run(cli, dir, Some(env), &mut out).await?;
    Ok(String::from_utf8(out)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_in_an_empty_directory_with_no_configuration() {
    tests::init_tracing();
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::new();
    let report = dal(dir.path(), &env, &["init"]).await.expect("dal init");

    let file = dir.path().join("data/dal.sqlite3");
    assert!(file.is_file(), "init creates ./data/dal.sqlite3");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(report.contains("0 pending"), "{report}");
    assert!(report.contains("content_metadata"), "{report}");
    assert!(report.contains("schema_versions"), "{report}");

    // Idempotent, and `status --json` reports the same database.
    dal(dir.path(), &env, &["init"]).await.expect("second init");
    let json: serde_json::Value = serde_json::from_str(
        &dal(dir.path(), &env, &["status", "--json"])
            .await
            .expect("status"),
    )
    .expect("json");
    assert_eq!(json["database"]["backend"], "sqlite");
    assert_eq!(
        json["cache"]["backend"], "memory",
        "no REDIS_URL: the in-process cache"
    );
    assert_eq!(json["cache"]["reachable"], true);
    assert_eq!(json["database"]["pending"], 0);
    let tables = json["tables"].as_array().expect("tables");
    let versions = tables
        .iter()
        .find(|t| t["table"] == "schema_versions")
        .expect("schema_versions listed");
    assert_eq!(versions["rows"], migration::Migrator::migrations().len());

    // migrate down / status / up round trip through the tool.
    let listing = dal(dir.path(), &env, &["migrate", "down", "-n", "1"])
        .await
        .expect("down");
    assert!(
        listing
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("pending")),
        "{listing}"
    );
    let listing = dal(dir.path(), &env, &["migrate", "up"]).await.expect("up");
    assert!(
        listing.lines().all(|l| l.starts_with("applied")),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_creates_a_missing_postgres_database() {
    let Some(admin) = tests::postgres_url() else {
        return;
    };
    let name = tests::unique_name();
    let url = tests::with_database(&admin, &name);
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([("DATABASE_URL".to_owned(), url.clone())]);
    let report = dal(dir.path(), &env, &["init"])
        .await
        .expect("dal init on PostgreSQL");
    assert!(report.contains("PostgreSQL"), "{report}");
    assert!(report.contains("0 pending"), "{report}");
    // Clean up the database we made.
    let conn = sea_orm::Database::connect(&admin).await.expect("admin");
    sea_orm::ConnectionTrait::execute_unprepared(
        &conn,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .await
    .expect("drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_redis_and_an_unreachable_one() {
    let Some(redis) = tests::redis_url() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut env = HashMap::from([("REDIS_URL".to_owned(), redis)]);
    dal(dir.path(), &env, &["init"]).await.expect("init");
    let json: serde_json::Value = serde_json::from_str(
        &dal(dir.path(), &env, &["status", "--json"])
            .await
            .expect("status"),
    )
    .expect("json");
    assert_eq!(json["cache"]["backend"], "redis");
    assert_eq!(json["cache"]["reachable"], true);

    // Redis down (a closed port): status still answers, from the database, and says so.
    env.insert("REDIS_URL".to_owned(), "redis://127.0.0.1:1/0".to_owned());
    let json: serde_json::Value = serde_json::from_str(
        &dal(dir.path(), &env, &["status", "--json"])
            .await
            .expect("status with Redis down"),
    )
    .expect("json");
    assert_eq!(json["cache"]["reachable"], false);
    assert_eq!(json["database"]["pending"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_is_idempotent_and_cleanup_reports_what_it_removed() {
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::new();
    dal(dir.path(), &env, &["init"])
        .await
        .expect("init seeds the reference data");
    let again: serde_json::Value = serde_json::from_str(
        dal(dir.path(), &env, &["seed", "--json"])
            .await
            .expect("seed")
            .trim(),
    )
    .expect("json");
    assert_eq!(again["inserted"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");
    assert!(
        again["unchanged"].as_u64().is_some_and(|n| n >= 12),
        "{again}"
    );

    // Two expired rows and one live one, written through the repository.
    let url = format!("sqlite://{}", dir.path().join("data/dal.sqlite3").display());
    let manager = repository::DatabaseManager::connect_with(repository::DbConfig::new(url))
        .await
        .expect("connect");
    let store =
        repository::knowledge::SearchCacheStore::new(manager.connection().await.expect("conn"));
    for (i, ttl_secs) in [1u64, 1, 3600].into_iter().enumerate() {
        let entry = repository::knowledge::NewSearchCache::new(
            repository::QueryHash::digest(format!("query {i}")),
            format!("query {i}"),
            serde_json::json!({"results": []}),
        )
        .with_ttl(std::time::Duration::from_secs(ttl_secs));
        repository::knowledge::SearchCacheRepository::put(&store, entry)
            .await
            .expect("put");
    }
    manager.disconnect().await.expect("disconnect");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let report: serde_json::Value = serde_json::from_str(
        dal(dir.path(), &env, &["cleanup", "--json"])
            .await
            .expect("cleanup")
            .trim(),
    )
    .expect("json");
    assert_eq!(report["search_cache"]["deleted"], 2, "{report}");
    let text = dal(dir.path(), &env, &["cleanup"])
        .await
        .expect("cleanup again");
    assert!(text.contains("0 expired rows deleted"), "{text}");
}

#[tokio::test]
async fn bad_configuration_is_reported_clearly() {
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([("DATABASE_URL".to_owned(), "mysql://nope".to_owned())]);
    let err = dal(dir.path(), &env, &["status"])
        .await
        .expect_err("unsupported scheme");
    assert!(format!("{err:#}").contains("DATABASE_URL"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_emits_every_op_as_json() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dal(
        dir.path(),
        &HashMap::new(),
        &[
            "bench",
            "--json",
            "--scale",
            "0.01",
            "--rows",
            "2000",
            "--cache-url",
            "memory",
        ],
    )
    .await
    .expect("dal bench");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is JSON"))
        .collect();
    let ops: Vec<&str> = lines.iter().filter_map(|l| l["op"].as_str()).collect();
    let mut expected: Vec<&str> = app::bench::OPS.to_vec();
    expected.push("peak_rss");
    assert_eq!(ops, expected, "every op, in order, then peak_rss");
    for line in &lines[..lines.len() - 1] {
        let op = line["op"].as_str().unwrap_or_default();
        assert!(line["n"].as_u64().is_some_and(|n| n > 0), "{line}");
        assert!(line["secs"].as_f64().is_some_and(|s| s > 0.0), "{line}");
        assert!(
            line["ops_per_sec"].as_f64().is_some_and(|r| r > 0.0),
            "{line}"
        );
        let timed = !matches!(op, "insert_bulk" | "cleanup_expired");
        assert_eq!(line.get("p50_us").is_some(), timed, "{line}");
        if timed {
            let (p50, p99) = (
                line["p50_us"].as_f64().unwrap_or(-1.0),
                line["p99_us"].as_f64().unwrap_or(-1.0),
            );
            assert!(p50 > 0.0 && p99 >= p50, "{line}");
        }
    }
    assert_eq!(lines[0]["n"], 2000, "insert_bulk inserts every row");
    assert_eq!(
        lines[5]["n"], 500,
        "cleanup_expired deletes the expired half of 1,000 rows"
    );
    assert!(
        lines
            .last()
            .and_then(|l| l["peak_rss_mb"].as_f64())
            .is_some_and(|mb| mb > 0.0)
    );
}
