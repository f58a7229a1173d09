//! `PerformanceMetricRepository`: record (of a query or of none), record many (all or none),
//! and aggregates by metric name over a window, checked against the rows.

use chrono::Duration;
use repository::assistant::{
    MetricAggregate, NewMetric, NewQuery, PerformanceMetricRepository, PerformanceMetricStore,
    QueryHistoryRepository, QueryHistoryStore, TimeWindow,
};
use repository::entity::assistant::performance_metrics;
use repository::{DatabaseConnection, Error, UuidText};
use tests::{TestDb, db_tests, now};

use super::set_time;

fn store(db: &TestDb) -> PerformanceMetricStore<DatabaseConnection> {
    PerformanceMetricStore::new(db.conn.clone())
}

async fn record_and_aggregate(db: &TestDb) {
    let repo = store(db);
    let query = QueryHistoryStore::new(db.conn.clone())
        .record(NewQuery::new("q", "sql", 0.3))
        .await
        .expect("query");
    let one = repo
        .record(NewMetric::new("vector_search_ms", 12.5).of_query(query.id.into()))
        .await
        .expect("record");
    assert_eq!(one.query_id, Some(query.id));
    let err = repo
        .record(NewMetric::new("x", 1.0).of_query(UuidText::new_v4()))
        .await
        .expect_err("unknown query");
    assert!(matches!(err, Error::Conflict(_)), "{err}");

    let values = [3.0, 7.5, 1.25, 10.0];
    let n = repo
        .record_many(
            values
                .iter()
                .map(|v| NewMetric::new("vector_search_ms", *v))
                .chain([NewMetric::new("pool_in_use", 4.0)])
                .collect(),
        )
        .await
        .expect("many");
    assert_eq!(n, 5);
    // One measurement far outside the window.
    let outside = repo
        .record(NewMetric::new("vector_search_ms", 1000.0))
        .await
        .expect("outside");
    set_time::<performance_metrics::Entity>(
        db,
        performance_metrics::Column::RecordedAt,
        performance_metrics::Column::Id,
        outside.id,
        now() - Duration::days(2),
    )
    .await;

    let window = TimeWindow::new(now() - Duration::hours(1), now() + Duration::seconds(1));
    let got = repo.aggregates(window, None).await.expect("aggregates");
    let all = [12.5, 3.0, 7.5, 1.25, 10.0];
    assert_eq!(
        got,
        vec![
            MetricAggregate {
                metric_name: "pool_in_use".into(),
                count: 1,
                min: 4.0,
                max: 4.0,
                mean: 4.0,
                sum: 4.0,
            },
            MetricAggregate {
                metric_name: "vector_search_ms".into(),
                count: 5,
                min: 1.25,
                max: 12.5,
                mean: all.iter().sum::<f64>() / 5.0,
                sum: all.iter().sum(),
            },
        ]
    );
    let only = repo
        .aggregates(window, Some("pool_in_use".into()))
        .await
        .expect("one name");
    assert_eq!(only.len(), 1);
    let err = repo
        .record_many(vec![NewMetric::new("ok", 1.0), NewMetric::new("", 1.0)])
        .await
        .expect_err("bad name");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "metrics[1].metric_name"),
        "{err}"
    );
    assert_eq!(db.count("performance_metrics").await, 7);
}

db_tests!(record_and_aggregate);
