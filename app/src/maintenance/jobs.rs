//! The one registry of retention jobs: one [`Job`] per system, each with its interval and a run
//! function returning a typed [`JobReport`]. `dal cleanup` runs them once, `dal maintain` on
//! their intervals; both build the list with [`registry`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use futures::future::BoxFuture;
use repository::knowledge::search_cache::CleanupReport;
use serde::Serialize;

use super::{
    AssistantCleanup, ChatCleanup, CleanupJobs, DocsyncCleanup, OrphanOutcome, System,
    cleanup_assistant, cleanup_chat, cleanup_docsync, knowledge,
};
use crate::config::MaintainSection;

/// What one run of a job did: its system's own report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum JobReport {
    /// Expired `search_cache` rows.
    Knowledge(CleanupReport),
    /// The chat system's jobs.
    Chat(ChatCleanup),
    /// The docsync purge.
    Docsync(DocsyncCleanup),
    /// The assistant system's jobs.
    Assistant(AssistantCleanup),
}

impl JobReport {
    /// Rows removed, per table (every table the job deletes from, zeros included).
    #[must_use]
    pub fn removed(&self) -> BTreeMap<&'static str, u64> {
        match self {
            Self::Knowledge(r) => BTreeMap::from([("search_cache", r.deleted)]),
            Self::Chat(c) => BTreeMap::from([
                ("conversation", c.conversations_deleted),
                ("rate_limit", c.rate_limits_deleted),
                (
                    "document_chunk",
                    match &c.orphan_chunks {
                        OrphanOutcome::Ran(r) => r.deleted,
                        OrphanOutcome::Skipped(_) => 0,
                    },
                ),
            ]),
            Self::Docsync(d) => BTreeMap::from([
                ("recommendations", d.recommendations),
                ("developer_decisions", d.decisions),
            ]),
            Self::Assistant(a) => BTreeMap::from([
                ("schema_cache", a.schema_cache_deleted),
                ("user_sessions", a.sessions_deleted),
                ("system_logs", a.system_logs_deleted),
                ("query_history", a.queries_deleted),
                ("performance_metrics", a.metrics_deleted),
            ]),
        }
    }

    /// One line per table, for people, appended to `lines`.
    pub fn render(&self, lines: &mut Vec<String>) {
        match self {
            Self::Knowledge(r) => knowledge::render(r, lines),
            Self::Chat(c) => c.render(lines),
            Self::Docsync(d) => d.render(lines),
            Self::Assistant(a) => a.render(lines),
        }
    }
}

type RunFn = dyn Fn() -> BoxFuture<'static, Result<JobReport>> + Send + Sync;

/// A retention job: its name (also its lock, `maintain:{name}`), its system, how often it runs
/// and what it does.
pub struct Job {
    name: String,
    system: System,
    interval: Duration,
    run: Box<RunFn>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("system", &self.system)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// A job named `name` of `system`, due every `interval`, doing `run`.
    pub fn new<F, Fut>(name: impl Into<String>, system: System, interval: Duration, run: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<JobReport>> + Send + 'static,
    {
        Self {
            name: name.into(),
            system,
            interval,
            run: Box::new(move || Box::pin(run())),
        }
    }

    /// Its name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its system.
    #[must_use]
    pub fn system(&self) -> System {
        self.system
    }

    /// How often it runs.
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The same job, due every `interval` instead.
    #[must_use]
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Run it once.
    ///
    /// # Errors
    /// Whatever the job failed on, with context.
    pub async fn run(&self) -> Result<JobReport> {
        (self.run)().await
    }
}

/// The jobs of the systems `jobs` holds, in the order of [`System::ALL`], each named after its
/// system and due at its `[maintain]` interval; `chunk_size` rows per delete statement (each
/// system's default when `None`).
#[must_use]
pub fn registry(
    jobs: CleanupJobs,
    intervals: &MaintainSection,
    chunk_size: Option<u64>,
) -> Vec<Job> {
    let CleanupJobs {
        search_cache,
        chat,
        docsync,
        assistant,
    } = jobs;
    let at = |system: System| (system.name(), system, intervals.interval_of(system));
    let mut list = Vec::new();
    if let Some(repo) = search_cache {
        let repo = Arc::new(repo);
        let (name, system, every) = at(System::Knowledge);
        list.push(Job::new(name, system, every, move || {
            let repo = Arc::clone(&repo);
            async move {
                knowledge::cleanup(repo.as_ref().as_ref(), chunk_size)
                    .await
                    .map(JobReport::Knowledge)
            }
        }));
    }
    if let Some(chat) = chat {
        let chat = Arc::new(chat);
        let (name, system, every) = at(System::Chat);
        list.push(Job::new(name, system, every, move || {
            let chat = Arc::clone(&chat);
            async move { cleanup_chat(&chat, chunk_size).await.map(JobReport::Chat) }
        }));
    }
    if let Some(docsync) = docsync {
        let docsync = Arc::new(docsync);
        let (name, system, every) = at(System::Docsync);
        list.push(Job::new(name, system, every, move || {
            let docsync = Arc::clone(&docsync);
            async move { cleanup_docsync(&docsync).await.map(JobReport::Docsync) }
        }));
    }
    if let Some(assistant) = assistant {
        let assistant = Arc::new(assistant);
        let (name, system, every) = at(System::Assistant);
        list.push(Job::new(name, system, every, move || {
            let assistant = Arc::clone(&assistant);
            async move {
                cleanup_assistant(&assistant, chunk_size)
                    .await
                    .map(JobReport::Assistant)
            }
        }));
    }
    list
}
