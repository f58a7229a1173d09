//! The seed's thread-safe layer: 8 tasks scanning trees, saving references and recording
//! decisions at once, on SQLite and PostgreSQL: no lost writes, and no "database is locked" (nor
//! any other error but the lifecycle's own refusals) reaches a caller.

use std::path::PathBuf;
use std::sync::Arc;

use repository::DatabaseConnection;
use repository::chrono::Duration;
use repository::docsync::{
    Decision, DecisionRepository, DecisionStore, DocumentRepository, DocumentStore, DocumentType,
    FileMetadataRepository, FileMetadataStore, NewDecision, NewDocument, NewRecommendation,
    NoProgress, RecommendationRepository, RecommendationStore, scan_tree,
};
use repository::{Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests, now};

use super::path;

const TASKS: usize = 8;
const FILES: usize = 25;
const DOCS: usize = 20;

async fn eight_tasks_scan_save_and_decide_at_once(db: &TestDb) {
    let conn: DatabaseConnection = db.conn.clone();
    let root = tempfile::tempdir().expect("dir");
    let trees: Vec<PathBuf> = (0..TASKS)
        .map(|t| {
            let dir = root.path().join(format!("tree{t}"));
            std::fs::create_dir_all(&dir).expect("dir");
            for f in 0..FILES {
                std::fs::write(dir.join(format!("f{f}.md")), format!("task {t} file {f}\n"))
                    .expect("write");
            }
            dir
        })
        .collect();
    // One document and one recommendation everybody races on.
    let shared_doc = DocumentStore::new(conn.clone())
        .save(NewDocument::new(
            path("shared.md"),
            DocumentType::Markdown,
            now(),
            1,
        ))
        .await
        .expect("shared doc");
    let contested = RecommendationStore::new(conn.clone())
        .create(NewRecommendation::new(
            "contested",
            json!({}),
            vec![shared_doc.id],
            vec![],
        ))
        .await
        .expect("contested");
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));

    let mut handles = Vec::new();
    for (t, tree) in trees.into_iter().enumerate() {
        let conn = conn.clone();
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            let docs = DocumentStore::new(conn.clone());
            let recs = RecommendationStore::new(conn.clone());
            let decisions = DecisionStore::new(conn.clone());
            let files = FileMetadataStore::new(conn.clone());
            barrier.wait().await;
            let scanned = scan_tree(&files, &tree, &NoProgress).await?;
            assert_eq!(scanned.new.len(), FILES);
            let mut won_contested = false;
            for d in 0..DOCS {
                let saved = docs
                    .save(NewDocument::new(
                        path(&format!("task{t}/doc{d}.md")),
                        DocumentType::Markdown,
                        now() - Duration::seconds(i64::try_from(d).unwrap_or(0)),
                        i64::try_from(d).unwrap_or(0),
                    ))
                    .await?;
                // Everybody also rewrites the shared document (an upsert on one key).
                docs.save(NewDocument::new(
                    path("shared.md"),
                    DocumentType::Markdown,
                    now(),
                    i64::try_from(t).unwrap_or(0),
                ))
                .await?;
                if d % 5 == 0 {
                    let rec = recs
                        .create(NewRecommendation::new(
                            format!("task {t} rec {d}"),
                            json!({"doc": d}),
                            vec![saved.id, shared_doc.id],
                            vec![],
                        ))
                        .await?;
                    decisions
                        .record(NewDecision::new(rec.id, Decision::Accept))
                        .await?;
                }
                if d == DOCS / 2 {
                    match decisions
                        .record(NewDecision::new(contested.id, Decision::Reject))
                        .await
                    {
                        Ok(_) => won_contested = true,
                        Err(Error::Transition { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            // A second scan of the same tree while the others write: nothing to read.
            let again = scan_tree(&files, &tree, &NoProgress).await?;
            assert_eq!(again.digests_computed, 0);
            Ok::<bool, Error>(won_contested)
        }));
    }
    let mut winners = 0;
    for handle in handles {
        match handle.await.expect("task") {
            Ok(won) => winners += usize::from(won),
            Err(e) => panic!("a caller saw an error: {e}"),
        }
    }
    assert_eq!(
        winners, 1,
        "exactly one decision on the contested recommendation"
    );

    let files = FileMetadataStore::new(conn.clone());
    assert_eq!(files.count().await.expect("files"), (TASKS * FILES) as u64);
    let docs = DocumentStore::new(conn.clone());
    assert_eq!(docs.count().await.expect("docs"), (TASKS * DOCS + 1) as u64);
    let per_task_recs = DOCS.div_ceil(5);
    assert_eq!(
        db.count("recommendations").await,
        i64::try_from(TASKS * per_task_recs + 1).expect("n")
    );
    assert_eq!(
        db.count("developer_decisions").await,
        i64::try_from(TASKS * per_task_recs + 1).expect("n")
    );
    assert_eq!(
        DecisionStore::new(conn.clone())
            .for_recommendation(contested.id)
            .await
            .expect("contested decisions")
            .len(),
        1
    );
    assert_eq!(
        RecommendationStore::new(conn)
            .list(
                Some(repository::docsync::RecommendationStatus::Active),
                Page::first(10)
            )
            .await
            .expect("active")
            .len(),
        0,
        "every recommendation was decided"
    );
}

db_tests!(eight_tasks_scan_save_and_decide_at_once);
