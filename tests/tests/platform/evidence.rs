//! `EvidenceRepository`: record, verify, filter, and related / contradicting evidence in both
//! directions.

use repository::platform::{
    AuditContext, EvidenceFilter, EvidenceLink, EvidenceRepository, EvidenceSourceType,
    EvidenceStore, NewEvidence,
};
use repository::{Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests};

use super::{audit_of, id, project, task, user};

async fn record_verify_and_filter(db: &TestDb) {
    let owner = user(db, "o").await;
    let proj = project(db, &owner, "p", true, &[]).await;
    let t = task(db, &proj, "t").await;
    let repo = EvidenceStore::new(db.conn.clone());
    let mut made = Vec::new();
    for (i, (score, source, tags)) in [
        (0.9, EvidenceSourceType::TestResult, vec!["tests"]),
        (0.4, EvidenceSourceType::AiOutput, vec!["ai", "tests"]),
        (0.7, EvidenceSourceType::SecurityScan, vec!["security"]),
        (1.0, EvidenceSourceType::HumanReview, vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut new = NewEvidence::new(id(proj.project_id), source, format!("e{i}"));
        new.credibility_score = score;
        new.tags = tags.into_iter().map(String::from).collect();
        new.task_id = (i < 2).then_some(id(t.task_id));
        new.raw_data = Some(json!({"i": i}));
        made.push(
            repo.record(new, AuditContext::system())
                .await
                .expect("record"),
        );
    }
    assert_eq!(
        repo.get(id(made[0].evidence_id)).await.expect("get"),
        made[0]
    );
    let ctx = AuditContext::user(id(owner.user_id));
    let verified = repo
        .verify(id(made[2].evidence_id), ctx.clone())
        .await
        .expect("verify");
    let at = verified.verified_at.expect("verified_at");
    assert!(verified.is_verified);
    let again = repo
        .verify(id(made[2].evidence_id), ctx)
        .await
        .expect("again");
    assert_eq!(again.verified_at, Some(at));
    let rows = audit_of(db, made[2].evidence_id).await;
    assert_eq!(rows[1].event_type, "evidence_verified");
    assert_eq!(
        rows[1].old_values.clone().expect("old").into_inner(),
        json!({"is_verified": false, "verified_at": null})
    );
    assert_eq!(
        rows[1].new_values.clone().expect("new").into_inner(),
        json!({"is_verified": true, "verified_at": at})
    );
    assert_eq!(
        rows[2].new_values.clone().expect("new").into_inner(),
        json!({})
    );
    assert_eq!(
        db.count("activity_feed").await,
        1 + 1 + 4 + 1,
        "project, task, 4 records, 1 verification"
    );

    let titles =
        |v: Vec<repository::platform::Evidence>| v.into_iter().map(|e| e.title).collect::<Vec<_>>();
    let list =
        |f: EvidenceFilter| async { titles(repo.list(f, Page::first(10)).await.expect("list")) };
    assert_eq!(
        list(EvidenceFilter::default()).await,
        ["e3", "e0", "e2", "e1"]
    );
    assert_eq!(
        list(EvidenceFilter {
            min_credibility: Some(0.5),
            max_credibility: Some(0.95),
            ..EvidenceFilter::default()
        })
        .await,
        ["e0", "e2"]
    );
    assert_eq!(
        list(EvidenceFilter {
            is_verified: Some(true),
            ..EvidenceFilter::default()
        })
        .await,
        ["e2"]
    );
    assert_eq!(
        list(EvidenceFilter {
            source_type: Some(EvidenceSourceType::AiOutput),
            ..EvidenceFilter::default()
        })
        .await,
        ["e1"]
    );
    assert_eq!(
        list(EvidenceFilter {
            tags: vec!["tests".into()],
            ..EvidenceFilter::default()
        })
        .await,
        ["e0", "e1"]
    );
    assert_eq!(
        list(EvidenceFilter {
            task_id: Some(id(t.task_id)),
            max_credibility: Some(0.5),
            ..EvidenceFilter::default()
        })
        .await,
        ["e1"]
    );
    let err = repo
        .list(
            EvidenceFilter {
                min_credibility: Some(0.8),
                max_credibility: Some(0.2),
                ..EvidenceFilter::default()
            },
            Page::first(1),
        )
        .await
        .expect_err("range");
    assert!(matches!(err, Error::Validation { .. }));
    let mut bad = NewEvidence::new(id(proj.project_id), EvidenceSourceType::Metrics, "x");
    bad.credibility_score = 1.01;
    let err = repo
        .record(bad, AuditContext::system())
        .await
        .expect_err("score");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "credibility_score"),
        "{err}"
    );
}

async fn links_in_both_directions(db: &TestDb) {
    let owner = user(db, "o").await;
    let proj = project(db, &owner, "p", false, &[]).await;
    let repo = EvidenceStore::new(db.conn.clone());
    let rec = |title: &str,
               related: Vec<repository::UuidText>,
               contradicting: Vec<repository::UuidText>| {
        let mut new = NewEvidence::new(
            id(proj.project_id),
            EvidenceSourceType::Documentation,
            title,
        );
        new.related_evidence = related;
        new.contradicting_evidence = contradicting;
        repo.record(new, AuditContext::system())
    };
    let a = rec("a", vec![], vec![]).await.expect("a");
    let b = rec("b", vec![id(a.evidence_id)], vec![]).await.expect("b");
    let c = rec("c", vec![], vec![id(a.evidence_id)]).await.expect("c");
    let d = rec(
        "d",
        vec![id(b.evidence_id), id(c.evidence_id)],
        vec![id(b.evidence_id)],
    )
    .await
    .expect("d");
    assert_eq!(d.related_evidence, json!([b.evidence_id, c.evidence_id]));
    let linked = |e: &repository::platform::Evidence, link| {
        let key = id(e.evidence_id);
        let repo = &repo;
        async move {
            let mut t: Vec<String> = repo
                .linked(key, link)
                .await
                .expect("linked")
                .into_iter()
                .map(|e| e.title)
                .collect();
            t.sort();
            t
        }
    };
    // a is related to b (b's array), b to a and d (its array, d's array), d to b and c.
    assert_eq!(linked(&a, EvidenceLink::Related).await, ["b"]);
    assert_eq!(linked(&b, EvidenceLink::Related).await, ["a", "d"]);
    assert_eq!(linked(&c, EvidenceLink::Related).await, ["d"]);
    assert_eq!(linked(&d, EvidenceLink::Related).await, ["b", "c"]);
    assert_eq!(linked(&a, EvidenceLink::Contradicting).await, ["c"]);
    assert_eq!(linked(&b, EvidenceLink::Contradicting).await, ["d"]);
    assert_eq!(linked(&d, EvidenceLink::Contradicting).await, ["b"]);
    assert!(matches!(
        repo.linked(repository::UuidText::new_v4(), EvidenceLink::Related)
            .await,
        Err(Error::NotFound { .. })
    ));
}

db_tests!(record_verify_and_filter, links_in_both_directions);
