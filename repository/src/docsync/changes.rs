//! Change detection (seed 002's `FileChangeDetector`): `file_metadata` rows, the quick check by
//! modification time and size ([`FileMetadataRepository::has_file_changed`]), the streamed MD5
//! that confirms a change ([`calculate_md5`]), and the batched writes a scan makes
//! ([`FileMetadataRepository::apply_scan`]).
//!
//! Timestamps are compared at the precision the database stores: microseconds
//! ([`stored_precision`]); a file system's nanoseconds would otherwise make every file look
//! changed after a round trip. Sizes are 64-bit.

use std::io::Read;
use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use entity::DbDateTime;
use entity::docsync::document_references;
use entity::docsync::file_metadata::{ActiveModel, Column, Entity, Model};
use md5::{Digest, Md5};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, OnConflict};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::store::{self, Db, Table};
use crate::types::{DocPath, Md5Digest};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "file";
}

/// Bytes read at a time by [`calculate_md5`]: the file is never held in memory whole.
pub const MD5_BUFFER: usize = 64 * 1024;
/// Longest `language` accepted, in characters.
pub const MAX_LANGUAGE_LEN: usize = 64;
/// Most files one [`FileMetadataRepository::apply_scan`] call may write or delete.
pub const MAX_SCAN_BATCH: usize = 10_000;
/// Rows per INSERT (8 bound values each) and values per `IN (…)` list: far under both
/// backends' bind limits.
const CHUNK: usize = 1_000;

/// `at` at the precision the database stores (microseconds).
#[must_use]
pub fn stored_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// The MD5 of the file at `path`, read in [`MD5_BUFFER`]-byte pieces (blocking I/O: call it
/// from a blocking task).
///
/// # Errors
/// The I/O error (the file vanished, cannot be read, …).
pub fn calculate_md5(path: &Path) -> std::io::Result<Md5Digest> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Md5::new();
    let mut buf = vec![0_u8; MD5_BUFFER];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    let hex = hex::encode(hasher.finalize());
    Md5Digest::parse_field("md5_digest", hex).map_err(std::io::Error::other)
}

/// What the quick check says of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileCheck {
    /// No row has the path: never seen.
    New,
    /// Same modification time and size as stored.
    Unchanged,
    /// The modification time or the size differs: a digest confirms whether the content did.
    Changed,
}

/// A file's metadata to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The file.
    pub path: DocPath,
    /// Its language (`rust`, `markdown`, …), if known.
    pub language: Option<String>,
    /// Its modification time (stored to the microsecond).
    pub last_modified: DateTime<Utc>,
    /// Its size in bytes (zero or more).
    pub size: i64,
    /// The MD5 of its content.
    pub md5_digest: Md5Digest,
}

impl FileRecord {
    /// Check what the types do not: size zero or more, language not empty and short.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.size < 0 {
            return Err(Error::validation("size", "must be 0 or more", self.size));
        }
        validate::opt_text("language", self.language.as_deref(), MAX_LANGUAGE_LEN)
    }

    fn into_active_model(self) -> ActiveModel {
        ActiveModel {
            id: sea_orm::NotSet,
            path: Set(self.path.into_string()),
            language: Set(self.language),
            last_modified: Set(DbDateTime(stored_precision(self.last_modified))),
            size: Set(self.size),
            md5_digest: Set(Some(self.md5_digest.into_string())),
            functions: sea_orm::NotSet,
            classes: sea_orm::NotSet,
            header_sections: sea_orm::NotSet,
        }
    }
}

/// What a scan knows of a file from its last visit (see
/// [`FileMetadataRepository::known_under`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromQueryResult)]
pub struct KnownFile {
    /// The file.
    pub path: String,
    /// Its stored modification time.
    pub last_modified: DbDateTime,
    /// Its stored size.
    pub size: i64,
    /// Its stored digest, if any.
    pub md5_digest: Option<String>,
}

impl KnownFile {
    /// The quick check of a file now modified at `last_modified` and `size` bytes long against
    /// this row: [`FileCheck::Unchanged`] or [`FileCheck::Changed`].
    #[must_use]
    pub fn check(&self, last_modified: DateTime<Utc>, size: i64) -> FileCheck {
        if self.size == size && *self.last_modified == stored_precision(last_modified) {
            FileCheck::Unchanged
        } else {
            FileCheck::Changed
        }
    }
}

/// One batch of a scan's writes, made in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanBatch {
    /// Files to record (inserted, or written over the row with the same path); the document
    /// with the same path, if any, gets the same modification time, size and digest.
    pub files: Vec<FileRecord>,
    /// Paths whose `file_metadata` rows go (the files are gone).
    pub deleted: Vec<DocPath>,
}

/// What [`FileMetadataRepository::apply_scan`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanWrite {
    /// `file_metadata` rows inserted or updated.
    pub files: u64,
    /// `document_references` rows updated.
    pub documents: u64,
    /// `file_metadata` rows deleted.
    pub deleted: u64,
}

/// File metadata for change detection.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait FileMetadataRepository: Send + Sync {
    /// The row of this path, if any.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn get(&self, path: &DocPath) -> Result<Option<Model>>;

    /// The seed's `has_file_changed`: the quick check of a file now modified at `last_modified`
    /// and `size` bytes long, against its row (times compared to the microsecond).
    ///
    /// # Errors
    /// [`Error::Validation`] for a negative size; [`Error::Db`].
    async fn has_file_changed(
        &self,
        path: &DocPath,
        last_modified: DateTime<Utc>,
        size: i64,
    ) -> Result<FileCheck>;

    /// The seed's `update_file_metadata`: record a file (insert, or write over the row with the
    /// same path, keeping what was extracted from it); returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`FileRecord::validate`]); [`Error::Db`].
    async fn update_file_metadata(&self, record: FileRecord) -> Result<Model>;

    /// Every row whose path starts with `prefix` (compared exactly, byte for byte), by path.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn known_under(&self, prefix: String) -> Result<Vec<KnownFile>>;

    /// Record a batch of a scan in one transaction: upsert the files, give the documents with
    /// the same paths their modification time, size and digest, delete the rows of `deleted`.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the file (`files[3].size`) or a batch over
    /// [`MAX_SCAN_BATCH`]; [`Error::Db`] (nothing written).
    async fn apply_scan(&self, batch: ScanBatch) -> Result<ScanWrite>;

    /// How many rows there are.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn count(&self) -> Result<u64>;
}

crate::store! {
    /// [`FileMetadataRepository`] on SeaORM.
    pub struct FileMetadataStore;
}

/// The upsert by path: a recorded file replaces what change detection compares.
fn on_path_conflict() -> OnConflict {
    OnConflict::column(Column::Path)
        .update_columns([
            Column::Language,
            Column::LastModified,
            Column::Size,
            Column::Md5Digest,
        ])
        .to_owned()
}

/// `text` with `\`, `%` and `_` escaped for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[async_trait]
impl<C: Db> FileMetadataRepository for FileMetadataStore<C> {
    #[instrument(skip_all, fields(db.table = "file_metadata"))]
    async fn get(&self, path: &DocPath) -> Result<Option<Model>> {
        Ok(Entity::find()
            .filter(Column::Path.eq(path.as_str()))
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "file_metadata"))]
    async fn has_file_changed(
        &self,
        path: &DocPath,
        last_modified: DateTime<Utc>,
        size: i64,
    ) -> Result<FileCheck> {
        if size < 0 {
            return Err(Error::validation("size", "must be 0 or more", size));
        }
        let known = Entity::find()
            .select_only()
            .columns([
                Column::Path,
                Column::LastModified,
                Column::Size,
                Column::Md5Digest,
            ])
            .filter(Column::Path.eq(path.as_str()))
            .into_model::<KnownFile>()
            .one(&self.db)
            .await?;
        Ok(known.map_or(FileCheck::New, |k| k.check(last_modified, size)))
    }

    #[instrument(skip_all, fields(db.table = "file_metadata"))]
    async fn update_file_metadata(&self, record: FileRecord) -> Result<Model> {
        record.validate()?;
        let path = record.path.clone();
        super::upsert_by_path(
            &self.db,
            record.into_active_model(),
            on_path_conflict(),
            Column::Path,
            path.as_str(),
        )
        .await
    }

    #[instrument(skip_all, fields(db.table = "file_metadata", db.rows))]
    async fn known_under(&self, prefix: String) -> Result<Vec<KnownFile>> {
        // LIKE narrows the rows (SQLite's LIKE ignores ASCII case, so it may let a few more
        // through); the exact prefix is checked here.
        let pattern = format!("{}%", like_escape(&prefix));
        let rows = Entity::find()
            .select_only()
            .columns([
                Column::Path,
                Column::LastModified,
                Column::Size,
                Column::Md5Digest,
            ])
            .filter(Expr::col(Column::Path).like(LikeExpr::new(pattern).escape('\\')))
            .order_by_asc(Column::Path)
            .into_model::<KnownFile>()
            .all(&self.db)
            .await?;
        let rows: Vec<KnownFile> = rows
            .into_iter()
            .filter(|r| r.path.starts_with(&prefix))
            .collect();
        tracing::Span::current().record("db.rows", rows.len());
        Ok(rows)
    }

    #[instrument(skip_all, fields(db.table = "file_metadata", db.rows = batch.files.len(), db.deleted = batch.deleted.len()))]
    async fn apply_scan(&self, batch: ScanBatch) -> Result<ScanWrite> {
        let total = batch.files.len() + batch.deleted.len();
        if total > MAX_SCAN_BATCH {
            return Err(Error::validation(
                "batch",
                format!("must hold at most {MAX_SCAN_BATCH} files"),
                total,
            ));
        }
        store::validate_batch("files", &batch.files, FileRecord::validate)?;
        let mut write = ScanWrite::default();
        if total == 0 {
            return Ok(write);
        }
        let txn = begin_write(&self.db).await?;
        for part in batch.files.chunks(CHUNK) {
            Entity::insert_many(part.iter().cloned().map(FileRecord::into_active_model))
                .on_conflict(on_path_conflict())
                .exec_without_returning(&txn)
                .await?;
            write.files += part.len() as u64;
        }
        for file in &batch.files {
            write.documents += document_references::Entity::update_many()
                .col_expr(
                    document_references::Column::LastModified,
                    Expr::value(DbDateTime(stored_precision(file.last_modified))),
                )
                .col_expr(document_references::Column::Size, Expr::value(file.size))
                .col_expr(
                    document_references::Column::Md5Digest,
                    Expr::value(file.md5_digest.as_str()),
                )
                .filter(document_references::Column::Path.eq(file.path.as_str()))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        for part in batch.deleted.chunks(CHUNK) {
            write.deleted += Entity::delete_many()
                .filter(Column::Path.is_in(part.iter().map(DocPath::as_str)))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        txn.commit().await?;
        Ok(write)
    }

    #[instrument(skip_all, fields(db.table = "file_metadata"))]
    async fn count(&self) -> Result<u64> {
        Ok(Entity::find().count(&self.db).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_is_streamed_and_matches_known_digests() {
        let dir = std::env::temp_dir().join(format!("dal-md5-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty");
        std::fs::write(&empty, b"").expect("write");
        assert_eq!(
            calculate_md5(&empty).expect("md5").as_str(),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        // Larger than the buffer, so it is read in several pieces.
        let big = dir.join("big");
        let content = b"The quick brown fox jumps over the lazy dog".repeat(4000);
        assert!(content.len() > 2 * MD5_BUFFER);
        std::fs::write(&big, &content).expect("write");
        assert_eq!(
            calculate_md5(&big).expect("md5").as_str(),
            hex::encode(Md5::digest(&content))
        );
        assert!(calculate_md5(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_escape(r"/a_b%c\d"), r"/a\_b\%c\\d");
    }
}
