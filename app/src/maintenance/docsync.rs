//! The docsync system's cleanup (seed 002's task 7, the "7-day purge"): recommendations and
//! developer decisions older than `docsync.purge_days` go; the inconsistencies the purged
//! recommendations held return to `Pending`.

use anyhow::{Context, Result};
use repository::chrono::Duration as TimeDelta;
use repository::docsync::{RecommendationRepository, RecommendationStore};
use serde::Serialize;

use crate::App;

/// The docsync system's repository and setting its cleanup runs with.
pub struct DocsyncJobs {
    /// Recommendations (and, through them, decisions and inconsistencies).
    pub recommendations: Box<dyn RecommendationRepository>,
    /// Days recommendations and decisions are kept (`docsync.purge_days`).
    pub purge_days: u32,
}

impl DocsyncJobs {
    /// The job over `app`'s database, with `app`'s `docsync.purge_days`.
    #[must_use]
    pub fn from_app(app: &App) -> Self {
        Self {
            recommendations: Box::new(RecommendationStore::new(app.conn.clone())),
            purge_days: app.config.docsync.purge_days(),
        }
    }
}

/// What the docsync purge removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocsyncCleanup {
    /// The retention applied, in days (`docsync.purge_days`).
    pub purge_days: u32,
    /// Recommendations deleted.
    pub recommendations: u64,
    /// Developer decisions deleted.
    pub decisions: u64,
    /// Inconsistencies returned from `InRecommendation` to `Pending`.
    pub inconsistencies_reopened: u64,
}

impl DocsyncCleanup {
    /// Its line, for people.
    pub(super) fn render(&self, lines: &mut Vec<String>) {
        lines.push(format!(
            "docsync: {} recommendation(s) and {} decision(s) older than {} days purged, \
             {} inconsistency(ies) back to Pending",
            self.recommendations, self.decisions, self.purge_days, self.inconsistencies_reopened
        ));
    }
}

/// Purge recommendations and decisions older than `jobs.purge_days` days.
///
/// # Errors
/// The repository's error, with context.
pub async fn cleanup_docsync(jobs: &DocsyncJobs) -> Result<DocsyncCleanup> {
    let purge_days = jobs.purge_days;
    let recommendations = jobs.recommendations.as_ref();
    let cutoff = *entity::behavior::now() - TimeDelta::days(i64::from(purge_days));
    let report = recommendations
        .purge_older_than(cutoff)
        .await
        .context("purging old docsync recommendations and decisions")?;
    Ok(DocsyncCleanup {
        purge_days,
        recommendations: report.recommendations,
        decisions: report.decisions,
        inconsistencies_reopened: report.inconsistencies_reopened,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use repository::docsync::{MockRecommendationRepository, PurgeReport};

    /// The job through a mock of the repository, as a crate other than `repository` sees it:
    /// the cutoff is `purge_days` before now, and the report is passed on.
    #[tokio::test]
    async fn the_purge_cutoff_is_purge_days_ago() {
        let mut repo = MockRecommendationRepository::new();
        repo.expect_purge_older_than()
            .withf(|cutoff| {
                let age = *entity::behavior::now() - *cutoff;
                age >= TimeDelta::days(7) && age < TimeDelta::days(7) + TimeDelta::minutes(1)
            })
            .times(1)
            .returning(|_| {
                Ok(PurgeReport {
                    recommendations: 2,
                    decisions: 3,
                    inconsistencies_reopened: 1,
                })
            });
        let jobs = DocsyncJobs {
            recommendations: Box::new(repo),
            purge_days: 7,
        };
        let done = cleanup_docsync(&jobs).await.expect("purge");
        assert_eq!(
            done,
            DocsyncCleanup {
                purge_days: 7,
                recommendations: 2,
                decisions: 3,
                inconsistencies_reopened: 1,
            }
        );
        let mut lines = Vec::new();
        done.render(&mut lines);
        assert!(lines[0].contains("2 recommendation(s)"), "{lines:?}");
    }

    #[tokio::test]
    async fn a_failed_purge_says_what_failed() {
        let mut repo = MockRecommendationRepository::new();
        repo.expect_purge_older_than()
            .returning(|_| Err(repository::Error::NotConnected));
        let jobs = DocsyncJobs {
            recommendations: Box::new(repo),
            purge_days: 7,
        };
        let err = cleanup_docsync(&jobs).await.expect_err("fails");
        assert!(
            format!("{err:#}").starts_with("purging old docsync"),
            "{err:#}"
        );
    }
}
