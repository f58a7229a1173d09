//! Maintenance jobs: the cleanups of each system (the expired search cache, DB-008; the chat
//! system's old conversations, expired rate limits and orphaned chunks, seed 001) and the
//! reference-data seed, each callable from code and from `dal cleanup` / `dal seed`, and a
//! scheduler that repeats a job until told to stop.
//!
//! The cleanups are grouped by [`System`]: `dal cleanup --only chat` runs one group;
//! [`run_cleanup`] runs the groups it is given the repositories of.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use repository::chat::{
    ChunkRepository, ConversationRepository, OrphanReport, RateLimitRepository,
    delete_orphaned_chunks,
};
use repository::chrono::{Duration as TimeDelta, Utc};
use repository::knowledge::search_cache::CleanupReport;
use repository::knowledge::{
    MappingRepository, SearchCacheRepository, SeedReport, reference_mappings,
};
use repository::vector::{CollectionName, VectorStore};
use serde::Serialize;

/// The systems whose cleanups `dal cleanup` runs (`--only` picks some).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// Seed 000: the expired search cache.
    Knowledge,
    /// Seed 001: old conversations, expired rate limits, orphaned chunks.
    Chat,
}

impl System {
    /// Every system with cleanups, in the order they run.
    pub const ALL: [Self; 2] = [Self::Knowledge, Self::Chat];
}

/// What one cleanup run removed, per system (a system not run is absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanupSummary {
    /// Expired `search_cache` rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_cache: Option<CleanupReport>,
    /// The chat system's jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatCleanup>,
}

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
pub struct ChatJobs<'a> {
    /// Conversations (retention).
    pub conversations: &'a dyn ConversationRepository,
    /// Rate limits (expired rows).
    pub rate_limits: &'a dyn RateLimitRepository,
    /// Chunks (orphans).
    pub chunks: &'a dyn ChunkRepository,
    /// The vector store and the collection of the chunks' embeddings; `None` when none is
    /// configured (the orphan job is then skipped, never run against nothing).
    pub vectors: Option<(&'a dyn VectorStore, CollectionName)>,
    /// Days conversations are kept (`chat.keep_days`).
    pub keep_days: u32,
    /// Delete orphans even when the vector store lists no ids at all.
    pub force_orphans: bool,
}

/// Run the chat system's cleanups: conversations older than `keep_days` (deleted `chunk_size`
/// rows per statement, the repository's default when `None`), expired rate-limit rows, and
/// chunks whose vector is gone.
///
/// # Errors
/// The first failing job's error, with context.
pub async fn cleanup_chat(jobs: &ChatJobs<'_>, chunk_size: Option<u64>) -> Result<ChatCleanup> {
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
    let orphan_chunks = match &jobs.vectors {
        None => OrphanOutcome::Skipped("no vector store configured".to_owned()),
        Some((store, collection)) => OrphanOutcome::Ran(
            delete_orphaned_chunks(jobs.chunks, *store, collection, jobs.force_orphans)
                .await
                .context("deleting orphaned document chunks")?,
        ),
    };
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

/// Run the cleanups of every system given (`None`: not run).
///
/// # Errors
/// The first failing job's error, with context.
pub async fn run_cleanup(
    search_cache: Option<&dyn SearchCacheRepository>,
    chat: Option<&ChatJobs<'_>>,
    chunk_size: Option<u64>,
) -> Result<CleanupSummary> {
    let mut summary = CleanupSummary::default();
    if let Some(repo) = search_cache {
        summary.search_cache = Some(cleanup(repo, chunk_size).await?);
    }
    if let Some(jobs) = chat {
        summary.chat = Some(cleanup_chat(jobs, chunk_size).await?);
    }
    Ok(summary)
}

impl CleanupSummary {
    /// One line per job, for people.
    #[must_use]
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        if let Some(r) = &self.search_cache {
            lines.push(format!(
                "search_cache: {} expired rows deleted in {} ms",
                r.deleted, r.duration_ms
            ));
        }
        if let Some(c) = &self.chat {
            lines.push(format!(
                "conversation: {} rows older than {} days deleted",
                c.conversations_deleted, c.keep_days
            ));
            lines.push(format!(
                "rate_limit: {} expired rows deleted",
                c.rate_limits_deleted
            ));
            lines.push(match &c.orphan_chunks {
                OrphanOutcome::Ran(r) => format!(
                    "document_chunk: {} orphaned chunks deleted ({} embedding ids, {} in the vector store)",
                    r.deleted, r.chunk_embedding_ids, r.vector_ids
                ),
                OrphanOutcome::Skipped(why) => format!("document_chunk: orphan check skipped: {why}"),
            });
        }
        lines.join("\n")
    }
}

/// Delete every expired `search_cache` row, in chunks of `chunk_size` (the repository's default
/// when `None`), so the write lock is never held for long.
///
/// # Errors
/// The repository's error, with context.
pub async fn cleanup(
    search_cache: &dyn SearchCacheRepository,
    chunk_size: Option<u64>,
) -> Result<CleanupReport> {
    let report = search_cache
        .cleanup_expired(*entity::behavior::now(), chunk_size)
        .await
        .context("cleaning up expired search_cache rows")?;
    tracing::info!(
        cleanup.deleted = report.deleted,
        cleanup.chunks = report.chunks,
        duration_ms = report.duration_ms,
        "search cache cleaned"
    );
    Ok(report)
}

/// Load the reference technology mappings; running it again changes nothing.
///
/// # Errors
/// The repository's error, with context.
pub async fn seed(mappings: &dyn MappingRepository) -> Result<SeedReport> {
    mappings
        .seed(&reference_mappings())
        .await
        .context("loading the reference technology mappings")
}

/// Run `job` now and then every `every`, until `stop` completes, handing each result to
/// `report`. A failed run is logged and the schedule goes on. Returns how many runs succeeded.
pub async fn run_every<T, J, JF, S, R>(every: Duration, stop: S, mut job: J, mut report: R) -> u64
where
    J: FnMut() -> JF,
    JF: Future<Output = Result<T>>,
    S: Future<Output = ()>,
    R: FnMut(T),
{
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ok = 0;
    loop {
        tokio::select! {
            () = &mut stop => return ok,
            _ = ticks.tick() => match job().await {
                Ok(value) => {
                    ok += 1;
                    report(value);
                }
                Err(err) => tracing::warn!(error = %format!("{err:#}"), "scheduled job failed; retrying at the next tick"),
            },
        }
    }
}

/// Parse `30s`, `15m`, `1h`, `1d` (or a bare number of seconds).
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_interval(text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .with_context(|| format!("interval {text:?}: expected e.g. 30s, 15m, 1h or 1d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("interval {text:?}: unit must be s, m, h or d"),
    };
    if secs == 0 {
        bail!("interval {text:?}: must be at least one second");
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use repository::knowledge::{MockMappingRepository, MockSearchCacheRepository};

    use super::*;

    #[tokio::test]
    async fn cleanup_reports_what_the_repository_removed() {
        let mut repo = MockSearchCacheRepository::new();
        repo.expect_cleanup_expired()
            .withf(|_, chunk| *chunk == Some(500))
            .times(1)
            .returning(|_, _| {
                Ok(CleanupReport {
                    deleted: 42,
                    chunks: 1,
                    duration_ms: 3,
                })
            });
        let summary = cleanup(&repo, Some(500)).await.expect("cleanup");
        assert_eq!(summary.deleted, 42);
    }

    fn chat_mocks() -> (
        repository::chat::MockConversationRepository,
        repository::chat::MockRateLimitRepository,
        repository::chat::MockChunkRepository,
    ) {
        let mut conversations = repository::chat::MockConversationRepository::new();
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
        let mut rate_limits = repository::chat::MockRateLimitRepository::new();
        rate_limits
            .expect_delete_expired()
            .times(1)
            .returning(|_| Ok(2));
        (
            conversations,
            rate_limits,
            repository::chat::MockChunkRepository::new(),
        )
    }

    #[tokio::test]
    async fn chat_cleanup_runs_each_job_and_skips_orphans_without_a_vector_store() {
        let (conversations, rate_limits, mut chunks) = chat_mocks();
        chunks.expect_embedding_ids_after().never();
        let jobs = ChatJobs {
            conversations: &conversations,
            rate_limits: &rate_limits,
            chunks: &chunks,
            vectors: None,
            keep_days: 7,
            force_orphans: false,
        };
        let mut search_cache = MockSearchCacheRepository::new();
        search_cache.expect_cleanup_expired().never();
        let summary = run_cleanup(None, Some(&jobs), Some(100))
            .await
            .expect("cleanup");
        let chat = summary.chat.clone().expect("chat ran");
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
        let (conversations, rate_limits, mut chunks) = chat_mocks();
        chunks.expect_embedding_ids_after().returning(|after, _| {
            Ok(if after.is_none() {
                vec!["a".into(), "b".into()]
            } else {
                vec![]
            })
        });
        chunks
            .expect_delete_by_embedding_ids()
            .withf(|ids| ids == &["b".to_owned()])
            .times(1)
            .returning(|_| Ok(1));
        let mut vectors = repository::vector::MockVectorStore::new();
        vectors.expect_list_ids().returning(|_, page| {
            Ok(if page.offset == 0 {
                vec![repository::vector::RecordId::parse("a").expect("id")]
            } else {
                vec![]
            })
        });
        let jobs = ChatJobs {
            conversations: &conversations,
            rate_limits: &rate_limits,
            chunks: &chunks,
            vectors: Some((&vectors, CollectionName::parse("docs").expect("name"))),
            keep_days: 7,
            force_orphans: false,
        };
        let chat = cleanup_chat(&jobs, Some(100)).await.expect("cleanup");
        let OrphanOutcome::Ran(report) = chat.orphan_chunks else {
            panic!("the orphan job ran");
        };
        assert_eq!(report.deleted, 1);
    }

    #[tokio::test]
    async fn cleanup_failures_carry_context() {
        let mut repo = MockSearchCacheRepository::new();
        repo.expect_cleanup_expired()
            .returning(|_, _| Err(repository::Error::NotConnected));
        let err = cleanup(&repo, None).await.expect_err("fails");
        assert!(format!("{err:#}").contains("search_cache"), "{err:#}");
    }

    #[tokio::test]
    async fn seed_loads_the_reference_mappings() {
        let mut repo = MockMappingRepository::new();
        let expected = reference_mappings().len();
        repo.expect_seed()
            .withf(move |m| m.len() == expected)
            .times(1)
            .returning(|m| {
                Ok(SeedReport {
                    inserted: m.len() as u64,
                    updated: 0,
                    unchanged: 0,
                })
            });
        let report = seed(&repo).await.expect("seed");
        assert_eq!(report.inserted as usize, expected);
        assert!(expected >= 12, "common technologies are covered");
    }

    #[tokio::test(start_paused = true)]
    async fn the_schedule_repeats_until_stopped_and_survives_failures() {
        let runs = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&runs);
        let mut reported = Vec::new();
        let ok = run_every(
            Duration::from_secs(3600),
            tokio::time::sleep(Duration::from_secs(3 * 3600 + 1)),
            move || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                async move { if n == 1 { bail!("transient") } else { Ok(n) } }
            },
            |n| reported.push(n),
        )
        .await;
        assert_eq!(reported, [0, 2, 3]);
        assert_eq!(runs.load(Ordering::SeqCst), 4, "at 0h, 1h, 2h and 3h");
        assert_eq!(
            ok, 3,
            "the failed run is not counted, and the schedule went on"
        );
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1h").expect("1h"), Duration::from_secs(3600));
        assert_eq!(parse_interval("90").expect("90"), Duration::from_secs(90));
        assert_eq!(
            parse_interval("15m").expect("15m"),
            Duration::from_secs(900)
        );
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("1w").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
