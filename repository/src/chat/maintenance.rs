//! The chat system's orphan cleanup: chunks whose `embedding_id` the vector store no longer
//! holds (seed 001). Retention of conversations and expired rate-limit rows are methods of
//! their repositories ([`super::ConversationRepository::delete_older_than`],
//! [`super::RateLimitRepository::delete_expired`]).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::chat::chunks::ChunkRepository;
use crate::error::{Error, Result};
use crate::page::{MAX_PAGE_SIZE, Page};
use crate::vector::{CollectionName, VectorStore};

/// Embedding ids read from the chunk table per query.
const CHUNK_ID_PAGE: u64 = 10_000;

/// What [`delete_orphaned_chunks`] found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrphanReport {
    /// Distinct embedding ids the chunks hold.
    pub chunk_embedding_ids: u64,
    /// Ids the vector store lists.
    pub vector_ids: u64,
    /// Chunk embedding ids the store does not hold.
    pub orphan_ids: u64,
    /// Chunks deleted.
    pub deleted: u64,
}

/// Delete the chunks whose `embedding_id` is not among the ids of `collection` (all of them,
/// read with [`VectorStore::list_ids`] page by page). A chunk with no embedding id is not an
/// orphan. When the collection lists no ids at all, every linked chunk would go: the job
/// refuses unless `force`. Any number of ids works: the sets are compared in memory and the
/// chunks deleted in statements of bounded size, in one transaction.
///
/// The chunks' ids are read before the vectors' so that a chunk stored meanwhile by
/// [`super::store_with_embeddings`] (chunk first, vector next) is not mistaken for an orphan.
///
/// # Errors
/// [`Error::Validation`] (field `force`) when the store lists no ids and `force` is false;
/// the vector store's or the database's error (nothing deleted).
#[instrument(skip_all, fields(db.table = "document_chunk"))]
pub async fn delete_orphaned_chunks(
    chunks: &dyn ChunkRepository,
    vectors: &dyn VectorStore,
    collection: &CollectionName,
    force: bool,
) -> Result<OrphanReport> {
    let mut linked = Vec::new();
    let mut after = None;
    loop {
        let page = chunks
            .embedding_ids_after(after.clone(), CHUNK_ID_PAGE)
            .await?;
        let full = page.len() as u64 == CHUNK_ID_PAGE;
        after = page.last().cloned();
        linked.extend(page);
        if !full {
            break;
        }
    }
    let mut held = HashSet::new();
    for number in 0.. {
        let page = vectors
            .list_ids(collection, Page::nth(number, MAX_PAGE_SIZE))
            .await?;
        let full = page.len() as u64 == MAX_PAGE_SIZE;
        held.extend(page.into_iter().map(|id| id.as_str().to_owned()));
        if !full {
            break;
        }
    }
    let mut report = OrphanReport {
        chunk_embedding_ids: linked.len() as u64,
        vector_ids: held.len() as u64,
        ..OrphanReport::default()
    };
    let orphans: Vec<String> = linked.into_iter().filter(|id| !held.contains(id)).collect();
    report.orphan_ids = orphans.len() as u64;
    if orphans.is_empty() {
        return Ok(report);
    }
    if held.is_empty() && !force {
        return Err(Error::validation(
            "force",
            "the vector store lists no ids: every chunk with an embedding would be deleted; \
             force it if that is meant",
            report.orphan_ids,
        ));
    }
    report.deleted = chunks.delete_by_embedding_ids(orphans).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::chat::chunks::MockChunkRepository;
    use crate::vector::{MockVectorStore, RecordId};

    /// Chunks holding `ids` (served in pages as the store would).
    fn chunks_with(ids: Vec<String>, deleted: Arc<Mutex<Vec<String>>>) -> MockChunkRepository {
        let mut repo = MockChunkRepository::new();
        let mut sorted = ids;
        sorted.sort();
        repo.expect_embedding_ids_after()
            .returning(move |after, limit| {
                Ok(sorted
                    .iter()
                    .filter(|id| after.as_ref().is_none_or(|a| *id > a))
                    .take(usize::try_from(limit).unwrap_or(usize::MAX))
                    .cloned()
                    .collect())
            });
        repo.expect_delete_by_embedding_ids().returning(move |ids| {
            let n = ids.len() as u64;
            deleted.lock().expect("lock").extend(ids);
            Ok(n)
        });
        repo
    }

    fn vectors_with(ids: Vec<String>) -> MockVectorStore {
        let mut store = MockVectorStore::new();
        let mut sorted = ids;
        sorted.sort();
        store.expect_list_ids().returning(move |_, page| {
            Ok(sorted
                .iter()
                .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
                .take(usize::try_from(page.limit).unwrap_or(usize::MAX))
                .map(|id| RecordId::parse(id).expect("id"))
                .collect())
        });
        store
    }

    fn collection() -> CollectionName {
        CollectionName::parse("docs").expect("name")
    }

    #[tokio::test]
    async fn orphans_are_the_ids_the_store_lacks_across_many_pages() {
        // More ids than one page of either side, and than one statement binds.
        let held: Vec<String> = (0..25_000).map(|i| format!("v{i:06}")).collect();
        let mut linked: Vec<String> = held.iter().step_by(2).cloned().collect();
        linked.extend((0..3_000).map(|i| format!("gone{i:05}")));
        let deleted = Arc::new(Mutex::new(Vec::new()));
        let chunks = chunks_with(linked, Arc::clone(&deleted));
        let vectors = vectors_with(held);
        let report = delete_orphaned_chunks(&chunks, &vectors, &collection(), false)
            .await
            .expect("cleanup");
        assert_eq!(report.vector_ids, 25_000);
        assert_eq!(report.chunk_embedding_ids, 15_500);
        assert_eq!(report.orphan_ids, 3_000);
        assert_eq!(report.deleted, 3_000);
        let deleted = deleted.lock().expect("lock");
        assert!(deleted.iter().all(|id| id.starts_with("gone")));
    }

    #[tokio::test]
    async fn an_empty_store_is_refused_unless_forced() {
        let deleted = Arc::new(Mutex::new(Vec::new()));
        let chunks = chunks_with(vec!["a".into(), "b".into()], Arc::clone(&deleted));
        let vectors = vectors_with(vec![]);
        let err = delete_orphaned_chunks(&chunks, &vectors, &collection(), false)
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, Error::Validation { field, .. } if field == "force"),
            "{err}"
        );
        assert!(deleted.lock().expect("lock").is_empty());
        let report = delete_orphaned_chunks(&chunks, &vectors, &collection(), true)
            .await
            .expect("forced");
        assert_eq!(report.deleted, 2);
    }

    #[tokio::test]
    async fn nothing_linked_nothing_deleted() {
        let mut chunks = MockChunkRepository::new();
        chunks
            .expect_embedding_ids_after()
            .returning(|_, _| Ok(vec![]));
        chunks.expect_delete_by_embedding_ids().never();
        let report = delete_orphaned_chunks(&chunks, &vectors_with(vec![]), &collection(), false)
            .await
            .expect("nothing to do");
        assert_eq!(report, OrphanReport::default());
    }
}
