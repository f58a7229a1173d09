//! `AnalyticsRepository`: the database's count, mean, nearest-rank percentiles and cache-hit
//! rate match the same statistics computed here from the rows themselves, for the whole window,
//! per query type, and per hour and per day.
//!
//! The percentile definition (the repository's, recomputed here independently): percentile `p`
//! of `n` sorted values is the value at 1-based position `ceil(p × n)`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use repository::assistant::{
    AnalyticsRepository, AnalyticsStore, Granularity, NewQuery, QueryHistoryRepository,
    QueryHistoryStore, QueryStats, TimeWindow,
};
use repository::entity::assistant::query_history;
use repository::sea_orm::EntityTrait;
use repository::{DatabaseConnection, Error};
use tests::{TestDb, db_tests, now};

use super::set_time;

/// What the test computes from the rows it reads back.
fn expected(rows: &[&query_history::Model]) -> QueryStats {
    if rows.is_empty() {
        return QueryStats::default();
    }
    let mut times: Vec<f64> = rows.iter().map(|r| r.response_time).collect();
    times.sort_by(f64::total_cmp);
    let n = times.len();
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let pick = |p: f64| times[((p * n as f64).ceil() as usize).max(1) - 1];
    let hits = rows.iter().filter(|r| r.cache_hit == Some(true)).count();
    #[allow(clippy::cast_precision_loss)]
    QueryStats {
        count: n as u64,
        mean: Some(times.iter().sum::<f64>() / n as f64),
        p50: Some(pick(0.5)),
        p95: Some(pick(0.95)),
        p99: Some(pick(0.99)),
        cache_hit_rate: Some(hits as f64 / n as f64),
    }
}

fn assert_close(got: QueryStats, want: QueryStats, what: &str) {
    assert_eq!(got.count, want.count, "{what}: count");
    assert_eq!(got.p50, want.p50, "{what}: p50");
    assert_eq!(got.p95, want.p95, "{what}: p95");
    assert_eq!(got.p99, want.p99, "{what}: p99");
    for (name, g, w) in [
        ("mean", got.mean, want.mean),
        ("cache_hit_rate", got.cache_hit_rate, want.cache_hit_rate),
    ] {
        match (g, w) {
            (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{what}: {name} {g} != {w}"),
            (g, w) => assert_eq!(g, w, "{what}: {name}"),
        }
    }
}

/// 150 queries over three days (two types, a third of them cache hits, a few with a NULL
/// `cache_hit`), at uneven times; returns the window covering the middle of them.
async fn fill(db: &TestDb) -> (TimeWindow, DateTime<Utc>) {
    let repo = QueryHistoryStore::new(db.conn.clone());
    let start = (now() - Duration::days(4))
        .duration_trunc(Duration::days(1))
        .expect("day");
    for i in 0..150_i64 {
        let kind = if i % 3 == 0 { "sql" } else { "vector" };
        #[allow(clippy::cast_precision_loss)]
        let time = ((i * 37) % 101) as f64 / 8.0 + (i % 7) as f64 * 0.001;
        let row = repo
            .record(NewQuery::new(format!("q{i}"), kind, time).with_cache_hit(i % 3 == 1))
            .await
            .expect("record");
        set_time::<query_history::Entity>(
            db,
            query_history::Column::CreatedAt,
            query_history::Column::Id,
            row.id,
            start + Duration::minutes(i * 29 + (i % 5) * 3),
        )
        .await;
    }
    // Seed rows with a NULL cache_hit count as misses.
    db.raw("UPDATE query_history SET cache_hit = NULL WHERE query_text IN ('q4', 'q10')")
        .await
        .expect("null cache_hit");
    let window = TimeWindow::new(
        start + Duration::hours(5) + Duration::minutes(10),
        start + Duration::hours(60),
    );
    (window, start)
}

async fn in_window<'a>(
    rows: &'a [query_history::Model],
    window: TimeWindow,
    kind: Option<&str>,
) -> Vec<&'a query_history::Model> {
    rows.iter()
        .filter(|r| {
            let at = r.created_at.expect("created_at").into_inner();
            at >= window.from && at < window.to && kind.is_none_or(|k| r.query_type == k)
        })
        .collect()
}

async fn summary_matches_the_rows(db: &TestDb) {
    let (window, _) = fill(db).await;
    let analytics: AnalyticsStore<DatabaseConnection> = AnalyticsStore::new(db.conn.clone());
    let rows = query_history::Entity::find()
        .all(&db.conn)
        .await
        .expect("rows");
    for kind in [None, Some("sql"), Some("vector"), Some("absent")] {
        let want = expected(&in_window(&rows, window, kind).await);
        let got = analytics
            .summary(window, kind.map(str::to_owned))
            .await
            .expect("summary");
        assert_close(got, want, &format!("{:?} {kind:?}", db.backend));
    }
    assert!(expected(&in_window(&rows, window, None).await).count > 80);
    let empty = analytics
        .summary(
            TimeWindow::new(now() + Duration::days(1), now() + Duration::days(2)),
            None,
        )
        .await
        .expect("empty window");
    assert_eq!(empty, QueryStats::default());
    let err = analytics
        .summary(TimeWindow::new(window.to, window.from), None)
        .await
        .expect_err("reversed");
    assert!(matches!(err, Error::Validation { .. }));
    let err = analytics
        .summary(window, Some("x".repeat(21)))
        .await
        .expect_err("long type");
    assert!(matches!(err, Error::Validation { .. }));
}

async fn buckets_match_the_rows(db: &TestDb) {
    let (window, _) = fill(db).await;
    let analytics = AnalyticsStore::new(db.conn.clone());
    let rows = query_history::Entity::find()
        .all(&db.conn)
        .await
        .expect("rows");
    for (granularity, width) in [
        (Granularity::Hour, Duration::hours(1)),
        (Granularity::Day, Duration::days(1)),
    ] {
        for kind in [None, Some("vector")] {
            let selected = in_window(&rows, window, kind).await;
            let mut by_bucket: BTreeMap<DateTime<Utc>, Vec<&query_history::Model>> =
                BTreeMap::new();
            for row in selected {
                let at = row.created_at.expect("created_at").into_inner();
                by_bucket
                    .entry(at.duration_trunc(width).expect("trunc"))
                    .or_default()
                    .push(row);
            }
            let got = analytics
                .buckets(window, kind.map(str::to_owned), granularity)
                .await
                .expect("buckets");
            assert_eq!(
                got.iter().map(|b| b.start).collect::<Vec<_>>(),
                by_bucket.keys().copied().collect::<Vec<_>>(),
                "{:?} {granularity:?} {kind:?}: bucket starts",
                db.backend
            );
            for (bucket, (start, rows)) in got.iter().zip(&by_bucket) {
                assert_close(
                    bucket.stats,
                    expected(rows),
                    &format!("{:?} {granularity:?} {kind:?} {start}", db.backend),
                );
            }
        }
    }
}

db_tests!(summary_matches_the_rows, buckets_match_the_rows);
