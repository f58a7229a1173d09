//! Maintenance jobs, one module per system: the knowledge system's expired search cache
//! (DB-008) and reference-data seed, the chat system's old conversations, expired rate limits
//! and orphaned chunks (seed 001), the docsync system's 7-day purge (seed 002); each callable from code and from `dal cleanup` / `dal seed`,
//! and a scheduler that repeats a job until told to stop.
//!
//! A system's cleanups are a value of its module ([`ChatJobs`]) or a repository, gathered in
//! [`CleanupJobs`]; `dal cleanup --only chat` fills in one of them, and [`run_cleanup`] runs
//! what is filled in, in the order of [`System::ALL`], into one [`CleanupSummary`].

pub mod assistant;
pub mod chat;
pub mod docsync;
pub mod knowledge;
mod schedule;

use anyhow::Result;
use repository::knowledge::search_cache::CleanupReport;
use repository::knowledge::{SearchCacheRepository, SearchCacheStore};
use serde::Serialize;

pub use assistant::{AssistantCleanup, AssistantJobs, cleanup_assistant};
pub use chat::{ChatCleanup, ChatJobs, OrphanOutcome, cleanup_chat};
pub use docsync::{DocsyncCleanup, DocsyncJobs, cleanup_docsync};
pub use knowledge::{cleanup, seed};
pub use schedule::{parse_interval, run_every};

use crate::App;

/// The systems whose cleanups `dal cleanup` runs (`--only` picks some).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// Seed 000: the expired search cache.
    Knowledge,
    /// Seed 001: old conversations, expired rate limits, orphaned chunks.
    Chat,
    /// Seed 002: recommendations and decisions older than `docsync.purge_days`.
    Docsync,
    /// Seed 003: expired schema cache, stale sessions, old system logs and query history.
    Assistant,
}

impl System {
    /// Every system with cleanups, in the order they run.
    pub const ALL: [Self; 4] = [Self::Knowledge, Self::Chat, Self::Docsync, Self::Assistant];
}

/// The cleanups to run: each system's repositories, or `None` when it is not to run.
#[derive(Default)]
pub struct CleanupJobs {
    /// Seed 000's search cache.
    pub search_cache: Option<Box<dyn SearchCacheRepository>>,
    /// Seed 001's jobs.
    pub chat: Option<ChatJobs>,
    /// Seed 002's purge.
    pub docsync: Option<DocsyncJobs>,
    /// Seed 003's jobs.
    pub assistant: Option<AssistantJobs>,
}

impl CleanupJobs {
    /// The jobs of `systems` (every system when empty) over `app`'s database and stores;
    /// `force` runs the destructive jobs a safety check would refuse (orphaned chunks when the
    /// vector collection lists no ids at all).
    ///
    /// # Errors
    /// When a system's jobs cannot be built from the configuration.
    pub fn from_app(app: &App, systems: &[System], force: bool) -> Result<Self> {
        let runs = |system| systems.is_empty() || systems.contains(&system);
        let mut jobs = Self::default();
        if runs(System::Knowledge) {
            jobs.search_cache = Some(Box::new(SearchCacheStore::new(app.conn.clone())));
        }
        if runs(System::Chat) {
            jobs.chat = Some(ChatJobs::from_app(app, force)?);
        }
        if runs(System::Docsync) {
            jobs.docsync = Some(DocsyncJobs::from_app(app));
        }
        if runs(System::Assistant) {
            jobs.assistant = Some(AssistantJobs::from_app(app));
        }
        Ok(jobs)
    }
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
    /// The docsync system's purge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docsync: Option<DocsyncCleanup>,
    /// The assistant system's jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assistant: Option<AssistantCleanup>,
}

/// Run the cleanups `jobs` holds, one system after another.
///
/// # Errors
/// The first failing job's error, with context.
pub async fn run_cleanup(jobs: &CleanupJobs, chunk_size: Option<u64>) -> Result<CleanupSummary> {
    let mut summary = CleanupSummary::default();
    if let Some(repo) = &jobs.search_cache {
        summary.search_cache = Some(cleanup(repo.as_ref(), chunk_size).await?);
    }
    if let Some(chat) = &jobs.chat {
        summary.chat = Some(cleanup_chat(chat, chunk_size).await?);
    }
    if let Some(docsync) = &jobs.docsync {
        summary.docsync = Some(cleanup_docsync(docsync).await?);
    }
    if let Some(assistant) = &jobs.assistant {
        summary.assistant = Some(cleanup_assistant(assistant, chunk_size).await?);
    }
    Ok(summary)
}

impl CleanupSummary {
    /// One line per job, for people.
    #[must_use]
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        if let Some(report) = &self.search_cache {
            knowledge::render(report, &mut lines);
        }
        if let Some(chat) = &self.chat {
            chat.render(&mut lines);
        }
        if let Some(docsync) = &self.docsync {
            docsync.render(&mut lines);
        }
        if let Some(assistant) = &self.assistant {
            assistant.render(&mut lines);
        }
        lines.join("\n")
    }
}
