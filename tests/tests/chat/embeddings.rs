//! Chunks stored with their embeddings in a real vector store: in one transaction with the
//! embedded store, with compensation with any store (Chroma included).

use repository::chat::{
    ChunkRepository, ChunkStore, DocType, EmbeddedChunk, NewChunk, store_with_embeddings,
    store_with_embeddings_atomic,
};
use repository::vector::{Distance, RecordId};
use repository::{DatabaseConnection, Error};
use tests::{TestDb, db_tests};

use super::url;
use crate::vector::Fixture;

fn embedded(page: &str, i: i32, embedding: Vec<f32>) -> EmbeddedChunk {
    EmbeddedChunk {
        chunk: NewChunk::new(
            url(&format!("https://docs.example.org/{page}")),
            DocType::Python,
            i,
            format!("Chunk {i} of {page}"),
        ),
        embedding,
    }
}

/// Three chunks with 3-d embeddings, the last one `bad` when asked (a 2-d embedding).
fn batch(page: &str, bad: bool) -> Vec<EmbeddedChunk> {
    vec![
        embedded(page, 0, vec![1.0, 0.0, 0.0]),
        embedded(page, 1, vec![0.0, 1.0, 0.0]),
        embedded(
            page,
            2,
            if bad {
                vec![0.0, 1.0]
            } else {
                vec![0.0, 0.0, 1.0]
            },
        ),
    ]
}

fn chunks(db: &TestDb) -> ChunkStore<DatabaseConnection> {
    ChunkStore::new(db.conn.clone())
}

async fn chunks_and_vectors_commit_together(db: &TestDb) {
    let fixture = Fixture::embedded(db);
    let collection = fixture.create("chunks", 3, Distance::Cosine).await;

    let err = store_with_embeddings_atomic(&db.conn, &collection, batch("a", true))
        .await
        .expect_err("a 2-d embedding in a 3-d collection");
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    assert_eq!(chunks(db).count().await.expect("count"), 0, "no chunk left");
    assert_eq!(fixture.store.count(&collection).await.expect("count"), 0);

    let stored = store_with_embeddings_atomic(&db.conn, &collection, batch("a", false))
        .await
        .expect("store");
    assert_eq!(stored.inserted.len(), 3);
    assert_eq!(fixture.store.count(&collection).await.expect("count"), 3);
    let nearest = fixture
        .store
        .query(&collection, &[vec![0.0, 0.9, 0.1]], 1, None)
        .await
        .expect("query");
    let id = &nearest[0][0].id;
    let chunk = chunks(db).by_embedding_id(id).await.expect("lookup");
    assert_eq!(
        chunk[0].content, "Chunk 1 of a",
        "the vector names its chunk"
    );

    // Stored again, the same chunks are skipped and no vector is written twice.
    let again = store_with_embeddings_atomic(&db.conn, &collection, batch("a", false))
        .await
        .expect("again");
    assert!(again.inserted.is_empty());
    assert_eq!(fixture.store.count(&collection).await.expect("count"), 3);
}

/// With a store outside the transaction, a failed upsert removes the chunks it inserted.
async fn compensation_removes_the_chunks_of_a_failed_upsert(f: &Fixture, db: &TestDb) {
    let collection = f.create("chunks", 3, Distance::L2).await;
    let err = store_with_embeddings(&chunks(db), f.store.as_ref(), &collection, batch("b", true))
        .await
        .expect_err("a 2-d embedding in a 3-d collection");
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    assert_eq!(chunks(db).count().await.expect("count"), 0, "compensated");
    assert_eq!(f.store.count(&collection).await.expect("count"), 0);

    let stored = store_with_embeddings(
        &chunks(db),
        f.store.as_ref(),
        &collection,
        batch("b", false),
    )
    .await
    .expect("store");
    assert_eq!(stored.inserted.len(), 3);
    assert_eq!(f.store.count(&collection).await.expect("count"), 3);
    for row in &stored.inserted {
        let id = row
            .embedding_id
            .as_deref()
            .expect("every chunk got a vector id");
        let got = f
            .store
            .get(&collection, &[RecordId::parse(id).expect("id")])
            .await
            .expect("get");
        assert_eq!(got.len(), 1, "the vector {id} exists");
        assert_eq!(got[0].document.as_deref(), Some(row.content.as_str()));
    }
}

async fn compensation_with_the_embedded_store(db: &TestDb) {
    compensation_removes_the_chunks_of_a_failed_upsert(&Fixture::embedded(db), db).await;
}

db_tests!(
    chunks_and_vectors_commit_together,
    compensation_with_the_embedded_store
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn compensation_with_chroma() {
    let db = TestDb::migrated(tests::Backend::Sqlite).await;
    let fixture = Fixture::chroma().await;
    compensation_removes_the_chunks_of_a_failed_upsert(&fixture, &db).await;
    fixture.drop_collections().await;
}
