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

/// What `dal args` printed, and how it ended (a command can print a report, then fail).
pub async fn dal_output(
    dir: &std::path::Path,
    env: &HashMap<String, String>,
    args: &[&str],
) -> (String, anyhow::Result<()>) {
    let cli = app::cli::Cli::try_parse_from(std::iter::once("dal").chain(args.iter().copied()))
        .expect("args");
    let mut out = Vec::new();
    let result = app::cli::run(cli, dir, Some(env), &mut out).await;
    (String::from_utf8(out).expect("utf-8"), result)
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
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn init_creates_a_missing_postgres_database() {
    let admin = tests::postgres_url();
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
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn status_reports_redis_and_an_unreachable_one() {
    let redis = tests::redis_url();
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
    // The report is printed, and the command fails naming what is down.
    env.insert("REDIS_URL".to_owned(), "redis://127.0.0.1:1/0".to_owned());
    let (out, result) = dal_output(dir.path(), &env, &["status", "--json"]).await;
    let err = result.expect_err("a configured backend is down");
    assert!(format!("{err:#}").contains("unreachable: cache"), "{err:#}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
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
        dal(dir.path(), &env, &["seed", "--only", "knowledge", "--json"])
            .await
            .expect("seed")
            .trim(),
    )
    .expect("json");
    let again = &again["knowledge"];
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

/// `dal init` creates the seeds' vector collections (idempotently, with the configured
/// dimension); `dal status`, `dal vector ls` and `dal vector info` show them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_creates_the_vector_collections_and_the_tool_lists_them() {
    const SEED_COLLECTIONS: [&str; 6] = [
        "contract_chunks",
        "docrag_chunks",
        "employee_documents",
        "policy_chunks",
        "resume_chunks",
        "review_chunks",
    ];
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::new();
    let report = dal(dir.path(), &env, &["init"]).await.expect("init");
    assert!(report.contains("vectors   embedded sqlite:"), "{report}");
    assert!(report.contains("6 collections"), "{report}");
    dal(dir.path(), &env, &["init"]).await.expect("init again");

    let status: serde_json::Value = serde_json::from_str(
        &dal(dir.path(), &env, &["status", "--json"])
            .await
            .expect("status"),
    )
    .expect("json");
    assert_eq!(status["vector"]["backend"], "embedded");
    assert_eq!(status["vector"]["reachable"], true);
    assert!(status["vector"]["round_trip_ms"].as_f64().is_some());
    let listed: Vec<(&str, u64)> = status["vector"]["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default(),
                c["records"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    assert_eq!(listed, SEED_COLLECTIONS.map(|name| (name, 0)));

    // Records written through the repository show in the counts.
    let url = format!("sqlite://{}", dir.path().join("data/dal.sqlite3").display());
    let manager = repository::DatabaseManager::connect_with(repository::DbConfig::new(url))
        .await
        .expect("connect");
    let store =
        repository::vector::EmbeddedVectorStore::new(manager.connection().await.expect("conn"));
    let name = repository::vector::CollectionName::parse("resume_chunks").expect("name");
    repository::vector::VectorStore::upsert(
        &store,
        &name,
        vec![repository::vector::VectorRecord::new(
            repository::vector::RecordId::parse("r1").expect("id"),
            vec![0.5; 384],
        )],
    )
    .await
    .expect("upsert");
    manager.disconnect().await.expect("disconnect");

    let text = dal(dir.path(), &env, &["vector", "ls"]).await.expect("ls");
    for name in SEED_COLLECTIONS {
        assert!(text.contains(name), "{text}");
    }
    assert!(
        text.lines().any(|l| l.starts_with("resume_chunks")
            && l.contains("384")
            && l.contains("cosine")
            && l.ends_with(" 1")),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &dal(dir.path(), &env, &["vector", "ls", "--json"])
            .await
            .expect("ls --json"),
    )
    .expect("json");
    let all = json.as_array().expect("array");
    assert_eq!(all.len(), 6);
    assert!(
        all.iter()
            .all(|c| c["dimension"] == 384 && c["distance"] == "cosine")
    );

    let info: serde_json::Value = serde_json::from_str(
        &dal(
            dir.path(),
            &env,
            &["vector", "info", "resume_chunks", "--json"],
        )
        .await
        .expect("info --json"),
    )
    .expect("json");
    assert_eq!(info["name"], "resume_chunks");
    assert_eq!(info["count"], 1);
    assert_eq!(info["metadata"]["seed"], "003");
    assert_eq!(info["metadata"]["system"], "assistant");
    let text = dal(dir.path(), &env, &["vector", "info", "docrag_chunks"])
        .await
        .expect("info");
    assert!(
        text.contains("dimension  384") && text.contains("seed = \"001\""),
        "{text}"
    );

    let missing = dal(dir.path(), &env, &["vector", "info", "no_such_collection"])
        .await
        .expect_err("missing");
    assert!(format!("{missing:#}").contains("not found"), "{missing:#}");
    let bad = dal(dir.path(), &env, &["vector", "info", "x"])
        .await
        .expect_err("bad name");
    assert!(format!("{bad:#}").contains("invalid collection"), "{bad:#}");

    // Another dimension for existing collections is refused, naming the collection.
    let other = HashMap::from([("DAL_VECTOR_DIMENSION".to_owned(), "768".to_owned())]);
    let err = dal(dir.path(), &other, &["init"])
        .await
        .expect_err("dimension changed");
    assert!(
        format!("{err:#}").contains("exists with dimension 384"),
        "{err:#}"
    );

    // A fresh directory takes the configured dimension.
    let fresh = tempfile::tempdir().expect("dir");
    dal(fresh.path(), &other, &["init"])
        .await
        .expect("init 768");
    let info: serde_json::Value = serde_json::from_str(
        &dal(
            fresh.path(),
            &other,
            &["vector", "info", "policy_chunks", "--json"],
        )
        .await
        .expect("info"),
    )
    .expect("json");
    assert_eq!(info["dimension"], 768);
}

/// `CHROMA_URL` selects Chroma: `dal status` reports the store, and an unreachable server is
/// reported as such (the database keeps answering), never as a silent fallback to the embedded
/// store.
#[tokio::test]
async fn chroma_url_selects_chroma_and_an_unreachable_one_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([("CHROMA_URL".to_owned(), "http://127.0.0.1:1".to_owned())]);
    let (text, result) = dal_output(dir.path(), &env, &["status"]).await;
    let err = result.expect_err("the configured vector store is down");
    assert!(
        format!("{err:#}").contains("unreachable: vector store"),
        "{err:#}"
    );
    assert!(
        text.contains("vectors   chroma http://127.0.0.1:1"),
        "{text}"
    );
    assert!(text.contains("UNREACHABLE"), "{text}");
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
    let lines = bench_json(&["--rows", "2000", "--cache-url", "memory"]).await;
    let ops: Vec<&str> = lines.iter().filter_map(|l| l["op"].as_str()).collect();
    assert_eq!(
        ops,
        [
            "insert_bulk",
            "get_by_pk",
            "query_indexed",
            "update_by_pk",
            "txn_feedback",
            "cleanup_expired",
            "vector_upsert",
            "vector_load",
            "vector_query",
            "vector_query_filtered",
            "cache_set",
            "cache_get",
            "rate_limit",
            "peak_rss"
        ],
        "every op, in order, then peak_rss"
    );
    assert_op_lines(&lines);
    assert_eq!(lines[0]["n"], 2000, "insert_bulk inserts every row");
    assert_eq!(
        lines[5]["n"], 500,
        "cleanup_expired deletes the expired half of 1,000 rows"
    );
    assert_eq!(lines[6]["n"], 1000, "vector_upsert: 100,000 records × 0.01");
    assert_eq!(lines[8]["n"], 20, "vector_query: 2,000 queries × 0.01");
    assert!(
        lines
            .last()
            .and_then(|l| l["peak_rss_mb"].as_f64())
            .is_some_and(|mb| mb > 0.0)
    );
}

/// Every op line of `dal bench --json` (all but the closing `peak_rss`) carries positive figures,
/// latencies for the ops timed one by one, and `cache_set` the size of its value.
fn assert_op_lines(lines: &[serde_json::Value]) {
    for line in &lines[..lines.len() - 1] {
        let op = line["op"].as_str().unwrap_or_default();
        assert!(line["n"].as_u64().is_some_and(|n| n > 0), "{line}");
        assert!(line["secs"].as_f64().is_some_and(|s| s > 0.0), "{line}");
        assert!(
            line["ops_per_sec"].as_f64().is_some_and(|r| r > 0.0),
            "{line}"
        );
        let timed = !matches!(
            op,
            "insert_bulk" | "cleanup_expired" | "vector_upsert" | "vector_load"
        );
        assert_eq!(line.get("p50_us").is_some(), timed, "{line}");
        if timed {
            let (p50, p99) = (
                line["p50_us"].as_f64().unwrap_or(-1.0),
                line["p99_us"].as_f64().unwrap_or(-1.0),
            );
            assert!(p50 > 0.0 && p99 >= p50, "{line}");
        }
        let sized = op == "cache_set";
        assert_eq!(line.get("payload_bytes").is_some(), sized, "{line}");
        if sized {
            let (plain, stored) = (
                line["payload_bytes"].as_u64().unwrap_or(0),
                line["stored_bytes"].as_u64().unwrap_or(0),
            );
            assert!(
                (3000..6000).contains(&plain) && stored > 0 && stored < plain,
                "a ~4 KB JSON value, stored gzipped: {line}"
            );
        }
    }
}

async fn bench_json(args: &[&str]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("dir");
    let mut all = vec!["bench", "--json", "--scale", "0.01"];
    all.extend_from_slice(args);
    dal(dir.path(), &HashMap::new(), &all)
        .await
        .expect("dal bench")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is JSON"))
        .collect()
}

/// The cache ops alone (the former cache micro-benchmark) run without a database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_runs_the_cache_ops_alone() {
    let lines = bench_json(&[
        "--ops",
        "cache_set,cache_get,rate_limit",
        "--cache-url",
        "memory",
    ])
    .await;
    let ops: Vec<&str> = lines.iter().filter_map(|l| l["op"].as_str()).collect();
    assert_eq!(ops, ["cache_set", "cache_get", "rate_limit", "peak_rss"]);
    assert_op_lines(&lines);

    let dir = tempfile::tempdir().expect("dir");
    let refused = dal(
        dir.path(),
        &HashMap::new(),
        &["bench", "--ops", "cache_get", "--cache-url", "none"],
    )
    .await
    .expect_err("cache ops without a cache");
    assert!(
        format!("{refused:#}").contains("--cache-url none"),
        "{refused:#}"
    );
}

/// The vector ops alone run on the embedded store without the knowledge rows; a Chroma URL is
/// refused until that backend exists, a bad one by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_runs_the_vector_ops_alone() {
    let lines = bench_json(&["--ops", "vector_query", "--cache-url", "none"]).await;
    let ops: Vec<&str> = lines.iter().filter_map(|l| l["op"].as_str()).collect();
    assert_eq!(
        ops,
        [
            "vector_upsert",
            "vector_load",
            "vector_query",
            "vector_query_filtered",
            "peak_rss"
        ],
        "vector_query runs the upsert it reads, and no knowledge op"
    );
    assert_op_lines(&lines);

    let dir = tempfile::tempdir().expect("dir");
    for (url, expected) in [("ftp://x", "--vector-url")] {
        let err = dal(
            dir.path(),
            &HashMap::new(),
            &[
                "bench",
                "--ops",
                "vector_upsert",
                "--cache-url",
                "none",
                "--vector-url",
                url,
            ],
        )
        .await
        .expect_err("refused");
        assert!(format!("{err:#}").contains(expected), "{err:#}");
    }
}

/// On Redis, with the pool size given on the command line; only the bench's own keys are
/// touched (and removed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn bench_runs_the_cache_ops_on_redis() {
    let redis = tests::redis_url();
    let lines = bench_json(&[
        "--ops",
        "cache_set,cache_get,rate_limit",
        "--cache-url",
        &redis,
        "--cache-pool-size",
        "4",
    ])
    .await;
    let ops: Vec<&str> = lines.iter().filter_map(|l| l["op"].as_str()).collect();
    assert_eq!(ops, ["cache_set", "cache_get", "rate_limit", "peak_rss"]);
    assert_op_lines(&lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_only_chat_runs_the_chat_jobs() {
    use repository::chat::{ConversationRepository, NewConversation, RateLimitRepository};
    use repository::sea_orm::ConnectionTrait;
    use repository::sea_orm::sea_query::{Expr, ExprTrait, Query};

    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([("DAL_CHAT_KEEP_DAYS".to_owned(), "10".to_owned())]);
    dal(dir.path(), &env, &["init"]).await.expect("init");
    let url = format!("sqlite://{}", dir.path().join("data/dal.sqlite3").display());
    let manager = repository::DatabaseManager::connect_with(repository::DbConfig::new(url))
        .await
        .expect("connect");
    let conn = manager.connection().await.expect("conn");
    let conversations = repository::chat::ConversationStore::new(conn.clone());
    let session = repository::UuidText::new_v4();
    for i in 0..3 {
        let row = conversations
            .record(NewConversation::new(session, format!("q{i}"), "a"))
            .await
            .expect("record");
        if i < 2 {
            let old = repository::entity::DbDateTime::from(
                repository::chrono::Utc::now() - repository::chrono::Duration::days(11),
            );
            let stmt = Query::update()
                .table("conversation")
                .value("created_at", old)
                .and_where(Expr::col("id").eq(row.id.as_str()))
                .take();
            conn.execute(&stmt).await.expect("age the row");
        }
    }
    let limits = repository::chat::RateLimitStore::new(conn.clone());
    let long_ago = repository::chrono::Utc::now() - repository::chrono::Duration::hours(1);
    limits
        .check_at("192.0.2.1".parse().expect("ip"), 60, long_ago)
        .await
        .expect("old window");
    limits
        .check("192.0.2.2".parse().expect("ip"), 60)
        .await
        .expect("live window");
    manager.disconnect().await.expect("disconnect");

    let report: serde_json::Value = serde_json::from_str(
        dal(dir.path(), &env, &["cleanup", "--only", "chat", "--json"])
            .await
            .expect("cleanup")
            .trim(),
    )
    .expect("json");
    assert!(report.get("search_cache").is_none(), "{report}");
    let status: serde_json::Value = serde_json::from_str(
        dal(dir.path(), &env, &["status", "--json"])
            .await
            .expect("status")
            .trim(),
    )
    .expect("json");
    assert_eq!(status["chat"][0]["table"], "conversation", "{status}");
    assert_eq!(status["chat"][0]["rows"], 1, "the one kept: {status}");
    assert_eq!(
        status["chat"][0]["planner"],
        serde_json::Value::Null,
        "SQLite has no planner statistics"
    );
    assert!(status["database"]["pool_max_connections"].is_number());
    assert_eq!(report["chat"]["conversations_deleted"], 2, "{report}");
    assert_eq!(report["chat"]["keep_days"], 10, "{report}");
    assert_eq!(report["chat"]["rate_limits_deleted"], 1, "{report}");
    assert_eq!(
        report["chat"]["orphan_chunks"]["ran"]["deleted"], 0,
        "dal init made the chunk collection, and no chunk points into it: {report}"
    );
    let text = dal(dir.path(), &env, &["cleanup", "--only", "knowledge,chat"])
        .await
        .expect("cleanup again");
    assert!(
        text.contains("search_cache: 0 expired rows deleted"),
        "{text}"
    );
    assert!(
        text.contains("conversation: 0 rows older than 10 days deleted"),
        "{text}"
    );
    assert!(
        text.contains("rate_limit: 0 expired rows deleted"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_deletes_chunks_whose_vector_is_gone_and_an_empty_collection_needs_force() {
    use repository::chat::{ChunkRepository, DocType, NewChunk};
    use repository::vector::{
        CollectionName, EmbeddedVectorStore, RecordId, VectorRecord, VectorStore,
    };

    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([("DAL_VECTOR_DIMENSION".to_owned(), "3".to_owned())]);
    dal(dir.path(), &env, &["init"]).await.expect("init");
    let url = format!("sqlite://{}", dir.path().join("data/dal.sqlite3").display());
    let manager = repository::DatabaseManager::connect_with(repository::DbConfig::new(url))
        .await
        .expect("connect");
    let conn = manager.connection().await.expect("conn");
    let chunks = repository::chat::ChunkStore::new(conn.clone());
    for (i, id) in ["kept", "gone"].into_iter().enumerate() {
        let page = "https://docs.example.org/p"
            .parse::<repository::HttpUrl>()
            .expect("url");
        chunks
            .store(
                NewChunk::new(page, DocType::React, i as i32, format!("chunk {id}"))
                    .with_embedding_id(RecordId::parse(id).expect("id")),
            )
            .await
            .expect("chunk");
    }
    let manager_vectors = EmbeddedVectorStore::new(conn.clone());
    let collection = CollectionName::parse(app::vector::CHAT_CHUNK_COLLECTION).expect("name");

    // The collection is empty: every linked chunk would go, so the job is refused.
    let report = cleanup_json(dir.path(), &env, &["cleanup", "--only", "chat", "--json"]).await;
    let why = report["chat"]["orphan_chunks"]["skipped"]
        .as_str()
        .expect("skipped");
    assert!(why.contains("--force"), "{report}");
    assert_eq!(chunks.count().await.expect("count"), 2);

    manager_vectors
        .upsert(
            &collection,
            vec![VectorRecord::new(
                RecordId::parse("kept").expect("id"),
                vec![0.1, 0.2, 0.3],
            )],
        )
        .await
        .expect("upsert");
    let report = cleanup_json(dir.path(), &env, &["cleanup", "--only", "chat", "--json"]).await;
    let ran = &report["chat"]["orphan_chunks"]["ran"];
    assert_eq!(ran["chunk_embedding_ids"], 2, "{report}");
    assert_eq!(ran["vector_ids"], 1, "{report}");
    assert_eq!(ran["deleted"], 1, "{report}");
    let left = chunks
        .by_embedding_id(&RecordId::parse("kept").expect("id"))
        .await
        .expect("lookup");
    assert_eq!(left.len(), 1, "the chunk whose vector exists stays");
    assert_eq!(chunks.count().await.expect("count"), 1);

    // Forced against an emptied collection, the last linked chunk goes too.
    manager_vectors
        .delete(&collection, &[RecordId::parse("kept").expect("id")])
        .await
        .expect("delete vector");
    let report = cleanup_json(
        dir.path(),
        &env,
        &["cleanup", "--only", "chat", "--force", "--json"],
    )
    .await;
    assert_eq!(
        report["chat"]["orphan_chunks"]["ran"]["deleted"], 1,
        "{report}"
    );
    assert_eq!(chunks.count().await.expect("count"), 0);
    manager.disconnect().await.expect("disconnect");
}

async fn cleanup_json(
    dir: &std::path::Path,
    env: &HashMap<String, String>,
    args: &[&str],
) -> serde_json::Value {
    let out = dal(dir, env, args).await.expect("cleanup");
    serde_json::from_str(out.trim()).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_health_and_fails_when_a_configured_backend_is_down() {
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::new();
    dal(dir.path(), &env, &["init"]).await.expect("init");
    let status: serde_json::Value = serde_json::from_str(
        dal(dir.path(), &env, &["status", "--json"])
            .await
            .expect("status")
            .trim(),
    )
    .expect("json");
    let health = &status["health"];
    assert_eq!(health["backend"], "sqlite", "{health}");
    assert!(health["round_trip_ms"].is_number(), "{health}");
    assert_eq!(health["storage"]["kind"], "sqlite", "{health}");
    assert!(
        health["storage"]["page_count"].as_u64() > Some(0),
        "{health}"
    );
    assert!(
        health["pool"]["utilisation_percent"].is_number(),
        "{health}"
    );
    let text = dal(dir.path(), &env, &["status"]).await.expect("status");
    assert!(text.contains("storage   "), "{text}");

    // A Redis nothing listens on: the report is still printed, and the command fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let env = HashMap::from([(
        "REDIS_URL".to_owned(),
        format!("redis://:hunter2@127.0.0.1:{port}/0"),
    )]);
    let (out, result) = dal_output(dir.path(), &env, &["status"]).await;
    assert!(
        out.contains("UNREACHABLE"),
        "the report is printed first: {out}"
    );
    let text = format!("{:#}", result.expect_err("the configured cache is down"));
    assert!(text.contains("unreachable: cache"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_backs_up_first_when_configured() {
    let dir = tempfile::tempdir().expect("dir");
    let plain = HashMap::new();
    dal(dir.path(), &plain, &["init"]).await.expect("init");
    dal(dir.path(), &plain, &["migrate", "down", "-n", "1"])
        .await
        .expect("down without a backup");
    assert!(!dir.path().join("backups").exists(), "off by default");

    let env = HashMap::from([("DAL_MIGRATE_BACKUP_FIRST".to_owned(), "true".to_owned())]);
    let out = dal(dir.path(), &env, &["migrate", "up"]).await.expect("up");
    let line = out
        .lines()
        .find(|l| l.starts_with("backup  "))
        .expect("the set is named");
    let set = std::path::PathBuf::from(line.trim_start_matches("backup  "));
    assert!(set.join("manifest.json").is_file(), "{out}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(set.join("manifest.json")).expect("read"))
            .expect("json");
    let applied = manifest["migrations"].as_array().expect("migrations").len();
    let all = migration::Migrator::migrations().len();
    assert_eq!(applied + 1, all, "taken before the pending migration ran");

    let bad = HashMap::from([("DAL_MIGRATE_BACKUP_FIRST".to_owned(), "maybe".to_owned())]);
    let err = dal(dir.path(), &bad, &["migrate", "status"])
        .await
        .expect_err("not a boolean");
    assert!(
        format!("{err:#}").contains("DAL_MIGRATE_BACKUP_FIRST"),
        "{err:#}"
    );
}
