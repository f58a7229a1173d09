//! `QueryHistoryRepository` and `PerformanceMetricRepository::for_query`: record with
//! measurements, list by window / type / session newest first, validation before SQL, and the
//! chunked retention delete that removes a query's metrics first.

use chrono::Duration;
use repository::assistant::{
    HistoryFilter, MetricValue, NewQuery, PerformanceMetricRepository, PerformanceMetricStore,
    QueryHistoryRepository, QueryHistoryStore, RESULT_COUNT, TimeWindow,
};
use repository::entity::assistant::query_history;
use repository::{DatabaseConnection, Error, Page, UuidText};
use tests::{TestDb, db_tests, now};

use super::set_time;

fn store(db: &TestDb) -> QueryHistoryStore<DatabaseConnection> {
    QueryHistoryStore::new(db.conn.clone())
}

async fn record_and_read_back(db: &TestDb) {
    let repo = store(db);
    let metrics = PerformanceMetricStore::new(db.conn.clone());
    let session = UuidText::new_v4();
    let row = repo
        .record(
            NewQuery::new("Which contracts expire this quarter?", "hybrid", 1.25)
                .with_cache_hit(true)
                .with_session(session)
                .with_result_count(7)
                .with_metric("vector_search_ms", 87.5),
        )
        .await
        .expect("record");
    assert_eq!(row.query_type, "hybrid");
    assert_eq!(row.cache_hit, Some(true));
    assert_eq!(row.user_session_id.map(UuidText::from), Some(session));
    assert_eq!(repo.get(row.id.into()).await.expect("get"), row);
    let measured = metrics.for_query(row.id.into()).await.expect("metrics");
    let mut values: Vec<MetricValue> = measured
        .iter()
        .map(|m| MetricValue::new(m.metric_name.clone(), m.metric_value))
        .collect();
    values.sort_by(|a, b| a.metric_name.cmp(&b.metric_name));
    assert_eq!(
        values,
        vec![
            MetricValue::new(RESULT_COUNT, 7.0),
            MetricValue::new("vector_search_ms", 87.5)
        ]
    );
    assert!(measured.iter().all(|m| m.query_id == Some(row.id)));

    let missing = UuidText::new_v4();
    assert!(matches!(
        repo.get(missing).await,
        Err(Error::NotFound { .. })
    ));
}

async fn bad_input_writes_nothing(db: &TestDb) {
    let repo = store(db);
    for (bad, field) in [
        (NewQuery::new("", "sql", 0.1), "query_text"),
        (NewQuery::new("q", "x".repeat(21), 0.1), "query_type"),
        (NewQuery::new("q", "sql", -0.5), "response_time"),
        (
            NewQuery::new("q", "sql", 0.1).with_metric("m", f64::NAN),
            "metrics[0].metric_value",
        ),
    ] {
        let err = repo.record(bad).await.expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    assert_eq!(db.count("query_history").await, 0);
    assert_eq!(db.count("performance_metrics").await, 0);
    let err = repo
        .list(HistoryFilter::default(), Page::first(0))
        .await
        .expect_err("limit 0");
    assert!(matches!(err, Error::Validation { .. }));
    let t = now();
    let err = repo
        .list(
            HistoryFilter {
                window: Some(TimeWindow::new(t, t - Duration::seconds(1))),
                ..HistoryFilter::default()
            },
            Page::default(),
        )
        .await
        .expect_err("reversed window");
    assert!(matches!(err, Error::Validation { .. }));
}

async fn list_by_window_type_and_session(db: &TestDb) {
    let repo = store(db);
    let (a, b) = (UuidText::new_v4(), UuidText::new_v4());
    let base = now() - Duration::hours(10);
    let mut rows = Vec::new();
    for i in 0..10_i64 {
        let kind = if i % 2 == 0 { "sql" } else { "vector" };
        let session = if i < 5 { a } else { b };
        let row = repo
            .record(NewQuery::new(format!("q{i}"), kind, 0.1).with_session(session))
            .await
            .expect("record");
        set_time::<query_history::Entity>(
            db,
            query_history::Column::CreatedAt,
            query_history::Column::Id,
            row.id,
            base + Duration::hours(i),
        )
        .await;
        rows.push(row.id);
    }
    let ids =
        |found: Vec<query_history::Model>| found.into_iter().map(|r| r.id).collect::<Vec<_>>();

    let all = repo
        .list(HistoryFilter::default(), Page::default())
        .await
        .expect("all");
    assert_eq!(ids(all), rows.iter().rev().copied().collect::<Vec<_>>());

    let page = repo
        .list(HistoryFilter::default(), Page::nth(1, 3))
        .await
        .expect("page 2");
    assert_eq!(ids(page), vec![rows[6], rows[5], rows[4]]);

    let window = TimeWindow::new(base + Duration::hours(2), base + Duration::hours(5));
    let found = repo
        .list(
            HistoryFilter {
                window: Some(window),
                ..HistoryFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("window");
    assert_eq!(ids(found), vec![rows[4], rows[3], rows[2]], "[from, to)");

    let found = repo
        .list(
            HistoryFilter {
                query_type: Some("vector".into()),
                session: Some(b),
                ..HistoryFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("type and session");
    assert_eq!(ids(found), vec![rows[9], rows[7], rows[5]]);
}

async fn retention_deletes_metrics_first(db: &TestDb) {
    let repo = store(db);
    let old = now() - Duration::days(100);
    let mut kept = Vec::new();
    for i in 0..7 {
        let row = repo
            .record(NewQuery::new(format!("q{i}"), "sql", 0.2).with_result_count(i))
            .await
            .expect("record");
        if i < 5 {
            set_time::<query_history::Entity>(
                db,
                query_history::Column::CreatedAt,
                query_history::Column::Id,
                row.id,
                old,
            )
            .await;
        } else {
            kept.push(row.id);
        }
    }
    // A metric of no query is not the retention's business.
    PerformanceMetricStore::new(db.conn.clone())
        .record(repository::assistant::NewMetric::new("pool_size", 5.0))
        .await
        .expect("metric");
    let err = repo.delete_older_than(now(), 0).await.expect_err("chunk 0");
    assert!(matches!(err, Error::Validation { .. }));

    let (queries, metrics) = repo
        .delete_older_than(now() - Duration::days(90), 2)
        .await
        .expect("retention");
    assert_eq!((queries, metrics), (5, 5));
    assert_eq!(db.count("query_history").await, 2);
    assert_eq!(db.count("performance_metrics").await, 3);
    let left = repo
        .list(HistoryFilter::default(), Page::default())
        .await
        .expect("left");
    let mut left: Vec<_> = left.into_iter().map(|r| r.id).collect();
    left.sort();
    kept.sort();
    assert_eq!(left, kept);
    assert_eq!(repo.count().await.expect("count"), 2);
}

db_tests!(
    record_and_read_back,
    bad_input_writes_nothing,
    list_by_window_type_and_session,
    retention_deletes_metrics_first,
);
