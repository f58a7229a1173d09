//! The scheduler of `dal maintain` (and the one-shot run of `dal cleanup`): each [`Job`] runs
//! at its own interval under the distributed lock `maintain:{job}`, so two schedulers (on two
//! machines sharing a Redis) never run the same job at once; a job whose lock is held elsewhere
//! is skipped and reported, a failed job is logged and retried at its next interval, and the
//! others go on either way.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::{Context, Result};
use cache::{LockGuard, LockManager};
use repository::chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::time::Instant;

use super::{Job, JobReport, System};

/// How a run of a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// It ran and removed what `removed` says.
    Ok,
    /// It did not run (`reason` says why: its lock is held by another scheduler).
    Skipped,
    /// It failed (`error` says how); it runs again at its next interval.
    Failed,
}

/// One run of one job: `dal maintain --json` prints one of these per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The job's name (and its lock, `maintain:{job}`).
    pub job: String,
    /// Its system.
    pub system: System,
    /// How it ended.
    pub status: RunStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took, lock included.
    pub duration_ms: u64,
    /// Rows removed per table (empty unless `status` is `ok`).
    pub removed: BTreeMap<&'static str, u64>,
    /// The system's own report (`null` unless `status` is `ok`).
    pub report: Option<JobReport>,
    /// Why it was skipped (`null` unless `status` is `skipped`).
    pub reason: Option<String>,
    /// The error chain (`null` unless `status` is `failed`).
    pub error: Option<String>,
}

impl RunReport {
    /// The reason given when a job's lock is held by another scheduler.
    pub const RUNNING_ELSEWHERE: &'static str = "running elsewhere";

    /// Its lines, for people: a heading, then the system's lines indented.
    #[must_use]
    pub fn render(&self) -> String {
        let at = self.started_at.format("%Y-%m-%dT%H:%M:%SZ");
        match self.status {
            RunStatus::Ok => {
                let mut lines = vec![format!(
                    "{at} {}: ok in {} ms, {} rows removed",
                    self.job,
                    self.duration_ms,
                    self.removed.values().sum::<u64>()
                )];
                let mut detail = Vec::new();
                if let Some(report) = &self.report {
                    report.render(&mut detail);
                }
                lines.extend(detail.into_iter().map(|line| format!("  {line}")));
                lines.join("\n")
            }
            RunStatus::Skipped => format!(
                "{at} {}: skipped, {}",
                self.job,
                self.reason.as_deref().unwrap_or_default()
            ),
            RunStatus::Failed => format!(
                "{at} {}: FAILED: {}",
                self.job,
                self.error.as_deref().unwrap_or_default()
            ),
        }
    }
}

/// Runs [`Job`]s under their locks, once or on their intervals.
#[derive(Debug)]
pub struct Scheduler {
    jobs: Vec<Job>,
    locks: LockManager,
    lock_ttl: Duration,
}

impl Scheduler {
    /// A scheduler of `jobs` taking its locks from `locks` for `lock_ttl` each (extended every
    /// third of it while the job runs).
    #[must_use]
    pub fn new(jobs: Vec<Job>, locks: LockManager, lock_ttl: Duration) -> Self {
        Self {
            jobs,
            locks,
            lock_ttl: lock_ttl.max(Duration::from_millis(30)),
        }
    }

    /// Every job due every `every` instead of its own interval (`--every`).
    #[must_use]
    pub fn every(mut self, every: Duration) -> Self {
        self.jobs = self.jobs.into_iter().map(|job| job.every(every)).collect();
        self
    }

    /// Its jobs.
    #[must_use]
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// Run `job` once under its lock: skipped when the lock is held elsewhere, failed (and
    /// logged) when the lock cannot be taken or the job fails. The lock is released afterwards.
    #[tracing::instrument(skip_all, fields(maintain.job = job.name(), maintain.status, maintain.removed_rows, duration_ms))]
    pub async fn run_job(&self, job: &Job) -> RunReport {
        let started_at = Utc::now();
        let clock = Instant::now();
        let lock = format!("maintain:{}", job.name());
        let outcome = match self.locks.acquire(&lock, self.lock_ttl).await {
            Err(err) => Err(anyhow::Error::new(err).context(format!("taking the lock {lock}"))),
            Ok(None) => Ok(None),
            Ok(Some(guard)) => {
                let result = self.holding(&guard, job.run()).await;
                match guard.release().await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        maintain.lock = %lock,
                        "the lock had expired before the job ended; raise [maintain] lock_ttl"
                    ),
                    Err(err) => tracing::warn!(
                        maintain.lock = %lock,
                        error = %err,
                        "releasing the lock failed; it expires by its timeout"
                    ),
                }
                result.map(Some)
            }
        };
        let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut run = RunReport {
            job: job.name().to_owned(),
            system: job.system(),
            status: RunStatus::Ok,
            started_at,
            duration_ms,
            removed: BTreeMap::new(),
            report: None,
            reason: None,
            error: None,
        };
        match outcome {
            Ok(Some(report)) => {
                run.removed = report.removed();
                run.report = Some(report);
            }
            Ok(None) => {
                run.status = RunStatus::Skipped;
                run.reason = Some(RunReport::RUNNING_ELSEWHERE.to_owned());
                tracing::info!("job skipped: its lock is held by another scheduler");
            }
            Err(err) => {
                let chain = format!("{err:#}");
                tracing::warn!(
                    error = %chain,
                    maintain.interval_secs = job.interval().as_secs(),
                    "maintenance job failed; it is retried at its next interval"
                );
                run.status = RunStatus::Failed;
                run.error = Some(chain);
            }
        }
        let span = tracing::Span::current();
        span.record("maintain.status", format!("{:?}", run.status));
        span.record("maintain.removed_rows", run.removed.values().sum::<u64>());
        span.record("duration_ms", duration_ms);
        run
    }

    /// `work` to its end, extending `guard`'s lock every third of its time to live meanwhile.
    async fn holding(
        &self,
        guard: &LockGuard,
        work: impl Future<Output = Result<JobReport>>,
    ) -> Result<JobReport> {
        tokio::pin!(work);
        let period = self.lock_ttl / 3;
        let mut beat = tokio::time::interval_at(Instant::now() + period, period);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                result = &mut work => return result,
                _ = beat.tick() => match guard.extend(self.lock_ttl).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("the job's lock expired while it ran"),
                    Err(err) => tracing::warn!(error = %err, "extending the job's lock failed"),
                },
            }
        }
    }

    /// Run every job once, in order, handing each report to `report` as it ends; stops
    /// between jobs when `stop` completes. Returns the reports.
    pub async fn run_once<S, R>(&self, stop: S, mut report: R) -> Vec<RunReport>
    where
        S: Future<Output = ()>,
        R: FnMut(&RunReport),
    {
        tokio::pin!(stop);
        let mut runs = Vec::with_capacity(self.jobs.len());
        for job in &self.jobs {
            if stopped(&mut stop).await {
                break;
            }
            let run = self.run_job(job).await;
            report(&run);
            runs.push(run);
        }
        runs
    }

    /// Run each job now and then every its interval (counted from the start of its last run),
    /// until `stop` completes, handing each report to `report`. A job that is running is let
    /// finish; the scheduler stops before the next. Returns how many runs there were.
    pub async fn run<S, R>(&self, stop: S, mut report: R) -> u64
    where
        S: Future<Output = ()>,
        R: FnMut(&RunReport),
    {
        tokio::pin!(stop);
        let mut due = vec![Instant::now(); self.jobs.len()];
        let mut runs = 0;
        loop {
            let Some(next) = due.iter().min().copied() else {
                stop.await;
                return runs;
            };
            tokio::select! {
                biased;
                () = &mut stop => return runs,
                () = tokio::time::sleep_until(next) => {}
            }
            for (job, due) in self.jobs.iter().zip(due.iter_mut()) {
                if *due > Instant::now() {
                    continue;
                }
                if stopped(&mut stop).await {
                    return runs;
                }
                let began = Instant::now();
                let run = self.run_job(job).await;
                runs += 1;
                report(&run);
                *due = began + job.interval();
            }
        }
    }
}

/// Whether `stop` has completed, without waiting for it.
async fn stopped<S: Future<Output = ()>>(stop: &mut Pin<&mut S>) -> bool {
    tokio::select! {
        biased;
        () = stop.as_mut() => true,
        () = std::future::ready(()) => false,
    }
}

/// Completes on Ctrl-C, or on SIGTERM (Unix), whichever comes first: what a scheduler run by
/// a terminal, systemd or a container runtime is stopped with.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(err) => tracing::warn!(error = %err, "cannot listen for SIGTERM; Ctrl-C only"),
        }
    }
    ctrl_c.await;
}

/// The runs that failed, as one error naming each job and its error.
///
/// # Errors
/// When any of `runs` failed.
pub fn check_runs(runs: &[RunReport]) -> Result<()> {
    let failed: Vec<String> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Failed)
        .map(|r| format!("{}: {}", r.job, r.error.as_deref().unwrap_or_default()))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(anyhow::anyhow!(failed.join("; ")))
        .with_context(|| format!("{} maintenance job(s) failed", failed.len()))
}
