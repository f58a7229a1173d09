//! `CommentRepository` and `AttachmentRepository`.

use repository::platform::{
    AttachmentRepository, AttachmentStore, AuditContext, CommentAuthor, CommentRepository,
    CommentStore, EvidenceRepository, EvidenceSourceType, EvidenceStore, NewAttachment, NewComment,
    NewEvidence,
};
use repository::{Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests};

use super::{agent, audit_of, id, project, task, user};

async fn human_and_ai_comments(db: &TestDb) {
    let ann = user(db, "ann").await;
    let bot = agent(db, "reviewer", "reviewer", &[]).await;
    let proj = project(db, &ann, "p", true, &[]).await;
    let t = task(db, &proj, "t").await;
    let repo = CommentStore::new(db.conn.clone());
    let human = repo
        .add(
            NewComment {
                task_id: id(t.task_id),
                author: CommentAuthor::User {
                    user_id: id(ann.user_id),
                },
                content: "Looks good".into(),
                github_comment_id: None,
            },
            AuditContext::user(id(ann.user_id)),
        )
        .await
        .expect("human");
    assert!(!human.is_ai_generated);
    assert_eq!(human.author_id, Some(ann.user_id));
    let ai_author = CommentAuthor::Agent {
        agent_id: id(bot.agent_id),
        ai_metadata: json!({"model": "claude", "prompt": "review-v2"}),
    };
    let mirrored = NewComment {
        task_id: id(t.task_id),
        author: ai_author.clone(),
        content: "Consider a test".into(),
        github_comment_id: Some(9001),
    };
    let ai = repo
        .upsert_github(mirrored.clone(), AuditContext::agent(id(bot.agent_id)))
        .await
        .expect("insert");
    assert!(ai.is_ai_generated);
    assert_eq!(ai.agent_id, Some(bot.agent_id));
    assert_eq!(
        ai.ai_metadata,
        json!({"model": "claude", "prompt": "review-v2"})
    );
    // The same GitHub comment again: unchanged, nothing written.
    let audit_rows = db.count("audit_logs").await;
    assert_eq!(
        repo.upsert_github(mirrored.clone(), AuditContext::agent(id(bot.agent_id)))
            .await
            .expect("same"),
        ai
    );
    assert_eq!(db.count("audit_logs").await, audit_rows);
    // Edited on GitHub: updated in place, audited.
    let edited = repo
        .upsert_github(
            NewComment {
                content: "Consider two tests".into(),
                ..mirrored.clone()
            },
            AuditContext::agent(id(bot.agent_id)),
        )
        .await
        .expect("update");
    assert_eq!(edited.comment_id, ai.comment_id);
    assert_eq!(edited.content, "Consider two tests");
    let rows = audit_of(db, ai.comment_id).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].event_type, "comment_updated");
    assert_eq!(
        rows[1].old_values.clone().expect("old").into_inner(),
        json!({"content": "Consider a test"})
    );
    assert_eq!(
        rows[1].new_values.clone().expect("new").into_inner(),
        json!({"content": "Consider two tests"})
    );

    let by_task: Vec<_> = repo
        .by_task(id(t.task_id), Page::first(10))
        .await
        .expect("by task")
        .into_iter()
        .map(|c| c.comment_id)
        .collect();
    assert_eq!(by_task, [human.comment_id, ai.comment_id]);
    assert_eq!(
        repo.by_author(id(ann.user_id), Page::first(10))
            .await
            .expect("by author"),
        vec![human.clone()]
    );
    repo.delete(id(human.comment_id), AuditContext::user(id(ann.user_id)))
        .await
        .expect("delete");
    assert!(matches!(
        repo.get(id(human.comment_id)).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        audit_of(db, human.comment_id)
            .await
            .pop()
            .expect("row")
            .event_type,
        "comment_deleted"
    );

    for (bad, field) in [
        (
            NewComment {
                content: " ".into(),
                ..mirrored.clone()
            },
            "content",
        ),
        (
            NewComment {
                github_comment_id: Some(0),
                ..mirrored.clone()
            },
            "github_comment_id",
        ),
        (
            NewComment {
                author: CommentAuthor::Agent {
                    agent_id: id(bot.agent_id),
                    ai_metadata: json!(1),
                },
                ..mirrored.clone()
            },
            "ai_metadata",
        ),
        (
            NewComment {
                github_comment_id: None,
                ..mirrored.clone()
            },
            "github_comment_id",
        ),
    ] {
        let err = repo
            .upsert_github(bad, AuditContext::system())
            .await
            .expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
}

async fn attachments_and_evidence_links(db: &TestDb) {
    let ann = user(db, "ann").await;
    let proj = project(db, &ann, "p", false, &[]).await;
    let t = task(db, &proj, "t").await;
    let ev = EvidenceStore::new(db.conn.clone())
        .record(
            NewEvidence::new(id(proj.project_id), EvidenceSourceType::TestResult, "junit"),
            AuditContext::system(),
        )
        .await
        .expect("evidence");
    let repo = AttachmentStore::new(db.conn.clone());
    let mut new = NewAttachment::new(id(t.task_id), "report.xml", "s3://bucket/report.xml");
    new.content_type = Some("application/xml".into());
    new.file_size_bytes = Some(2048);
    let plain = repo
        .add(new.clone(), AuditContext::user(id(ann.user_id)))
        .await
        .expect("add");
    assert!(!plain.is_evidence);
    // The database's rule, checked first: an evidence link needs is_evidence.
    let before = db.count("audit_logs").await;
    let err = repo
        .add(
            NewAttachment {
                evidence_id: Some(id(ev.evidence_id)),
                ..new.clone()
            },
            AuditContext::system(),
        )
        .await
        .expect_err("link without is_evidence");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "evidence_id"),
        "{err}"
    );
    let err = repo
        .add(
            NewAttachment {
                file_size_bytes: Some(-1),
                ..new.clone()
            },
            AuditContext::system(),
        )
        .await
        .expect_err("size");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "file_size_bytes"),
        "{err}"
    );
    assert_eq!(db.count("audit_logs").await, before);
    let direct = repo
        .add(
            NewAttachment {
                is_evidence: true,
                evidence_id: Some(id(ev.evidence_id)),
                ..new.clone()
            },
            AuditContext::system(),
        )
        .await
        .expect("evidence attachment");
    assert_eq!(direct.evidence_id, Some(ev.evidence_id));

    let linked = repo
        .link_evidence(
            id(plain.attachment_id),
            id(ev.evidence_id),
            AuditContext::user(id(ann.user_id)),
        )
        .await
        .expect("link");
    assert!(linked.is_evidence);
    assert_eq!(linked.evidence_id, Some(ev.evidence_id));
    let rows = audit_of(db, plain.attachment_id).await;
    assert_eq!(rows[0].event_type, "attachment_added");
    assert_eq!(rows[1].event_type, "attachment_linked_to_evidence");
    assert_eq!(
        rows[1].old_values.clone().expect("old").into_inner(),
        json!({"is_evidence": false, "evidence_id": null})
    );
    assert_eq!(
        rows[1].new_values.clone().expect("new").into_inner(),
        json!({"is_evidence": true, "evidence_id": ev.evidence_id})
    );
    let listed: Vec<_> = repo
        .by_task(id(t.task_id), Page::first(10))
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.attachment_id)
        .collect();
    assert_eq!(listed, [plain.attachment_id, direct.attachment_id]);
    assert_eq!(
        repo.get(id(plain.attachment_id)).await.expect("get"),
        linked
    );
    let err = repo
        .link_evidence(
            id(plain.attachment_id),
            repository::UuidText::new_v4(),
            AuditContext::system(),
        )
        .await
        .expect_err("unknown");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
}

db_tests!(human_and_ai_comments, attachments_and_evidence_links);
