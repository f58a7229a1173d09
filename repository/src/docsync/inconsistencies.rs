//! Inconsistencies (`inconsistency_records` and `inconsistency_document_map`): create one with
//! its affected documents in one transaction, list them by status, severity and time, and move
//! them along their lifecycle: `Pending` → `InRecommendation` → `Resolved`, nothing else (a
//! recommendation moves its inconsistencies to `InRecommendation`, see
//! [`super::RecommendationRepository::create`]; the purge returns them to `Pending`, see
//! [`super::RecommendationRepository::purge_older_than`]).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::docsync::inconsistency_document_map;
use entity::docsync::inconsistency_records::{ActiveModel, Column, Entity, Model};
use entity::docsync::sea_orm_active_enums::{InconsistencyStatus, InconsistencyType, Severity};
use entity::{DbDateTime, DbUuid};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "inconsistency";
}

/// Longest description or suggested resolution accepted, in characters.
pub const MAX_DESCRIPTION_LEN: usize = 100_000;
/// Most documents one inconsistency (or recommendation) may name.
pub const MAX_DOCUMENTS: usize = 10_000;
/// Values per `IN (…)` list and rows per INSERT: far under both backends' bind limits.
pub(crate) const CHUNK: usize = 1_000;

/// An inconsistency to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInconsistency {
    /// How bad it is.
    pub severity: Severity,
    /// Between what it was found.
    pub kind: InconsistencyType,
    /// What is inconsistent (not empty).
    pub description: String,
    /// How to resolve it, if known.
    pub suggested_resolution: Option<String>,
    /// The documents it affects (ids of `document_references`; repeats are ignored).
    pub document_ids: Vec<i32>,
}

impl NewInconsistency {
    /// An inconsistency of `kind` and `severity` affecting `document_ids`.
    #[must_use]
    pub fn new(
        severity: Severity,
        kind: InconsistencyType,
        description: impl Into<String>,
        document_ids: Vec<i32>,
    ) -> Self {
        Self {
            severity,
            kind,
            description: description.into(),
            suggested_resolution: None,
            document_ids,
        }
    }

    /// The same inconsistency with a suggested resolution.
    #[must_use]
    pub fn with_resolution(mut self, resolution: impl Into<String>) -> Self {
        self.suggested_resolution = Some(resolution.into());
        self
    }

    /// Check the fields: description (and resolution) not empty and short enough, at most
    /// [`MAX_DOCUMENTS`] document ids, each positive.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the field.
    pub fn validate(&self) -> Result<()> {
        validate::text("description", &self.description, MAX_DESCRIPTION_LEN)?;
        validate::opt_text(
            "suggested_resolution",
            self.suggested_resolution.as_deref(),
            MAX_DESCRIPTION_LEN,
        )?;
        check_document_ids("document_ids", &self.document_ids)
    }
}

/// At most [`MAX_DOCUMENTS`] ids, each positive.
pub(crate) fn check_document_ids(field: &str, ids: &[i32]) -> Result<()> {
    if ids.len() > MAX_DOCUMENTS {
        return Err(Error::validation(
            field,
            format!("must hold at most {MAX_DOCUMENTS} ids"),
            ids.len(),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        validate::range_i64(&format!("{field}[{i}]"), (*id).into(), 1, i32::MAX.into())?;
    }
    Ok(())
}

/// Which inconsistencies [`InconsistencyRepository::list`] returns: every condition given must
/// hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InconsistencyFilter {
    /// Only this status.
    pub status: Option<InconsistencyStatus>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only those detected at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only those detected before this time.
    pub to: Option<DateTime<Utc>>,
}

impl InconsistencyFilter {
    /// Only `status`.
    #[must_use]
    pub const fn status(status: InconsistencyStatus) -> Self {
        Self {
            status: Some(status),
            severity: None,
            from: None,
            to: None,
        }
    }
}

/// Whether the lifecycle allows `from` → `to`.
#[must_use]
pub const fn inconsistency_move_allowed(
    from: InconsistencyStatus,
    to: InconsistencyStatus,
) -> bool {
    matches!(
        (from, to),
        (
            InconsistencyStatus::Pending,
            InconsistencyStatus::InRecommendation
        ) | (
            InconsistencyStatus::InRecommendation,
            InconsistencyStatus::Resolved
        )
    )
}

/// Inconsistencies.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait InconsistencyRepository: Send + Sync {
    /// Record an inconsistency (`Pending`, detected now) with its affected documents, in one
    /// transaction.
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`NewInconsistency::validate`]); [`Error::Conflict`] when a
    /// document does not exist (nothing written); [`Error::Db`].
    async fn create(&self, new: NewInconsistency) -> Result<Model>;

    /// The inconsistency with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, id: DbUuid) -> Result<Model>;

    /// The ids of the documents it affects, in order.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn documents(&self, id: DbUuid) -> Result<Vec<i32>>;

    /// A page of the inconsistencies `filter` lets through, newest first (ties by id).
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or `from` after `to`; [`Error::Db`].
    async fn list(&self, filter: InconsistencyFilter, page: Page) -> Result<Vec<Model>>;

    /// Move an inconsistency to `to` (`Pending` → `InRecommendation` → `Resolved`); returns the
    /// row. One conditional statement: of two concurrent moves, one wins.
    ///
    /// # Errors
    /// [`Error::Transition`] for any other move (nothing written); [`Error::NotFound`];
    /// [`Error::Db`].
    async fn set_status(&self, id: DbUuid, to: InconsistencyStatus) -> Result<Model>;

    /// How many inconsistencies have this status.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn count_by_status(&self, status: InconsistencyStatus) -> Result<u64>;
}

crate::store! {
    /// [`InconsistencyRepository`] on SeaORM.
    pub struct InconsistencyStore;
}

/// Insert the map rows `(owner, document)` of `ids` through `insert` in chunks.
pub(crate) async fn insert_inconsistency_docs<C: ConnectionTrait>(
    db: &C,
    id: DbUuid,
    ids: &BTreeSet<i32>,
) -> Result<()> {
    let ids: Vec<i32> = ids.iter().copied().collect();
    for part in ids.chunks(CHUNK) {
        inconsistency_document_map::Entity::insert_many(part.iter().map(|doc| {
            inconsistency_document_map::ActiveModel {
                inconsistency_id: Set(id),
                document_id: Set(*doc),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// [`Error::Transition`] for a refused move of the inconsistency `id`, or [`Error::NotFound`]
/// when it does not exist.
pub(crate) async fn refused_move<C: ConnectionTrait>(
    db: &C,
    id: DbUuid,
    to: InconsistencyStatus,
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

#[async_trait]
impl<C: Db> InconsistencyRepository for InconsistencyStore<C> {
    #[instrument(skip_all, fields(db.table = "inconsistency_records", db.rows = new.document_ids.len()))]
    async fn create(&self, new: NewInconsistency) -> Result<Model> {
        new.validate()?;
        let id = DbUuid::new_v4();
        let docs: BTreeSet<i32> = new.document_ids.iter().copied().collect();
        let txn = begin_write(&self.db).await?;
        Entity::insert(ActiveModel {
            id: Set(id),
            timestamp: Set(entity::behavior::now()),
            severity: Set(new.severity),
            r#type: Set(new.kind),
            description: Set(new.description),
            suggested_resolution: Set(new.suggested_resolution),
            status: Set(InconsistencyStatus::Pending),
            recommendation_id: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        insert_inconsistency_docs(&txn, id, &docs).await?;
        let row = store::get::<Entity, _, _>(&txn, id).await?;
        txn.commit().await?;
        Ok(row)
    }

    #[instrument(skip_all, fields(db.table = "inconsistency_records"))]
    async fn get(&self, id: DbUuid) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, id).await
    }

    #[instrument(skip_all, fields(db.table = "inconsistency_document_map"))]
    async fn documents(&self, id: DbUuid) -> Result<Vec<i32>> {
        Ok(inconsistency_document_map::Entity::find()
            .select_only()
            .column(inconsistency_document_map::Column::DocumentId)
            .filter(inconsistency_document_map::Column::InconsistencyId.eq(id))
            .order_by_asc(inconsistency_document_map::Column::DocumentId)
            .into_tuple::<i32>()
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "inconsistency_records"))]
    async fn list(&self, filter: InconsistencyFilter, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(Error::validation("from", "must not be after `to`", from));
        }
        let mut query = Entity::find();
        if let Some(status) = filter.status {
            query = query.filter(Column::Status.eq(status));
        }
        if let Some(severity) = filter.severity {
            query = query.filter(Column::Severity.eq(severity));
        }
        if let Some(from) = filter.from {
            query = query.filter(Column::Timestamp.gte(DbDateTime::from(from)));
        }
        if let Some(to) = filter.to {
            query = query.filter(Column::Timestamp.lt(DbDateTime::from(to)));
        }
        Ok(query
            .order_by_desc(Column::Timestamp)
            .order_by_asc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "inconsistency_records"))]
    async fn set_status(&self, id: DbUuid, to: InconsistencyStatus) -> Result<Model> {
        let from = match to {
            InconsistencyStatus::InRecommendation => Some(InconsistencyStatus::Pending),
            InconsistencyStatus::Resolved => Some(InconsistencyStatus::InRecommendation),
            InconsistencyStatus::Pending => None,
        };
        let Some(from) = from else {
            return Err(refused_move(&self.db, id, to).await);
        };
        let update = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(from));
        match store::update_returning(&self.db, update).await? {
            Some(row) => Ok(row),
            None => Err(refused_move(&self.db, id, to).await),
        }
    }

    #[instrument(skip_all, fields(db.table = "inconsistency_records"))]
    async fn count_by_status(&self, status: InconsistencyStatus) -> Result<u64> {
        Ok(Entity::find()
            .filter(Column::Status.eq(status))
            .count(&self.db)
            .await?)
    }
}
