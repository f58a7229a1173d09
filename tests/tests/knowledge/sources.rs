//! `SourceRepository` on a real database.

use chrono::TimeDelta;
use entity::knowledge::sea_orm_active_enums::{RateLimitStatus, SourceType};
use entity::knowledge::source_metadata;
use repository::Error;
use repository::knowledge::sources::{
    RELIABILITY_FAILURE_FACTOR, RELIABILITY_SUCCESS_STEP, effective_rate_limit,
};
use repository::knowledge::{FetchSuccess, NewSource, SourceRepository, SourceStore};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseExecutor, EntityTrait, QueryFilter, TransactionTrait};
use tests::now;
use tests::{TestDb, db_tests};

use super::url;

/// A change that breaks one rule.
type Breaker = Box<dyn Fn(&mut NewSource)>;

fn store(db: &TestDb) -> SourceStore<sea_orm::DatabaseConnection> {
    SourceStore::new(db.conn.clone())
}

fn source(id: &str, technology: &str, reliability: f64) -> NewSource {
    NewSource::new(
        id,
        SourceType::Github,
        url(&format!("https://github.com/example/{id}")),
        technology,
    )
    .with_reliability(reliability)
}

/// A successful fetch, with the quality it found if any.
fn fetch(processing_time_ms: i32, documents: i32, quality: Option<f64>) -> FetchSuccess {
    FetchSuccess {
        content_quality: quality,
        ..FetchSuccess::new(processing_time_ms, documents)
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn assert_validation<T: std::fmt::Debug>(result: repository::Result<T>, field: &str) {
    match result {
        Err(Error::Validation { field: f, rule, .. }) => {
            assert_eq!(f, field);
            assert!(!rule.is_empty());
        }
        other => panic!("{field}: expected a Validation error, got {other:?}"),
    }
}

async fn register_get_and_list(db: &TestDb) {
    let repo = store(db);
    let created = repo
        .register(source("a", "rust", 0.5))
        .await
        .expect("register");
    assert_eq!(created.source_type, SourceType::Github);
    assert!(created.is_active);
    assert_eq!(created.consecutive_failures, 0);
    assert_eq!(created.total_documents_processed, 0);
    assert_eq!(created.rate_limit_status, Some(RateLimitStatus::Normal));
    assert_eq!(created.avg_content_quality, None);
    assert_eq!(repo.get("a").await.expect("get"), created);

    repo.register(source("b", "rust", 0.9)).await.expect("b");
    repo.register(source("c", "python", 0.7)).await.expect("c");
    repo.register(source("d", "rust", 0.9)).await.expect("d");

    let ids = |rows: Vec<source_metadata::Model>| {
        rows.into_iter().map(|r| r.source_id).collect::<Vec<_>>()
    };
    // Most reliable first, ties by id.
    assert_eq!(
        ids(repo.list_active(None).await.expect("all")),
        ["b", "d", "c", "a"]
    );
    assert_eq!(
        ids(repo.list_active(Some("rust")).await.expect("rust")),
        ["b", "d", "a"]
    );
    assert!(
        repo.list_active(Some("cobol"))
            .await
            .expect("empty")
            .is_empty()
    );
    assert_validation(repo.list_active(Some(" ")).await, "technology");

    assert!(matches!(
        repo.register(source("a", "go", 0.1)).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        repo.get("missing").await,
        Err(Error::NotFound { .. })
    ));
}

async fn validation_names_field_rule_and_value(db: &TestDb) {
    let repo = store(db);
    let cases: Vec<(&str, Breaker)> = vec![
        ("source_id", Box::new(|s| s.source_id = String::new())),
        ("technology", Box::new(|s| s.technology = " ".into())),
        ("reliability_score", Box::new(|s| s.reliability_score = 1.5)),
        (
            "reliability_score",
            Box::new(|s| s.reliability_score = -0.01),
        ),
        (
            "reliability_score",
            Box::new(|s| s.reliability_score = f64::NAN),
        ),
        (
            "avg_content_quality",
            Box::new(|s| s.avg_content_quality = Some(1.01)),
        ),
    ];
    for (field, break_it) in cases {
        let mut s = source("x", "rust", 0.5);
        break_it(&mut s);
        assert_validation(repo.register(s).await, field);
    }
    assert_eq!(db.count("source_metadata").await, 0, "nothing was written");

    // The type and the URL cannot even be made invalid: a bad one is refused where it is parsed
    // (here from JSON, naming what is wrong).
    let mut json = serde_json::to_value(source("x", "rust", 0.5)).expect("json");
    assert_eq!(json["source_type"], "github");
    json["source_type"] = "ftp".into();
    let err = serde_json::from_value::<NewSource>(json.clone()).expect_err("ftp");
    assert!(err.to_string().contains("github"), "{err}");
    json["source_type"] = "web".into();
    json["source_url"] = "/relative".into();
    let err = serde_json::from_value::<NewSource>(json).expect_err("relative");
    assert!(err.to_string().contains("http(s) URL"), "{err}");

    // Bounds are inclusive; every source type is accepted.
    for (i, kind) in [SourceType::Github, SourceType::Web, SourceType::Api]
        .into_iter()
        .enumerate()
    {
        let mut s = NewSource::new(format!("ok{i}"), kind, url("https://x.org/docs"), "rust");
        s.reliability_score = if i == 0 { 0.0 } else { 1.0 };
        s.avg_content_quality = Some(if i == 0 { 1.0 } else { 0.0 });
        repo.register(s).await.expect("edge values are allowed");
    }
}

async fn record_success_updates_totals_and_averages(db: &TestDb) {
    let repo = store(db);
    repo.register(source("s", "rust", 0.5))
        .await
        .expect("register");
    repo.record_failure("s", 10).await.expect("failure");
    let before = now();

    let row = repo
        .record_success("s", fetch(100, 4, Some(0.8)))
        .await
        .expect("success 1");
    assert_eq!(row.consecutive_failures, 0, "reset by a success");
    assert!(row.last_successful_fetch.is_some_and(|at| at >= before));
    assert_eq!(row.total_documents_processed, 4);
    assert_eq!(row.avg_processing_time_ms, 100);
    assert_eq!(row.avg_content_quality, Some(0.8));
    let r1 = 0.5 * RELIABILITY_FAILURE_FACTOR;
    let r2 = r1 + (1.0 - r1) * RELIABILITY_SUCCESS_STEP;
    assert!(
        close(row.reliability_score, r2),
        "{}",
        row.reliability_score
    );

    // Weighted by documents: (100 * 4 + 200 * 1) / 5 = 120; (0.8 * 4 + 0.3) / 5 = 0.7.
    let row = repo
        .record_success("s", fetch(200, 1, Some(0.3)))
        .await
        .expect("success 2");
    assert_eq!(row.total_documents_processed, 5);
    assert_eq!(row.avg_processing_time_ms, 120);
    assert!(close(row.avg_content_quality.expect("quality"), 0.7));

    // No documents and no quality: averages unchanged.
    let row = repo
        .record_success("s", fetch(999, 0, None))
        .await
        .expect("success 3");
    assert_eq!(row.total_documents_processed, 5);
    assert_eq!(row.avg_processing_time_ms, 120);
    assert!(close(row.avg_content_quality.expect("quality"), 0.7));
    assert!(row.reliability_score <= 1.0);
    assert_eq!(repo.get("s").await.expect("get"), row, "stored as returned");

    // A source that never processed a document takes the fetch's time.
    repo.register(source("t", "rust", 1.0))
        .await
        .expect("register");
    let row = repo
        .record_success("t", fetch(50, 0, Some(1.0)))
        .await
        .expect("zero");
    assert_eq!(row.avg_processing_time_ms, 50);
    assert_eq!(row.avg_content_quality, Some(1.0));
    assert!(close(row.reliability_score, 1.0), "stays within 0..1");

    assert_validation(
        repo.record_success("s", fetch(-1, 1, None)).await,
        "processing_time_ms",
    );
    assert_validation(
        repo.record_success("s", fetch(1, -1, None)).await,
        "documents_processed",
    );
    assert_validation(
        repo.record_success("s", fetch(1, 1, Some(1.5))).await,
        "content_quality",
    );
    assert!(matches!(
        repo.record_success("missing", fetch(1, 1, None)).await,
        Err(Error::NotFound { .. })
    ));
}

async fn concurrent_successes_lose_no_update(db: &TestDb) {
    let repo = store(db);
    repo.register(source("s", "rust", 0.0))
        .await
        .expect("register");
    let mut tasks = Vec::new();
    for docs in 1..=20 {
        let repo = store(db);
        tasks.push(tokio::spawn(async move {
            repo.record_success("s", fetch(100, docs, Some(0.5))).await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("success");
    }
    let row = repo.get("s").await.expect("get");
    assert_eq!(row.total_documents_processed, 210, "1 + 2 + … + 20");
    assert_eq!(row.avg_processing_time_ms, 100);
    assert!(close(row.avg_content_quality.expect("quality"), 0.5));
    let expected = 1.0 - (1.0 - RELIABILITY_SUCCESS_STEP).powi(20);
    assert!(
        (row.reliability_score - expected).abs() < 1e-9,
        "{}",
        row.reliability_score
    );
}

async fn failures_deactivate_at_the_threshold(db: &TestDb) {
    let repo = store(db);
    repo.register(source("s", "rust", 1.0))
        .await
        .expect("register");
    let row = repo.record_failure("s", 3).await.expect("1");
    assert_eq!(row.consecutive_failures, 1);
    assert!(row.is_active);
    assert!(row.last_failed_fetch.is_some());
    assert!(close(row.reliability_score, RELIABILITY_FAILURE_FACTOR));
    let row = repo.record_failure("s", 3).await.expect("2");
    assert_eq!(row.consecutive_failures, 2);
    assert!(row.is_active, "still below the threshold");
    let row = repo.record_failure("s", 3).await.expect("3");
    assert_eq!(row.consecutive_failures, 3);
    assert!(!row.is_active, "deactivated on reaching the threshold");
    assert!(repo.list_active(None).await.expect("list").is_empty());

    // A success does not reactivate; reactivate does, and resets the failures.
    let row = repo
        .record_success("s", fetch(10, 1, None))
        .await
        .expect("ok");
    assert_eq!(row.consecutive_failures, 0);
    assert!(!row.is_active);
    repo.record_failure("s", 3).await.expect("again");
    let row = repo.reactivate("s").await.expect("reactivate");
    assert!(row.is_active);
    assert_eq!(row.consecutive_failures, 0);
    assert_eq!(repo.list_active(Some("rust")).await.expect("list").len(), 1);

    // Threshold 1 deactivates on the first failure.
    repo.register(source("t", "rust", 1.0))
        .await
        .expect("register");
    assert!(!repo.record_failure("t", 1).await.expect("t").is_active);

    assert_validation(repo.record_failure("s", 0).await, "deactivate_after");
    assert!(matches!(
        repo.record_failure("missing", 3).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        repo.reactivate("missing").await,
        Err(Error::NotFound { .. })
    ));
}

async fn concurrent_failures_count_every_one(db: &TestDb) {
    let repo = store(db);
    repo.register(source("s", "rust", 1.0))
        .await
        .expect("register");
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let repo = store(db);
        tasks.push(tokio::spawn(
            async move { repo.record_failure("s", 5).await },
        ));
    }
    for t in tasks {
        t.await.expect("join").expect("failure");
    }
    let row = repo.get("s").await.expect("get");
    assert_eq!(row.consecutive_failures, 10);
    assert!(!row.is_active);
    assert!(close(
        row.reliability_score,
        RELIABILITY_FAILURE_FACTOR.powi(10)
    ));
}

async fn rate_limit_status_and_reset(db: &TestDb) {
    let repo = store(db);
    repo.register(source("s", "rust", 1.0))
        .await
        .expect("register");
    let state = repo.rate_limit_status("s").await.expect("status");
    assert_eq!(state.status, RateLimitStatus::Normal);
    assert_eq!(state.reset_at, None);

    let reset = now() + TimeDelta::hours(1);
    let row = repo
        .set_rate_limit("s", RateLimitStatus::Exhausted, Some(reset))
        .await
        .expect("exhausted");
    assert_eq!(row.rate_limit_status, Some(RateLimitStatus::Exhausted));
    assert_eq!(
        row.rate_limit_reset_at,
        Some(reset.into()),
        "stored exactly"
    );
    let state = repo.rate_limit_status("s").await.expect("status");
    assert_eq!(state.status, RateLimitStatus::Exhausted);
    assert_eq!(state.reset_at, Some(reset));
    // The boundary, on the stored values: limited until the reset instant, normal at it.
    let one = TimeDelta::microseconds(1);
    assert_eq!(
        effective_rate_limit(
            row.rate_limit_status,
            row.rate_limit_reset_at.map(Into::into),
            reset - one
        )
        .status,
        RateLimitStatus::Exhausted
    );
    assert_eq!(
        effective_rate_limit(
            row.rate_limit_status,
            row.rate_limit_reset_at.map(Into::into),
            reset
        )
        .status,
        RateLimitStatus::Normal
    );

    // Validation: a limit needs a future reset; normal takes none.
    let past = now() - TimeDelta::seconds(1);
    for (status, reset_at) in [
        (RateLimitStatus::Limited, Some(past)),
        (RateLimitStatus::Exhausted, None),
        (RateLimitStatus::Normal, Some(reset)),
    ] {
        assert_validation(
            repo.set_rate_limit("s", status, reset_at).await,
            "rate_limit_reset_at",
        );
    }
    assert_eq!(
        repo.get("s").await.expect("get").rate_limit_status,
        Some(RateLimitStatus::Exhausted),
        "unchanged by refused calls"
    );

    // Once the reset time has passed the effective status is normal again.
    source_metadata::Entity::update_many()
        .col_expr(
            source_metadata::Column::RateLimitResetAt,
            Expr::value(Some(now() - TimeDelta::milliseconds(1))),
        )
        .filter(source_metadata::Column::SourceId.eq("s"))
        .exec(&db.conn)
        .await
        .expect("move the reset into the past");
    let state = repo.rate_limit_status("s").await.expect("status");
    assert_eq!(state.status, RateLimitStatus::Normal);
    assert_eq!(state.reset_at, None);

    let row = repo
        .set_rate_limit(
            "s",
            RateLimitStatus::Limited,
            Some(now() + TimeDelta::minutes(5)),
        )
        .await
        .expect("limited");
    assert_eq!(row.rate_limit_status, Some(RateLimitStatus::Limited));
    let row = repo
        .set_rate_limit("s", RateLimitStatus::Normal, None)
        .await
        .expect("normal");
    assert_eq!(row.rate_limit_status, Some(RateLimitStatus::Normal));
    assert_eq!(row.rate_limit_reset_at, None, "cleared");

    assert!(matches!(
        repo.set_rate_limit("missing", RateLimitStatus::Normal, None)
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        repo.rate_limit_status("missing").await,
        Err(Error::NotFound { .. })
    ));
}

async fn set_scores(db: &TestDb) {
    let repo = store(db);
    repo.register(source("s", "rust", 1.0))
        .await
        .expect("register");
    let row = repo.set_scores("s", 0.3, Some(0.9)).await.expect("set");
    assert!(close(row.reliability_score, 0.3));
    assert_eq!(row.avg_content_quality, Some(0.9));
    let row = repo.set_scores("s", 0.0, None).await.expect("set");
    assert!(close(row.reliability_score, 0.0));
    assert_eq!(row.avg_content_quality, Some(0.9), "kept when not given");
    let row = repo.set_scores("s", 1.0, Some(0.0)).await.expect("bounds");
    assert!(close(row.reliability_score, 1.0));

    assert_validation(repo.set_scores("s", 1.1, None).await, "reliability_score");
    assert_validation(
        repo.set_scores("s", 0.5, Some(-0.1)).await,
        "avg_content_quality",
    );
    assert_validation(
        repo.set_scores("s", f64::INFINITY, None).await,
        "reliability_score",
    );
    assert!(matches!(
        repo.set_scores("missing", 0.5, None).await,
        Err(Error::NotFound { .. })
    ));
}

async fn joins_a_unit_of_work(db: &TestDb) {
    let txn = db.conn.begin().await.expect("begin");
    {
        let repo = SourceStore::new(DatabaseExecutor::from(&txn));
        repo.register(source("s", "rust", 1.0))
            .await
            .expect("register in txn");
        repo.record_success("s", fetch(10, 2, Some(0.5)))
            .await
            .expect("success in txn");
        repo.record_failure("s", 3).await.expect("failure in txn");
    }
    txn.rollback().await.expect("rollback");
    assert_eq!(
        db.count("source_metadata").await,
        0,
        "rolled back with the unit of work"
    );
}

db_tests!(
    register_get_and_list,
    validation_names_field_rule_and_value,
    record_success_updates_totals_and_averages,
    concurrent_successes_lose_no_update,
    failures_deactivate_at_the_threshold,
    concurrent_failures_count_every_one,
    rate_limit_status_and_reset,
    set_scores,
    joins_a_unit_of_work,
);
