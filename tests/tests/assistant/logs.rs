//! `SystemLogRepository`: append one or many (all or none), filter by level, time, session and
//! request id, newest first, and the chunked retention delete.

use chrono::Duration;
use repository::assistant::{
    LogFilter, LogLevel, NewLog, NewSession, SystemLogRepository, SystemLogStore, TimeWindow,
    UserSessionRepository, UserSessionStore,
};
use repository::{DatabaseConnection, Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests, now};

fn store(db: &TestDb) -> SystemLogStore<DatabaseConnection> {
    SystemLogStore::new(db.conn.clone())
}

async fn append_and_filter(db: &TestDb) {
    let repo = store(db);
    let session = UserSessionStore::new(db.conn.clone())
        .create(NewSession::new(
            "tok_logs_session_0001",
            std::time::Duration::from_secs(60),
        ))
        .await
        .expect("session");
    let base = now() - Duration::hours(5);
    let one = repo
        .append(
            NewLog::new(
                LogLevel::Error,
                "assistant.query",
                "vector search timed out",
            )
            .with_context(json!({"collection": "policy_chunks", "ms": 5000}))
            .with_session(session.id.into())
            .with_request_id("req-1")
            .at(base),
        )
        .await
        .expect("append");
    assert_eq!(
        one.context.as_ref().map(|c| c["ms"].clone()),
        Some(json!(5000))
    );
    let batch: Vec<NewLog> = (0..20_i64)
        .map(|i| {
            let level = [
                LogLevel::Debug,
                LogLevel::Info,
                LogLevel::Warning,
                LogLevel::Critical,
            ][usize::try_from(i % 4).expect("index")];
            let mut log =
                NewLog::new(level, "app", format!("event {i}")).at(base + Duration::minutes(i + 1));
            if i % 5 == 0 {
                log = log.with_request_id("req-2");
            }
            log
        })
        .collect();
    assert_eq!(repo.append_many(batch).await.expect("batch"), 20);
    assert_eq!(db.count("system_logs").await, 21);

    let all = repo
        .list(LogFilter::default(), Page::first(3))
        .await
        .expect("newest");
    assert_eq!(
        all.iter().map(|r| r.message.as_str()).collect::<Vec<_>>(),
        vec!["event 19", "event 18", "event 17"]
    );
    let serious = repo
        .list(LogFilter::at_least(LogLevel::Error), Page::default())
        .await
        .expect("error and above");
    assert_eq!(serious.len(), 1 + 5);
    assert!(
        serious
            .iter()
            .all(|r| matches!(r.level, LogLevel::Error | LogLevel::Critical))
    );
    let by_session = repo
        .list(
            LogFilter {
                session: Some(session.id.into()),
                ..LogFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("session");
    assert_eq!(by_session, vec![one.clone()]);
    let by_request = repo
        .list(
            LogFilter {
                request_id: Some("req-2".into()),
                levels: vec![LogLevel::Info, LogLevel::Warning],
                ..LogFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("request");
    assert_eq!(
        by_request
            .iter()
            .map(|r| r.message.as_str())
            .collect::<Vec<_>>(),
        vec!["event 10", "event 5"]
    );
    let window = repo
        .list(
            LogFilter {
                window: Some(TimeWindow::new(
                    base + Duration::minutes(2),
                    base + Duration::minutes(5),
                )),
                ..LogFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("window");
    assert_eq!(
        window
            .iter()
            .map(|r| r.message.as_str())
            .collect::<Vec<_>>(),
        vec!["event 3", "event 2", "event 1"]
    );
}

async fn bad_batches_write_nothing(db: &TestDb) {
    let repo = store(db);
    let mut batch: Vec<NewLog> = (0..5)
        .map(|i| NewLog::new(LogLevel::Info, "app", format!("m{i}")))
        .collect();
    batch[3].logger = String::new();
    let err = repo.append_many(batch).await.expect_err("bad item");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "logs[3].logger"),
        "{err}"
    );
    // A session that does not exist: the foreign key refuses the whole batch.
    let batch = vec![
        NewLog::new(LogLevel::Info, "app", "fine"),
        NewLog::new(LogLevel::Info, "app", "orphan").with_session(repository::UuidText::new_v4()),
    ];
    let err = repo.append_many(batch).await.expect_err("orphan session");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    assert_eq!(db.count("system_logs").await, 0);
    // More rows than one statement can bind on SQLite: chunked, all written.
    let many: Vec<NewLog> = (0..4000)
        .map(|i| NewLog::new(LogLevel::Warning, "bulk", format!("b{i}")))
        .collect();
    assert_eq!(repo.append_many(many).await.expect("bulk"), 4000);
    assert_eq!(db.count("system_logs").await, 4000);
}

async fn retention_deletes_old_records(db: &TestDb) {
    let repo = store(db);
    let old = now() - Duration::days(31);
    let batch: Vec<NewLog> = (0..7)
        .map(|i| {
            NewLog::new(LogLevel::Info, "app", format!("m{i}")).at(if i < 5 { old } else { now() })
        })
        .collect();
    repo.append_many(batch).await.expect("batch");
    assert_eq!(
        repo.delete_older_than(now() - Duration::days(30), 2)
            .await
            .expect("retention"),
        5
    );
    assert_eq!(db.count("system_logs").await, 2);
}

db_tests!(
    append_and_filter,
    bad_batches_write_nothing,
    retention_deletes_old_records
);
