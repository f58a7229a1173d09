//! The review lifecycle: inconsistencies (created with their documents, listed, moved
//! Pending → InRecommendation → Resolved only), recommendations (created with documents and
//! inconsistencies in one transaction, moved out of Active only, feedback, invalidation of stale
//! ones) and developer decisions (which move their recommendation in the same transaction).

use repository::DatabaseConnection;
use repository::chrono::Duration;
use repository::docsync::{
    Decision, DecisionRepository, DecisionStore, InconsistencyFilter, InconsistencyRepository,
    InconsistencyStatus, InconsistencyStore, InconsistencyType, NewDecision, NewInconsistency,
    NewRecommendation, RecommendationRepository, RecommendationStatus, RecommendationStore,
    Severity,
};
use repository::entity::{DbDateTime, DbUuid};
use repository::sea_orm::sea_query::{Expr, ExprTrait, Query};
use repository::{Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests, now};

use super::{doc, doc_at};

pub fn inconsistencies(db: &TestDb) -> InconsistencyStore<DatabaseConnection> {
    InconsistencyStore::new(db.conn.clone())
}

pub fn recommendations(db: &TestDb) -> RecommendationStore<DatabaseConnection> {
    RecommendationStore::new(db.conn.clone())
}

pub fn decisions(db: &TestDb) -> DecisionStore<DatabaseConnection> {
    DecisionStore::new(db.conn.clone())
}

pub fn issue(docs: Vec<i32>) -> NewInconsistency {
    NewInconsistency::new(
        Severity::Major,
        InconsistencyType::DocToCode,
        "the README describes a flag the code removed",
        docs,
    )
}

/// Set `column` of the row `id` of `table` to `at` (to place rows in time).
pub async fn set_time(
    db: &TestDb,
    table: &'static str,
    column: &'static str,
    id: DbUuid,
    at: repository::chrono::DateTime<repository::chrono::Utc>,
) {
    let key = match db.backend {
        tests::Backend::Postgres => Expr::col("id").cast_as("text"),
        tests::Backend::Sqlite => Expr::col("id"),
    };
    db.exec(
        &Query::update()
            .table(table)
            .value(column, DbDateTime::from(at))
            .and_where(key.eq(id.to_string()))
            .take(),
    )
    .await
    .expect("set time");
}

fn is_transition(err: &Error, from: &str, to: &str) -> bool {
    matches!(err, Error::Transition { from: f, to: t, .. } if f == from && t == to)
}

async fn inconsistencies_are_created_listed_and_moved(db: &TestDb) {
    let a = doc(db, "a.md").await.id;
    let b = doc(db, "b.md").await.id;
    let repo = inconsistencies(db);
    let first = repo
        .create(issue(vec![b, a, b]).with_resolution("update the README"))
        .await
        .expect("create");
    assert_eq!(first.status, InconsistencyStatus::Pending);
    assert_eq!(first.recommendation_id, None);
    assert_eq!(
        first.suggested_resolution.as_deref(),
        Some("update the README")
    );
    assert_eq!(repo.documents(first.id).await.expect("docs"), vec![a, b]);
    assert_eq!(repo.get(first.id).await.expect("get"), first);

    // A missing document: nothing is written (the record and its map are one transaction).
    let before = db.count("inconsistency_records").await;
    assert!(matches!(
        repo.create(issue(vec![a, 999_999])).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(db.count("inconsistency_records").await, before);
    let err = repo
        .create(NewInconsistency::new(
            Severity::Minor,
            InconsistencyType::DocToDoc,
            "  ",
            vec![a],
        ))
        .await
        .expect_err("empty description");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "description"),
        "{err}"
    );

    // Listing by status, severity and time, newest first.
    let critical = repo
        .create(NewInconsistency::new(
            Severity::Critical,
            InconsistencyType::DesignDecisionViolation,
            "the cache bypasses the repository",
            vec![a],
        ))
        .await
        .expect("critical");
    let old = repo.create(issue(vec![b])).await.expect("old");
    set_time(
        db,
        "inconsistency_records",
        "timestamp",
        old.id,
        now() - Duration::days(3),
    )
    .await;
    let all = repo
        .list(InconsistencyFilter::default(), Page::first(10))
        .await
        .expect("all");
    assert_eq!(all.len(), 3);
    assert_eq!(all.last().map(|r| r.id), Some(old.id), "oldest last");
    let only_critical = repo
        .list(
            InconsistencyFilter {
                severity: Some(Severity::Critical),
                ..InconsistencyFilter::default()
            },
            Page::first(10),
        )
        .await
        .expect("critical");
    assert_eq!(
        only_critical.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![critical.id]
    );
    let recent = repo
        .list(
            InconsistencyFilter {
                from: Some(now() - Duration::days(1)),
                ..InconsistencyFilter::default()
            },
            Page::first(10),
        )
        .await
        .expect("recent");
    assert_eq!(recent.len(), 2);
    assert!(
        repo.list(
            InconsistencyFilter {
                from: Some(now()),
                to: Some(now() - Duration::days(1)),
                ..InconsistencyFilter::default()
            },
            Page::first(10),
        )
        .await
        .is_err()
    );

    // Pending → InRecommendation → Resolved, nothing else.
    let err = repo
        .set_status(first.id, InconsistencyStatus::Resolved)
        .await
        .expect_err("skip a step");
    assert!(is_transition(&err, "Pending", "Resolved"), "{err}");
    let moved = repo
        .set_status(first.id, InconsistencyStatus::InRecommendation)
        .await
        .expect("to InRecommendation");
    assert_eq!(moved.status, InconsistencyStatus::InRecommendation);
    let err = repo
        .set_status(first.id, InconsistencyStatus::InRecommendation)
        .await
        .expect_err("twice");
    assert!(
        is_transition(&err, "InRecommendation", "InRecommendation"),
        "{err}"
    );
    let err = repo
        .set_status(first.id, InconsistencyStatus::Pending)
        .await
        .expect_err("back");
    assert!(is_transition(&err, "InRecommendation", "Pending"), "{err}");
    repo.set_status(first.id, InconsistencyStatus::Resolved)
        .await
        .expect("resolved");
    for to in [
        InconsistencyStatus::Pending,
        InconsistencyStatus::InRecommendation,
        InconsistencyStatus::Resolved,
    ] {
        let err = repo.set_status(first.id, to).await.expect_err("final");
        assert!(matches!(err, Error::Transition { .. }), "{err}");
    }
    assert!(matches!(
        repo.set_status(DbUuid::new_v4(), InconsistencyStatus::Resolved)
            .await,
        Err(Error::NotFound { .. })
    ));
    let pending = repo
        .list(
            InconsistencyFilter::status(InconsistencyStatus::Pending),
            Page::first(10),
        )
        .await
        .expect("pending");
    assert_eq!(pending.len(), 2);
    assert_eq!(
        repo.count_by_status(InconsistencyStatus::Resolved)
            .await
            .expect("count"),
        1
    );
}

async fn recommendations_take_their_inconsistencies_along(db: &TestDb) {
    let a = doc(db, "a.md").await.id;
    let b = doc(db, "b.md").await.id;
    let issues = inconsistencies(db);
    let one = issues.create(issue(vec![a])).await.expect("one");
    let two = issues.create(issue(vec![b])).await.expect("two");
    let repo = recommendations(db);
    let rec = repo
        .create(NewRecommendation::new(
            "Document the new flag",
            json!({"edits": [{"file": "a.md", "insert": "--fast"}]}),
            vec![a, b, a],
            vec![one.id, two.id],
        ))
        .await
        .expect("create");
    assert_eq!(rec.status, RecommendationStatus::Active);
    assert_eq!(repo.documents(rec.id).await.expect("docs"), vec![a, b]);
    let covered = repo.inconsistencies(rec.id).await.expect("covered");
    assert_eq!(covered.len(), 2);
    assert!(
        covered
            .iter()
            .all(|i| i.status == InconsistencyStatus::InRecommendation
                && i.recommendation_id == Some(rec.id))
    );

    // An inconsistency that is not Pending (or does not exist): nothing is written at all.
    let three = issues.create(issue(vec![a])).await.expect("three");
    let recs_before = db.count("recommendations").await;
    let err = repo
        .create(NewRecommendation::new(
            "Again",
            json!({}),
            vec![a],
            vec![three.id, one.id],
        ))
        .await
        .expect_err("one is taken");
    assert!(
        is_transition(&err, "InRecommendation", "InRecommendation"),
        "{err}"
    );
    assert_eq!(db.count("recommendations").await, recs_before);
    assert_eq!(
        issues.get(three.id).await.expect("three").status,
        InconsistencyStatus::Pending,
        "rolled back with the rest"
    );
    let err = repo
        .create(NewRecommendation::new(
            "Ghost",
            json!({}),
            vec![],
            vec![DbUuid::new_v4()],
        ))
        .await
        .expect_err("missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    let err = repo
        .create(NewRecommendation::new("Bad", json!(3), vec![a], vec![]))
        .await
        .expect_err("changes not an object");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "suggested_changes"),
        "{err}"
    );
    assert_eq!(db.count("recommendations").await, recs_before);

    // Feedback, listing, status moves out of Active only.
    let with_feedback = repo
        .set_feedback(rec.id, "Looks right".to_owned())
        .await
        .expect("feedback");
    assert_eq!(
        with_feedback.developer_feedback.as_deref(),
        Some("Looks right")
    );
    assert!(matches!(
        repo.set_feedback(rec.id, String::new()).await,
        Err(Error::Validation { .. })
    ));
    assert!(matches!(
        repo.set_feedback(DbUuid::new_v4(), "x".to_owned()).await,
        Err(Error::NotFound { .. })
    ));
    let other = repo
        .create(NewRecommendation::new(
            "Other",
            json!([]),
            vec![b],
            vec![three.id],
        ))
        .await
        .expect("other");
    let err = repo
        .set_status(other.id, RecommendationStatus::Active)
        .await
        .expect_err("to Active");
    assert!(is_transition(&err, "Active", "Active"), "{err}");
    repo.set_status(other.id, RecommendationStatus::Invalidated)
        .await
        .expect("invalidate");
    let err = repo
        .set_status(other.id, RecommendationStatus::Accepted)
        .await
        .expect_err("out of Invalidated");
    assert!(is_transition(&err, "Invalidated", "Accepted"), "{err}");
    let active = repo
        .list(Some(RecommendationStatus::Active), Page::first(10))
        .await
        .expect("active");
    assert_eq!(
        active.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![rec.id]
    );
    assert_eq!(
        repo.list(None, Page::first(10)).await.expect("all").len(),
        2
    );
}

async fn decisions_move_their_recommendation(db: &TestDb) {
    let a = doc(db, "a.md").await.id;
    let recs = recommendations(db);
    let repo = decisions(db);
    let mut made = Vec::new();
    for decision in [Decision::Accept, Decision::Reject, Decision::Amend] {
        let rec = recs
            .create(NewRecommendation::new("R", json!({}), vec![a], vec![]))
            .await
            .expect("rec");
        let row = repo
            .record(NewDecision::new(rec.id, decision).with_comments("because"))
            .await
            .expect("decide");
        assert_eq!(row.decision, decision);
        assert_eq!(row.recommendation_id, rec.id);
        assert_eq!(row.comments.as_deref(), Some("because"));
        assert_eq!(row.implementation_timestamp, None);
        made.push((rec.id, row.id, decision));
    }
    for (rec, _, decision) in &made {
        let expected = match decision {
            Decision::Accept => RecommendationStatus::Accepted,
            Decision::Reject => RecommendationStatus::Rejected,
            Decision::Amend => RecommendationStatus::Amended,
        };
        assert_eq!(recs.get(*rec).await.expect("rec").status, expected);
    }
    // A second decision on a decided recommendation is refused and writes nothing.
    let (rec, decision_id, _) = made[0];
    let err = repo
        .record(NewDecision::new(rec, Decision::Reject))
        .await
        .expect_err("decided");
    assert!(is_transition(&err, "Accepted", "Rejected"), "{err}");
    assert_eq!(repo.for_recommendation(rec).await.expect("list").len(), 1);
    assert!(matches!(
        repo.record(NewDecision::new(DbUuid::new_v4(), Decision::Accept))
            .await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(db.count("developer_decisions").await, 3);
    // The implementation time, later.
    let at = now();
    let done = repo
        .set_implemented(decision_id, at)
        .await
        .expect("implemented");
    assert_eq!(done.implementation_timestamp, Some(at.into()));
    assert_eq!(repo.get(decision_id).await.expect("get"), done);
    assert!(matches!(
        repo.set_implemented(999_999, at).await,
        Err(Error::NotFound { .. })
    ));
}

async fn stale_recommendations_are_invalidated(db: &TestDb) {
    let base = now() - Duration::hours(10);
    let a = doc_at(db, "a.md", base).await.id;
    let b = doc_at(db, "b.md", base).await.id;
    let recs = recommendations(db);
    let as_of = base + Duration::hours(1);
    let on_a = recs
        .create(NewRecommendation::new("on a", json!({}), vec![a], vec![]).as_of(as_of))
        .await
        .expect("a");
    let on_b = recs
        .create(NewRecommendation::new("on b", json!({}), vec![b], vec![]).as_of(as_of))
        .await
        .expect("b");
    let decided = recs
        .create(NewRecommendation::new("decided", json!({}), vec![a], vec![]).as_of(as_of))
        .await
        .expect("decided");
    decisions(db)
        .record(NewDecision::new(decided.id, Decision::Accept))
        .await
        .expect("accept");
    // No document changed after the recommendations were made.
    assert!(recs.invalidate_stale().await.expect("none").is_empty());
    // a.md changes: the Active recommendation on it goes stale; the decided one stays Accepted.
    doc_at(db, "a.md", as_of + Duration::minutes(5)).await;
    assert_eq!(recs.invalidate_stale().await.expect("stale"), vec![on_a.id]);
    assert_eq!(
        recs.get(on_a.id).await.expect("a").status,
        RecommendationStatus::Invalidated
    );
    assert_eq!(
        recs.get(on_b.id).await.expect("b").status,
        RecommendationStatus::Active
    );
    assert_eq!(
        recs.get(decided.id).await.expect("decided").status,
        RecommendationStatus::Accepted
    );
    assert!(recs.invalidate_stale().await.expect("again").is_empty());
    // With no codebase time, the creation time counts.
    let fresh = recs
        .create(NewRecommendation::new("fresh", json!({}), vec![b], vec![]))
        .await
        .expect("fresh");
    doc_at(db, "b.md", now() + Duration::minutes(1)).await;
    let mut stale = recs.invalidate_stale().await.expect("b stale");
    stale.sort();
    let mut expected = vec![on_b.id, fresh.id];
    expected.sort();
    assert_eq!(stale, expected);
}

db_tests!(
    inconsistencies_are_created_listed_and_moved,
    recommendations_take_their_inconsistencies_along,
    decisions_move_their_recommendation,
    stale_recommendations_are_invalidated
);
