//! The chat system's cleanups (seed 001): conversations older than `chat.keep_days`, rate-limit
//! rows whose window has ended, and chunks whose vector the store no longer holds.

use std::sync::Arc;

use anyhow::{Context, Result};
use repository::chat::{
    ChunkRepository, ChunkStore, ConversationRepository, ConversationStore, OrphanReport,
    RateLimitRepository, RateLimitStore, delete_orphaned_chunks,
};
use repository::chrono::{Duration as TimeDelta, Utc};
use repository::vector::{CollectionName, VectorStore};
use serde::Serialize;

use crate::App;

/// What the chat system's cleanup removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatCleanup {
    /// Conversations older than `keep_days` deleted.
    pub conversations_deleted: u64,
    /// The retention applied, in days.
    pub keep_days: u32,
    /// Rate-limit rows whose window had ended deleted.
    pub rate_limits_deleted: u64,
    /// The orphaned-chunk job.
    pub orphan_chunks: OrphanOutcome,
}

/// What the orphaned-chunk job did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrphanOutcome {
    /// It ran.
    Ran(OrphanReport),
    /// It could not run, and why.
    Skipped(String),
}

/// The chat system's repositories and settings its cleanup runs with.
pub struct ChatJobs {
    /// Conversations (retention).
    pub conversations: Box<dyn ConversationRepository>,
    /// Rate limits (expired rows).
    pub rate_limits: Box<dyn RateLimitRepository>,
    /// Chunks (orphans).
    pub chunks: Box<dyn ChunkRepository>,
    /// The vector store and the collection of the chunks' embeddings; `None` when there is none
    /// (the orphan job is then skipped, never run against nothing).
    pub vectors: Option<(Arc<dyn VectorStore>, CollectionName)>,
    /// Days conversations are kept (`chat.keep_days`).
    pub keep_days: u32,
    /// Delete orphans even when the vector collection lists no ids at all.
    pub force_orphans: bool,
}

impl ChatJobs {
    /// The jobs over `app`'s database and vector store, the chunks' embeddings being in
    /// [`crate::vector::CHAT_CHUNK_COLLECTION`].
    ///
    /// # Errors
    /// Never in practice: the collection name is a constant that parses.
    pub fn from_app(app: &App, force_orphans: bool) -> Result<Self> {
        let collection = CollectionName::parse(crate::vector::CHAT_CHUNK_COLLECTION)
            .context("the chat chunk collection name")?;
        Ok(Self {
            conversations: Box::new(ConversationStore::new(app.conn.clone())),
            rate_limits: Box::new(RateLimitStore::new(app.conn.clone())),
            chunks: Box::new(ChunkStore::new(app.conn.clone())),
            vectors: Some((Arc::clone(&app.vector), collection)),
            keep_days: app.config.chat.keep_days(),
            force_orphans,
        })
    }
}

/// Run the chat system's cleanups: conversations older than `keep_days` (deleted `chunk_size`
/// rows per statement, the repository's default when `None`), expired rate-limit rows, and
/// chunks whose vector is gone. The orphan job is skipped, with the reason, when there is no
/// vector store, its collection does not exist, or the store cannot be reached: the other jobs
/// do not depend on it.
///
/// # Errors
/// The first failing job's error, with context.
pub async fn cleanup_chat(jobs: &ChatJobs, chunk_size: Option<u64>) -> Result<ChatCleanup> {
    let now = *entity::behavior::now();
    let cutoff = now - TimeDelta::days(i64::from(jobs.keep_days));
    let conversations_deleted = jobs
        .conversations
        .delete_older_than(
            cutoff,
            chunk_size.unwrap_or(repository::chat::conversations::DEFAULT_DELETE_CHUNK),
        )
        .await
        .context("deleting old conversations")?;
    let rate_limits_deleted = jobs
        .rate_limits
        .delete_expired(Utc::now())
        .await
        .context("deleting expired rate_limit rows")?;
    let orphan_chunks = orphan_job(jobs).await?;
    tracing::info!(
        cleanup.conversations = conversations_deleted,
        cleanup.rate_limits = rate_limits_deleted,
        "chat tables cleaned"
    );
    Ok(ChatCleanup {
        conversations_deleted,
        keep_days: jobs.keep_days,
        rate_limits_deleted,
        orphan_chunks,
    })
}

async fn orphan_job(jobs: &ChatJobs) -> Result<OrphanOutcome> {
    let Some((store, collection)) = &jobs.vectors else {
        return Ok(OrphanOutcome::Skipped(
            "no vector store configured".to_owned(),
        ));
    };
    match store.get_collection(collection).await {
        Ok(_) => {}
        Err(repository::Error::NotFound { .. }) => {
            return Ok(OrphanOutcome::Skipped(format!(
                "vector collection {collection} does not exist (dal init creates it)"
            )));
        }
        Err(err) => {
            tracing::warn!(error = %err, "orphan check skipped: the vector store is unavailable");
            return Ok(OrphanOutcome::Skipped(format!(
                "vector store unavailable: {err}"
            )));
        }
    }
    match delete_orphaned_chunks(
        jobs.chunks.as_ref(),
        store.as_ref(),
        collection,
        jobs.force_orphans,
    )
    .await
    {
        Ok(report) => Ok(OrphanOutcome::Ran(report)),
        // The store lists nothing while chunks point into it: refused unless forced, reported
        // so the other jobs still run.
        Err(err @ repository::Error::Validation { .. }) => Ok(OrphanOutcome::Skipped(format!(
            "{err}; run with --force to delete them"
        ))),
        Err(err) => Err(err).context("deleting orphaned document chunks"),
    }
}

impl ChatCleanup {
    /// One line per job, for people.
    pub(super) fn render(&self, lines: &mut Vec<String>) {
        lines.push(format!(
            "conversation: {} rows older than {} days deleted",
            self.conversations_deleted, self.keep_days
        ));
        lines.push(format!(
            "rate_limit: {} expired rows deleted",
            self.rate_limits_deleted
        ));
        lines.push(match &self.orphan_chunks {
            OrphanOutcome::Ran(r) => format!(
                "document_chunk: {} orphaned chunks deleted ({} embedding ids, {} in the vector store)",
                r.deleted, r.chunk_embedding_ids, r.vector_ids
            ),
            OrphanOutcome::Skipped(why) => format!("document_chunk: orphan check skipped: {why}"),
        });
    }
}

#[cfg(test)]
mod tests {
    use repository::chat::{
        MockChunkRepository, MockConversationRepository, MockRateLimitRepository,
    };
    use repository::vector::{Collection, MockVectorStore, RecordId};

    use super::*;
    use crate::config::MaintainSection;
    use crate::maintenance::{CleanupJobs, JobReport, registry};

    /// Jobs whose retention and rate-limit jobs expect one call each, with `chunks` and
    /// `vectors` as given.
    fn jobs(
        chunks: MockChunkRepository,
        vectors: Option<MockVectorStore>,
        force: bool,
    ) -> ChatJobs {
        let mut conversations = MockConversationRepository::new();
        conversations
            .expect_delete_older_than()
            .withf(|cutoff, chunk| {
                *chunk == 100
                    && (Utc::now() - *cutoff - TimeDelta::days(7))
                        .num_seconds()
                        .abs()
                        < 60
            })
            .times(1)
            .returning(|_, _| Ok(4));
        let mut rate_limits = MockRateLimitRepository::new();
        rate_limits
            .expect_delete_expired()
            .times(1)
            .returning(|_| Ok(2));
        ChatJobs {
            conversations: Box::new(conversations),
            rate_limits: Box::new(rate_limits),
            chunks: Box::new(chunks),
            vectors: vectors.map(|store| {
                let store: Arc<dyn VectorStore> = Arc::new(store);
                (store, CollectionName::parse("docs").expect("name"))
            }),
            keep_days: 7,
            force_orphans: force,
        }
    }

    /// A store whose collection `docs` exists and lists `ids`.
    fn vectors_holding(ids: &'static [&'static str]) -> MockVectorStore {
        let mut vectors = MockVectorStore::new();
        vectors.expect_get_collection().returning(|name| {
            Ok(Collection {
                name: name.clone(),
                dimension: 3,
                distance: repository::vector::Distance::Cosine,
                metadata: repository::vector::Metadata::default(),
                count: 0,
            })
        });
        vectors.expect_list_ids().returning(move |_, page| {
            Ok(if page.offset == 0 {
                ids.iter()
                    .map(|id| RecordId::parse(id).expect("id"))
                    .collect()
            } else {
                vec![]
            })
        });
        vectors
    }

    /// Chunks linked to embedding ids `a` and `b`.
    fn chunks_linked_to_a_and_b() -> MockChunkRepository {
        let mut chunks = MockChunkRepository::new();
        chunks.expect_embedding_ids_after().returning(|after, _| {
            Ok(if after.is_none() {
                vec!["a".into(), "b".into()]
            } else {
                vec![]
            })
        });
        chunks
    }

    #[tokio::test]
    async fn chat_cleanup_runs_each_job_and_skips_orphans_without_a_vector_store() {
        let mut chunks = MockChunkRepository::new();
        chunks.expect_embedding_ids_after().never();
        let jobs = CleanupJobs {
            chat: Some(jobs(chunks, None, false)),
            ..CleanupJobs::default()
        };
        let list = registry(jobs, &MaintainSection::default(), Some(100));
        assert_eq!(list.len(), 1, "only the chat job is filled in");
        assert_eq!(list[0].name(), "chat");
        let report = list[0].run().await.expect("cleanup");
        let JobReport::Chat(chat) = report.clone() else {
            panic!("the chat job's report: {report:?}");
        };
        assert_eq!(report.removed()["conversation"], 4);
        assert_eq!(report.removed()["document_chunk"], 0);
        let summary = crate::maintenance::CleanupSummary {
            chat: Some(chat.clone()),
            ..Default::default()
        };
        assert_eq!(chat.conversations_deleted, 4);
        assert_eq!(chat.rate_limits_deleted, 2);
        assert!(matches!(chat.orphan_chunks, OrphanOutcome::Skipped(_)));
        assert!(summary.search_cache.is_none());
        let json = serde_json::to_value(&summary).expect("json");
        assert_eq!(json["chat"]["conversations_deleted"], 4);
        assert!(json.get("search_cache").is_none());
        assert!(summary.render().contains("orphan check skipped"));
    }

    #[tokio::test]
    async fn chat_cleanup_deletes_orphans_through_the_vector_store() {
        let mut chunks = chunks_linked_to_a_and_b();
        chunks
            .expect_delete_by_embedding_ids()
            .withf(|ids| ids == &["b".to_owned()])
            .times(1)
            .returning(|_| Ok(1));
        let chat = cleanup_chat(
            &jobs(chunks, Some(vectors_holding(&["a"])), false),
            Some(100),
        )
        .await
        .expect("cleanup");
        let OrphanOutcome::Ran(report) = chat.orphan_chunks else {
            panic!("the orphan job ran");
        };
        assert_eq!(report.deleted, 1);
    }

    #[tokio::test]
    async fn an_empty_collection_is_reported_unless_forced() {
        let mut chunks = chunks_linked_to_a_and_b();
        chunks.expect_delete_by_embedding_ids().never();
        let chat = cleanup_chat(&jobs(chunks, Some(vectors_holding(&[])), false), Some(100))
            .await
            .expect("the other jobs still ran");
        let OrphanOutcome::Skipped(why) = &chat.orphan_chunks else {
            panic!("refused: {:?}", chat.orphan_chunks);
        };
        assert!(why.contains("--force"), "{why}");

        let mut chunks = chunks_linked_to_a_and_b();
        chunks
            .expect_delete_by_embedding_ids()
            .times(1)
            .returning(|ids| Ok(ids.len() as u64));
        let chat = cleanup_chat(&jobs(chunks, Some(vectors_holding(&[])), true), Some(100))
            .await
            .expect("forced");
        assert!(matches!(chat.orphan_chunks, OrphanOutcome::Ran(r) if r.deleted == 2));
    }

    #[tokio::test]
    async fn a_missing_collection_or_an_unreachable_store_skips_only_the_orphan_job() {
        for (err, expected) in [
            (
                repository::Error::NotFound {
                    entity: "collection",
                    key: "docs".into(),
                },
                "does not exist",
            ),
            (
                repository::Error::Vector("connection refused".into()),
                "unavailable",
            ),
        ] {
            let mut chunks = MockChunkRepository::new();
            chunks.expect_embedding_ids_after().never();
            let mut vectors = MockVectorStore::new();
            let mut err = Some(err);
            vectors
                .expect_get_collection()
                .times(1)
                .returning(move |_| Err(err.take().expect("called once")));
            vectors.expect_list_ids().never();
            let chat = cleanup_chat(&jobs(chunks, Some(vectors), false), Some(100))
                .await
                .expect("the other jobs ran");
            assert!(
                matches!(&chat.orphan_chunks, OrphanOutcome::Skipped(why) if why.contains(expected)),
                "{:?}",
                chat.orphan_chunks
            );
        }
    }
}
