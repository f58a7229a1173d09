//! Maintenance jobs: the expired search-cache cleanup (DB-008) and the reference-data seed, each
//! callable from code and from `dal cleanup` / `dal seed`, and a scheduler that repeats a job
//! until told to stop.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use repository::knowledge::search_cache::CleanupReport;
use repository::knowledge::{
    MappingRepository, SearchCacheRepository, SeedReport, reference_mappings,
};
use serde::Serialize;

/// What one cleanup run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CleanupSummary {
    /// Expired `search_cache` rows.
    pub search_cache: CleanupReport,
}

/// Delete every expired `search_cache` row, in chunks of `chunk_size` (the repository's default
/// when `None`), so the write lock is never held for long.
///
/// # Errors
/// The repository's error, with context.
pub async fn cleanup(
    search_cache: &dyn SearchCacheRepository,
    chunk_size: Option<u64>,
) -> Result<CleanupSummary> {
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
    Ok(CleanupSummary {
        search_cache: report,
    })
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
        assert_eq!(summary.search_cache.deleted, 42);
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
