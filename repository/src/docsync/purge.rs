//! The 7-day purge (seed 002's task 7, `docsync.purge_days` in the app's config): recommendations
//! created before the cutoff and decisions made before it go; the inconsistencies the purged
//! recommendations held `InRecommendation` return to `Pending` (and point at no recommendation),
//! so they can be recommended on again. One transaction: a purge is whole or not at all.

use chrono::{DateTime, Utc};
use entity::DbDateTime;
use entity::docsync::sea_orm_active_enums::InconsistencyStatus;
use entity::docsync::{developer_decisions, inconsistency_records, recommendations};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionSession};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::manager::begin_write;
use crate::store::Db;

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeReport {
    /// Recommendations deleted.
    pub recommendations: u64,
    /// Developer decisions deleted (old ones, and those of the deleted recommendations).
    pub decisions: u64,
    /// Inconsistencies returned from `InRecommendation` to `Pending`.
    pub inconsistencies_reopened: u64,
}

/// `SELECT id FROM recommendations WHERE creation_timestamp < cutoff`.
fn old_recommendations(cutoff: DbDateTime) -> SelectStatement {
    Query::select()
        .column(recommendations::Column::Id)
        .from(recommendations::Entity)
        .and_where(recommendations::Column::CreationTimestamp.lt(cutoff))
        .take()
}

/// Run the purge on `db` (see the module docs).
///
/// # Errors
/// [`crate::Error::Db`] (nothing purged).
pub(crate) async fn purge<C: Db>(db: &C, cutoff: DateTime<Utc>) -> Result<PurgeReport> {
    let cutoff = DbDateTime(super::changes::stored_precision(cutoff));
    let txn = begin_write(db).await?;
    let inconsistencies_reopened = inconsistency_records::Entity::update_many()
        .col_expr(
            inconsistency_records::Column::Status,
            Expr::value(InconsistencyStatus::Pending),
        )
        .col_expr(
            inconsistency_records::Column::RecommendationId,
            inconsistency_records::Column::RecommendationId
                .save_as(Expr::value(Option::<entity::DbUuid>::None)),
        )
        .filter(inconsistency_records::Column::Status.eq(InconsistencyStatus::InRecommendation))
        .filter(
            inconsistency_records::Column::RecommendationId
                .in_subquery(old_recommendations(cutoff)),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    let decisions = developer_decisions::Entity::delete_many()
        .filter(developer_decisions::Column::Timestamp.lt(cutoff).or(
            developer_decisions::Column::RecommendationId.in_subquery(old_recommendations(cutoff)),
        ))
        .exec(&txn)
        .await?
        .rows_affected;
    let recommendations = recommendations::Entity::delete_many()
        .filter(recommendations::Column::CreationTimestamp.lt(cutoff))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    tracing::info!(
        purge.recommendations = recommendations,
        purge.decisions = decisions,
        purge.inconsistencies_reopened = inconsistencies_reopened,
        "docsync purge"
    );
    Ok(PurgeReport {
        recommendations,
        decisions,
        inconsistencies_reopened,
    })
}
