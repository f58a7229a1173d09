//! `ChunkRepository` on a real database.

use repository::chat::{ChunkRepository, ChunkStore, DocType, NewChunk, content_hash};
use repository::vector::RecordId;
use repository::{Error, Page};
use tests::{TestDb, db_tests};

use super::url;

fn store(db: &TestDb) -> ChunkStore<repository::DatabaseConnection> {
    ChunkStore::new(db.conn.clone())
}

fn chunk(page: &str, doc_type: DocType, i: i32) -> NewChunk {
    NewChunk::new(
        url(&format!("https://docs.example.org/{page}")),
        doc_type,
        i,
        format!("Chunk {i} of {page}"),
    )
    .with_title(format!("Page {page}"))
    .with_version("18.2")
    .with_embedding_id(RecordId::parse(&format!("{page}-{i}")).expect("id"))
}

async fn store_is_idempotent_by_hash(db: &TestDb) {
    let repo = store(db);
    let new = chunk("a", DocType::React, 0);
    let first = repo.store(new.clone()).await.expect("store");
    assert!(first.inserted);
    assert_eq!(
        first.chunk.content_hash.as_deref(),
        Some(content_hash("Chunk 0 of a", "https://docs.example.org/a", "react").as_str())
    );
    // Same normalised content, page and type: the stored row comes back unchanged.
    let mut again = new.clone();
    again.content = "  CHUNK 0 OF A \n".into();
    again.chunk_index = 7;
    let second = repo.store(again).await.expect("store again");
    assert!(!second.inserted);
    assert_eq!(second.chunk, first.chunk);
    assert_eq!(db.count("document_chunk").await, 1);
    // Another type is another hash.
    let other = NewChunk {
        doc_type: DocType::Python,
        ..new
    };
    assert!(repo.store(other).await.expect("python").inserted);
    assert_eq!(repo.count().await.expect("count"), 2);
    let got = repo
        .get(&first.chunk.id.parse().expect("id"))
        .await
        .expect("get");
    assert_eq!(got, first.chunk);
}

async fn store_many_skips_duplicates(db: &TestDb) {
    let repo = store(db);
    repo.store(chunk("a", DocType::React, 1))
        .await
        .expect("pre-existing");
    let batch = vec![
        chunk("a", DocType::React, 0),
        chunk("a", DocType::React, 1), // in the table
        chunk("a", DocType::React, 2),
        chunk("a", DocType::React, 0), // repeats the first
        chunk("b", DocType::React, 0),
    ];
    let report = repo.store_many(batch).await.expect("store many");
    assert_eq!(report.skipped, vec![1, 3]);
    let inserted: Vec<_> = report.inserted.iter().map(|r| r.chunk_index).collect();
    assert_eq!(inserted, vec![0, 2, 0]);
    assert_eq!(db.count("document_chunk").await, 4);

    // One bad chunk: nothing written, the chunk named.
    let mut bad = chunk("c", DocType::React, 0);
    bad.content = " ".into();
    let err = repo
        .store_many(vec![chunk("c", DocType::React, 1), bad])
        .await
        .expect_err("bad");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "chunks[1].content"),
        "{err}"
    );
    let err = repo
        .store(NewChunk {
            chunk_index: -1,
            ..chunk("c", DocType::React, 0)
        })
        .await
        .expect_err("negative index");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "chunk_index"),
        "{err}"
    );
    assert_eq!(db.count("document_chunk").await, 4);

    // More rows than one statement binds.
    let many: Vec<_> = (0..1_200)
        .map(|i| chunk("big", DocType::Python, i))
        .collect();
    let report = repo.store_many(many).await.expect("many");
    assert_eq!(report.inserted.len(), 1_200);
    assert_eq!(db.count("document_chunk").await, 1_204);
}

async fn lookups_and_delete_by_source(db: &TestDb) {
    let repo = store(db);
    let mut chunks = Vec::new();
    for i in (0..3).rev() {
        chunks.push(chunk("a", DocType::React, i));
    }
    chunks.push(chunk("b", DocType::React, 0));
    chunks.push(chunk("a", DocType::Fastapi, 9));
    chunks.push(NewChunk::new(
        url("https://docs.example.org/n"),
        DocType::Python,
        0,
        "no vector",
    ));
    repo.store_many(chunks).await.expect("store");
    let a = url("https://docs.example.org/a");

    let react = repo
        .by_doc_type(DocType::React, Page::default())
        .await
        .expect("react");
    let got: Vec<_> = react
        .iter()
        .map(|r| (r.source_url.as_str(), r.chunk_index))
        .collect();
    assert_eq!(
        got,
        vec![
            ("https://docs.example.org/a", 0),
            ("https://docs.example.org/a", 1),
            ("https://docs.example.org/a", 2),
            ("https://docs.example.org/b", 0),
        ]
    );
    assert_eq!(
        repo.by_doc_type(DocType::React, Page::nth(1, 3))
            .await
            .expect("page")
            .len(),
        1
    );
    let typed = repo
        .by_doc_type_and_source(DocType::React, &a)
        .await
        .expect("typed");
    assert_eq!(
        typed.iter().map(|r| r.chunk_index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(repo.by_source_url(&a).await.expect("by url").len(), 4);
    let by_vector = repo
        .by_embedding_id(&RecordId::parse("a-9").expect("id"))
        .await
        .expect("by vector");
    assert_eq!(by_vector.len(), 1);
    assert_eq!(by_vector[0].doc_type, Some(DocType::Fastapi));

    let ids = repo.embedding_ids_after(None, 2).await.expect("ids");
    assert_eq!(ids, vec!["a-0".to_owned(), "a-1".to_owned()]);
    let rest = repo
        .embedding_ids_after(Some("a-1".into()), 100)
        .await
        .expect("rest");
    assert_eq!(
        rest,
        vec!["a-2".to_owned(), "a-9".to_owned(), "b-0".to_owned()]
    );

    let deleted = repo.delete_by_source_url(&a).await.expect("delete");
    assert_eq!(deleted.len(), 4);
    assert!(repo.by_source_url(&a).await.expect("gone").is_empty());
    assert_eq!(db.count("document_chunk").await, 2);
    assert_eq!(
        repo.delete_by_embedding_ids(vec!["b-0".into(), "zzz".into()])
            .await
            .expect("by ids"),
        1
    );
    assert_eq!(db.count("document_chunk").await, 1);
}

/// The orphan job on a real table: the vector store (a mock listing its ids) holds every other
/// vector; more orphans than one statement binds; a chunk with no vector stays.
async fn orphaned_chunks_are_deleted(db: &TestDb) {
    use repository::chat::delete_orphaned_chunks;
    use repository::vector::{CollectionName, MockVectorStore};

    let repo = store(db);
    let chunks: Vec<_> = (0..3_000).map(|i| chunk("o", DocType::Python, i)).collect();
    repo.store_many(chunks).await.expect("store");
    repo.store(NewChunk::new(
        url("https://docs.example.org/n"),
        DocType::Python,
        0,
        "no vector",
    ))
    .await
    .expect("unlinked");
    let mut held: Vec<String> = (0..3_000).step_by(2).map(|i| format!("o-{i}")).collect();
    held.sort();
    let mut vectors = MockVectorStore::new();
    vectors.expect_list_ids().returning(move |_, page| {
        Ok(held
            .iter()
            .skip(usize::try_from(page.offset).expect("offset"))
            .take(usize::try_from(page.limit).expect("limit"))
            .map(|id| RecordId::parse(id).expect("id"))
            .collect())
    });
    let collection = CollectionName::parse("docs").expect("name");
    let report = delete_orphaned_chunks(&repo, &vectors, &collection, false)
        .await
        .expect("cleanup");
    assert_eq!(report.chunk_embedding_ids, 3_000);
    assert_eq!(report.vector_ids, 1_500);
    assert_eq!(report.deleted, 1_500);
    assert_eq!(db.count("document_chunk").await, 1_501);
    assert_eq!(
        repo.by_source_url(&url("https://docs.example.org/n"))
            .await
            .expect("kept")
            .len(),
        1
    );
    let left = repo.embedding_ids_after(None, 100_000).await.expect("ids");
    assert!(
        left.iter()
            .all(|id| id[2..].parse::<u32>().expect("n") % 2 == 0)
    );
}

db_tests!(
    store_is_idempotent_by_hash,
    store_many_skips_duplicates,
    lookups_and_delete_by_source,
    orphaned_chunks_are_deleted,
);
