//! The scheduler with jobs of its own (no database): intervals per job, `--every`, failures
//! retried at the next interval without stopping the others, a lock held elsewhere, stopping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::bail;
use cache::{CacheConfig, CacheManager};
use repository::knowledge::search_cache::CleanupReport;

use super::{Job, JobReport, RunReport, RunStatus, Scheduler, System, check_runs};

const HOUR: Duration = Duration::from_secs(3600);

/// A job counting its runs into `runs`, failing when `fails`.
fn counting(name: &str, every: Duration, fails: bool, runs: &Arc<AtomicU64>) -> Job {
    let runs = Arc::clone(runs);
    Job::new(name, System::Knowledge, every, move || {
        let n = runs.fetch_add(1, Ordering::SeqCst);
        async move {
            if fails {
                bail!("table gone (run {n})");
            }
            Ok(JobReport::Knowledge(CleanupReport {
                deleted: n,
                chunks: 1,
                duration_ms: 0,
            }))
        }
    })
}

async fn memory() -> CacheManager {
    CacheManager::connect(CacheConfig::memory())
        .await
        .expect("memory cache")
}

#[tokio::test(start_paused = true)]
async fn each_job_runs_at_its_own_interval_and_failures_do_not_stop_the_others() {
    let (failing, hourly, half) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let scheduler = Scheduler::new(
        vec![
            counting("failing", HOUR, true, &failing),
            counting("hourly", HOUR, false, &hourly),
            counting("half", HOUR / 2, false, &half),
        ],
        memory().await.locks(),
        Duration::from_secs(60),
    );
    let mut reports: Vec<RunReport> = Vec::new();
    let runs = scheduler
        .run(tokio::time::sleep(2 * HOUR + HOUR / 4), |r| {
            reports.push(r.clone());
        })
        .await;
    // At 0, 1 h and 2 h; the half-hourly one also at 0.5 h and 1.5 h.
    assert_eq!(
        failing.load(Ordering::SeqCst),
        3,
        "retried at each interval"
    );
    assert_eq!(hourly.load(Ordering::SeqCst), 3);
    assert_eq!(half.load(Ordering::SeqCst), 5);
    assert_eq!(runs, 11);
    let failed: Vec<&RunReport> = reports
        .iter()
        .filter(|r| r.status == RunStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(
        failed
            .iter()
            .all(|r| r.job == "failing" && r.report.is_none())
    );
    assert!(
        failed[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("table gone")),
        "{failed:?}"
    );
    assert!(failed[0].render().contains("FAILED: table gone"));
    let ok = reports.iter().find(|r| r.job == "hourly").expect("hourly");
    assert_eq!(ok.removed["search_cache"], 0);
    assert!(ok.render().contains("hourly: ok in"), "{}", ok.render());
}

#[tokio::test(start_paused = true)]
async fn every_overrides_the_intervals() {
    let (slow, fast) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let scheduler = Scheduler::new(
        vec![
            counting("slow", 24 * HOUR, false, &slow),
            counting("fast", Duration::from_secs(60), false, &fast),
        ],
        memory().await.locks(),
        Duration::from_secs(60),
    )
    .every(HOUR);
    assert!(scheduler.jobs().iter().all(|j| j.interval() == HOUR));
    scheduler
        .run(tokio::time::sleep(HOUR + HOUR / 2), |_| {})
        .await;
    assert_eq!(slow.load(Ordering::SeqCst), 2);
    assert_eq!(fast.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn once_runs_every_job_then_reports_the_failures_and_a_held_lock_is_skipped() {
    let cache = memory().await;
    let (a, b, c) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let scheduler = Scheduler::new(
        vec![
            counting("a", HOUR, true, &a),
            counting("b", HOUR, false, &b),
            counting("c", HOUR, false, &c),
        ],
        cache.locks(),
        Duration::from_secs(60),
    );
    let elsewhere = cache
        .locks()
        .acquire("maintain:c", Duration::from_secs(60))
        .await
        .expect("lock")
        .expect("free");
    let mut seen = 0;
    let runs = scheduler
        .run_once(std::future::pending(), |_| seen += 1)
        .await;
    assert_eq!(seen, 3);
    let statuses: Vec<RunStatus> = runs.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [RunStatus::Failed, RunStatus::Ok, RunStatus::Skipped]
    );
    assert_eq!(c.load(Ordering::SeqCst), 0, "not run while held elsewhere");
    assert_eq!(
        runs[2].reason.as_deref(),
        Some(RunReport::RUNNING_ELSEWHERE)
    );
    assert!(runs[2].render().contains("skipped, running elsewhere"));
    let err = check_runs(&runs).expect_err("a failed");
    assert!(
        format!("{err:#}").starts_with("1 maintenance job(s) failed: a: table gone"),
        "{err:#}"
    );
    let json = serde_json::to_value(&runs[1]).expect("json");
    for key in [
        "job",
        "system",
        "status",
        "started_at",
        "duration_ms",
        "removed",
        "report",
        "reason",
        "error",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(json["status"], "ok");
    assert_eq!(json["system"], "knowledge");

    // Released after each run; free again once the other holder lets go.
    assert!(elsewhere.release().await.expect("release"));
    let runs = scheduler.run_once(std::future::pending(), |_| {}).await;
    assert_eq!(runs[2].status, RunStatus::Ok);
    assert!(!cache.locks().is_locked("maintain:b").await.expect("state"));
}

#[tokio::test]
async fn a_stopped_scheduler_starts_no_job() {
    let runs = Arc::new(AtomicU64::new(0));
    let scheduler = Scheduler::new(
        vec![counting("a", HOUR, false, &runs)],
        memory().await.locks(),
        Duration::from_secs(60),
    );
    assert!(
        scheduler
            .run_once(std::future::ready(()), |_| {})
            .await
            .is_empty()
    );
    assert_eq!(scheduler.run(std::future::ready(()), |_| {}).await, 0);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}
