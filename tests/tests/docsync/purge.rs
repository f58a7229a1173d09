//! The 7-day purge: recommendations and decisions older than the cutoff go, their
//! `InRecommendation` inconsistencies return to `Pending`, newer rows stay; and the `dal cleanup`
//! job (`--only docsync`) reporting what it removed.

use repository::chrono::Duration;
use repository::docsync::{
    Decision, DecisionRepository, InconsistencyRepository, InconsistencyStatus, NewDecision,
    NewRecommendation, RecommendationRepository,
};
use serde_json::json;
use tests::{TestDb, db_tests, now};

use super::doc;
use super::lifecycle::{decisions, inconsistencies, issue, recommendations, set_time};

async fn purge_removes_old_rows_and_reopens_inconsistencies(db: &TestDb) {
    let a = doc(db, "a.md").await.id;
    let issues = inconsistencies(db);
    let recs = recommendations(db);
    let old_issue = issues.create(issue(vec![a])).await.expect("old issue");
    let resolved_issue = issues.create(issue(vec![a])).await.expect("resolved issue");
    let new_issue = issues.create(issue(vec![a])).await.expect("new issue");
    let old = recs
        .create(NewRecommendation::new(
            "old",
            json!({}),
            vec![a],
            vec![old_issue.id, resolved_issue.id],
        ))
        .await
        .expect("old rec");
    issues
        .set_status(resolved_issue.id, InconsistencyStatus::Resolved)
        .await
        .expect("resolve");
    let recent = recs
        .create(NewRecommendation::new(
            "recent",
            json!({}),
            vec![a],
            vec![new_issue.id],
        ))
        .await
        .expect("recent rec");
    let old_decision = decisions(db)
        .record(NewDecision::new(old.id, Decision::Accept))
        .await
        .expect("decide old");
    // A decision of its own older than the cutoff, on a recommendation that is recent.
    let stale_decision = decisions(db)
        .record(NewDecision::new(recent.id, Decision::Amend))
        .await
        .expect("decide recent");
    let eight_days = now() - Duration::days(8);
    set_time(
        db,
        "recommendations",
        "creation_timestamp",
        old.id,
        eight_days,
    )
    .await;
    db.raw(&format!(
        "UPDATE developer_decisions SET timestamp = {} WHERE id IN ({}, {})",
        match db.backend {
            tests::Backend::Postgres => "now() - interval '8 days'",
            tests::Backend::Sqlite => "datetime('now', '-8 days')",
        },
        old_decision.id,
        stale_decision.id
    ))
    .await
    .expect("age decisions");

    let report = recs
        .purge_older_than(now() - Duration::days(7))
        .await
        .expect("purge");
    assert_eq!(report.recommendations, 1);
    assert_eq!(report.decisions, 2);
    assert_eq!(report.inconsistencies_reopened, 1);
    assert!(recs.get(old.id).await.is_err());
    assert!(recs.get(recent.id).await.is_ok());
    let reopened = issues.get(old_issue.id).await.expect("reopened");
    assert_eq!(reopened.status, InconsistencyStatus::Pending);
    assert_eq!(reopened.recommendation_id, None);
    let resolved = issues.get(resolved_issue.id).await.expect("resolved");
    assert_eq!(
        resolved.status,
        InconsistencyStatus::Resolved,
        "resolved stays resolved"
    );
    assert_eq!(resolved.recommendation_id, None);
    assert_eq!(
        issues.get(new_issue.id).await.expect("new").status,
        InconsistencyStatus::InRecommendation
    );
    assert_eq!(db.count("developer_decisions").await, 0);
    // Nothing left to purge.
    let again = recs
        .purge_older_than(now() - Duration::days(7))
        .await
        .expect("again");
    assert_eq!(again, repository::docsync::PurgeReport::default());
    // A reopened inconsistency can be recommended on again.
    recs.create(NewRecommendation::new(
        "retry",
        json!({}),
        vec![a],
        vec![old_issue.id],
    ))
    .await
    .expect("recommend again");
}

async fn the_cleanup_job_purges_with_the_configured_days(db: &TestDb) {
    let a = doc(db, "a.md").await.id;
    let recs = recommendations(db);
    let old = recs
        .create(NewRecommendation::new("old", json!({}), vec![a], vec![]))
        .await
        .expect("old");
    let recent = recs
        .create(NewRecommendation::new("recent", json!({}), vec![a], vec![]))
        .await
        .expect("recent");
    set_time(
        db,
        "recommendations",
        "creation_timestamp",
        old.id,
        now() - Duration::days(4),
    )
    .await;
    set_time(
        db,
        "recommendations",
        "creation_timestamp",
        recent.id,
        now() - Duration::days(2),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let mut all = vec![
            "dal".to_owned(),
            "--database-url".to_owned(),
            db.url.clone(),
            "--redis-url".to_owned(),
            "memory".to_owned(),
        ];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        <app::cli::Cli as clap::Parser>::try_parse_from(all).expect("args")
    };
    // The default 7 days keep both.
    let mut out = Vec::new();
    app::cli::run(
        run(&["cleanup", "--only", "docsync", "--json"]),
        dir.path(),
        Some(&Default::default()),
        &mut out,
    )
    .await
    .expect("cleanup");
    let summary: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(summary["docsync"]["purge_days"], 7, "{summary}");
    assert_eq!(summary["docsync"]["recommendations"], 0, "{summary}");
    assert!(summary.get("chat").is_none(), "only docsync ran: {summary}");
    // DAL_DOCSYNC_PURGE_DAYS=3 removes the 4-day-old one.
    let env =
        std::collections::HashMap::from([("DAL_DOCSYNC_PURGE_DAYS".to_owned(), "3".to_owned())]);
    let mut out = Vec::new();
    app::cli::run(
        run(&["cleanup", "--only", "docsync"]),
        dir.path(),
        Some(&env),
        &mut out,
    )
    .await
    .expect("cleanup");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("1 recommendation"), "{text}");
    assert!(recs.get(old.id).await.is_err());
    assert!(recs.get(recent.id).await.is_ok());
}

db_tests!(
    purge_removes_old_rows_and_reopens_inconsistencies,
    the_cleanup_job_purges_with_the_configured_days
);
