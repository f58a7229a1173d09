//! The knowledge system's jobs (seed 000): the expired search cache (DB-008) and the reference
//! technology mappings.

use anyhow::{Context, Result};
use repository::knowledge::search_cache::CleanupReport;
use repository::knowledge::{
    MappingRepository, SearchCacheRepository, SeedReport, reference_mappings,
};

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

/// The search cache's line of the summary.
pub(super) fn render(report: &CleanupReport, lines: &mut Vec<String>) {
    lines.push(format!(
        "search_cache: {} expired rows deleted in {} ms",
        report.deleted, report.duration_ms
    ));
}

#[cfg(test)]
mod tests {
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
}
