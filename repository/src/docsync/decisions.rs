//! Developer decisions (`developer_decisions`): record Accept / Reject / Amend for an `Active`
//! recommendation, which moves it to `Accepted` / `Rejected` / `Amended` in the same transaction;
//! set the implementation time later.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::docsync::developer_decisions::{ActiveModel, Column, Entity, Model};
use entity::docsync::recommendations;
use entity::docsync::sea_orm_active_enums::{Decision, RecommendationStatus};
use entity::{DbDateTime, DbUuid};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionSession};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::recommendations::refused_recommendation_move;
use crate::error::Result;
use crate::manager::begin_write;
use crate::store::{self, Db, Table};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "decision";
}

/// Longest comment accepted, in characters.
pub const MAX_COMMENTS_LEN: usize = 100_000;

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDecision {
    /// The recommendation decided on (must be `Active`).
    pub recommendation_id: DbUuid,
    /// What the developer decided.
    pub decision: Decision,
    /// Why, or the amendments, if given (not empty).
    pub comments: Option<String>,
}

impl NewDecision {
    /// `decision` on `recommendation_id`, with no comments.
    #[must_use]
    pub const fn new(recommendation_id: DbUuid, decision: Decision) -> Self {
        Self {
            recommendation_id,
            decision,
            comments: None,
        }
    }

    /// The same decision with comments.
    #[must_use]
    pub fn with_comments(mut self, comments: impl Into<String>) -> Self {
        self.comments = Some(comments.into());
        self
    }

    /// Check the comments: not empty, at most [`MAX_COMMENTS_LEN`] characters.
    ///
    /// # Errors
    /// [`crate::Error::Validation`].
    pub fn validate(&self) -> Result<()> {
        validate::opt_text("comments", self.comments.as_deref(), MAX_COMMENTS_LEN)
    }
}

/// The status a recommendation takes when `decision` is recorded on it.
#[must_use]
pub const fn status_after(decision: Decision) -> RecommendationStatus {
    match decision {
        Decision::Accept => RecommendationStatus::Accepted,
        Decision::Reject => RecommendationStatus::Rejected,
        Decision::Amend => RecommendationStatus::Amended,
    }
}

/// Developer decisions.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DecisionRepository: Send + Sync {
    /// Record a decision (made now) and move its recommendation from `Active` to
    /// [`status_after`] the decision, in one transaction; returns the decision. Of two
    /// concurrent decisions on one recommendation, one is recorded.
    ///
    /// # Errors
    /// [`crate::Error::Validation`] (see [`NewDecision::validate`]);
    /// [`crate::Error::Transition`] when the recommendation is not `Active`;
    /// [`crate::Error::NotFound`] when it does not exist (nothing written);
    /// [`crate::Error::Db`].
    async fn record(&self, new: NewDecision) -> Result<Model>;

    /// The decision with this id.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`]; [`crate::Error::Db`].
    async fn get(&self, id: i32) -> Result<Model>;

    /// The decisions on a recommendation, oldest first.
    ///
    /// # Errors
    /// [`crate::Error::Db`].
    async fn for_recommendation(&self, recommendation_id: DbUuid) -> Result<Vec<Model>>;

    /// Set when the decided change was implemented; returns the row.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`]; [`crate::Error::Db`].
    async fn set_implemented(&self, id: i32, at: DateTime<Utc>) -> Result<Model>;
}

crate::store! {
    /// [`DecisionRepository`] on SeaORM.
    pub struct DecisionStore;
}

#[async_trait]
impl<C: Db> DecisionRepository for DecisionStore<C> {
    #[instrument(skip_all, fields(db.table = "developer_decisions"))]
    async fn record(&self, new: NewDecision) -> Result<Model> {
        new.validate()?;
        let to = status_after(new.decision);
        let txn = begin_write(&self.db).await?;
        let moved = recommendations::Entity::update_many()
            .col_expr(recommendations::Column::Status, Expr::value(to))
            .filter(recommendations::Column::Id.eq(new.recommendation_id))
            .filter(recommendations::Column::Status.eq(RecommendationStatus::Active))
            .exec(&txn)
            .await?
            .rows_affected;
        if moved == 0 {
            let err = refused_recommendation_move(&txn, new.recommendation_id, to).await;
            txn.rollback().await?;
            return Err(err);
        }
        let inserted = Entity::insert(ActiveModel {
            id: sea_orm::NotSet,
            recommendation_id: Set(new.recommendation_id),
            timestamp: Set(entity::behavior::now()),
            decision: Set(new.decision),
            comments: Set(new.comments),
            implementation_timestamp: Set(None),
        })
        .exec(&txn)
        .await?;
        let row = store::get::<Entity, _, _>(&txn, inserted.last_insert_id).await?;
        txn.commit().await?;
        Ok(row)
    }

    #[instrument(skip_all, fields(db.table = "developer_decisions"))]
    async fn get(&self, id: i32) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, id).await
    }

    #[instrument(skip_all, fields(db.table = "developer_decisions"))]
    async fn for_recommendation(&self, recommendation_id: DbUuid) -> Result<Vec<Model>> {
        Ok(Entity::find()
            .filter(Column::RecommendationId.eq(recommendation_id))
            .order_by_asc(Column::Timestamp)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "developer_decisions"))]
    async fn set_implemented(&self, id: i32, at: DateTime<Utc>) -> Result<Model> {
        let at = DbDateTime(super::changes::stored_precision(at));
        let update =
            Entity::update_many().col_expr(Column::ImplementationTimestamp, Expr::value(at));
        store::update_one_returning(&self.db, id, update).await
    }
}
