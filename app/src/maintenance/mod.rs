//! Maintenance jobs, one module per system: the knowledge system's expired search cache
//! (DB-008) and reference-data seed, the chat system's old conversations, expired rate limits
//! and orphaned chunks (seed 001), the docsync system's 7-day purge (seed 002), the assistant
//! system's retention (seed 003); each callable from code, from `dal cleanup` and `dal maintain`.
//!
//! A system's cleanups are a value of its module ([`ChatJobs`]) or a repository, gathered in
//! [`CleanupJobs`]; `--only chat` fills in one of them. [`registry`] turns what is filled in
//! into the one list of [`Job`]s (one per system, in the order of [`System::ALL`], each with its
//! `[maintain]` interval), which the [`Scheduler`] runs once (`dal cleanup`, `dal maintain
//! --once`) or on their intervals (`dal maintain`), each under its lock `maintain:{job}`.
//!
//! The platform system (seed 004) has no job: its only retention question, `audit_logs`, is
//! settled by DESIGN.md as "nothing is deleted" (`dal audit export` archives instead), its
//! sessions live in the cache with a TTL, and the seed gives `activity_feed` and the other
//! tables no retention.

pub mod assistant;
pub mod chat;
pub mod docsync;
mod jobs;
pub mod knowledge;
mod schedule;
mod scheduler;
#[cfg(test)]
mod scheduler_tests;

use std::collections::BTreeMap;

use anyhow::Result;
use repository::knowledge::search_cache::CleanupReport;
use repository::knowledge::{SearchCacheRepository, SearchCacheStore};
use serde::Serialize;

pub use assistant::{AssistantCleanup, AssistantJobs, cleanup_assistant};
pub use chat::{ChatCleanup, ChatJobs, OrphanOutcome, cleanup_chat};
pub use docsync::{DocsyncCleanup, DocsyncJobs, cleanup_docsync};
pub use jobs::{Job, JobReport, registry};
pub use knowledge::{cleanup, seed};
pub use schedule::parse_interval;
pub use scheduler::{RunReport, RunStatus, Scheduler, check_runs, shutdown_signal};

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

    /// Its name, as `--only` takes it; also the name of its job (and lock, `maintain:{name}`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Knowledge => "knowledge",
            Self::Chat => "chat",
            Self::Docsync => "docsync",
            Self::Assistant => "assistant",
        }
    }
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

/// What one cleanup run removed, per system (a system not run is absent); `dal cleanup --json`
/// prints it.
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
    /// Jobs not run because another scheduler holds their lock, with the reason.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, String>,
    /// Jobs that failed, with their error chain.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failed: BTreeMap<String, String>,
}

impl CleanupSummary {
    /// The summary of `runs`.
    #[must_use]
    pub fn from_runs(runs: &[RunReport]) -> Self {
        let mut summary = Self::default();
        for run in runs {
            match (&run.report, run.status) {
                (Some(report), _) => match report.clone() {
                    JobReport::Knowledge(r) => summary.search_cache = Some(r),
                    JobReport::Chat(c) => summary.chat = Some(c),
                    JobReport::Docsync(d) => summary.docsync = Some(d),
                    JobReport::Assistant(a) => summary.assistant = Some(a),
                },
                (None, RunStatus::Failed) => {
                    summary
                        .failed
                        .insert(run.job.clone(), run.error.clone().unwrap_or_default());
                }
                (None, _) => {
                    summary
                        .skipped
                        .insert(run.job.clone(), run.reason.clone().unwrap_or_default());
                }
            }
        }
        summary
    }

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
        for (job, reason) in &self.skipped {
            lines.push(format!("{job}: skipped, {reason}"));
        }
        for (job, error) in &self.failed {
            lines.push(format!("{job}: FAILED: {error}"));
        }
        lines.join("\n")
    }
}
