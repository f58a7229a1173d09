//! Content sources (`source_metadata`): registration, fetch outcomes (successes, failures with
//! automatic deactivation), rate-limit state, and reliability and quality scores.
//!
//! # Score formulas
//!
//! Every score stays within `0.0..=1.0`.
//!
//! - **Reliability after a success**: `r' = r + (1 - r) * RELIABILITY_SUCCESS_STEP`, i.e. a tenth of
//!   the way back towards `1.0`.
//! - **Reliability after a failure**: `r' = r * RELIABILITY_FAILURE_FACTOR`, i.e. 20 % lower.
//! - **Average processing time** (`avg_processing_time_ms`) is the running average of every
//!   fetch's `processing_time_ms` weighted by the documents that fetch processed:
//!   `avg' = (avg * total + t * docs) / (total + docs)`, where `total` is
//!   `total_documents_processed` before the fetch. A fetch of zero documents leaves it unchanged,
//!   except for a source that has processed no documents yet, whose average becomes `t`.
//!   The result is rounded to the nearest millisecond.
//! - **Average content quality** (`avg_content_quality`), only when the fetch reports one, is the
//!   same document-weighted running average: `q' = (q * total + quality * docs) / (total + docs)`;
//!   it becomes `quality` outright while the source has processed no documents or has no quality
//!   yet. Fetches that report no quality still count in `total`, so they weigh on the side of the
//!   existing average.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::DbDateTime;
use entity::behavior::now;
use entity::knowledge::sea_orm_active_enums::{RateLimitStatus, SourceType};
use entity::knowledge::source_metadata::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::store::{self, Db, Table};
use crate::types::HttpUrl;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "source";
}

/// The fraction of the distance to `1.0` that a success adds to `reliability_score`.
pub const RELIABILITY_SUCCESS_STEP: f64 = 0.1;

/// The factor a failure multiplies `reliability_score` by.
pub const RELIABILITY_FAILURE_FACTOR: f64 = 0.8;

/// A source to register. It starts active, with no fetches and no rate limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSource {
    /// Unique id of the source.
    pub source_id: String,
    /// GitHub, web or API.
    pub source_type: SourceType,
    /// Where it is fetched from.
    pub source_url: HttpUrl,
    /// Technology it documents.
    pub technology: String,
    /// Initial reliability, 0.0 to 1.0 (the seed's default is 1.0).
    pub reliability_score: f64,
    /// Initial average content quality, 0.0 to 1.0, if known.
    pub avg_content_quality: Option<f64>,
}

impl NewSource {
    /// A source with the seed's full reliability (1.0) and no known quality.
    ///
    /// The quality starts unknown (NULL), not at the seed's column default 0.0: an unknown
    /// quality is not a zero quality, and the running average of
    /// [`SourceRepository::record_success`] takes the first reported quality outright.
    #[must_use]
    pub fn new(
        source_id: impl Into<String>,
        source_type: SourceType,
        source_url: HttpUrl,
        technology: impl Into<String>,
    ) -> Self {
        Self {
            source_id: source_id.into(),
            source_type,
            source_url,
            technology: technology.into(),
            reliability_score: 1.0,
            avg_content_quality: None,
        }
    }

    /// With this initial reliability (0.0 to 1.0).
    #[must_use]
    pub const fn with_reliability(mut self, reliability: f64) -> Self {
        self.reliability_score = reliability;
        self
    }

    /// With this initial average content quality (0.0 to 1.0).
    #[must_use]
    pub const fn with_quality(mut self, quality: f64) -> Self {
        self.avg_content_quality = Some(quality);
        self
    }

    /// Check every field against the seed's rules (the type and the URL are valid by type).
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("source_id", &self.source_id, validate::MAX_KEY_LEN)?;
        validate::text("technology", &self.technology, 100)?;
        validate::range_f64("reliability_score", self.reliability_score, 0.0, 1.0)?;
        if let Some(q) = self.avg_content_quality {
            validate::range_f64("avg_content_quality", q, 0.0, 1.0)?;
        }
        Ok(())
    }
}

/// A successful fetch of a source, for [`SourceRepository::record_success`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FetchSuccess {
    /// How long the fetch took, in milliseconds (0 or more).
    pub processing_time_ms: i32,
    /// Documents it processed (0 or more).
    pub documents_processed: i32,
    /// The quality of the content it found (0.0 to 1.0), if measured.
    pub content_quality: Option<f64>,
}

impl FetchSuccess {
    /// A fetch of `documents_processed` documents that took `processing_time_ms`, quality not
    /// measured.
    #[must_use]
    pub const fn new(processing_time_ms: i32, documents_processed: i32) -> Self {
        Self {
            processing_time_ms,
            documents_processed,
            content_quality: None,
        }
    }

    /// The same fetch, with the quality of the content it found.
    #[must_use]
    pub const fn with_quality(mut self, quality: f64) -> Self {
        self.content_quality = Some(quality);
        self
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::non_negative("processing_time_ms", self.processing_time_ms.into())?;
        validate::non_negative("documents_processed", self.documents_processed.into())?;
        if let Some(q) = self.content_quality {
            validate::range_f64("content_quality", q, 0.0, 1.0)?;
        }
        Ok(())
    }
}

/// A source's rate limit as it stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitState {
    /// The effective status: `normal` once the reset time has come.
    pub status: RateLimitStatus,
    /// When the limit lifts (`None` when the status is `normal`).
    pub reset_at: Option<DateTime<Utc>>,
}

/// The effective rate limit of a stored `status` and `reset_at` at instant `now`.
///
/// `limited` and `exhausted` hold until `reset_at`; at `reset_at` itself and after, the source
/// is `normal` again. A missing status is `normal`. A `limited` or `exhausted` status without a
/// reset time (only possible through a direct write) holds, with no reset time.
#[must_use]
pub fn effective_rate_limit(
    status: Option<RateLimitStatus>,
    reset_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> RateLimitState {
    const NORMAL: RateLimitState = RateLimitState {
        status: RateLimitStatus::Normal,
        reset_at: None,
    };
    match (status, reset_at) {
        (None | Some(RateLimitStatus::Normal), _) => NORMAL,
        (Some(_), Some(at)) if at <= now => NORMAL,
        (Some(status), reset_at) => RateLimitState { status, reset_at },
    }
}

/// Content sources and their fetch statistics.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SourceRepository: Send + Sync {
    /// Register a source.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input; [`Error::Conflict`] when the id exists.
    async fn register(&self, new: NewSource) -> Result<Model>;

    /// The source with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn get(&self, source_id: &str) -> Result<Model>;

    /// Active sources, for one technology or all, most reliable first (ties by `source_id`).
    ///
    /// # Errors
    /// [`Error::Validation`] for an empty or over-long technology.
    async fn list_active<'a>(&self, technology: Option<&'a str>) -> Result<Vec<Model>>;

    /// Record a successful fetch: `consecutive_failures = 0`,
    /// `last_successful_fetch = now`, the totals and averages and reliability updated as the
    /// [module documentation](self) describes. One transaction holding the row lock, so concurrent
    /// calls never lose an update. The active flag is left as it is.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Validation`] for a negative time or count or a quality outside
    /// 0.0 to 1.0.
    async fn record_success(&self, source_id: &str, fetch: FetchSuccess) -> Result<Model>;

    /// Record a failed fetch, in one statement: `consecutive_failures + 1`,
    /// `last_failed_fetch = now`, reliability multiplied by [`RELIABILITY_FAILURE_FACTOR`], and the
    /// source deactivated once `consecutive_failures` reaches `deactivate_after`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Validation`] for a threshold of 0.
    async fn record_failure(&self, source_id: &str, deactivate_after: u32) -> Result<Model>;

    /// Store the source's rate-limit status. `limited` and `exhausted` need a `reset_at` in the
    /// future; `normal` takes none (and clears the stored one).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Validation`] for a missing, past or superfluous reset time.
    async fn set_rate_limit(
        &self,
        source_id: &str,
        status: RateLimitStatus,
        reset_at: Option<DateTime<Utc>>,
    ) -> Result<Model>;

    /// The source's effective rate limit now (see [`effective_rate_limit`]).
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn rate_limit_status(&self, source_id: &str) -> Result<RateLimitState>;

    /// Overwrite the reliability score and, when given, the average content quality.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Validation`] for a score outside 0.0 to 1.0.
    async fn set_scores(
        &self,
        source_id: &str,
        reliability: f64,
        avg_quality: Option<f64>,
    ) -> Result<Model>;

    /// Make the source active again and reset its consecutive failures.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn reactivate(&self, source_id: &str) -> Result<Model>;
}

crate::store! {
    /// [`SourceRepository`] on SeaORM.
    pub struct SourceStore;
}

/// `(old * old_weight + new * new_weight) / (old_weight + new_weight)`, or `new` when both
/// weights are zero.
fn weighted_average(old: f64, old_weight: i64, new: f64, new_weight: i64) -> f64 {
    let total = old_weight + new_weight;
    if total == 0 {
        return new;
    }
    #[allow(clippy::cast_precision_loss)]
    let (ow, nw, t) = (old_weight as f64, new_weight as f64, total as f64);
    (old * ow + new * nw) / t
}

#[allow(clippy::cast_possible_truncation)]
fn round_to_i32(x: f64) -> i32 {
    x.round().clamp(0.0, f64::from(i32::MAX)) as i32
}

#[async_trait]
impl<C: Db> SourceRepository for SourceStore<C> {
    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn register(&self, new: NewSource) -> Result<Model> {
        new.validate()?;
        let at = now();
        let row = ActiveModel {
            source_id: Set(new.source_id),
            source_type: Set(new.source_type),
            source_url: Set(new.source_url.into_string()),
            technology: Set(new.technology),
            reliability_score: Set(new.reliability_score),
            avg_processing_time_ms: Set(0),
            total_documents_processed: Set(0),
            last_successful_fetch: Set(None),
            last_failed_fetch: Set(None),
            consecutive_failures: Set(0),
            rate_limit_status: Set(Some(RateLimitStatus::Normal)),
            rate_limit_reset_at: Set(None),
            avg_content_quality: Set(new.avg_content_quality),
            is_active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
        };
        Ok(row.insert(&self.db).await?)
    }

    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn get(&self, source_id: &str) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, source_id).await
    }

    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn list_active<'a>(&self, technology: Option<&'a str>) -> Result<Vec<Model>> {
        let mut query = Entity::find().filter(Column::IsActive.eq(true));
        if let Some(t) = technology {
            validate::text("technology", t, 100)?;
            query = query.filter(Column::Technology.eq(t));
        }
        Ok(query
            .order_by_desc(Column::ReliabilityScore)
            .order_by_asc(Column::SourceId)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn record_success(&self, source_id: &str, fetch: FetchSuccess) -> Result<Model> {
        fetch.validate()?;
        let FetchSuccess {
            processing_time_ms,
            documents_processed,
            content_quality,
        } = fetch;
        let txn = begin_write(&self.db).await?;
        // FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers.
        let row = Entity::find_by_id(source_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(source_id))?;
        let total = i64::from(row.total_documents_processed);
        let docs = i64::from(documents_processed);
        let avg_time = weighted_average(
            f64::from(row.avg_processing_time_ms),
            total,
            f64::from(processing_time_ms),
            docs,
        );
        let avg_quality = match (content_quality, row.avg_content_quality) {
            (None, old) => old,
            (Some(q), None) => Some(q),
            (Some(q), Some(old)) => Some(weighted_average(old, total, q, docs).clamp(0.0, 1.0)),
        };
        let reliability = (row.reliability_score
            + (1.0 - row.reliability_score) * RELIABILITY_SUCCESS_STEP)
            .clamp(0.0, 1.0);
        let new_total = i32::try_from(total + docs).unwrap_or(i32::MAX);
        let mut am = row.into_active_model();
        am.consecutive_failures = Set(0);
        am.last_successful_fetch = Set(Some(now()));
        am.total_documents_processed = Set(new_total);
        am.avg_processing_time_ms = Set(round_to_i32(avg_time));
        am.avg_content_quality = Set(avg_quality);
        am.reliability_score = Set(reliability);
        let model = am.update(&txn).await?;
        txn.commit().await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "source_metadata", source.deactivate_after = deactivate_after))]
    async fn record_failure(&self, source_id: &str, deactivate_after: u32) -> Result<Model> {
        validate::range_i64(
            "deactivate_after",
            i64::from(deactivate_after),
            1,
            i64::from(i32::MAX),
        )?;
        let threshold = i32::try_from(deactivate_after).unwrap_or(i32::MAX);
        let at = now();
        // One statement: every SET expression reads the row as it was before this update.
        let update = Entity::update_many()
            .col_expr(
                Column::ConsecutiveFailures,
                Expr::col(Column::ConsecutiveFailures).add(1),
            )
            .col_expr(Column::LastFailedFetch, Expr::value(Some(at)))
            .col_expr(
                Column::ReliabilityScore,
                Expr::col(Column::ReliabilityScore).mul(RELIABILITY_FAILURE_FACTOR),
            )
            .col_expr(
                Column::IsActive,
                Expr::case(
                    Expr::col(Column::ConsecutiveFailures).add(1).gte(threshold),
                    false,
                )
                .finally(Expr::col(Column::IsActive))
                .into(),
            )
            .col_expr(Column::UpdatedAt, Expr::value(at));
        store::update_one_returning(&self.db, source_id, update).await
    }

    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn set_rate_limit(
        &self,
        source_id: &str,
        status: RateLimitStatus,
        reset_at: Option<DateTime<Utc>>,
    ) -> Result<Model> {
        let at = now();
        match (status, reset_at) {
            (RateLimitStatus::Normal, Some(t)) => {
                return Err(Error::validation(
                    "rate_limit_reset_at",
                    "must be empty when rate_limit_status is normal",
                    t.to_rfc3339(),
                ));
            }
            (RateLimitStatus::Limited | RateLimitStatus::Exhausted, None) => {
                return Err(Error::validation(
                    "rate_limit_reset_at",
                    "is required when rate_limit_status is limited or exhausted",
                    "none",
                ));
            }
            (RateLimitStatus::Limited | RateLimitStatus::Exhausted, Some(t)) if t <= at => {
                return Err(Error::validation(
                    "rate_limit_reset_at",
                    "must be in the future when rate_limit_status is limited or exhausted",
                    t.to_rfc3339(),
                ));
            }
            _ => {}
        }
        let update = Entity::update_many()
            .col_expr(Column::RateLimitStatus, Expr::value(Some(status)))
            .col_expr(
                Column::RateLimitResetAt,
                Expr::value(reset_at.map(DbDateTime::from)),
            )
            .col_expr(Column::UpdatedAt, Expr::value(at));
        store::update_one_returning(&self.db, source_id, update).await
    }

    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn rate_limit_status(&self, source_id: &str) -> Result<RateLimitState> {
        let row = self.get(source_id).await?;
        Ok(effective_rate_limit(
            row.rate_limit_status,
            row.rate_limit_reset_at.map(DbDateTime::into_inner),
            now().into_inner(),
        ))
    }

    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn set_scores(
        &self,
        source_id: &str,
        reliability: f64,
        avg_quality: Option<f64>,
    ) -> Result<Model> {
        validate::range_f64("reliability_score", reliability, 0.0, 1.0)?;
        let mut update = Entity::update_many()
            .col_expr(Column::ReliabilityScore, Expr::value(reliability))
            .col_expr(Column::UpdatedAt, Expr::value(now()));
        if let Some(q) = avg_quality {
            validate::range_f64("avg_content_quality", q, 0.0, 1.0)?;
            update = update.col_expr(Column::AvgContentQuality, Expr::value(Some(q)));
        }
        store::update_one_returning(&self.db, source_id, update).await
    }

    #[instrument(skip_all, fields(db.table = "source_metadata"))]
    async fn reactivate(&self, source_id: &str) -> Result<Model> {
        let update = Entity::update_many()
            .col_expr(Column::IsActive, Expr::value(true))
            .col_expr(Column::ConsecutiveFailures, Expr::value(0))
            .col_expr(Column::UpdatedAt, Expr::value(now()));
        store::update_one_returning(&self.db, source_id, update).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_average_by_documents() {
        assert!((weighted_average(100.0, 3, 200.0, 1) - 125.0).abs() < 1e-9);
        assert!((weighted_average(100.0, 0, 200.0, 0) - 200.0).abs() < 1e-9);
        assert!((weighted_average(100.0, 5, 999.0, 0) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn rate_limit_lifts_at_reset_time() {
        let t = now().into_inner();
        let one = chrono::TimeDelta::microseconds(1);
        let limited = Some(RateLimitStatus::Limited);
        assert_eq!(
            effective_rate_limit(limited, Some(t), t - one).status,
            RateLimitStatus::Limited
        );
        assert_eq!(
            effective_rate_limit(limited, Some(t), t).status,
            RateLimitStatus::Normal
        );
        assert_eq!(
            effective_rate_limit(None, None, t).status,
            RateLimitStatus::Normal
        );
    }
}
