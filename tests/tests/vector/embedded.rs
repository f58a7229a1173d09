//! What only the embedded store has: it joins a caller's transaction (a chunk row and its
//! embedding commit or roll back together, and queries inside see the transaction's own
//! writes without leaking them to anyone else), and its in-process replica follows writes made
//! by another process.

use std::sync::Arc;

use entity::chat::document_chunk;
use repository::vector::{
    CollectionName, Distance, EmbeddedVectorStore, NewCollection, VectorStore,
};
use repository::{DatabaseManager, DbConfig, Page};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, DatabaseExecutor, EntityTrait, TransactionTrait};
use tests::{TestDb, db_tests};

use super::suite::{id, rec};

fn chunk(id: &str, embedding_id: &str) -> document_chunk::ActiveModel {
    document_chunk::ActiveModel {
        id: Set(id.to_owned()),
        source_url: Set("https://react.dev/learn".to_owned()),
        content: Set("Components are functions.".to_owned()),
        chunk_index: Set(0),
        embedding_id: Set(Some(embedding_id.to_owned())),
        ..Default::default()
    }
}

async fn collection(store: &dyn VectorStore, name: &str) -> CollectionName {
    let name = CollectionName::parse(name).expect("name");
    store
        .create_collection(NewCollection::new(name.clone(), 2, Distance::Cosine))
        .await
        .expect("create");
    name
}

fn query_ids(found: &[Vec<repository::vector::QueryMatch>]) -> Vec<String> {
    found[0].iter().map(|m| m.id.as_str().to_owned()).collect()
}

/// A chunk row and its embedding written in one transaction: rolled back, neither exists;
/// committed, both do.
async fn a_chunk_and_its_embedding_commit_together(db: &TestDb) {
    let pool_store = EmbeddedVectorStore::new(db.conn.clone());
    let c = collection(&pool_store, "docrag_chunks").await;
    // Warm the shared replica first: a rolled-back write must not show in it either.
    pool_store
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("warm");

    for commit in [false, true] {
        let txn = db.conn.begin().await.expect("begin");
        chunk("chunk-1", "emb-1").insert(&txn).await.expect("chunk");
        let store = EmbeddedVectorStore::new(DatabaseExecutor::from(&txn));
        store
            .upsert(&c, vec![rec("emb-1", &[1.0, 0.0]).document("Components")])
            .await
            .expect("embedding");
        if commit {
            txn.commit().await.expect("commit");
        } else {
            txn.rollback().await.expect("rollback");
        }
        let chunks = document_chunk::Entity::find_by_id("chunk-1")
            .one(&db.conn)
            .await
            .expect("select");
        let embeddings = pool_store.get(&c, &[id("emb-1")]).await.expect("get");
        let found = pool_store
            .query(&c, &[vec![1.0, 0.0]], 5, None)
            .await
            .expect("query");
        assert_eq!(chunks.is_some(), commit, "chunk row, commit = {commit}");
        assert_eq!(embeddings.len(), usize::from(commit), "commit = {commit}");
        assert_eq!(
            query_ids(&found).len(),
            usize::from(commit),
            "commit = {commit}"
        );
    }
}

/// Queries inside a transaction see its uncommitted writes; nobody else does, before or after
/// it rolls back (the shared replica is never filled from inside a transaction).
async fn a_transaction_sees_its_own_writes_and_leaks_none(db: &TestDb) {
    let pool_store = EmbeddedVectorStore::new(db.conn.clone());
    let c = collection(&pool_store, "resume_chunks").await;
    pool_store
        .upsert(&c, vec![rec("committed", &[0.0, 1.0])])
        .await
        .expect("upsert");
    pool_store
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("warm");

    let txn = db.conn.begin().await.expect("begin");
    let in_txn = EmbeddedVectorStore::new(DatabaseExecutor::from(&txn));
    in_txn
        .upsert(&c, vec![rec("pending", &[1.0, 0.0])])
        .await
        .expect("upsert in txn");
    in_txn
        .delete(&c, &[id("committed")])
        .await
        .expect("delete in txn");
    let inside = in_txn
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("query in txn");
    assert_eq!(query_ids(&inside), ["pending"]);
    assert_eq!(in_txn.count(&c).await.expect("count"), 1);
    txn.rollback().await.expect("rollback");

    let outside = pool_store
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("query");
    assert_eq!(query_ids(&outside), ["committed"]);
    assert_eq!(
        pool_store.list_ids(&c, Page::first(10)).await.expect("ids"),
        [id("committed")]
    );
}

/// A second `DatabaseManager` on the same database stands in for another process: its
/// upserts, overwrites, deletes and a collection deleted and created again under the same name
/// all show in the first one's queries, whose replica was warm.
async fn another_process_writes_are_seen(db: &TestDb) {
    let first = EmbeddedVectorStore::new(db.conn.clone());
    let c = collection(&first, "policy_chunks").await;
    first
        .upsert(&c, vec![rec("a", &[1.0, 0.0]), rec("b", &[0.0, 1.0])])
        .await
        .expect("upsert");
    let warm = first
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("warm");
    assert_eq!(query_ids(&warm), ["a", "b"]);

    let other = DatabaseManager::connect_with(DbConfig::new(db.url.clone()))
        .await
        .expect("second manager");
    let second: Arc<dyn VectorStore> = Arc::new(EmbeddedVectorStore::new(
        other.connection().await.expect("conn"),
    ));
    let near = |found: &[Vec<repository::vector::QueryMatch>]| query_ids(found);

    // An insert and an overwrite.
    second
        .upsert(&c, vec![rec("c", &[0.9, 0.1]), rec("b", &[1.0, 0.01])])
        .await
        .expect("second upsert");
    let found = first
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("query");
    assert_eq!(near(&found), ["a", "b", "c"]);

    // A delete.
    second.delete(&c, &[id("a")]).await.expect("second delete");
    let found = first
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("query");
    assert_eq!(near(&found), ["b", "c"]);

    // The collection deleted and created again with other records.
    second.delete_collection(&c).await.expect("drop");
    collection(second.as_ref(), "policy_chunks").await;
    second
        .upsert(&c, vec![rec("z", &[0.0, 1.0])])
        .await
        .expect("new records");
    let found = first
        .query(&c, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("query");
    assert_eq!(near(&found), ["z"]);
    other.disconnect().await.expect("disconnect");
}

/// One upsert larger than one statement's bind limit is written whole.
async fn large_upserts_are_chunked(db: &TestDb) {
    let store = EmbeddedVectorStore::new(db.conn.clone());
    let c = collection(&store, "contract_chunks").await;
    let records = (0..12_000)
        .map(|i| rec(&format!("r{i:05}"), &[1.0, i as f32]))
        .collect();
    assert_eq!(store.upsert(&c, records).await.expect("upsert"), 12_000);
    assert_eq!(store.count(&c).await.expect("count"), 12_000);
}

db_tests!(
    a_chunk_and_its_embedding_commit_together,
    a_transaction_sees_its_own_writes_and_leaks_none,
    another_process_writes_are_seen,
    large_upserts_are_chunked,
);
