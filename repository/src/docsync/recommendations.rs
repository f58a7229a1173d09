//! Recommendations (`recommendations`, `recommendation_document_map`): create one with its
//! documents and inconsistencies (which move to `InRecommendation` in the same transaction),
//! move it from `Active` to `Accepted` / `Rejected` / `Amended` / `Invalidated` (nothing else),
//! record the developer's feedback, invalidate those made stale by later document changes, and
//! the 7-day purge ([`RecommendationRepository::purge_older_than`], see [`super::purge`]).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::docsync::recommendations::{ActiveModel, Column, Entity, Model};
use entity::docsync::sea_orm_active_enums::{InconsistencyStatus, RecommendationStatus};
use entity::docsync::{inconsistency_records, recommendation_document_map};
use entity::{DbDateTime, DbJson, DbUuid};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::inconsistencies::{CHUNK, MAX_DOCUMENTS, check_document_ids};
use super::purge::{PurgeReport, purge};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "recommendation";
}

/// Longest title accepted, in characters.
pub const MAX_TITLE_LEN: usize = 1_000;
/// Longest developer feedback accepted, in characters.
pub const MAX_FEEDBACK_LEN: usize = 100_000;
/// Largest `suggested_changes` accepted, as JSON text, in bytes.
pub const MAX_CHANGES_LEN: usize = 10_000_000;

/// A recommendation to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRecommendation {
    /// What it recommends, in a line (not empty).
    pub title: String,
    /// The structured changes it suggests (a JSON object or array).
    pub suggested_changes: JsonValue,
    /// The documents it affects (repeats are ignored).
    pub document_ids: Vec<i32>,
    /// The `Pending` inconsistencies it covers: they move to `InRecommendation`.
    pub inconsistency_ids: Vec<DbUuid>,
    /// The last codebase change it was made against; documents changed after it make it stale
    /// (when `None`, its creation time is used).
    pub last_codebase_change_timestamp: Option<DateTime<Utc>>,
}

impl NewRecommendation {
    /// A recommendation titled `title` suggesting `changes`, affecting `document_ids` and
    /// covering `inconsistency_ids`.
    #[must_use]
    pub fn new(
        title: impl Into<String>,
        changes: JsonValue,
        document_ids: Vec<i32>,
        inconsistency_ids: Vec<DbUuid>,
    ) -> Self {
        Self {
            title: title.into(),
            suggested_changes: changes,
            document_ids,
            inconsistency_ids,
            last_codebase_change_timestamp: None,
        }
    }

    /// The same recommendation, made against the codebase as it was at `at`.
    #[must_use]
    pub const fn as_of(mut self, at: DateTime<Utc>) -> Self {
        self.last_codebase_change_timestamp = Some(at);
        self
    }

    /// Check the fields: title not empty and short enough, changes a JSON object or array of
    /// at most [`MAX_CHANGES_LEN`] bytes, at most [`MAX_DOCUMENTS`] documents (positive ids)
    /// and inconsistencies.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the field.
    pub fn validate(&self) -> Result<()> {
        validate::text("title", &self.title, MAX_TITLE_LEN)?;
        if !(self.suggested_changes.is_object() || self.suggested_changes.is_array()) {
            return Err(Error::validation(
                "suggested_changes",
                "must be a JSON object or array",
                "another JSON value",
            ));
        }
        let len = self.suggested_changes.to_string().len();
        if len > MAX_CHANGES_LEN {
            return Err(Error::validation(
                "suggested_changes",
                format!("must be at most {MAX_CHANGES_LEN} bytes of JSON"),
                format!("{len} bytes"),
            ));
        }
        check_document_ids("document_ids", &self.document_ids)?;
        if self.inconsistency_ids.len() > MAX_DOCUMENTS {
            return Err(Error::validation(
                "inconsistency_ids",
                format!("must hold at most {MAX_DOCUMENTS} ids"),
                self.inconsistency_ids.len(),
            ));
        }
        Ok(())
    }
}

/// Whether the lifecycle allows `from` → `to`: only out of `Active`, to any other status.
#[must_use]
pub const fn recommendation_move_allowed(
    from: RecommendationStatus,
    to: RecommendationStatus,
) -> bool {
    matches!(from, RecommendationStatus::Active) && !matches!(to, RecommendationStatus::Active)
}

/// Recommendations.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RecommendationRepository: Send + Sync {
    /// Record a recommendation (`Active`, created now) with its documents, and move its
    /// inconsistencies from `Pending` to `InRecommendation` (pointing at it), all in one
    /// transaction.
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`NewRecommendation::validate`]); [`Error::NotFound`] for an
    /// inconsistency that does not exist and [`Error::Transition`] for one that is not
    /// `Pending` (nothing written); [`Error::Conflict`] when a document does not exist;
    /// [`Error::Db`].
    async fn create(&self, new: NewRecommendation) -> Result<Model>;

    /// The recommendation with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, id: DbUuid) -> Result<Model>;

    /// The ids of the documents it affects, in order.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn documents(&self, id: DbUuid) -> Result<Vec<i32>>;

    /// The inconsistencies it covers, oldest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn inconsistencies(&self, id: DbUuid) -> Result<Vec<inconsistency_records::Model>>;

    /// A page of the recommendations (of one status, if given), newest first (ties by id).
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn list(&self, status: Option<RecommendationStatus>, page: Page) -> Result<Vec<Model>>;

    /// Move an `Active` recommendation to `to` (`Accepted`, `Rejected`, `Amended` or
    /// `Invalidated`); returns the row. One conditional statement: of two concurrent moves, one
    /// wins.
    ///
    /// # Errors
    /// [`Error::Transition`] for any other move (nothing written); [`Error::NotFound`];
    /// [`Error::Db`].
    async fn set_status(&self, id: DbUuid, to: RecommendationStatus) -> Result<Model>;

    /// Record (or replace) the developer's feedback; returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`] for empty or too long feedback; [`Error::NotFound`]; [`Error::Db`].
    async fn set_feedback(&self, id: DbUuid, feedback: String) -> Result<Model>;

    /// Invalidate every `Active` recommendation affecting a document modified after its
    /// `last_codebase_change_timestamp` (its creation time when unset), in one statement;
    /// returns their ids.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn invalidate_stale(&self) -> Result<Vec<DbUuid>>;

    /// The 7-day purge (seed 002's task 7): delete recommendations created before `cutoff`
    /// and decisions made before it (and those of the purged recommendations); the purged
    /// recommendations' `InRecommendation` inconsistencies return to `Pending`. One transaction.
    ///
    /// # Errors
    /// [`Error::Db`] (nothing purged).
    async fn purge_older_than(&self, cutoff: DateTime<Utc>) -> Result<PurgeReport>;
}

crate::store! {
    /// [`RecommendationRepository`] on SeaORM.
    pub struct RecommendationStore;
}

/// Why `ids` could not all move from `Pending` to the recommendation `rec` (inside its
/// transaction, where those that did move already point at it): the first that does not exist
/// ([`Error::NotFound`]) or had another status ([`Error::Transition`]).
async fn first_unmovable<C: ConnectionTrait>(db: &C, rec: DbUuid, ids: &BTreeSet<DbUuid>) -> Error {
    for id in ids {
        match store::get::<inconsistency_records::Entity, _, _>(db, *id).await {
            Ok(row) if row.recommendation_id == Some(rec) => {}
            Ok(row) => {
                return Error::Transition {
                    entity: "inconsistency",
                    key: id.to_string(),
                    from: row.status.to_value(),
                    to: InconsistencyStatus::InRecommendation.to_value(),
                };
            }
            Err(e) => return e,
        }
    }
    Error::Conflict("an inconsistency changed while the recommendation was recorded".to_owned())
}

#[async_trait]
impl<C: Db> RecommendationRepository for RecommendationStore<C> {
    #[instrument(skip_all, fields(db.table = "recommendations", db.rows = new.document_ids.len()))]
    async fn create(&self, new: NewRecommendation) -> Result<Model> {
        new.validate()?;
        let id = DbUuid::new_v4();
        let docs: Vec<i32> = new
            .document_ids
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let inconsistencies: BTreeSet<DbUuid> = new.inconsistency_ids.iter().copied().collect();
        let txn = begin_write(&self.db).await?;
        Entity::insert(ActiveModel {
            id: Set(id),
            creation_timestamp: Set(entity::behavior::now()),
            title: Set(new.title),
            suggested_changes: Set(DbJson(new.suggested_changes)),
            status: Set(RecommendationStatus::Active),
            developer_feedback: Set(None),
            last_codebase_change_timestamp: Set(new
                .last_codebase_change_timestamp
                .map(|at| DbDateTime(super::changes::stored_precision(at)))),
        })
        .exec_without_returning(&txn)
        .await?;
        for part in docs.chunks(CHUNK) {
            recommendation_document_map::Entity::insert_many(part.iter().map(|doc| {
                recommendation_document_map::ActiveModel {
                    recommendation_id: Set(id),
                    document_id: Set(*doc),
                }
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        let wanted: Vec<DbUuid> = inconsistencies.iter().copied().collect();
        let mut moved = 0;
        for part in wanted.chunks(CHUNK) {
            moved += inconsistency_records::Entity::update_many()
                .col_expr(
                    inconsistency_records::Column::Status,
                    Expr::value(InconsistencyStatus::InRecommendation),
                )
                .col_expr(
                    inconsistency_records::Column::RecommendationId,
                    // A bound UUID is text: cast to `uuid` on PostgreSQL, as SeaORM does for
                    // its own writes.
                    inconsistency_records::Column::RecommendationId.save_as(Expr::value(id)),
                )
                .filter(inconsistency_records::Column::Id.is_in(part.iter().copied()))
                .filter(inconsistency_records::Column::Status.eq(InconsistencyStatus::Pending))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        if moved != wanted.len() as u64 {
            let err = first_unmovable(&txn, id, &inconsistencies).await;
            txn.rollback().await?;
            return Err(err);
        }
        let row = store::get::<Entity, _, _>(&txn, id).await?;
        txn.commit().await?;
        Ok(row)
    }

    #[instrument(skip_all, fields(db.table = "recommendations"))]
    async fn get(&self, id: DbUuid) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, id).await
    }

    #[instrument(skip_all, fields(db.table = "recommendation_document_map"))]
    async fn documents(&self, id: DbUuid) -> Result<Vec<i32>> {
        Ok(recommendation_document_map::Entity::find()
            .select_only()
            .column(recommendation_document_map::Column::DocumentId)
            .filter(recommendation_document_map::Column::RecommendationId.eq(id))
            .order_by_asc(recommendation_document_map::Column::DocumentId)
            .into_tuple::<i32>()
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "inconsistency_records"))]
    async fn inconsistencies(&self, id: DbUuid) -> Result<Vec<inconsistency_records::Model>> {
        Ok(inconsistency_records::Entity::find()
            .filter(inconsistency_records::Column::RecommendationId.eq(id))
            .order_by_asc(inconsistency_records::Column::Timestamp)
            .order_by_asc(inconsistency_records::Column::Id)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "recommendations"))]
    async fn list(&self, status: Option<RecommendationStatus>, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        let mut query = Entity::find();
        if let Some(status) = status {
            query = query.filter(Column::Status.eq(status));
        }
        Ok(query
            .order_by_desc(Column::CreationTimestamp)
            .order_by_asc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "recommendations"))]
    async fn set_status(&self, id: DbUuid, to: RecommendationStatus) -> Result<Model> {
        if to == RecommendationStatus::Active {
            return Err(refused_recommendation_move(&self.db, id, to).await);
        }
        let update = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(RecommendationStatus::Active));
        match store::update_returning(&self.db, update).await? {
            Some(row) => Ok(row),
            None => Err(refused_recommendation_move(&self.db, id, to).await),
        }
    }

    #[instrument(skip_all, fields(db.table = "recommendations"))]
    async fn set_feedback(&self, id: DbUuid, feedback: String) -> Result<Model> {
        validate::text("developer_feedback", &feedback, MAX_FEEDBACK_LEN)?;
        let update =
            Entity::update_many().col_expr(Column::DeveloperFeedback, Expr::value(feedback));
        store::update_one_returning(&self.db, id, update).await
    }

    #[instrument(skip_all, fields(db.table = "recommendations", db.rows))]
    async fn invalidate_stale(&self) -> Result<Vec<DbUuid>> {
        // Constant text (no input); timestamps compare as timestamptz on PostgreSQL and as
        // SQLite's one timestamp text shape on SQLite.
        let sql = "UPDATE recommendations SET status = 'Invalidated' \
                   WHERE status = 'Active' AND EXISTS ( \
                       SELECT 1 FROM recommendation_document_map m \
                       JOIN document_references d ON d.id = m.document_id \
                       WHERE m.recommendation_id = recommendations.id \
                       AND d.last_modified > COALESCE( \
                           recommendations.last_codebase_change_timestamp, \
                           recommendations.creation_timestamp)) \
                   RETURNING id";
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await?;
        let mut ids = rows
            .iter()
            .map(|row| row.try_get::<DbUuid>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort();
        tracing::Span::current().record("db.rows", ids.len());
        Ok(ids)
    }

    #[instrument(skip_all, fields(db.table = "recommendations"))]
    async fn purge_older_than(&self, cutoff: DateTime<Utc>) -> Result<PurgeReport> {
        purge(&self.db, cutoff).await
    }
}

/// [`Error::Transition`] for a refused move of the recommendation `id`, or [`Error::NotFound`].
pub(crate) async fn refused_recommendation_move<C: ConnectionTrait>(
    db: &C,
    id: DbUuid,
    to: RecommendationStatus,
) -> Error {
    match store::get::<Entity, _, _>(db, id).await {
        Ok(row) => Error::Transition {
            entity: Entity::ROW,
            key: id.to_string(),
            from: row.status.to_value(),
            to: to.to_value(),
        },
        Err(e) => e,
    }
}
