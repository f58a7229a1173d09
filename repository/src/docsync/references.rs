//! Document references (`document_references`, seed 002's `DocumentReferenceRepository`): get by
//! id or path, save (insert, or update the row with the same path), delete, find by type, list
//! in pages.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use entity::docsync::document_references::{ActiveModel, Column, Entity, Model};
use entity::docsync::sea_orm_active_enums::DocumentType;
use entity::{DbDateTime, DbJson};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{DocPath, Md5Digest};

impl Table for Entity {
    const ROW: &'static str = "document";
}

/// Largest `header_sections` accepted, as JSON text, in bytes.
pub const MAX_HEADER_SECTIONS_LEN: usize = 1_000_000;
/// Rows per INSERT of [`DocumentRepository::save_many`] (6 bound values each: far under both
/// backends' bind limits).
const INSERT_ROWS: usize = 1_000;

/// A document to save: inserted, or written over the row with the same path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDocument {
    /// Where the document is (the key of the row).
    pub path: DocPath,
    /// What kind of document it is.
    pub kind: DocumentType,
    /// Its modification time (stored to the microsecond).
    pub last_modified: DateTime<Utc>,
    /// Its size in bytes (zero or more; 64-bit).
    pub size: i64,
    /// The MD5 of its content, if known.
    pub md5_digest: Option<Md5Digest>,
    /// Its header sections (JSON), if extracted.
    pub header_sections: Option<JsonValue>,
}

impl NewDocument {
    /// A document of `kind` at `path`, modified at `last_modified`, of `size` bytes, with no
    /// digest and no header sections.
    #[must_use]
    pub const fn new(
        path: DocPath,
        kind: DocumentType,
        last_modified: DateTime<Utc>,
        size: i64,
    ) -> Self {
        Self {
            path,
            kind,
            last_modified,
            size,
            md5_digest: None,
            header_sections: None,
        }
    }

    /// The same document with the MD5 of its content.
    #[must_use]
    pub fn with_digest(mut self, digest: Md5Digest) -> Self {
        self.md5_digest = Some(digest);
        self
    }

    /// The same document with its header sections.
    #[must_use]
    pub fn with_header_sections(mut self, sections: JsonValue) -> Self {
        self.header_sections = Some(sections);
        self
    }

    /// Check the fields the types do not: the size is zero or more, the header sections are a
    /// JSON object or array of at most [`MAX_HEADER_SECTIONS_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.size < 0 {
            return Err(Error::validation("size", "must be 0 or more", self.size));
        }
        if let Some(sections) = &self.header_sections {
            if !(sections.is_object() || sections.is_array()) {
                return Err(Error::validation(
                    "header_sections",
                    "must be a JSON object or array",
                    "another JSON value",
                ));
            }
            let len = sections.to_string().len();
            if len > MAX_HEADER_SECTIONS_LEN {
                return Err(Error::validation(
                    "header_sections",
                    format!("must be at most {MAX_HEADER_SECTIONS_LEN} bytes of JSON"),
                    format!("{len} bytes"),
                ));
            }
        }
        Ok(())
    }

    fn into_active_model(self) -> ActiveModel {
        ActiveModel {
            id: sea_orm::NotSet,
            path: Set(self.path.into_string()),
            r#type: Set(self.kind),
            last_modified: Set(DbDateTime(self.last_modified.trunc_subsecs(6))),
            size: Set(self.size),
            md5_digest: Set(self.md5_digest.map(Md5Digest::into_string)),
            header_sections: Set(self.header_sections.map(DbJson)),
        }
    }
}

/// The upsert by path: a saved document replaces every column but the id.
fn on_path_conflict() -> OnConflict {
    OnConflict::column(Column::Path)
        .update_columns([
            Column::Type,
            Column::LastModified,
            Column::Size,
            Column::Md5Digest,
            Column::HeaderSections,
        ])
        .to_owned()
}

/// Document references.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DocumentRepository: Send + Sync {
    /// The document with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, id: i32) -> Result<Model>;

    /// The document at this path, if tracked.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn get_by_path(&self, path: &DocPath) -> Result<Option<Model>>;

    /// Insert the document, or write it over the row with the same path (keeping that row's
    /// id, so its dependencies stay); returns the row as stored.
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`NewDocument::validate`]); [`Error::Db`].
    async fn save(&self, doc: NewDocument) -> Result<Model>;

    /// [`DocumentRepository::save`] for many documents, in one transaction; returns how many
    /// were saved. Every document is checked before anything is written.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the document (`docs[3].size`); [`Error::Db`] (nothing saved).
    async fn save_many(&self, docs: Vec<NewDocument>) -> Result<u64>;

    /// Delete the document at this path (its dependencies and map rows go with it).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn delete(&self, path: &DocPath) -> Result<()>;

    /// A page of the documents of one type, by path.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn find_by_type(&self, kind: DocumentType, page: Page) -> Result<Vec<Model>>;

    /// A page of every document, by path.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn list(&self, page: Page) -> Result<Vec<Model>>;

    /// How many documents there are.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn count(&self) -> Result<u64>;
}

crate::store! {
    /// [`DocumentRepository`] on SeaORM.
    pub struct DocumentStore;
}

#[async_trait]
impl<C: Db> DocumentRepository for DocumentStore<C> {
    #[instrument(skip_all, fields(db.table = "document_references"))]
    async fn get(&self, id: i32) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, id).await
    }

    #[instrument(skip_all, fields(db.table = "document_references"))]
    async fn get_by_path(&self, path: &DocPath) -> Result<Option<Model>> {
        Ok(Entity::find()
            .filter(Column::Path.eq(path.as_str()))
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_references"))]
    async fn save(&self, doc: NewDocument) -> Result<Model> {
        doc.validate()?;
        let path = doc.path.clone();
        super::upsert_by_path(
            &self.db,
            doc.into_active_model(),
            on_path_conflict(),
            Column::Path,
            path.as_str(),
        )
        .await
    }

    #[instrument(skip_all, fields(db.table = "document_references", db.rows = docs.len()))]
    async fn save_many(&self, docs: Vec<NewDocument>) -> Result<u64> {
        store::validate_batch("docs", &docs, NewDocument::validate)?;
        if docs.is_empty() {
            return Ok(0);
        }
        let count = docs.len() as u64;
        let txn = begin_write(&self.db).await?;
        let mut docs = docs.into_iter().peekable();
        while docs.peek().is_some() {
            let part: Vec<ActiveModel> = docs
                .by_ref()
                .take(INSERT_ROWS)
                .map(NewDocument::into_active_model)
                .collect();
            Entity::insert_many(part)
                .on_conflict(on_path_conflict())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(count)
    }

    #[instrument(skip_all, fields(db.table = "document_references"))]
    async fn delete(&self, path: &DocPath) -> Result<()> {
        let deleted = Entity::delete_many()
            .filter(Column::Path.eq(path.as_str()))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(store::not_found::<Entity>(path));
        }
        Ok(())
    }

    #[instrument(skip_all, fields(db.table = "document_references"))]
    async fn find_by_type(&self, kind: DocumentType, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::Type.eq(kind))
            .order_by_asc(Column::Path)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_references"))]
    async fn list(&self, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .order_by_asc(Column::Path)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_references"))]
    async fn count(&self) -> Result<u64> {
        Ok(Entity::find().count(&self.db).await?)
    }
}
