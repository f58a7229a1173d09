//! The content catalog (`content_metadata`): create, dedup on ingest, list, status transitions,
//! access counting, delete.

use async_trait::async_trait;
use entity::behavior::now;
use entity::knowledge::content_metadata::{ActiveModel, Column, Entity, Model};
use entity::knowledge::sea_orm_active_enums::ProcessingStatus;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::documents::ProcessedDocument;
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{ContentHash, HttpUrl};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "content";
}

/// A document to add to the catalog, with no accesses yet. New documents usually start
/// `pending`; an import of an already-processed catalog may start them `completed`.
///
/// [`NewContent::new`] takes the required fields and gives the rest the seed's column defaults;
/// the `with_*` methods set the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewContent {
    /// Unique id of the document.
    pub content_id: String,
    /// Title.
    pub title: String,
    /// Where it came from.
    pub source_url: HttpUrl,
    /// Technology it documents (`rust`, `react`, …).
    pub technology: String,
    /// SHA-256 of the content, unique across the catalog.
    pub content_hash: ContentHash,
    /// Words in the document.
    pub word_count: i32,
    /// Headings in the document.
    pub heading_count: i32,
    /// Code blocks in the document.
    pub code_block_count: i32,
    /// Chunks the document was split into.
    pub chunk_count: i32,
    /// Quality, 0.0 to 1.0.
    pub quality_score: f64,
    /// Freshness, 0.0 to 1.0.
    pub freshness_score: f64,
    /// AnythingLLM workspace it was uploaded to, if any.
    pub anythingllm_workspace: Option<String>,
    /// AnythingLLM document id, if any.
    pub anythingllm_document_id: Option<String>,
    /// Initial processing status (default `pending`).
    #[serde(default = "pending")]
    pub processing_status: ProcessingStatus,
}

const fn pending() -> ProcessingStatus {
    ProcessingStatus::Pending
}

impl NewContent {
    /// A document with the seed's defaults for everything but the required fields: no words,
    /// headings, code blocks or chunks counted, quality 0.0, freshness 1.0, status `pending`, not
    /// uploaded to AnythingLLM.
    #[must_use]
    pub fn new(
        content_id: impl Into<String>,
        title: impl Into<String>,
        source_url: HttpUrl,
        technology: impl Into<String>,
        content_hash: ContentHash,
    ) -> Self {
        Self {
            content_id: content_id.into(),
            title: title.into(),
            source_url,
            technology: technology.into(),
            content_hash,
            word_count: 0,
            heading_count: 0,
            code_block_count: 0,
            chunk_count: 0,
            quality_score: 0.0,
            freshness_score: 1.0,
            anythingllm_workspace: None,
            anythingllm_document_id: None,
            processing_status: ProcessingStatus::Pending,
        }
    }

    /// With these counts of words, headings, code blocks and chunks.
    #[must_use]
    pub const fn with_counts(
        mut self,
        words: i32,
        headings: i32,
        code_blocks: i32,
        chunks: i32,
    ) -> Self {
        self.word_count = words;
        self.heading_count = headings;
        self.code_block_count = code_blocks;
        self.chunk_count = chunks;
        self
    }

    /// With this quality score (0.0 to 1.0).
    #[must_use]
    pub const fn with_quality_score(mut self, quality: f64) -> Self {
        self.quality_score = quality;
        self
    }

    /// With this freshness score (0.0 to 1.0).
    #[must_use]
    pub const fn with_freshness_score(mut self, freshness: f64) -> Self {
        self.freshness_score = freshness;
        self
    }

    /// Starting in `status` rather than `pending`.
    #[must_use]
    pub const fn with_status(mut self, status: ProcessingStatus) -> Self {
        self.processing_status = status;
        self
    }

    /// Uploaded to this AnythingLLM workspace as this document.
    #[must_use]
    pub fn with_anythingllm(
        mut self,
        workspace: impl Into<String>,
        document_id: impl Into<String>,
    ) -> Self {
        self.anythingllm_workspace = Some(workspace.into());
        self.anythingllm_document_id = Some(document_id.into());
        self
    }

    /// Check every field against the seed's rules (the URL and the hash are valid by type).
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("content_id", &self.content_id, validate::MAX_KEY_LEN)?;
        validate::text("title", &self.title, 1000)?;
        validate::text("technology", &self.technology, 100)?;
        validate::non_negative("word_count", self.word_count.into())?;
        validate::non_negative("heading_count", self.heading_count.into())?;
        validate::non_negative("code_block_count", self.code_block_count.into())?;
        validate::non_negative("chunk_count", self.chunk_count.into())?;
        validate::range_f64("quality_score", self.quality_score, 0.0, 1.0)?;
        validate::range_f64("freshness_score", self.freshness_score, 0.0, 1.0)?;
        validate::opt_text(
            "anythingllm_workspace",
            self.anythingllm_workspace.as_deref(),
            validate::MAX_KEY_LEN,
        )?;
        validate::opt_text(
            "anythingllm_document_id",
            self.anythingllm_document_id.as_deref(),
            validate::MAX_KEY_LEN,
        )
    }

    fn into_active_model(self) -> ActiveModel {
        let at = now();
        ActiveModel {
            content_id: Set(self.content_id),
            title: Set(self.title),
            source_url: Set(self.source_url.into_string()),
            technology: Set(self.technology),
            content_hash: Set(self.content_hash.into_string()),
            word_count: Set(self.word_count),
            heading_count: Set(self.heading_count),
            code_block_count: Set(self.code_block_count),
            chunk_count: Set(self.chunk_count),
            quality_score: Set(self.quality_score),
            freshness_score: Set(self.freshness_score),
            processing_status: Set(self.processing_status),
            anythingllm_workspace: Set(self.anythingllm_workspace),
            anythingllm_document_id: Set(self.anythingllm_document_id),
            created_at: Set(at),
            updated_at: Set(at),
            last_accessed_at: Set(None),
            access_count: Set(0),
        }
    }
}

/// Columns bound per `content_metadata` row by an insert.
const CONTENT_COLUMNS: usize = 18;

/// Which rows a listing returns. Every field narrows; `Default` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContentFilter {
    /// Only this technology.
    pub technology: Option<String>,
    /// Only this processing status.
    pub status: Option<ProcessingStatus>,
    /// Only rows with `quality_score >= min_quality`.
    pub min_quality: Option<f64>,
}

/// The order of a listing (ties broken by `content_id`, so pages never overlap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContentOrder {
    /// Best quality first.
    #[default]
    QualityDesc,
    /// Newest first.
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// Most accessed first.
    AccessCountDesc,
    /// Most recently accessed first (never-accessed last).
    LastAccessedDesc,
}

/// Whether `from -> to` is an allowed processing-status transition.
///
/// `pending -> processing -> completed | failed | flagged`; `failed -> pending | processing` (retry);
/// `completed -> processing` (re-process) or `flagged` (a reader flags it); `flagged -> pending |
/// completed` (after review); `processing -> pending` (requeue after a crash).
#[must_use]
pub fn transition_allowed(from: ProcessingStatus, to: ProcessingStatus) -> bool {
    use ProcessingStatus::{Completed, Failed, Flagged, Pending, Processing};
    matches!(
        (from, to),
        (Pending, Processing | Failed | Flagged)
            | (Processing, Completed | Failed | Flagged | Pending)
            | (Completed, Processing | Flagged)
            | (Failed, Pending | Processing)
            | (Flagged, Pending | Completed)
    )
}

/// The content catalog.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ContentRepository: Send + Sync {
    /// Add a document.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input; [`Error::Conflict`] when the id or the hash exists.
    async fn create(&self, new: NewContent) -> Result<Model>;

    /// Add many documents in one transaction (all or none), in as few statements as the
    /// backend's bind-parameter limit allows. Returns how many rows were inserted.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first bad document (by position) before anything is
    /// written; [`Error::Conflict`] when any id or hash exists (nothing is inserted then).
    async fn create_many(&self, docs: Vec<NewContent>) -> Result<u64>;

    /// Add a document unless one with the same `content_hash` exists, in which case that one is
    /// returned. The flag says whether a row was created.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input; [`Error::Conflict`] when the id exists with another hash.
    async fn ingest(&self, new: NewContent) -> Result<(Model, bool)>;

    /// The document with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn get(&self, content_id: &str) -> Result<Model>;

    /// The document with this content hash, if any.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn find_by_hash(&self, content_hash: &str) -> Result<Option<Model>>;

    /// One page of documents matching `filter`, in `order`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or filter.
    async fn list(
        &self,
        filter: ContentFilter,
        order: ContentOrder,
        page: Page,
    ) -> Result<Vec<Model>>;

    /// How many documents match `filter`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad filter.
    async fn count(&self, filter: ContentFilter) -> Result<u64>;

    /// Move a document to `to`, if [`transition_allowed`] from its current status. Atomic: a
    /// concurrent change makes this fail rather than skip a state.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Validation`] for a transition that is not allowed.
    async fn update_status(&self, content_id: &str, to: ProcessingStatus) -> Result<Model>;

    /// Count one access: `access_count + 1` and `last_accessed_at = now`, in one statement.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn record_access(&self, content_id: &str) -> Result<()>;

    /// Delete a document; its feedback events and usage signals go with it (ON DELETE CASCADE).
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn delete(&self, content_id: &str) -> Result<()>;

    /// Store a processed document: its `content_metadata` row (inserted, or updated when the id
    /// exists) with the counts derived from the document, `chunk_count` from its chunks and status
    /// `completed`, in one transaction.
    ///
    /// # Errors
    /// [`Error::Validation`] for an invalid document or an incompatible `model_version`;
    /// [`Error::Conflict`] when another document already has the same content hash.
    async fn store_processed(&self, document: &ProcessedDocument) -> Result<Model>;
}

crate::store! {
    /// [`ContentRepository`] on SeaORM.
    pub struct ContentStore;
}

fn apply_filter(filter: &ContentFilter) -> Result<sea_orm::Condition> {
    let mut cond = sea_orm::Condition::all();
    if let Some(t) = &filter.technology {
        validate::text("technology", t, 100)?;
        cond = cond.add(Column::Technology.eq(t.as_str()));
    }
    if let Some(s) = filter.status {
        cond = cond.add(Column::ProcessingStatus.eq(s));
    }
    if let Some(q) = filter.min_quality {
        validate::range_f64("min_quality", q, 0.0, 1.0)?;
        cond = cond.add(Column::QualityScore.gte(q));
    }
    Ok(cond)
}

#[async_trait]
impl<C: Db> ContentRepository for ContentStore<C> {
    #[instrument(skip_all, fields(db.table = "content_metadata"))]
    async fn create(&self, new: NewContent) -> Result<Model> {
        new.validate()?;
        Ok(new.into_active_model().insert(&self.db).await?)
    }

    #[instrument(skip_all, fields(db.table = "content_metadata", db.rows = docs.len()))]
    async fn create_many(&self, docs: Vec<NewContent>) -> Result<u64> {
        store::validate_batch("docs", &docs, NewContent::validate)?;
        if docs.is_empty() {
            return Ok(0);
        }
        let rows_per_statement =
            crate::bulk::rows_per_statement(self.db.get_database_backend(), CONTENT_COLUMNS);
        let total = docs.len() as u64;
        let txn = begin_write(&self.db).await?;
        let mut docs = docs.into_iter().peekable();
        while docs.peek().is_some() {
            let chunk: Vec<ActiveModel> = docs
                .by_ref()
                .take(rows_per_statement)
                .map(NewContent::into_active_model)
                .collect();
            Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(total)
    }

    #[instrument(skip_all, fields(db.table = "content_metadata", content.created))]
    async fn ingest(&self, new: NewContent) -> Result<(Model, bool)> {
        new.validate()?;
        if let Some(existing) = self.find_by_hash(new.content_hash.as_str()).await? {
            tracing::Span::current().record("content.created", false);
            return Ok((existing, false));
        }
        let hash = new.content_hash.clone();
        match new
            .into_active_model()
            .insert(&self.db)
            .await
            .map_err(Error::from)
        {
            Ok(model) => {
                tracing::Span::current().record("content.created", true);
                Ok((model, true))
            }
            // Lost a race with a concurrent ingest of the same content: return the winner.
            Err(Error::Conflict(msg)) => match self.find_by_hash(hash.as_str()).await? {
                Some(existing) => Ok((existing, false)),
                None => Err(Error::Conflict(msg)),
            },
            Err(e) => Err(e),
        }
    }

    #[instrument(skip_all, fields(db.table = "content_metadata"))]
    async fn get(&self, content_id: &str) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, content_id).await
    }

    #[instrument(skip_all, fields(db.table = "content_metadata"))]
    async fn find_by_hash(&self, content_hash: &str) -> Result<Option<Model>> {
        Ok(Entity::find()
            .filter(Column::ContentHash.eq(content_hash))
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "content_metadata", db.limit = page.limit, db.offset = page.offset))]
    async fn list(
        &self,
        filter: ContentFilter,
        order: ContentOrder,
        page: Page,
    ) -> Result<Vec<Model>> {
        let page = page.validate()?;
        let mut query = Entity::find().filter(apply_filter(&filter)?);
        query = match order {
            ContentOrder::QualityDesc => query.order_by_desc(Column::QualityScore),
            ContentOrder::CreatedDesc => query.order_by_desc(Column::CreatedAt),
            ContentOrder::CreatedAsc => query.order_by_asc(Column::CreatedAt),
            ContentOrder::AccessCountDesc => query.order_by_desc(Column::AccessCount),
            ContentOrder::LastAccessedDesc => query
                .order_by_asc(Expr::col(Column::LastAccessedAt).is_null())
                .order_by_desc(Column::LastAccessedAt),
        };
        Ok(query
            .order_by_asc(Column::ContentId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "content_metadata"))]
    async fn count(&self, filter: ContentFilter) -> Result<u64> {
        Ok(Entity::find()
            .filter(apply_filter(&filter)?)
            .count(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "content_metadata"))]
    async fn update_status(&self, content_id: &str, to: ProcessingStatus) -> Result<Model> {
        use sea_orm::Iterable;
        let allowed_from: Vec<ProcessingStatus> = ProcessingStatus::iter()
            .filter(|from| transition_allowed(*from, to))
            .collect();
        // One statement: the status is checked and changed atomically.
        let update = Entity::update_many()
            .col_expr(Column::ProcessingStatus, Expr::value(to))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(store::key_condition::<Entity>(content_id))
            .filter(Column::ProcessingStatus.is_in(allowed_from));
        if let Some(updated) = store::update_returning(&self.db, update).await? {
            return Ok(updated);
        }
        // Nothing changed: the row is missing (NotFound) or its status does not allow the move.
        let current = self.get(content_id).await?;
        Err(Error::validation(
            "processing_status",
            format!(
                "cannot move from {} to {}",
                current.processing_status.to_value_str(),
                to.to_value_str()
            ),
            to.to_value_str(),
        ))
    }

    #[instrument(skip_all, fields(db.table = "content_metadata"))]
    async fn record_access(&self, content_id: &str) -> Result<()> {
        let update = Entity::update_many()
            .col_expr(Column::AccessCount, Expr::col(Column::AccessCount).add(1))
            .col_expr(Column::LastAccessedAt, Expr::value(Some(now())));
        store::update_one(&self.db, content_id, update).await
    }

    #[instrument(skip_all, fields(db.table = "content_metadata", content.chunks = document.chunks.len()))]
    async fn store_processed(&self, document: &ProcessedDocument) -> Result<Model> {
        document.validate()?;
        let txn = begin_write(&self.db).await?;
        let meta = &document.metadata;
        let same_hash = Entity::find()
            .filter(Column::ContentHash.eq(&meta.content_hash))
            .one(&txn)
            .await?;
        if let Some(other) = same_hash.filter(|m| m.content_id != document.id) {
            return Err(Error::Conflict(format!(
                "content_hash is already stored under content_id {:?}",
                other.content_id
            )));
        }
        let at = now();
        let existing = Entity::find_by_id(document.id.as_str()).one(&txn).await?;
        let is_new = existing.is_none();
        let mut row = match existing {
            Some(existing) => existing.into_active_model(),
            None => ActiveModel {
                content_id: Set(document.id.clone()),
                freshness_score: Set(1.0),
                anythingllm_workspace: Set(None),
                anythingllm_document_id: Set(None),
                created_at: Set(document.created_at.into()),
                last_accessed_at: Set(None),
                access_count: Set(0),
                ..Default::default()
            },
        };
        row.title = Set(document.title.clone());
        row.source_url = Set(document.source_url.to_string());
        row.technology = Set(document.technology.clone());
        row.content_hash = Set(meta.content_hash.to_string());
        row.word_count = Set(meta.word_count);
        row.heading_count = Set(meta.heading_count);
        row.code_block_count = Set(meta.code_block_count);
        row.chunk_count = Set(i32::try_from(document.chunks.len()).unwrap_or(i32::MAX));
        row.quality_score = Set(document.quality_score);
        row.processing_status = Set(ProcessingStatus::Completed);
        row.updated_at = Set(at);
        let model = if is_new {
            row.insert(&txn).await?
        } else {
            row.update(&txn).await?
        };
        txn.commit().await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "content_metadata"))]
    async fn delete(&self, content_id: &str) -> Result<()> {
        store::delete_one::<Entity, _, _>(&self.db, content_id).await
    }
}

/// The string each status is stored as.
trait StoredStr {
    fn to_value_str(&self) -> String;
}

impl StoredStr for ProcessingStatus {
    fn to_value_str(&self) -> String {
        sea_orm::ActiveEnum::to_value(self)
    }
}
