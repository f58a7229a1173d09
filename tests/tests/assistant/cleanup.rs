//! `dal cleanup --only assistant` on a real database (each backend): expired schema-cache rows,
//! stale sessions, old system logs and old queries with their metrics are deleted, with the
//! windows of `[assistant]` (here from `DAL_ASSISTANT_*`), and the report says how many.

use std::collections::HashMap;

use chrono::Duration;
use clap::Parser;
use repository::assistant::{
    LogLevel, NewLog, NewQuery, NewSession, QueryHistoryRepository, QueryHistoryStore,
    SchemaCacheRepository, SchemaCacheStore, SystemLogRepository, SystemLogStore,
    UserSessionRepository, UserSessionStore, connection_hash,
};
use repository::entity::assistant::{query_history, schema_cache, user_sessions};
use tests::{TestDb, db_tests, now};

use super::set_time;

async fn dal(dir: &std::path::Path, env: &HashMap<String, String>, args: &[&str]) -> String {
    let cli = app::cli::Cli::try_parse_from(std::iter::once("dal").chain(args.iter().copied()))
        .expect("arguments");
    let mut out = Vec::new();
    app::cli::run(cli, dir, Some(env), &mut out)
        .await
        .expect("dal");
    String::from_utf8(out).expect("utf-8")
}

async fn cleanup_only_assistant(db: &TestDb) {
    let hour = std::time::Duration::from_secs(3600);
    let cache = SchemaCacheStore::without_cache(db.conn.clone());
    let stale = cache
        .replace(connection_hash("a"), serde_json::json!({}), hour)
        .await
        .expect("stale");
    set_time::<schema_cache::Entity>(
        db,
        schema_cache::Column::ExpiresAt,
        schema_cache::Column::Id,
        stale.id,
        now() - Duration::minutes(1),
    )
    .await;
    cache
        .replace(connection_hash("b"), serde_json::json!({}), hour)
        .await
        .expect("live");

    let sessions = UserSessionStore::new(db.conn.clone());
    let idle = sessions
        .create(NewSession::new("tok_cleanup_idle_0001", hour))
        .await
        .expect("idle");
    set_time::<user_sessions::Entity>(
        db,
        user_sessions::Column::LastActivityAt,
        user_sessions::Column::Id,
        idle.id,
        now() - Duration::days(8),
    )
    .await;
    sessions
        .create(NewSession::new("tok_cleanup_live_0002", hour))
        .await
        .expect("live");

    let logs = SystemLogStore::new(db.conn.clone());
    logs.append_many(vec![
        NewLog::new(LogLevel::Info, "app", "old").at(now() - Duration::days(31)),
        NewLog::new(LogLevel::Info, "app", "old").at(now() - Duration::days(40)),
        NewLog::new(LogLevel::Info, "app", "new"),
    ])
    .await
    .expect("logs");

    let queries = QueryHistoryStore::new(db.conn.clone());
    for i in 0..4 {
        let row = queries
            .record(NewQuery::new(format!("q{i}"), "sql", 0.1).with_result_count(i))
            .await
            .expect("query");
        if i < 3 {
            set_time::<query_history::Entity>(
                db,
                query_history::Column::CreatedAt,
                query_history::Column::Id,
                row.id,
                now() - Duration::days(91),
            )
            .await;
        }
    }

    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([
        ("DATABASE_URL".to_owned(), db.url.clone()),
        ("DAL_ASSISTANT_SESSION_DAYS".to_owned(), "7".to_owned()),
        ("DAL_ASSISTANT_DELETE_CHUNK".to_owned(), "2".to_owned()),
    ]);
    let report: serde_json::Value = serde_json::from_str(
        dal(
            dir.path(),
            &env,
            &["cleanup", "--only", "assistant", "--json"],
        )
        .await
        .trim(),
    )
    .expect("json");
    assert!(report.get("chat").is_none(), "{report}");
    let a = &report["assistant"];
    assert_eq!(a["schema_cache_deleted"], 1, "{report}");
    assert_eq!(a["sessions_deleted"], 1, "{report}");
    assert_eq!(a["session_days"], 7, "{report}");
    assert_eq!(a["system_logs_deleted"], 2, "{report}");
    assert_eq!(a["queries_deleted"], 3, "{report}");
    assert_eq!(a["metrics_deleted"], 3, "{report}");
    assert_eq!(a["query_history_days"], 90, "{report}");
    for (table, left) in [
        ("schema_cache", 1),
        ("user_sessions", 1),
        ("system_logs", 1),
        ("query_history", 1),
        ("performance_metrics", 1),
    ] {
        assert_eq!(db.count(table).await, left, "{table}");
    }
    let text = dal(dir.path(), &env, &["cleanup", "--only", "assistant"]).await;
    assert!(
        text.contains("query_history: 0 queries older than 90 days deleted"),
        "{text}"
    );
}

db_tests!(cleanup_only_assistant);
