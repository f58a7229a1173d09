//! `DocumentRepository` on a real database, and a document's row and vectors created and
//! deleted together in the embedded vector store (compensation included).

use repository::assistant::{
    DocumentFilter, DocumentRepository, DocumentStore, NewDocument, ProcessingStatus,
    create_with_vectors, delete_with_vectors,
};
use repository::vector::{
    CollectionName, Distance, EmbeddedVectorStore, NewCollection, RecordId, VectorRecord,
    VectorStore,
};
use repository::{DatabaseConnection, Error, Page, UuidText};
use tests::{TestDb, db_tests};

fn store(db: &TestDb) -> DocumentStore<DatabaseConnection> {
    DocumentStore::new(db.conn.clone())
}

async fn create_get_and_list(db: &TestDb) {
    let repo = store(db);
    let session = UuidText::new_v4();
    let a = repo
        .create(
            NewDocument::new("handbook.pdf", "pdf", 6_442_450_944)
                .with_chroma_id("doc-handbook")
                .with_session(session),
        )
        .await
        .expect("create");
    assert_eq!(a.processing_status.as_deref(), Some("pending"));
    assert_eq!(repo.get(a.id.into()).await.expect("get"), a);
    assert_eq!(
        repo.get_by_chroma_id("doc-handbook".into())
            .await
            .expect("by chroma id"),
        a
    );
    assert!(matches!(
        repo.get_by_chroma_id("nope".into()).await,
        Err(Error::NotFound { .. })
    ));
    let err = repo
        .create(NewDocument::new("again.pdf", "pdf", 1).with_chroma_id("doc-handbook"))
        .await
        .expect_err("duplicate chroma_id");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    for (bad, field) in [
        (NewDocument::new("x".repeat(256), "pdf", 1), "filename"),
        (NewDocument::new("a", "t".repeat(51), 1), "file_type"),
        (NewDocument::new("a", "pdf", -1), "file_size"),
        (
            NewDocument::new("a", "pdf", 1).with_chroma_id("c".repeat(256)),
            "chroma_id",
        ),
    ] {
        let err = repo.create(bad).await.expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    assert_eq!(db.count("document_metadata").await, 1);

    let b = repo
        .create(NewDocument::new("notes.md", "md", 10).with_session(session))
        .await
        .expect("b");
    let c = repo
        .create(NewDocument::new("review.md", "md", 20))
        .await
        .expect("c");
    repo.set_status(c.id.into(), ProcessingStatus::Processing, None)
        .await
        .expect("processing");
    let ids = |rows: Vec<repository::assistant::Document>| {
        let mut ids: Vec<_> = rows.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<repository::entity::DbUuid>| {
        v.sort();
        v
    };
    let md = repo
        .list(
            DocumentFilter {
                file_type: Some("md".into()),
                ..DocumentFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("md");
    assert_eq!(ids(md), sorted(vec![b.id, c.id]));
    let pending = repo
        .list(
            DocumentFilter {
                status: Some(ProcessingStatus::Pending),
                ..DocumentFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("pending");
    assert_eq!(ids(pending), sorted(vec![a.id, b.id]));
    let of_session = repo
        .list(
            DocumentFilter {
                session: Some(session),
                file_type: Some("pdf".into()),
                ..DocumentFilter::default()
            },
            Page::default(),
        )
        .await
        .expect("session");
    assert_eq!(ids(of_session), vec![a.id]);
    let first = repo
        .list(DocumentFilter::default(), Page::first(1))
        .await
        .expect("newest");
    assert_eq!(first[0].id, c.id, "newest upload first");
}

async fn status_moves_along_the_lifecycle(db: &TestDb) {
    let repo = store(db);
    let doc = repo
        .create(NewDocument::new("contract.docx", "docx", 2048))
        .await
        .expect("create");
    let id: UuidText = doc.id.into();
    let err = repo
        .set_status(id, ProcessingStatus::Completed, None)
        .await
        .expect_err("pending cannot complete");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    let err = repo
        .set_status(id, ProcessingStatus::Processing, Some("boom".into()))
        .await
        .expect_err("an error only with failed");
    assert!(matches!(&err, Error::Validation { field, .. } if field == "error"));
    assert!(matches!(
        repo.set_status(UuidText::new_v4(), ProcessingStatus::Processing, None)
            .await,
        Err(Error::NotFound { .. })
    ));

    let row = repo
        .set_status(id, ProcessingStatus::Processing, None)
        .await
        .expect("processing");
    assert_eq!(row.processing_status.as_deref(), Some("processing"));
    assert!(row.updated_at >= doc.updated_at);
    assert_eq!(repo.processing_error(id).await.expect("none yet"), None);
    let row = repo
        .set_status(
            id,
            ProcessingStatus::Failed,
            Some("unsupported encoding in page 3".into()),
        )
        .await
        .expect("failed");
    assert_eq!(row.processing_status.as_deref(), Some("failed"));
    assert_eq!(
        repo.processing_error(id).await.expect("error"),
        Some("unsupported encoding in page 3".to_owned())
    );
    assert_eq!(db.count("system_logs").await, 1);
    let err = repo
        .set_status(id, ProcessingStatus::Completed, None)
        .await
        .expect_err("failed is final");
    assert!(matches!(err, Error::Conflict(_)), "{err}");

    // A document another client left with a NULL status counts as pending.
    let other = repo
        .create(NewDocument::new("other.txt", "txt", 1))
        .await
        .expect("other");
    db.raw(&format!(
        "UPDATE document_metadata SET processing_status = NULL WHERE CAST(id AS TEXT) = '{}'",
        other.id
    ))
    .await
    .expect("null status");
    repo.set_status(other.id.into(), ProcessingStatus::Processing, None)
        .await
        .expect("NULL → processing");
    let done = repo
        .set_status(other.id.into(), ProcessingStatus::Completed, None)
        .await
        .expect("completed");
    assert_eq!(done.processing_status.as_deref(), Some("completed"));
    assert_eq!(
        repo.processing_error(other.id.into()).await.expect("none"),
        None
    );

    assert_eq!(repo.delete(id).await.expect("delete").id, doc.id);
    assert!(matches!(repo.get(id).await, Err(Error::NotFound { .. })));
    assert!(matches!(repo.delete(id).await, Err(Error::NotFound { .. })));
}

fn record(id: &str, embedding: &[f32]) -> VectorRecord {
    VectorRecord::new(RecordId::parse(id).expect("id"), embedding.to_vec()).document(id)
}

async fn rows_and_vectors_live_and_die_together(db: &TestDb) {
    let repo = store(db);
    let vectors = EmbeddedVectorStore::new(db.conn.clone());
    let collection = CollectionName::parse("employee_documents").expect("name");
    vectors
        .create_collection(NewCollection::new(collection.clone(), 2, Distance::Cosine))
        .await
        .expect("collection");

    let doc = create_with_vectors(
        &repo,
        &vectors,
        &collection,
        NewDocument::new("policy.md", "md", 99),
        vec![
            record("policy#0", &[1.0, 0.0]),
            record("policy#1", &[0.0, 1.0]),
        ],
    )
    .await
    .expect("create with vectors");
    let chroma_id = doc.chroma_id.clone().expect("a chroma id is given");
    assert_eq!(vectors.count(&collection).await.expect("count"), 2);
    let stored = vectors
        .get(&collection, &[RecordId::parse("policy#0").expect("id")])
        .await
        .expect("get");
    assert_eq!(
        stored[0].metadata.get("document_id"),
        Some(&repository::vector::MetadataValue::Str(chroma_id.clone()))
    );
    let other = create_with_vectors(
        &repo,
        &vectors,
        &collection,
        NewDocument::new("other.md", "md", 5).with_chroma_id("other-doc"),
        vec![record("other#0", &[0.5, 0.5])],
    )
    .await
    .expect("other");
    assert_eq!(other.chroma_id.as_deref(), Some("other-doc"));

    // A vector the store refuses (wrong dimension): the row is removed again.
    let err = create_with_vectors(
        &repo,
        &vectors,
        &collection,
        NewDocument::new("broken.md", "md", 5).with_chroma_id("broken"),
        vec![record("broken#0", &[1.0, 0.0, 0.0])],
    )
    .await
    .expect_err("wrong dimension");
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    assert!(matches!(
        repo.get_by_chroma_id("broken".into()).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(db.count("document_metadata").await, 2);
    assert_eq!(vectors.count(&collection).await.expect("count"), 3);

    let (deleted, removed) = delete_with_vectors(&repo, &vectors, &collection, doc.id.into())
        .await
        .expect("delete with vectors");
    assert_eq!((deleted.id, removed), (doc.id, 2));
    assert!(matches!(
        repo.get(doc.id.into()).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        vectors.count(&collection).await.expect("count"),
        1,
        "the other's vector stays"
    );
    assert!(matches!(
        delete_with_vectors(&repo, &vectors, &collection, doc.id.into()).await,
        Err(Error::NotFound { .. })
    ));
}

db_tests!(
    create_get_and_list,
    status_moves_along_the_lifecycle,
    rows_and_vectors_live_and_die_together,
);
