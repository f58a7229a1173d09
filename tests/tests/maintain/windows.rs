//! Every job removes exactly what is past its window, through the real `dal maintain --once
//! --json` and `dal cleanup`; a job whose table is gone fails alone.

use chrono::Duration;
use repository::QueryHash;
use repository::UuidText;
use repository::assistant::{LogLevel, NewLog, SystemLogRepository, SystemLogStore};
use repository::chat::{
    ConversationRepository, ConversationStore, NewConversation, RateLimitRepository, RateLimitStore,
};
use repository::docsync::{NewRecommendation, RecommendationRepository, RecommendationStore};
use repository::entity::DbDateTime;
use repository::entity::chat::conversation;
use repository::entity::docsync::recommendations;
use repository::entity::knowledge::search_cache;
use repository::knowledge::{NewSearchCache, SearchCacheRepository, SearchCacheStore};
use repository::sea_orm::sea_query::{Expr, IntoCondition};
use repository::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tests::{TestDb, db_tests, now};

use super::{env_of, runs_of};
use crate::cli::dal_output;

/// Set `column` to `at` in the rows of `E` where `filter` matches.
async fn age<E: EntityTrait>(
    db: &TestDb,
    column: E::Column,
    filter: impl IntoCondition,
    at: chrono::DateTime<chrono::Utc>,
) {
    let updated = E::update_many()
        .col_expr(column, Expr::value(DbDateTime::from(at)))
        .filter(filter)
        .exec(&db.conn)
        .await
        .expect("age a row");
    assert_eq!(updated.rows_affected, 1);
}

/// One row past its window and one within it, for every job.
async fn fill(db: &TestDb) {
    let cache = SearchCacheStore::new(db.conn.clone());
    for query in ["expired", "live"] {
        cache
            .put(
                NewSearchCache::new(QueryHash::digest(query), query, serde_json::json!({}))
                    .with_ttl(std::time::Duration::from_secs(3600)),
            )
            .await
            .expect("search cache");
    }
    age::<search_cache::Entity>(
        db,
        search_cache::Column::ExpiresAt,
        search_cache::Column::OriginalQuery.eq("expired"),
        now() - Duration::minutes(1),
    )
    .await;

    let conversations = ConversationStore::new(db.conn.clone());
    for query in ["old", "new"] {
        conversations
            .record(NewConversation::new(UuidText::new_v4(), query, "answer"))
            .await
            .expect("conversation");
    }
    // chat.keep_days is 30 by default.
    age::<conversation::Entity>(
        db,
        conversation::Column::CreatedAt,
        conversation::Column::UserQuery.eq("old"),
        now() - Duration::days(31),
    )
    .await;
    let limits = RateLimitStore::new(db.conn.clone());
    let ip = |text: &str| text.parse::<std::net::IpAddr>().expect("ip");
    limits
        .check_at(ip("192.0.2.1"), 60, now() - Duration::minutes(5))
        .await
        .expect("an ended window");
    limits
        .check_at(ip("192.0.2.2"), 60, now())
        .await
        .expect("an open window");

    let doc = crate::docsync::doc(db, "README.md").await.id;
    let recs = RecommendationStore::new(db.conn.clone());
    for title in ["old", "new"] {
        recs.create(NewRecommendation::new(
            title,
            serde_json::json!({}),
            vec![doc],
            vec![],
        ))
        .await
        .expect("recommendation");
    }
    // docsync.purge_days is 7 by default.
    age::<recommendations::Entity>(
        db,
        recommendations::Column::CreationTimestamp,
        recommendations::Column::Title.eq("old"),
        now() - Duration::days(8),
    )
    .await;

    // assistant.system_logs_days is 30 by default.
    SystemLogStore::new(db.conn.clone())
        .append_many(vec![
            NewLog::new(LogLevel::Info, "app", "old").at(now() - Duration::days(31)),
            NewLog::new(LogLevel::Info, "app", "new"),
        ])
        .await
        .expect("logs");
}

async fn every_job_removes_what_is_past_its_window(db: &TestDb) {
    fill(db).await;
    let dir = tempfile::tempdir().expect("dir");
    let (out, result) =
        dal_output(dir.path(), &env_of(db), &["maintain", "--once", "--json"]).await;
    result.expect("every job ran");
    let runs = runs_of(&out);
    assert_eq!(runs.len(), 4, "{out}");
    for (job, table, removed) in [
        ("knowledge", "search_cache", 1),
        ("chat", "conversation", 1),
        ("chat", "rate_limit", 1),
        ("chat", "document_chunk", 0),
        ("docsync", "recommendations", 1),
        ("docsync", "developer_decisions", 0),
        ("assistant", "system_logs", 1),
        ("assistant", "user_sessions", 0),
        ("assistant", "query_history", 0),
    ] {
        let run = &runs[job];
        assert_eq!(run["status"], "ok", "{run}");
        assert_eq!(run["system"], job, "{run}");
        assert_eq!(run["removed"][table], removed, "{job} {table}: {run}");
        assert!(run["error"].is_null() && run["reason"].is_null(), "{run}");
        assert!(run["duration_ms"].is_u64(), "{run}");
    }
    // The system's own report rides along: the windows applied.
    assert_eq!(runs["chat"]["report"]["keep_days"], 30);
    assert_eq!(runs["docsync"]["report"]["purge_days"], 7);
    for (table, left) in [
        ("search_cache", 1),
        ("conversation", 1),
        ("rate_limit", 1),
        ("recommendations", 1),
        ("system_logs", 1),
    ] {
        assert_eq!(db.count(table).await, left, "{table}");
    }

    // Nothing is left past its window: the one-shot form removes nothing more.
    let (text, result) = dal_output(dir.path(), &env_of(db), &["cleanup"]).await;
    result.expect("cleanup");
    assert!(
        text.contains("search_cache: 0 expired rows deleted"),
        "{text}"
    );
    assert!(text.contains("system_logs: 0 records"), "{text}");
}

async fn a_failing_job_does_not_stop_the_others(db: &TestDb) {
    fill(db).await;
    db.raw("DROP TABLE search_cache").await.expect("drop");
    let dir = tempfile::tempdir().expect("dir");
    let (out, result) =
        dal_output(dir.path(), &env_of(db), &["maintain", "--once", "--json"]).await;
    let err = result.expect_err("the knowledge job failed");
    assert!(
        format!("{err:#}").contains("1 maintenance job(s) failed"),
        "{err:#}"
    );
    assert!(format!("{err:#}").contains("knowledge: "), "{err:#}");
    let runs = runs_of(&out);
    assert_eq!(runs["knowledge"]["status"], "failed", "{out}");
    assert!(
        runs["knowledge"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("search_cache")),
        "{out}"
    );
    assert_eq!(runs["knowledge"]["removed"], serde_json::json!({}));
    for job in ["chat", "docsync", "assistant"] {
        assert_eq!(runs[job]["status"], "ok", "{job}: {out}");
    }
    assert_eq!(
        db.count("conversation").await,
        1,
        "the chat job ran after it"
    );

    // `dal cleanup --json` says the same in its summary, and fails too.
    let (out, result) = dal_output(
        dir.path(),
        &env_of(db),
        &["cleanup", "--only", "knowledge,docsync", "--json"],
    )
    .await;
    assert!(result.is_err());
    let summary: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert!(summary["failed"]["knowledge"].is_string(), "{summary}");
    assert_eq!(summary["docsync"]["recommendations"], 0, "{summary}");
    assert!(summary.get("chat").is_none(), "{summary}");
}

db_tests!(
    every_job_removes_what_is_past_its_window,
    a_failing_job_does_not_stop_the_others
);
