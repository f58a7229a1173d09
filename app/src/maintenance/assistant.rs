//! The assistant system's retention jobs (seed 003; windows from `[assistant]`, DESIGN.md's
//! defaults): expired schema-cache rows (their `schema:discovery:{hash}` keys invalidated),
//! sessions idle, revoked or deleted for `session_days`, system logs older than
//! `system_logs_days`, and queries older than `query_history_days` with their performance
//! metrics first (same transaction: the foreign key has no cascade). Each job deletes in chunks
//! of `delete_chunk` rows per transaction and reports what it removed.

use anyhow::{Context, Result};
use repository::assistant::{
    QueryHistoryRepository, QueryHistoryStore, SchemaCacheRepository, SchemaCacheStore,
    SystemLogRepository, SystemLogStore, UserSessionRepository, UserSessionStore,
};
use repository::chrono::Duration as TimeDelta;
use serde::Serialize;

use crate::App;
use crate::config::AssistantSection;

/// The assistant system's repositories and settings its cleanup runs with.
pub struct AssistantJobs {
    /// The schema cache (expired rows), invalidating keys in the app's cache.
    pub schema_cache: Box<dyn SchemaCacheRepository>,
    /// User sessions (stale ones).
    pub sessions: Box<dyn UserSessionRepository>,
    /// System logs (old records).
    pub logs: Box<dyn SystemLogRepository>,
    /// Query history (old queries, their metrics first).
    pub queries: Box<dyn QueryHistoryRepository>,
    /// The windows and chunk size (`[assistant]`).
    pub settings: AssistantSection,
}

impl AssistantJobs {
    /// The jobs over `app`'s database and cache, with `app`'s `[assistant]` settings.
    #[must_use]
    pub fn from_app(app: &App) -> Self {
        Self {
            schema_cache: Box::new(SchemaCacheStore::new(app.conn.clone(), app.cache.clone())),
            sessions: Box::new(UserSessionStore::new(app.conn.clone())),
            logs: Box::new(SystemLogStore::new(app.conn.clone())),
            queries: Box::new(QueryHistoryStore::new(app.conn.clone())),
            settings: app.config.assistant.clone(),
        }
    }
}

/// What the assistant system's cleanup removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssistantCleanup {
    /// Expired `schema_cache` rows deleted.
    pub schema_cache_deleted: u64,
    /// Sessions purged.
    pub sessions_deleted: u64,
    /// The session window, in days.
    pub session_days: u32,
    /// Log records deleted.
    pub system_logs_deleted: u64,
    /// The log window, in days.
    pub system_logs_days: u32,
    /// Queries deleted.
    pub queries_deleted: u64,
    /// Their performance metrics deleted.
    pub metrics_deleted: u64,
    /// The query window, in days.
    pub query_history_days: u32,
}

/// Run the assistant system's retention jobs, in chunks of `chunk_size` rows (the
/// `delete_chunk` setting when `None`).
///
/// # Errors
/// The first failing job's error, with context.
pub async fn cleanup_assistant(
    jobs: &AssistantJobs,
    chunk_size: Option<u64>,
) -> Result<AssistantCleanup> {
    let s = &jobs.settings;
    let chunk = chunk_size
        .unwrap_or_else(|| u64::from(s.delete_chunk()))
        .min(repository::assistant::MAX_DELETE_CHUNK);
    let now = *entity::behavior::now();
    let days = |n: u32| now - TimeDelta::days(i64::from(n));
    let schema_cache_deleted = jobs
        .schema_cache
        .delete_expired(chunk)
        .await
        .context("deleting expired schema_cache rows")?;
    let sessions_deleted = jobs
        .sessions
        .purge(days(s.session_days()), chunk)
        .await
        .context("purging stale user_sessions")?;
    let system_logs_deleted = jobs
        .logs
        .delete_older_than(days(s.system_logs_days()), chunk)
        .await
        .context("deleting old system_logs")?;
    let (queries_deleted, metrics_deleted) = jobs
        .queries
        .delete_older_than(days(s.query_history_days()), chunk)
        .await
        .context("deleting old query_history rows and their performance_metrics")?;
    tracing::info!(
        cleanup.schema_cache = schema_cache_deleted,
        cleanup.sessions = sessions_deleted,
        cleanup.system_logs = system_logs_deleted,
        cleanup.queries = queries_deleted,
        cleanup.metrics = metrics_deleted,
        "assistant tables cleaned"
    );
    Ok(AssistantCleanup {
        schema_cache_deleted,
        sessions_deleted,
        session_days: s.session_days(),
        system_logs_deleted,
        system_logs_days: s.system_logs_days(),
        queries_deleted,
        metrics_deleted,
        query_history_days: s.query_history_days(),
    })
}

impl AssistantCleanup {
    /// One line per job, for people, appended to `lines`.
    pub fn render(&self, lines: &mut Vec<String>) {
        let c = self;
        lines.extend([
            format!(
                "schema_cache: {} expired rows deleted",
                c.schema_cache_deleted
            ),
            format!(
                "user_sessions: {} sessions idle, revoked or deleted for {} days purged",
                c.sessions_deleted, c.session_days
            ),
            format!(
                "system_logs: {} records older than {} days deleted",
                c.system_logs_deleted, c.system_logs_days
            ),
            format!(
                "query_history: {} queries older than {} days deleted (and {} performance_metrics)",
                c.queries_deleted, c.query_history_days, c.metrics_deleted
            ),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use repository::assistant::{
        MockQueryHistoryRepository, MockSchemaCacheRepository, MockSystemLogRepository,
        MockUserSessionRepository,
    };

    use super::*;

    #[tokio::test]
    async fn windows_come_from_the_settings() {
        let now = *entity::behavior::now();
        let near = move |days: i64| {
            move |cutoff: &repository::chrono::DateTime<repository::chrono::Utc>| {
                let want = now - TimeDelta::days(days);
                (*cutoff - want).num_seconds().abs() < 60
            }
        };
        let mut schema_cache = MockSchemaCacheRepository::new();
        schema_cache
            .expect_delete_expired()
            .withf(|chunk| *chunk == 50)
            .returning(|_| Ok(2));
        let mut sessions = MockUserSessionRepository::new();
        let s = near(7);
        sessions
            .expect_purge()
            .withf(move |cutoff, chunk| s(cutoff) && *chunk == 50)
            .returning(|_, _| Ok(3));
        let mut logs = MockSystemLogRepository::new();
        let l = near(30);
        logs.expect_delete_older_than()
            .withf(move |cutoff, _| l(cutoff))
            .returning(|_, _| Ok(4));
        let mut queries = MockQueryHistoryRepository::new();
        let q = near(90);
        queries
            .expect_delete_older_than()
            .withf(move |cutoff, _| q(cutoff))
            .returning(|_, _| Ok((5, 6)));
        let jobs = AssistantJobs {
            schema_cache: Box::new(schema_cache),
            sessions: Box::new(sessions),
            logs: Box::new(logs),
            queries: Box::new(queries),
            settings: AssistantSection {
                session_days: Some(7),
                delete_chunk: Some(50),
                ..AssistantSection::default()
            },
        };
        let report = cleanup_assistant(&jobs, None).await.expect("cleanup");
        assert_eq!(
            (
                report.schema_cache_deleted,
                report.sessions_deleted,
                report.system_logs_deleted,
                report.queries_deleted,
                report.metrics_deleted
            ),
            (2, 3, 4, 5, 6)
        );
        let mut lines = Vec::new();
        report.render(&mut lines);
        assert_eq!(lines.len(), 4);
    }
}
