//! Two schedulers started at once never run the same job concurrently: the second sees the
//! job's lock and reports it "running elsewhere", also after the lock's first time to live
//! (the running scheduler extends it); once the job ends the lock is free again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use app::maintenance::{Job, JobReport, RunStatus, Scheduler, System};
use cache::{CacheConfig, CacheManager};
use repository::knowledge::search_cache::CleanupReport;

/// How many runs of the slow job are in progress, and the most there ever were.
#[derive(Default)]
struct Overlap {
    now: AtomicUsize,
    most: AtomicUsize,
    runs: AtomicUsize,
}

/// A job that takes `takes` and records its overlap with itself.
fn slow_job(overlap: &Arc<Overlap>, takes: Duration) -> Job {
    let overlap = Arc::clone(overlap);
    Job::new(
        "slow",
        System::Knowledge,
        Duration::from_secs(3600),
        move || {
            let overlap = Arc::clone(&overlap);
            async move {
                let now = overlap.now.fetch_add(1, Ordering::SeqCst) + 1;
                overlap.most.fetch_max(now, Ordering::SeqCst);
                overlap.runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(takes).await;
                overlap.now.fetch_sub(1, Ordering::SeqCst);
                Ok(JobReport::Knowledge(CleanupReport {
                    deleted: 1,
                    chunks: 1,
                    duration_ms: 0,
                }))
            }
        },
    )
}

/// Two schedulers, on `a` and `b` (one cache shared, or two clients of one Redis), with a lock
/// that lives 1 s and a job that takes 2.5 s.
async fn never_at_once(a: CacheManager, b: CacheManager) {
    let overlap = Arc::new(Overlap::default());
    let ttl = Duration::from_secs(1);
    let first = Scheduler::new(
        vec![slow_job(&overlap, Duration::from_millis(2500))],
        a.locks(),
        ttl,
    );
    let second = Scheduler::new(
        vec![slow_job(&overlap, Duration::from_millis(2500))],
        b.locks(),
        ttl,
    );
    let never = std::future::pending::<()>;
    let (one, two, late) = tokio::join!(
        first.run_once(never(), |_| {}),
        second.run_once(never(), |_| {}),
        async {
            // Past the lock's first time to live, while the job still runs.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            second.run_once(never(), |_| {}).await
        }
    );
    let mut statuses: Vec<RunStatus> = [&one, &two].iter().map(|r| r[0].status).collect();
    statuses.sort_by_key(|s| *s != RunStatus::Ok);
    assert_eq!(
        statuses,
        [RunStatus::Ok, RunStatus::Skipped],
        "{one:?} {two:?}"
    );
    let skipped = if one[0].status == RunStatus::Skipped {
        &one[0]
    } else {
        &two[0]
    };
    assert_eq!(skipped.reason.as_deref(), Some("running elsewhere"));
    assert_eq!(skipped.removed.len(), 0);
    assert_eq!(
        late[0].status,
        RunStatus::Skipped,
        "the lock was extended: {late:?}"
    );
    assert_eq!(overlap.most.load(Ordering::SeqCst), 1, "never two at once");
    assert_eq!(overlap.runs.load(Ordering::SeqCst), 1);

    // The lock was released when the job ended: the other scheduler runs it now.
    let again = second.run_once(never(), |_| {}).await;
    assert_eq!(again[0].status, RunStatus::Ok, "{again:?}");
    assert!(
        !a.locks()
            .is_locked("maintain:slow")
            .await
            .expect("lock state")
    );
    a.disconnect().await.ok();
    b.disconnect().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_in_one_process_never_run_a_job_at_once() {
    tests::init_tracing();
    let cache = CacheManager::connect(CacheConfig::memory())
        .await
        .expect("memory cache");
    never_at_once(cache.clone(), cache).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn two_schedulers_on_one_redis_never_run_a_job_at_once() {
    tests::init_tracing();
    let prefix = format!("{}:", tests::unique_name());
    let client = |prefix: String| async move {
        let config = CacheConfig::from_url(&tests::redis_url())
            .expect("redis url")
            .with_key_prefix(prefix);
        CacheManager::connect(config).await.expect("redis")
    };
    never_at_once(client(prefix.clone()).await, client(prefix).await).await;
}
