//! Uploaded document metadata (`document_metadata`, seed 003): create on upload, look up by id
//! and by `chroma_id`, list by file type, status and session, move the processing status along
//! `pending → processing → completed | failed`, delete; and [`create_with_vectors`] /
//! [`delete_with_vectors`], which create and delete a document's row and its vectors together.
//!
//! The seed's table has no column for a processing error: moving a document to `failed` with a
//! message writes, in the same transaction, a `system_logs` record (level `ERROR`, logger
//! [`PROCESSING_LOGGER`], context `{"document_id": …}`) that
//! [`DocumentRepository::processing_error`] reads back.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use entity::assistant::document_metadata::{ActiveModel, Column, Entity, Model};
use entity::assistant::sea_orm_active_enums::LogLevel;
use entity::assistant::system_logs;
use entity::{DbJson, DbUuid};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;
use crate::vector::{CollectionName, Filter, MetadataValue, VectorRecord, VectorStore};

impl Table for Entity {
    const ROW: &'static str = "document";
}

/// `filename VARCHAR(255)`.
pub const MAX_FILENAME_LEN: usize = 255;
/// `file_type VARCHAR(50)`.
pub const MAX_FILE_TYPE_LEN: usize = 50;
/// `chroma_id VARCHAR(255)`.
pub const MAX_CHROMA_ID_LEN: usize = 255;
/// Longest processing error message kept, in characters.
pub const MAX_ERROR_LEN: usize = 10_000;
/// The `system_logs.logger` of processing errors.
pub const PROCESSING_LOGGER: &str = "assistant.document_processing";
/// The metadata key naming a vector's document (its `chroma_id`).
pub const DOCUMENT_ID_KEY: &str = "document_id";

/// `document_metadata.processing_status`: the seed's `VARCHAR(20) DEFAULT 'pending'`, whose
/// values it never lists; these four are the lifecycle the application writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStatus {
    /// Uploaded, not yet picked up (the column's default).
    Pending,
    /// Being parsed, chunked and embedded.
    Processing,
    /// Done: its vectors are stored.
    Completed,
    /// Processing failed (see [`DocumentRepository::processing_error`]).
    Failed,
}

impl ProcessingStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Processing,
        Self::Completed,
        Self::Failed,
    ];

    /// The stored text.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// The statuses a document may move to this one from (`pending → processing →
    /// completed | failed`); a NULL status counts as `pending`.
    #[must_use]
    pub const fn comes_from(self) -> &'static [Self] {
        match self {
            Self::Pending => &[],
            Self::Processing => &[Self::Pending],
            Self::Completed | Self::Failed => &[Self::Processing],
        }
    }
}

impl fmt::Display for ProcessingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProcessingStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                Error::validation(
                    "processing_status",
                    "must be one of pending, processing, completed, failed",
                    format!("{s:?}"),
                )
            })
    }
}

/// A document to record on upload (status `pending`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDocument {
    /// The uploaded file's name (1 to 255 characters).
    pub filename: String,
    /// Its type (`pdf`, `application/pdf`, …: 1 to 50 characters).
    pub file_type: String,
    /// Its size in bytes (zero or more).
    pub file_size: i64,
    /// Its id in the vector store (1 to 255 characters, unique), if already known.
    pub chroma_id: Option<String>,
    /// The uploading session, if known.
    pub user_session_id: Option<UuidText>,
}

impl NewDocument {
    /// A document of no session and no vector id yet.
    #[must_use]
    pub fn new(filename: impl Into<String>, file_type: impl Into<String>, file_size: i64) -> Self {
        Self {
            filename: filename.into(),
            file_type: file_type.into(),
            file_size,
            chroma_id: None,
            user_session_id: None,
        }
    }

    /// The same document, with its vector-store id.
    #[must_use]
    pub fn with_chroma_id(mut self, chroma_id: impl Into<String>) -> Self {
        self.chroma_id = Some(chroma_id.into());
        self
    }

    /// The same document, uploaded by `session`.
    #[must_use]
    pub const fn with_session(mut self, session: UuidText) -> Self {
        self.user_session_id = Some(session);
        self
    }

    /// The seed's column lengths, a size of zero or more.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("filename", &self.filename, MAX_FILENAME_LEN)?;
        validate::text("file_type", &self.file_type, MAX_FILE_TYPE_LEN)?;
        validate::range_i64("file_size", self.file_size, 0, i64::MAX)?;
        validate::opt_text("chroma_id", self.chroma_id.as_deref(), MAX_CHROMA_ID_LEN)
    }
}

/// Which documents a listing returns: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFilter {
    /// Of this file type.
    pub file_type: Option<String>,
    /// In this status (`pending` also matches a NULL status).
    pub status: Option<ProcessingStatus>,
    /// Uploaded by this session.
    pub session: Option<UuidText>,
}

/// Uploaded document metadata.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DocumentRepository: Send + Sync {
    /// Record an upload (status `pending`, uploaded now); returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for a `chroma_id` already used; [`Error::Db`].
    async fn create(&self, new: NewDocument) -> Result<Model>;

    /// The document with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, id: UuidText) -> Result<Model>;

    /// The document with this vector-store id.
    ///
    /// # Errors
    /// [`Error::Validation`] for an empty or too long id; [`Error::NotFound`]; [`Error::Db`].
    async fn get_by_chroma_id(&self, chroma_id: String) -> Result<Model>;

    /// A page of the documents `filter` selects, newest upload first (ties by id).
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or file type; [`Error::Db`].
    async fn list(&self, filter: DocumentFilter, page: Page) -> Result<Vec<Model>>;

    /// Move a document to `status` (from a status [`ProcessingStatus::comes_from`] allows) and
    /// return the row; `error` (only with [`ProcessingStatus::Failed`]) is recorded in the same
    /// transaction (see the module documentation).
    ///
    /// # Errors
    /// [`Error::Validation`] for an error message with another status, or an empty or too long
    /// one; [`Error::NotFound`]; [`Error::Conflict`] when the document's status does not allow
    /// the move; [`Error::Db`].
    async fn set_status(
        &self,
        id: UuidText,
        status: ProcessingStatus,
        error: Option<String>,
    ) -> Result<Model>;

    /// The last processing error recorded for the document, if any.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn processing_error(&self, id: UuidText) -> Result<Option<String>>;

    /// Delete the document's row and return it.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn delete(&self, id: UuidText) -> Result<Model>;
}

crate::store! {
    /// [`DocumentRepository`] on SeaORM.
    pub struct DocumentStore;
}

/// `system_logs.context ->> 'document_id'` on `backend`.
fn context_document_id(backend: DbBackend) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust("\"context\" ->> 'document_id'"),
        _ => Expr::cust("json_extract(\"context\", '$.document_id')"),
    }
}

/// The condition "the stored status is one of `from`" (NULL counting as `pending`).
fn status_in(from: &[ProcessingStatus]) -> Condition {
    let mut cond = Condition::any();
    for s in from {
        cond = cond.add(Column::ProcessingStatus.eq(s.as_str()));
        if *s == ProcessingStatus::Pending {
            cond = cond.add(Column::ProcessingStatus.is_null());
        }
    }
    cond
}

#[async_trait]
impl<C: Db> DocumentRepository for DocumentStore<C> {
    #[instrument(skip_all, fields(db.table = "document_metadata"))]
    async fn create(&self, new: NewDocument) -> Result<Model> {
        new.validate()?;
        let at = entity::behavior::now();
        let model = Model {
            id: DbUuid::new_v4(),
            filename: new.filename,
            file_type: new.file_type,
            file_size: new.file_size,
            upload_date: Some(at),
            processing_status: Some(ProcessingStatus::Pending.as_str().to_owned()),
            chroma_id: new.chroma_id,
            user_session_id: new.user_session_id.map(DbUuid::from),
            created_at: Some(at),
            updated_at: Some(at),
        };
        Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .exec_without_returning(&self.db)
            .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "document_metadata"))]
    async fn get(&self, id: UuidText) -> Result<Model> {
        Entity::find_by_id(DbUuid::from(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(id))
    }

    #[instrument(skip_all, fields(db.table = "document_metadata"))]
    async fn get_by_chroma_id(&self, chroma_id: String) -> Result<Model> {
        validate::text("chroma_id", &chroma_id, MAX_CHROMA_ID_LEN)?;
        Entity::find()
            .filter(Column::ChromaId.eq(chroma_id.as_str()))
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(format!("chroma_id {chroma_id}")))
    }

    #[instrument(skip_all, fields(db.table = "document_metadata"))]
    async fn list(&self, filter: DocumentFilter, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        let mut find = Entity::find();
        if let Some(file_type) = filter.file_type {
            validate::text("file_type", &file_type, MAX_FILE_TYPE_LEN)?;
            find = find.filter(Column::FileType.eq(file_type));
        }
        if let Some(status) = filter.status {
            find = find.filter(status_in(&[status]));
        }
        if let Some(session) = filter.session {
            find = find.filter(Column::UserSessionId.eq(DbUuid::from(session)));
        }
        Ok(find
            .order_by_desc(Column::UploadDate)
            .order_by_desc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_metadata", document.status = status.as_str()))]
    async fn set_status(
        &self,
        id: UuidText,
        status: ProcessingStatus,
        error: Option<String>,
    ) -> Result<Model> {
        if let Some(message) = &error {
            if status != ProcessingStatus::Failed {
                return Err(Error::validation(
                    "error",
                    "is only recorded with the status failed",
                    status,
                ));
            }
            validate::text("error", message, MAX_ERROR_LEN)?;
        }
        let from = status.comes_from();
        if from.is_empty() {
            return Err(Error::validation(
                "processing_status",
                "a document only starts as pending",
                status,
            ));
        }
        let at = entity::behavior::now();
        let txn = crate::begin_write(&self.db).await?;
        let update = Entity::update_many()
            .col_expr(Column::ProcessingStatus, Expr::value(status.as_str()))
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .filter(store::key_condition::<Entity>(DbUuid::from(id)))
            .filter(status_in(from));
        let Some(row) = store::update_returning(&txn, update).await? else {
            let current = Entity::find_by_id(DbUuid::from(id))
                .one(&txn)
                .await?
                .ok_or_else(|| store::not_found::<Entity>(id))?;
            return Err(Error::Conflict(format!(
                "document {id} is {}: it cannot move to {status}",
                current.processing_status.as_deref().unwrap_or("pending")
            )));
        };
        if let Some(message) = error {
            let log = system_logs::Model {
                id: DbUuid::new_v4(),
                level: LogLevel::Error,
                logger: PROCESSING_LOGGER.to_owned(),
                message,
                context: Some(DbJson::from(serde_json::json!({
                    DOCUMENT_ID_KEY: id.to_string(),
                    "filename": row.filename,
                }))),
                exception: None,
                user_session_id: None,
                request_id: None,
                created_at: at,
            };
            system_logs::Entity::insert(store::insertable::<_, system_logs::ActiveModel>(log))
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(row)
    }

    #[instrument(skip_all, fields(db.table = "system_logs"))]
    async fn processing_error(&self, id: UuidText) -> Result<Option<String>> {
        let backend = self.db.get_database_backend();
        Ok(system_logs::Entity::find()
            .select_only()
            .column(system_logs::Column::Message)
            .filter(system_logs::Column::Logger.eq(PROCESSING_LOGGER))
            .filter(ExprTrait::eq(context_document_id(backend), id.to_string()))
            .order_by_desc(system_logs::Column::CreatedAt)
            .order_by_desc(system_logs::Column::Id)
            .into_tuple::<String>()
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_metadata"))]
    async fn delete(&self, id: UuidText) -> Result<Model> {
        let txn = crate::begin_write(&self.db).await?;
        let row = Entity::find_by_id(DbUuid::from(id))
            .one(&txn)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(id))?;
        store::delete_one::<Entity, _, _>(&txn, DbUuid::from(id)).await?;
        txn.commit().await?;
        Ok(row)
    }
}

/// Record an uploaded document and its vectors together: the row first (given `chroma_id`, or a
/// new UUID when it has none), then every record upserted into `collection` with the metadata
/// `document_id = chroma_id`. When the upsert fails, the row is deleted again (compensation) and
/// the vector store's error returned: the document then exists on neither side.
///
/// # Errors
/// As [`DocumentRepository::create`] (nothing written); the vector store's error (after
/// compensation); when the compensation itself fails, that error (the row then remains, with no
/// vectors: delete it with [`delete_with_vectors`]).
#[instrument(skip_all, fields(db.table = "document_metadata", db.rows = records.len()))]
pub async fn create_with_vectors(
    repo: &dyn DocumentRepository,
    vectors: &dyn VectorStore,
    collection: &CollectionName,
    mut new: NewDocument,
    records: Vec<VectorRecord>,
) -> Result<Model> {
    let chroma_id = new
        .chroma_id
        .get_or_insert_with(|| UuidText::new_v4().to_string())
        .clone();
    let row = repo.create(new).await?;
    let records: Vec<VectorRecord> = records
        .into_iter()
        .map(|r| r.meta(DOCUMENT_ID_KEY, chroma_id.as_str()))
        .collect();
    if records.is_empty() {
        return Ok(row);
    }
    if let Err(err) = vectors.upsert(collection, records).await {
        repo.delete(row.id.into()).await?;
        tracing::warn!(error = %err, "vector upsert failed; the document row was removed");
        return Err(err);
    }
    Ok(row)
}

/// Delete a document's vectors in `collection` (those with `document_id = chroma_id`), then its
/// row. Returns the row and how many vectors were deleted. When the vectors cannot be deleted,
/// nothing is: a retry of the whole call finishes the job either way.
///
/// # Errors
/// [`Error::NotFound`]; the vector store's error (nothing deleted); [`Error::Db`] (the vectors
/// are gone, the row remains: a retry deletes it).
#[instrument(skip_all, fields(db.table = "document_metadata"))]
pub async fn delete_with_vectors(
    repo: &dyn DocumentRepository,
    vectors: &dyn VectorStore,
    collection: &CollectionName,
    id: UuidText,
) -> Result<(Model, u64)> {
    let row = repo.get(id).await?;
    let removed = match &row.chroma_id {
        Some(chroma_id) => {
            let filter = Filter::Eq(
                DOCUMENT_ID_KEY.to_owned(),
                MetadataValue::Str(chroma_id.clone()),
            );
            vectors.delete_where(collection, &filter).await?
        }
        None => 0,
    };
    let row = repo.delete(id).await?;
    Ok((row, removed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::{MockVectorStore, RecordId};

    fn collection() -> CollectionName {
        CollectionName::parse("employee_documents").expect("name")
    }

    fn row(chroma_id: &str) -> Model {
        Model {
            id: DbUuid::new_v4(),
            filename: "a.pdf".into(),
            file_type: "pdf".into(),
            file_size: 1,
            upload_date: None,
            processing_status: Some("pending".into()),
            chroma_id: Some(chroma_id.into()),
            user_session_id: None,
            created_at: None,
            updated_at: None,
        }
    }

    #[tokio::test]
    async fn a_failed_upsert_removes_the_row_again() {
        let created = row("doc-1");
        let id = created.id;
        let mut repo = MockDocumentRepository::new();
        let returned = created.clone();
        repo.expect_create()
            .withf(|n| n.chroma_id.as_deref() == Some("doc-1"))
            .times(1)
            .returning(move |_| Ok(returned.clone()));
        let deleted = created.clone();
        repo.expect_delete()
            .withf(move |d| DbUuid::from(*d) == id)
            .times(1)
            .returning(move |_| Ok(deleted.clone()));
        let mut vectors = MockVectorStore::new();
        vectors
            .expect_upsert()
            .withf(|_, records| {
                records.len() == 1
                    && records[0].metadata.get(DOCUMENT_ID_KEY)
                        == Some(&MetadataValue::Str("doc-1".into()))
            })
            .times(1)
            .returning(|_, _| Err(Error::Vector("unreachable".into())));
        let record = VectorRecord::new(RecordId::parse("doc-1#0").expect("id"), vec![0.1, 0.2]);
        let err = create_with_vectors(
            &repo,
            &vectors,
            &collection(),
            NewDocument::new("a.pdf", "pdf", 1).with_chroma_id("doc-1"),
            vec![record],
        )
        .await
        .expect_err("upsert fails");
        assert!(matches!(err, Error::Vector(_)), "{err}");
    }

    #[tokio::test]
    async fn vectors_that_cannot_be_deleted_keep_the_row() {
        let created = row("doc-2");
        let mut repo = MockDocumentRepository::new();
        repo.expect_get().returning(move |_| Ok(created.clone()));
        repo.expect_delete().never();
        let mut vectors = MockVectorStore::new();
        vectors
            .expect_delete_where()
            .times(1)
            .returning(|_, _| Err(Error::Vector("timeout".into())));
        let err = delete_with_vectors(&repo, &vectors, &collection(), UuidText::new_v4())
            .await
            .expect_err("vector delete fails");
        assert!(matches!(err, Error::Vector(_)), "{err}");
    }

    #[test]
    fn statuses_follow_the_lifecycle() {
        assert_eq!(
            "failed".parse::<ProcessingStatus>().expect("parse"),
            ProcessingStatus::Failed
        );
        assert!("done".parse::<ProcessingStatus>().is_err());
        assert_eq!(
            ProcessingStatus::Completed.comes_from(),
            &[ProcessingStatus::Processing]
        );
        assert!(ProcessingStatus::Pending.comes_from().is_empty());
        let err = NewDocument::new("a", "pdf", -1)
            .validate()
            .expect_err("size");
        assert!(matches!(&err, Error::Validation { field, .. } if field == "file_size"));
        let err = NewDocument::new("a".repeat(256), "pdf", 1)
            .validate()
            .expect_err("name");
        assert!(matches!(&err, Error::Validation { field, .. } if field == "filename"));
    }
}
