//! `ConversationRepository` on a real database, and the data migration of `sources`.

use chrono::Duration;
use migration::{Migrator, MigratorTrait};
use repository::chat::{
    ConversationRepository, ConversationStore, DEFAULT_HISTORY_PAGE, Feedback, NewConversation,
    SessionCount, sources_of,
};
use repository::sea_orm::sea_query::{Expr, ExprTrait, Query};
use repository::{Error, Page, UuidText};
use tests::{TestDb, db_tests, now};

use super::url;

fn store(db: &TestDb) -> ConversationStore<repository::DatabaseConnection> {
    ConversationStore::new(db.conn.clone())
}

fn exchange(session: UuidText, i: u32) -> NewConversation {
    NewConversation::new(session, format!("question {i}"), format!("answer {i}"))
        .with_sources(vec![
            url(&format!("https://docs.example.org/{i}")),
            url("https://react.dev/learn"),
        ])
        .with_response_time(0.25)
}

/// Set `created_at` of the row `id` (to place rows in time).
async fn set_created(db: &TestDb, id: &str, at: chrono::DateTime<chrono::Utc>) {
    db.exec(
        &Query::update()
            .table("conversation")
            .value("created_at", repository::entity::DbDateTime::from(at))
            .and_where(Expr::col("id").eq(id))
            .take(),
    )
    .await
    .expect("set created_at");
}

async fn set_sources(db: &TestDb, id: &str, text: &str) {
    db.exec(
        &Query::update()
            .table("conversation")
            .value("sources", text)
            .and_where(Expr::col("id").eq(id))
            .take(),
    )
    .await
    .expect("set sources");
}

async fn record_get_and_history(db: &TestDb) {
    let repo = store(db);
    let session = UuidText::new_v4();
    let other = UuidText::new_v4();
    let first = repo.record(exchange(session, 0)).await.expect("record");
    assert_eq!(first.session_id, session.to_string());
    assert_eq!(first.feedback, None);
    assert_eq!(
        first.sources.as_deref(),
        Some(r#"["https://docs.example.org/0","https://react.dev/learn"]"#)
    );
    assert_eq!(
        repo.get(&first.id.parse().expect("id")).await.expect("get"),
        first
    );
    let base = now() - Duration::hours(1);
    set_created(db, &first.id, base).await;
    let mut ids = vec![first.id.clone()];
    for i in 1..12 {
        let row = repo.record(exchange(session, i)).await.expect("record");
        set_created(db, &row.id, base + Duration::minutes(i.into())).await;
        ids.push(row.id);
    }
    repo.record(exchange(other, 99))
        .await
        .expect("other session");

    let page = repo
        .history(&session, DEFAULT_HISTORY_PAGE)
        .await
        .expect("history");
    let got: Vec<_> = page.iter().map(|r| r.id.clone()).collect();
    let newest: Vec<_> = ids.iter().rev().take(10).cloned().collect();
    assert_eq!(got, newest, "newest first, ten by default");
    let rest = repo
        .history(&session, Page::nth(1, 10))
        .await
        .expect("page 2");
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[1].id, ids[0]);
    assert_eq!(
        sources_of(&page[0]).expect("sources"),
        vec![
            url("https://docs.example.org/11"),
            url("https://react.dev/learn")
        ]
    );
    assert_eq!(repo.count().await.expect("count"), 13);

    let missing = repo.get(&UuidText::new_v4()).await.expect_err("missing");
    assert!(
        matches!(
            missing,
            Error::NotFound {
                entity: "conversation",
                ..
            }
        ),
        "{missing}"
    );
}

async fn validation_before_sql(db: &TestDb) {
    let repo = store(db);
    let session = UuidText::new_v4();
    for (bad, field) in [
        (NewConversation::new(session, "", "a"), "user_query"),
        (NewConversation::new(session, "q", "  "), "ai_response"),
        (
            exchange(session, 1).with_response_time(-1.0),
            "response_time",
        ),
        (
            exchange(session, 1).with_response_time(f64::NAN),
            "response_time",
        ),
    ] {
        let err = repo.record(bad).await.expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    assert!(
        "not-a-uuid".parse::<UuidText>().is_err(),
        "session id is a UUID"
    );
    assert_eq!(db.count("conversation").await, 0);
}

async fn feedback_and_counts(db: &TestDb) {
    let repo = store(db);
    let (a, b) = (UuidText::new_v4(), UuidText::new_v4());
    let base = now() - Duration::days(2);
    let mut rows = Vec::new();
    for i in 0..6 {
        let session = if i < 4 { a } else { b };
        let row = repo.record(exchange(session, i)).await.expect("record");
        set_created(db, &row.id, base + Duration::hours(i.into())).await;
        rows.push(row);
    }
    let id = |i: usize| -> UuidText { rows[i].id.parse().expect("id") };
    let up = repo
        .set_feedback(&id(1), Feedback::ThumbsUp)
        .await
        .expect("up");
    assert_eq!(up.feedback, Some(Feedback::ThumbsUp));
    let down = repo
        .set_feedback(&id(1), Feedback::ThumbsDown)
        .await
        .expect("replace");
    assert_eq!(down.feedback, Some(Feedback::ThumbsDown));
    repo.set_feedback(&id(3), Feedback::ThumbsUp)
        .await
        .expect("up");
    repo.set_feedback(&id(5), Feedback::ThumbsUp)
        .await
        .expect("up");
    let err = repo
        .set_feedback(&UuidText::new_v4(), Feedback::ThumbsUp)
        .await
        .expect_err("missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    // +1 / -1 only: the type has no other value, and the database refuses one anyway.
    assert!(Feedback::try_from(0).is_err());
    assert!(Feedback::try_from(2).is_err());

    // The window is [from, to): row 5 starts exactly at `to` and is left out.
    let window = repo
        .with_feedback(base, base + Duration::hours(5), Page::default())
        .await
        .expect("window");
    let got: Vec<_> = window.iter().map(|r| r.id.clone()).collect();
    assert_eq!(got, vec![rows[3].id.clone(), rows[1].id.clone()]);
    let all = repo
        .with_feedback(base, now() + Duration::hours(1), Page::default())
        .await
        .expect("all");
    assert_eq!(all.len(), 3);
    let err = repo
        .with_feedback(base, base - Duration::hours(1), Page::default())
        .await
        .expect_err("reversed");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "from"),
        "{err}"
    );

    let mut expected = vec![
        SessionCount {
            session_id: a.to_string(),
            exchanges: 4,
            with_feedback: 2,
        },
        SessionCount {
            session_id: b.to_string(),
            exchanges: 2,
            with_feedback: 1,
        },
    ];
    expected.sort_by(|x, y| x.session_id.cmp(&y.session_id));
    assert_eq!(
        repo.counts_per_session(Page::default())
            .await
            .expect("counts"),
        expected
    );
}

async fn old_exchanges_deleted_in_chunks(db: &TestDb) {
    let repo = store(db);
    let session = UuidText::new_v4();
    let old = now() - Duration::days(40);
    for i in 0..7 {
        let row = repo.record(exchange(session, i)).await.expect("record");
        if i < 5 {
            set_created(db, &row.id, old).await;
        }
    }
    let err = repo.delete_older_than(now(), 0).await.expect_err("chunk 0");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "chunk"),
        "{err}"
    );
    let deleted = repo
        .delete_older_than(now() - Duration::days(30), 2)
        .await
        .expect("delete");
    assert_eq!(deleted, 5);
    assert_eq!(db.count("conversation").await, 2);
    assert_eq!(
        repo.delete_older_than(now() - Duration::days(30), 2)
            .await
            .expect("again"),
        0
    );
}

async fn sources_migration_both_ways(db: &TestDb) {
    let repo = store(db);
    let session = UuidText::new_v4();
    let pipe = repo.record(exchange(session, 1)).await.expect("record");
    let json = repo.record(exchange(session, 2)).await.expect("record");
    let null = repo.record(exchange(session, 3)).await.expect("record");
    set_sources(db, &pipe.id, "https://a.org/x | https://b.org/y").await;
    db.exec(
        &Query::update()
            .table("conversation")
            .value("sources", Option::<String>::None)
            .and_where(Expr::col("id").eq(null.id.as_str()))
            .take(),
    )
    .await
    .expect("null sources");
    // Reading accepts the old shape before any conversion.
    let read = repo.get(&pipe.id.parse().expect("id")).await.expect("get");
    assert_eq!(
        sources_of(&read).expect("pipes"),
        vec![url("https://a.org/x"), url("https://b.org/y")]
    );

    // down (this migration and any after it): JSON arrays back to pipes.
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let position = names
        .iter()
        .position(|n| n == "m20261201_000030_convert_conversation_sources")
        .expect("the migration is registered");
    let steps = u32::try_from(names.len() - position).expect("steps");
    Migrator::down(&db.conn, Some(steps)).await.expect("down");
    let cell = |id: String| async move {
        db.cell("conversation", "sources", "id", id)
            .await
            .expect("row")
    };
    assert_eq!(
        cell(json.id.clone()).await.as_deref(),
        Some("https://docs.example.org/2 | https://react.dev/learn")
    );
    assert_eq!(
        cell(pipe.id.clone()).await.as_deref(),
        Some("https://a.org/x | https://b.org/y")
    );
    assert_eq!(cell(null.id.clone()).await, None);

    // up: every pipe-separated row becomes a JSON array.
    Migrator::up(&db.conn, None).await.expect("up");
    assert_eq!(
        cell(json.id.clone()).await.as_deref(),
        Some(r#"["https://docs.example.org/2","https://react.dev/learn"]"#)
    );
    assert_eq!(
        cell(pipe.id.clone()).await.as_deref(),
        Some(r#"["https://a.org/x","https://b.org/y"]"#)
    );
    assert_eq!(cell(null.id).await, None);
}

db_tests!(
    record_get_and_history,
    validation_before_sql,
    feedback_and_counts,
    old_exchanges_deleted_in_chunks,
    sources_migration_both_ways,
);

/// The feedback window query's shape can be answered from the seed's partial index (sequential
/// scans switched off, as a small test table would otherwise be read whole).
async fn feedback_window_uses_the_partial_index(db: &TestDb) {
    use repository::sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    let txn = db.conn.begin().await.expect("begin");
    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .expect("set");
    let plan: Vec<String> = txn
        .query_all_raw(Statement::from_string(
            repository::DbBackend::Postgres,
            "EXPLAIN SELECT * FROM conversation WHERE feedback IS NOT NULL \
             AND created_at >= now() - interval '1 day' AND created_at < now() \
             ORDER BY created_at DESC, id DESC LIMIT 50",
        ))
        .await
        .expect("explain")
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("plan line"))
        .collect();
    assert!(
        plan.iter()
            .any(|l| l.contains("idx_conversation_feedback_only")),
        "{plan:#?}"
    );
}

tests::pg_tests!(feedback_window_uses_the_partial_index);
