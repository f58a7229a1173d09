//! `FeedbackRepository` on a real database.

use entity::knowledge::sea_orm_active_enums::{FeedbackType, SignalType};
use repository::knowledge::feedback::{
    MAX_COMMENT_LEN, MAX_DWELL_SECONDS, parse_feedback_type, parse_signal_type,
};
use repository::knowledge::{
    ContentRepository, ContentStore, FeedbackRepository, FeedbackStore, NewFeedback, NewSignal,
    Origin, SignalTotals,
};
use repository::{Error, Page};
use sea_orm::{DatabaseExecutor, Iterable, TransactionTrait};
use tests::{TestDb, db_tests};

use super::doc;

/// Breaks one field of a valid input.
type Breaker<T> = Box<dyn Fn(&mut T)>;

fn store(db: &TestDb) -> FeedbackStore<sea_orm::DatabaseConnection> {
    FeedbackStore::new(db.conn.clone())
}

async fn with_docs(db: &TestDb, n: u32) {
    let content = ContentStore::new(db.conn.clone());
    for i in 0..n {
        content
            .create(doc(i, "rust", 0.5))
            .await
            .expect("create doc");
    }
}

fn full_feedback(content_id: &str) -> NewFeedback {
    NewFeedback::new(content_id, FeedbackType::Helpful)
        .with_rating(5)
        .with_comment("Clear and correct.")
        .with_origin(Origin {
            user_session_id: Some("sess-1".into()),
            ip_address: Some("203.0.113.7".parse().expect("ip")),
            user_agent: Some("Mozilla/5.0".into()),
            ..Origin::search("rust borrow checker", 0)
        })
}

fn full_signal(content_id: &str) -> NewSignal {
    NewSignal::new(content_id, SignalType::DwellTime, 42.5)
        .with_referrer("https://search.example.org/?q=borrow")
        .with_origin(Origin {
            user_session_id: Some("sess-1".into()),
            ip_address: Some("2001:db8::1".parse().expect("ip")),
            user_agent: Some("Mozilla/5.0".into()),
            ..Origin::search("rust borrow checker", 3)
        })
}

async fn records_feedback_and_signals(db: &TestDb) {
    with_docs(db, 1).await;
    let repo = store(db);
    let event = repo
        .record_feedback(full_feedback("c00000000"))
        .await
        .expect("feedback");
    assert!(uuid::Uuid::parse_str(&event.event_id).is_ok());
    assert_eq!(event.rating, Some(5));
    assert_eq!(event.ip_address.as_deref(), Some("203.0.113.7"));
    assert_eq!(event.result_position, Some(0));
    let listed = repo
        .list_feedback("c00000000", Page::default())
        .await
        .expect("list");
    assert_eq!(listed, vec![event.clone()], "stored as returned");

    let bare = repo
        .record_feedback(NewFeedback::new("c00000000", FeedbackType::Outdated))
        .await
        .expect("bare feedback");
    assert_ne!(bare.event_id, event.event_id);
    assert_eq!(bare.rating, None);

    let signal = repo
        .record_signal(full_signal("c00000000"))
        .await
        .expect("signal");
    assert!(uuid::Uuid::parse_str(&signal.signal_id).is_ok());
    let click = repo
        .record_signal(NewSignal::click("c00000000"))
        .await
        .expect("click");
    assert!((click.signal_value - 1.0).abs() < f64::EPSILON);
    assert_eq!(db.count("usage_signals").await, 2);

    // A missing document is a conflict (the foreign key), and nothing is written.
    assert!(matches!(
        repo.record_feedback(full_feedback("missing")).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        repo.record_signal(NewSignal::click("missing")).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(db.count("feedback_events").await, 2);
    assert_eq!(db.count("usage_signals").await, 2);
}

async fn interaction_is_one_transaction(db: &TestDb) {
    with_docs(db, 1).await;
    let repo = store(db);
    let content = ContentStore::new(db.conn.clone());
    let before = tests::now();
    let done = repo
        .record_interaction(full_feedback("c00000000"), NewSignal::click("c00000000"))
        .await
        .expect("interaction");
    assert_eq!(done.feedback.content_id, "c00000000");
    assert_eq!(done.signal.signal_type, SignalType::Click);
    let row = content.get("c00000000").await.expect("get");
    assert_eq!(row.access_count, 1);
    assert!(row.last_accessed_at.is_some_and(|at| at >= before));
    assert_eq!(db.count("feedback_events").await, 1);
    assert_eq!(db.count("usage_signals").await, 1);

    // A missing document: nothing at all is written.
    assert!(matches!(
        repo.record_interaction(full_feedback("missing"), NewSignal::click("missing"))
            .await,
        Err(Error::Conflict(_))
    ));
    // Two different documents, or one bad half: refused before SQL.
    assert!(matches!(
        repo.record_interaction(full_feedback("c00000000"), NewSignal::click("other")).await,
        Err(Error::Validation { field, .. }) if field == "content_id"
    ));
    let mut bad = full_feedback("c00000000");
    bad.rating = Some(6);
    assert!(matches!(
        repo.record_interaction(bad, NewSignal::click("c00000000")).await,
        Err(Error::Validation { field, .. }) if field == "rating"
    ));
    assert!(matches!(
        repo.record_interaction(
            full_feedback("c00000000"),
            NewSignal::new("c00000000", SignalType::ScrollDepth, 101.0)
        )
        .await,
        Err(Error::Validation { field, .. }) if field == "signal_value"
    ));
    assert_eq!(db.count("feedback_events").await, 1);
    assert_eq!(db.count("usage_signals").await, 1);
    assert_eq!(content.get("c00000000").await.expect("get").access_count, 1);
}

async fn interaction_rolls_back_when_the_signal_fails(db: &TestDb) {
    with_docs(db, 1).await;
    // Make the second statement fail after the first succeeded: refuse signals that have a
    // referrer, by a rule the repository does not know about (a CHECK, or a trigger on SQLite,
    // which cannot add a CHECK to an existing table).
    let check = match db.backend {
        tests::Backend::Postgres => {
            "ALTER TABLE usage_signals ADD CONSTRAINT test_no_referrer CHECK (referrer IS NULL)"
        }
        tests::Backend::Sqlite => {
            "CREATE TRIGGER test_no_referrer BEFORE INSERT ON usage_signals \
             WHEN NEW.referrer IS NOT NULL BEGIN SELECT RAISE(ABORT, 'no referrer'); END"
        }
    };
    db.raw(check).await.expect("add the test constraint");
    let repo = store(db);
    let result = repo
        .record_interaction(full_feedback("c00000000"), full_signal("c00000000"))
        .await;
    assert!(result.is_err(), "the signal insert must fail: {result:?}");
    assert_eq!(db.count("feedback_events").await, 0, "rolled back");
    assert_eq!(db.count("usage_signals").await, 0);
    let content = ContentStore::new(db.conn.clone());
    assert_eq!(content.get("c00000000").await.expect("get").access_count, 0);
}

async fn concurrent_interactions_count_every_access(db: &TestDb) {
    with_docs(db, 2).await;
    let mut tasks = Vec::new();
    for k in 0..16u32 {
        let repo = store(db);
        tasks.push(tokio::spawn(async move {
            let id = format!("c{:08}", k % 2);
            let mut fb = NewFeedback::new(id.clone(), FeedbackType::Helpful);
            fb.rating = Some(5);
            repo.record_interaction(fb, NewSignal::click(id)).await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("interaction");
    }
    let content = ContentStore::new(db.conn.clone());
    for id in ["c00000000", "c00000001"] {
        assert_eq!(content.get(id).await.expect("get").access_count, 8, "{id}");
    }
    assert_eq!(db.count("feedback_events").await, 16);
    assert_eq!(db.count("usage_signals").await, 16);
}

async fn aggregates_per_content(db: &TestDb) {
    with_docs(db, 3).await;
    let repo = store(db);

    // No feedback at all: every type present with zeros.
    let empty = repo.aggregates("c00000000").await.expect("aggregates");
    assert_eq!(empty.feedback.len(), 5);
    assert!(FeedbackType::iter().all(|t| empty.feedback_count(t) == 0));
    assert_eq!(empty.signals.len(), 5);
    assert!(SignalType::iter().all(|t| empty.signal(t) == SignalTotals::default()));
    assert_eq!(empty.rating_count, 0);
    assert_eq!(empty.average_rating, None);
    assert_eq!(empty.clicks, 0);
    assert!(empty.total_dwell_seconds.abs() < f64::EPSILON);

    let feedback = [
        (FeedbackType::Helpful, Some(5)),
        (FeedbackType::Helpful, Some(4)),
        (FeedbackType::Helpful, None),
        (FeedbackType::NotHelpful, Some(1)),
        (FeedbackType::Flag, None),
    ];
    for (t, rating) in feedback {
        let mut fb = NewFeedback::new("c00000000", t);
        fb.rating = rating;
        repo.record_feedback(fb).await.expect("feedback");
    }
    let signals = [
        (SignalType::Click, 1.0),
        (SignalType::Click, 1.0),
        (SignalType::Click, 1.0),
        (SignalType::DwellTime, 30.5),
        (SignalType::DwellTime, 12.0),
        (SignalType::ScrollDepth, 80.0),
        (SignalType::Copy, 1.0),
    ];
    for (t, v) in signals {
        repo.record_signal(NewSignal::new("c00000000", t, v))
            .await
            .expect("signal");
    }
    // Noise on another document.
    repo.record_interaction(
        NewFeedback {
            rating: Some(1),
            ..NewFeedback::new("c00000001", FeedbackType::Incorrect)
        },
        NewSignal::click("c00000001"),
    )
    .await
    .expect("other doc");

    let agg = repo.aggregates("c00000000").await.expect("aggregates");
    assert_eq!(agg.content_id, "c00000000");
    assert_eq!(agg.feedback_count(FeedbackType::Helpful), 3);
    assert_eq!(agg.feedback_count(FeedbackType::NotHelpful), 1);
    assert_eq!(agg.feedback_count(FeedbackType::Outdated), 0);
    assert_eq!(agg.feedback_count(FeedbackType::Incorrect), 0);
    assert_eq!(agg.feedback_count(FeedbackType::Flag), 1);
    assert_eq!(agg.feedback.len(), 5);
    assert_eq!(agg.rating_count, 3);
    let avg = agg.average_rating.expect("an average");
    assert!((avg - 10.0 / 3.0).abs() < 1e-9, "{avg}");
    assert_eq!(agg.clicks, 3);
    assert!((agg.total_dwell_seconds - 42.5).abs() < 1e-9);
    assert_eq!(agg.signal(SignalType::DwellTime).count, 2);
    assert_eq!(agg.signal(SignalType::ScrollDepth).count, 1);
    assert!((agg.signal(SignalType::ScrollDepth).total_value - 80.0).abs() < 1e-9);
    assert_eq!(agg.signal(SignalType::Copy).count, 1);
    assert_eq!(agg.signal(SignalType::Share), SignalTotals::default());

    let other = repo.aggregates("c00000001").await.expect("other");
    assert_eq!(other.feedback_count(FeedbackType::Incorrect), 1);
    assert_eq!(other.average_rating, Some(1.0));
    assert_eq!(other.clicks, 1);

    // Document 2 untouched; a missing document is NotFound.
    assert_eq!(
        repo.aggregates("c00000002")
            .await
            .expect("none")
            .rating_count,
        0
    );
    assert!(matches!(
        repo.aggregates("missing").await,
        Err(Error::NotFound { .. })
    ));
}

async fn list_feedback_pages_newest_first(db: &TestDb) {
    with_docs(db, 2).await;
    let repo = store(db);
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut fb = NewFeedback::new("c00000000", FeedbackType::Helpful);
        fb.origin.result_position = Some(i);
        ids.push(repo.record_feedback(fb).await.expect("feedback"));
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    repo.record_feedback(NewFeedback::new("c00000001", FeedbackType::Flag))
        .await
        .expect("other doc");

    let all = repo
        .list_feedback("c00000000", Page::first(100))
        .await
        .expect("all");
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    assert_eq!(all[0], ids[6], "newest first");

    let p0 = repo
        .list_feedback("c00000000", Page::nth(0, 3))
        .await
        .expect("p0");
    let p1 = repo
        .list_feedback("c00000000", Page::nth(1, 3))
        .await
        .expect("p1");
    let p2 = repo
        .list_feedback("c00000000", Page::nth(2, 3))
        .await
        .expect("p2");
    assert_eq!((p0.len(), p1.len(), p2.len()), (3, 3, 1));
    assert_eq!([p0, p1, p2].concat(), all, "pages neither overlap nor skip");
    assert!(
        repo.list_feedback("c00000000", Page::nth(3, 3))
            .await
            .expect("beyond")
            .is_empty()
    );
    assert!(
        repo.list_feedback("missing", Page::default())
            .await
            .expect("none")
            .is_empty()
    );
    for bad in [Page::first(0), Page::first(1001)] {
        assert!(matches!(
            repo.list_feedback("c00000000", bad).await,
            Err(Error::Validation { field, .. }) if field == "limit"
        ));
    }
}

async fn validation_names_field_rule_and_value(db: &TestDb) {
    with_docs(db, 1).await;
    let repo = store(db);
    let id = "c00000000";
    let feedback_cases: Vec<(&str, Breaker<NewFeedback>)> = vec![
        ("content_id", Box::new(|f| f.content_id = String::new())),
        ("rating", Box::new(|f| f.rating = Some(0))),
        ("rating", Box::new(|f| f.rating = Some(6))),
        ("rating", Box::new(|f| f.rating = Some(-3))),
        ("comment", Box::new(|f| f.comment = Some(" ".into()))),
        (
            "comment",
            Box::new(|f| f.comment = Some("x".repeat(MAX_COMMENT_LEN + 1))),
        ),
        (
            "user_session_id",
            Box::new(|f| f.origin.user_session_id = Some(String::new())),
        ),
        (
            "user_agent",
            Box::new(|f| f.origin.user_agent = Some(String::new())),
        ),
        (
            "search_query",
            Box::new(|f| f.origin.search_query = Some("q".repeat(2049))),
        ),
        (
            "result_position",
            Box::new(|f| f.origin.result_position = Some(-1)),
        ),
    ];
    for (field, break_it) in feedback_cases {
        let mut f = full_feedback(id);
        break_it(&mut f);
        match repo.record_feedback(f).await {
            Err(Error::Validation {
                field: got,
                rule,
                value,
            }) => {
                assert_eq!(got, field);
                assert!(!rule.is_empty() && !value.is_empty());
            }
            other => panic!("{field}: expected a Validation error, got {other:?}"),
        }
    }

    let signal_cases: Vec<(&str, Breaker<NewSignal>)> = vec![
        ("content_id", Box::new(|s| s.content_id = " ".into())),
        (
            "signal_value",
            Box::new(|s| {
                s.signal_type = SignalType::Click;
                s.signal_value = 2.0;
            }),
        ),
        (
            "signal_value",
            Box::new(|s| {
                s.signal_type = SignalType::Click;
                s.signal_value = 0.0;
            }),
        ),
        ("signal_value", Box::new(|s| s.signal_value = -1.0)),
        ("signal_value", Box::new(|s| s.signal_value = f64::NAN)),
        ("signal_value", Box::new(|s| s.signal_value = f64::INFINITY)),
        (
            "signal_value",
            Box::new(|s| s.signal_value = MAX_DWELL_SECONDS + 1.0),
        ),
        (
            "signal_value",
            Box::new(|s| {
                s.signal_type = SignalType::ScrollDepth;
                s.signal_value = 100.5;
            }),
        ),
        (
            "signal_value",
            Box::new(|s| {
                s.signal_type = SignalType::Share;
                s.signal_value = -0.1;
            }),
        ),
        (
            "signal_value",
            Box::new(|s| {
                s.signal_type = SignalType::Copy;
                s.signal_value = f64::INFINITY;
            }),
        ),
        (
            "result_position",
            Box::new(|s| s.origin.result_position = Some(-5)),
        ),
        ("referrer", Box::new(|s| s.referrer = Some(String::new()))),
        (
            "referrer",
            Box::new(|s| s.referrer = Some("r".repeat(2049))),
        ),
    ];
    for (field, break_it) in signal_cases {
        let mut s = full_signal(id);
        break_it(&mut s);
        match repo.record_signal(s).await {
            Err(Error::Validation {
                field: got,
                rule,
                value,
            }) => {
                assert_eq!(got, field);
                assert!(!rule.is_empty() && !value.is_empty());
            }
            other => panic!("{field}: expected a Validation error, got {other:?}"),
        }
    }
    assert_eq!(db.count("feedback_events").await, 0, "nothing was written");
    assert_eq!(db.count("usage_signals").await, 0, "nothing was written");

    // An IP address is parsed where the input is made, also from JSON (whose shape stays flat,
    // as the seed's columns).
    let mut json = serde_json::to_value(full_feedback(id)).expect("json");
    assert_eq!(json["ip_address"], "203.0.113.7");
    assert_eq!(json["search_query"], "rust borrow checker");
    for bad in ["999.1.1.1", "localhost", "10.0.0"] {
        json["ip_address"] = bad.into();
        assert!(
            serde_json::from_value::<NewFeedback>(json.clone()).is_err(),
            "{bad}"
        );
    }

    // The bounds themselves are accepted.
    for rating in [1, 5] {
        let mut f = full_feedback(id);
        f.rating = Some(rating);
        repo.record_feedback(f).await.expect("rating bound");
    }
    for (t, v) in [
        (SignalType::DwellTime, 0.0),
        (SignalType::DwellTime, MAX_DWELL_SECONDS),
        (SignalType::ScrollDepth, 0.0),
        (SignalType::ScrollDepth, 100.0),
        (SignalType::Copy, 0.0),
        (SignalType::Share, 3.0),
    ] {
        repo.record_signal(NewSignal::new(id, t, v))
            .await
            .unwrap_or_else(|e| panic!("{t:?} {v}: {e}"));
    }
    // NewSignal::new makes any click worth 1.
    let click = NewSignal::new(id, SignalType::Click, 7.0);
    assert!((click.signal_value - 1.0).abs() < f64::EPSILON);

    // The stored type names parse; anything else names the field and lists the allowed values.
    for t in FeedbackType::iter() {
        let stored = sea_orm::ActiveEnum::to_value(&t);
        assert_eq!(parse_feedback_type(&stored).expect("parse"), t);
    }
    for t in SignalType::iter() {
        let stored = sea_orm::ActiveEnum::to_value(&t);
        assert_eq!(parse_signal_type(&stored).expect("parse"), t);
    }
    match parse_feedback_type("great") {
        Err(Error::Validation { field, rule, .. }) => {
            assert_eq!(field, "feedback_type");
            assert!(rule.contains("not_helpful"), "{rule}");
        }
        other => panic!("expected a Validation error, got {other:?}"),
    }
    assert!(matches!(
        parse_signal_type("hover"),
        Err(Error::Validation { field, .. }) if field == "signal_type"
    ));
}

async fn cascade_and_unit_of_work(db: &TestDb) {
    with_docs(db, 1).await;
    let txn = db.conn.begin().await.expect("begin");
    {
        let repo = FeedbackStore::new(DatabaseExecutor::from(&txn));
        repo.record_interaction(full_feedback("c00000000"), NewSignal::click("c00000000"))
            .await
            .expect("interaction in txn");
        repo.record_feedback(full_feedback("c00000000"))
            .await
            .expect("feedback in txn");
    }
    txn.rollback().await.expect("rollback");
    assert_eq!(db.count("feedback_events").await, 0);
    assert_eq!(db.count("usage_signals").await, 0);

    let repo = store(db);
    repo.record_interaction(full_feedback("c00000000"), full_signal("c00000000"))
        .await
        .expect("interaction");
    ContentStore::new(db.conn.clone())
        .delete("c00000000")
        .await
        .expect("delete doc");
    assert_eq!(db.count("feedback_events").await, 0, "cascaded");
    assert_eq!(db.count("usage_signals").await, 0, "cascaded");
}

db_tests!(
    records_feedback_and_signals,
    interaction_is_one_transaction,
    interaction_rolls_back_when_the_signal_fails,
    concurrent_interactions_count_every_access,
    aggregates_per_content,
    list_feedback_pages_newest_first,
    validation_names_field_rule_and_value,
    cascade_and_unit_of_work,
);
