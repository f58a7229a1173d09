//! Processed document chunks (`document_chunk`, seed 001): deduplicated by the seed's content
//! hash, looked up by document type, source URL and vector-store id, deleted by source URL; and
//! the two operations that keep chunks and their vectors together ([`store_with_embeddings`],
//! [`delete_source_with_vectors`]).

use std::collections::HashSet;

use async_trait::async_trait;
use entity::chat::document_chunk::{ActiveModel, Column, Entity, Model};
use entity::chat::sea_orm_active_enums::DocType;
use sea_orm::{
    ActiveEnum, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::chat::hash::content_hash;
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{ContentHash, HttpUrl, UuidText};
use crate::validate;
use crate::vector::{
    CollectionName, EmbeddedVectorStore, Embedding, RecordId, VectorRecord, VectorStore,
};

impl Table for Entity {
    const ROW: &'static str = "document chunk";
}

/// Longest `source_url` the column holds.
pub const MAX_SOURCE_URL_LEN: usize = 500;
/// Longest `title` the column holds.
pub const MAX_TITLE_LEN: usize = 200;
/// Longest `version` the column holds.
pub const MAX_VERSION_LEN: usize = 20;
/// Longest `embedding_id` the column holds.
pub const MAX_EMBEDDING_ID_LEN: usize = 100;
/// Longest chunk content accepted, in characters.
pub const MAX_CONTENT_LEN: usize = 1_000_000;
/// Values bound per `IN (…)` list: well under SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const IN_LIST: usize = 1_000;
/// Rows per INSERT in [`ChunkRepository::store_many`] (11 bound values each).
const INSERT_ROWS: usize = 500;

/// A chunk to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChunk {
    /// The page it was cut from (at most 500 characters).
    pub source_url: HttpUrl,
    /// The page's title (at most 200 characters).
    pub title: Option<String>,
    /// The text (not empty).
    pub content: String,
    /// Its position in the page (zero or more).
    pub chunk_index: i32,
    /// The documentation it belongs to.
    pub doc_type: DocType,
    /// The documentation's version (at most 20 characters).
    pub version: Option<String>,
    /// The id of its vector in the vector store (at most 100 characters).
    pub embedding_id: Option<RecordId>,
}

impl NewChunk {
    /// Chunk `chunk_index` of `source_url`, with no title, version or embedding id.
    #[must_use]
    pub fn new(
        source_url: HttpUrl,
        doc_type: DocType,
        chunk_index: i32,
        content: impl Into<String>,
    ) -> Self {
        Self {
            source_url,
            title: None,
            content: content.into(),
            chunk_index,
            doc_type,
            version: None,
            embedding_id: None,
        }
    }

    /// The same chunk, with its page's title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The same chunk, with the documentation's version.
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The same chunk, linked to its vector.
    #[must_use]
    pub fn with_embedding_id(mut self, id: RecordId) -> Self {
        self.embedding_id = Some(id);
        self
    }

    /// The seed's content hash of this chunk: its content, source URL and document type.
    #[must_use]
    pub fn content_hash(&self) -> ContentHash {
        content_hash(
            &self.content,
            self.source_url.as_str(),
            &self.doc_type.to_value(),
        )
    }

    /// Check every field against the columns.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        let url_len = self.source_url.as_str().chars().count();
        if url_len > MAX_SOURCE_URL_LEN {
            return Err(Error::validation(
                "source_url",
                format!("must be at most {MAX_SOURCE_URL_LEN} characters"),
                format!("{url_len} characters"),
            ));
        }
        validate::opt_text("title", self.title.as_deref(), MAX_TITLE_LEN)?;
        validate::text("content", &self.content, MAX_CONTENT_LEN)?;
        validate::non_negative("chunk_index", self.chunk_index.into())?;
        validate::opt_text("version", self.version.as_deref(), MAX_VERSION_LEN)?;
        if let Some(id) = &self.embedding_id
            && id.as_str().chars().count() > MAX_EMBEDDING_ID_LEN
        {
            return Err(Error::validation(
                "embedding_id",
                format!("must be at most {MAX_EMBEDDING_ID_LEN} characters"),
                format!("{} characters", id.as_str().chars().count()),
            ));
        }
        Ok(())
    }

    fn into_model(self, hash: ContentHash) -> Model {
        let now = entity::behavior::now();
        Model {
            id: UuidText::new_v4().to_string(),
            source_url: self.source_url.into_string(),
            title: self.title,
            content: self.content,
            chunk_index: self.chunk_index,
            doc_type: Some(self.doc_type),
            version: self.version,
            embedding_id: self.embedding_id.map(|id| id.as_str().to_owned()),
            content_hash: Some(hash.into_string()),
            created_at: Some(now),
            updated_at: Some(now),
        }
    }
}

/// What [`ChunkRepository::store`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChunk {
    /// The row: the new one, or the one that already had the content hash.
    pub chunk: Model,
    /// Whether it was inserted now.
    pub inserted: bool,
}

/// What [`ChunkRepository::store_many`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkBatch {
    /// The rows inserted, in input order.
    pub inserted: Vec<Model>,
    /// The positions (in the input) of the chunks skipped: their hash was already stored, or
    /// an earlier chunk of the batch had it.
    pub skipped: Vec<usize>,
}

/// Document chunks.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ChunkRepository: Send + Sync {
    /// Store a chunk unless its content hash is stored: then the existing row is returned
    /// unchanged (`inserted: false`). Safe under concurrency (`ON CONFLICT DO NOTHING`).
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`NewChunk::validate`]); [`Error::Db`].
    async fn store(&self, new: NewChunk) -> Result<StoredChunk>;

    /// Store chunks in one transaction, skipping those whose hash is stored or repeats an
    /// earlier chunk of the batch. Every chunk is checked before anything is written.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the chunk (`chunks[3].content`); [`Error::Db`] (nothing
    /// stored).
    async fn store_many(&self, chunks: Vec<NewChunk>) -> Result<ChunkBatch>;

    /// The chunk with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, id: &UuidText) -> Result<Model>;

    /// The chunk with this content hash, if stored.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn by_hash(&self, hash: &ContentHash) -> Result<Option<Model>>;

    /// A page of the chunks of a documentation, by source URL, position and id.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn by_doc_type(&self, doc_type: DocType, page: Page) -> Result<Vec<Model>>;

    /// The chunks of one page of a documentation, by position and id.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn by_doc_type_and_source(
        &self,
        doc_type: DocType,
        source_url: &HttpUrl,
    ) -> Result<Vec<Model>>;

    /// The chunks of one page (any documentation), by position and id.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn by_source_url(&self, source_url: &HttpUrl) -> Result<Vec<Model>>;

    /// The chunks linked to this vector (normally one), by id.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn by_embedding_id(&self, embedding_id: &RecordId) -> Result<Vec<Model>>;

    /// Delete the chunks of one page; returns the rows deleted (their `embedding_id`s name the
    /// vectors to delete). One transaction.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn delete_by_source_url(&self, source_url: &HttpUrl) -> Result<Vec<Model>>;

    /// Delete chunks by id (any number, in one transaction); returns how many existed.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn delete_ids(&self, ids: Vec<String>) -> Result<u64>;

    /// Delete the chunks linked to any of these vector ids (any number, in one transaction);
    /// returns how many.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn delete_by_embedding_ids(&self, embedding_ids: Vec<String>) -> Result<u64>;

    /// Up to `limit` distinct embedding ids of stored chunks greater than `after`, in order
    /// (keyset paging; chunks with no embedding id are not listed).
    ///
    /// # Errors
    /// [`Error::Validation`] for a limit of 0 or above 100,000; [`Error::Db`].
    async fn embedding_ids_after(&self, after: Option<String>, limit: u64) -> Result<Vec<String>>;

    /// How many chunks there are.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn count(&self) -> Result<u64>;
}

crate::store! {
    /// [`ChunkRepository`] on SeaORM.
    pub struct ChunkStore;
}

/// Delete `ids` of `column` in statements of [`IN_LIST`] values, on `db` (a transaction).
async fn delete_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    column: Column,
    ids: &[String],
) -> Result<u64> {
    let mut deleted = 0;
    for part in ids.chunks(IN_LIST) {
        deleted += Entity::delete_many()
            .filter(column.is_in(part.iter().cloned()))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(deleted)
}

#[async_trait]
impl<C: Db> ChunkRepository for ChunkStore<C> {
    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn store(&self, new: NewChunk) -> Result<StoredChunk> {
        new.validate()?;
        let hash = new.content_hash();
        let model = new.into_model(hash.clone());
        let inserted = Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .on_conflict_do_nothing_on([Column::ContentHash])
            .exec_without_returning(&self.db)
            .await?;
        if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
            return Ok(StoredChunk {
                chunk: model,
                inserted: true,
            });
        }
        let chunk = self
            .by_hash(&hash)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(&hash))?;
        Ok(StoredChunk {
            chunk,
            inserted: false,
        })
    }

    #[instrument(skip_all, fields(db.table = "document_chunk", db.rows = chunks.len()))]
    async fn store_many(&self, chunks: Vec<NewChunk>) -> Result<ChunkBatch> {
        let hashes = store::validate_batch("chunks", &chunks, |c| {
            c.validate()?;
            Ok(c.content_hash())
        })?;
        let txn = begin_write(&self.db).await?;
        // Hashes already stored.
        let mut seen: HashSet<String> = HashSet::new();
        let all: Vec<String> = hashes.iter().map(|h| h.as_str().to_owned()).collect();
        for part in all.chunks(IN_LIST) {
            let found: Vec<Option<String>> = Entity::find()
                .select_only()
                .column(Column::ContentHash)
                .filter(Column::ContentHash.is_in(part.iter().cloned()))
                .into_tuple()
                .all(&txn)
                .await?;
            seen.extend(found.into_iter().flatten());
        }
        let mut report = ChunkBatch::default();
        let mut models = Vec::new();
        for (i, (chunk, hash)) in chunks.into_iter().zip(hashes).enumerate() {
            if seen.insert(hash.as_str().to_owned()) {
                models.push(chunk.into_model(hash));
            } else {
                report.skipped.push(i);
            }
        }
        for part in models.chunks(INSERT_ROWS) {
            Entity::insert_many(
                part.iter()
                    .cloned()
                    .map(store::insertable::<_, ActiveModel>),
            )
            // A concurrent writer may have stored a hash since it was looked up.
            .on_conflict_do_nothing_on([Column::ContentHash])
            .exec_without_returning(&txn)
            .await?;
        }
        // The rows of this batch that are in the table now (their ids are new).
        let mut present = HashSet::new();
        let ids: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
        for part in ids.chunks(IN_LIST) {
            let found: Vec<String> = Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(Column::Id.is_in(part.iter().cloned()))
                .into_tuple()
                .all(&txn)
                .await?;
            present.extend(found);
        }
        txn.commit().await?;
        report.inserted = models
            .into_iter()
            .filter(|m| present.contains(&m.id))
            .collect();
        Ok(report)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn get(&self, id: &UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, id.to_string()).await
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn by_hash(&self, hash: &ContentHash) -> Result<Option<Model>> {
        Ok(Entity::find()
            .filter(Column::ContentHash.eq(hash.as_str()))
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn by_doc_type(&self, doc_type: DocType, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::DocType.eq(doc_type))
            .order_by_asc(Column::SourceUrl)
            .order_by_asc(Column::ChunkIndex)
            .order_by_asc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn by_doc_type_and_source(
        &self,
        doc_type: DocType,
        source_url: &HttpUrl,
    ) -> Result<Vec<Model>> {
        Ok(Entity::find()
            .filter(Column::DocType.eq(doc_type))
            .filter(Column::SourceUrl.eq(source_url.as_str()))
            .order_by_asc(Column::ChunkIndex)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn by_source_url(&self, source_url: &HttpUrl) -> Result<Vec<Model>> {
        Ok(Entity::find()
            .filter(Column::SourceUrl.eq(source_url.as_str()))
            .order_by_asc(Column::ChunkIndex)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn by_embedding_id(&self, embedding_id: &RecordId) -> Result<Vec<Model>> {
        Ok(Entity::find()
            .filter(Column::EmbeddingId.eq(embedding_id.as_str()))
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn delete_by_source_url(&self, source_url: &HttpUrl) -> Result<Vec<Model>> {
        let txn = begin_write(&self.db).await?;
        let rows = Entity::find()
            .filter(Column::SourceUrl.eq(source_url.as_str()))
            .order_by_asc(Column::ChunkIndex)
            .order_by_asc(Column::Id)
            .all(&txn)
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        delete_in(&txn, Column::Id, &ids).await?;
        txn.commit().await?;
        Ok(rows)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk", db.rows = ids.len()))]
    async fn delete_ids(&self, ids: Vec<String>) -> Result<u64> {
        let txn = begin_write(&self.db).await?;
        let deleted = delete_in(&txn, Column::Id, &ids).await?;
        txn.commit().await?;
        Ok(deleted)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk", db.rows = embedding_ids.len()))]
    async fn delete_by_embedding_ids(&self, embedding_ids: Vec<String>) -> Result<u64> {
        let txn = begin_write(&self.db).await?;
        let deleted = delete_in(&txn, Column::EmbeddingId, &embedding_ids).await?;
        txn.commit().await?;
        Ok(deleted)
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn embedding_ids_after(&self, after: Option<String>, limit: u64) -> Result<Vec<String>> {
        validate::range_i64(
            "limit",
            i64::try_from(limit).unwrap_or(i64::MAX),
            1,
            100_000,
        )?;
        let mut query = Entity::find()
            .select_only()
            .column(Column::EmbeddingId)
            .distinct()
            .filter(Column::EmbeddingId.is_not_null());
        if let Some(after) = after {
            query = query.filter(Column::EmbeddingId.gt(after));
        }
        let ids: Vec<Option<String>> = query
            .order_by_asc(Column::EmbeddingId)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().flatten().collect())
    }

    #[instrument(skip_all, fields(db.table = "document_chunk"))]
    async fn count(&self) -> Result<u64> {
        Ok(Entity::find().count(&self.db).await?)
    }
}

/// A chunk and the embedding of its text, for [`store_with_embeddings`].
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedChunk {
    /// The chunk; one with no `embedding_id` gets a new UUID as its vector id.
    pub chunk: NewChunk,
    /// Its embedding.
    pub embedding: Embedding,
}

/// Store chunks and their vectors so that no chunk points at a missing vector: the chunks are
/// stored in one transaction ([`ChunkRepository::store_many`], duplicates skipped), then the
/// vectors of the chunks inserted are upserted into `collection` (the document is the chunk's
/// text; the metadata its `source_url`, `doc_type` and `chunk_index`). When the upsert fails,
/// the chunks just inserted are deleted again (compensation) and the upsert's error returned.
///
/// This works with any [`VectorStore`] (a Chroma server cannot join a database transaction).
/// Skipped chunks keep the vector they have; theirs is not written.
///
/// # Errors
/// As [`ChunkRepository::store_many`]; the vector store's error (after compensation); when the
/// compensation itself fails, that [`Error::Db`] (the chunks then remain: run the orphan cleanup).
#[instrument(skip_all, fields(db.table = "document_chunk", db.rows = chunks.len()))]
pub async fn store_with_embeddings(
    repo: &dyn ChunkRepository,
    vectors: &dyn VectorStore,
    collection: &CollectionName,
    chunks: Vec<EmbeddedChunk>,
) -> Result<ChunkBatch> {
    let mut embeddings = Vec::with_capacity(chunks.len());
    let mut news = Vec::with_capacity(chunks.len());
    for EmbeddedChunk {
        mut chunk,
        embedding,
    } in chunks
    {
        if chunk.embedding_id.is_none() {
            chunk.embedding_id = Some(RecordId::parse(&UuidText::new_v4().to_string())?);
        }
        embeddings.push((chunk.content_hash(), embedding));
        news.push(chunk);
    }
    let batch = repo.store_many(news).await?;
    if batch.inserted.is_empty() {
        return Ok(batch);
    }
    let by_hash: std::collections::HashMap<String, Embedding> = embeddings
        .into_iter()
        .map(|(h, e)| (h.into_string(), e))
        .collect();
    let mut records = Vec::with_capacity(batch.inserted.len());
    for row in &batch.inserted {
        let (Some(id), Some(hash)) = (&row.embedding_id, &row.content_hash) else {
            continue;
        };
        let embedding = by_hash.get(hash).cloned().unwrap_or_default();
        let mut record = VectorRecord::new(RecordId::parse(id)?, embedding)
            .document(row.content.clone())
            .meta("source_url", row.source_url.clone())
            .meta("chunk_index", i64::from(row.chunk_index));
        if let Some(doc_type) = row.doc_type {
            record = record.meta("doc_type", doc_type.to_value());
        }
        records.push(record);
    }
    if let Err(err) = vectors.upsert(collection, records).await {
        let ids = batch.inserted.iter().map(|r| r.id.clone()).collect();
        repo.delete_ids(ids).await?;
        tracing::warn!(error = %err, "vector upsert failed; the chunks inserted were removed");
        return Err(err);
    }
    Ok(batch)
}

/// Store chunks and their vectors in the embedded vector store in one transaction of `db`: the
/// chunks ([`ChunkRepository::store_many`], duplicates skipped) and the vectors of those inserted
/// commit together or not at all, so no chunk ever points at a missing vector and no
/// compensation is needed. Use [`store_with_embeddings`] for a store that cannot join a
/// database transaction (Chroma).
///
/// # Errors
/// As [`store_with_embeddings`]; on any error nothing is written.
#[instrument(skip_all, fields(db.table = "document_chunk", db.rows = chunks.len()))]
pub async fn store_with_embeddings_atomic(
    db: &sea_orm::DatabaseConnection,
    collection: &CollectionName,
    chunks: Vec<EmbeddedChunk>,
) -> Result<ChunkBatch> {
    let txn = begin_write(db).await?;
    let batch = store_with_embeddings(
        &ChunkStore::new(sea_orm::DatabaseExecutor::from(&txn)),
        &EmbeddedVectorStore::new(sea_orm::DatabaseExecutor::from(&txn)),
        collection,
        chunks,
    )
    .await?;
    txn.commit().await?;
    Ok(batch)
}

/// Delete the chunks of one page and their vectors in `collection`: the chunks first (one
/// transaction), then the vectors they named. Returns the chunks deleted and how many vectors
/// existed.
///
/// # Errors
/// [`Error::Db`] (nothing deleted); the vector store's error (the chunks are gone, the vectors
/// remain: they point at nothing and a retry of the vector delete is harmless).
#[instrument(skip_all)]
pub async fn delete_source_with_vectors(
    repo: &dyn ChunkRepository,
    vectors: &dyn VectorStore,
    collection: &CollectionName,
    source_url: &HttpUrl,
) -> Result<(Vec<Model>, u64)> {
    let rows = repo.delete_by_source_url(source_url).await?;
    let ids = rows
        .iter()
        .filter_map(|r| r.embedding_id.as_deref())
        .map(RecordId::parse)
        .collect::<Result<Vec<_>>>()?;
    let removed = if ids.is_empty() {
        0
    } else {
        vectors.delete(collection, &ids).await?
    };
    Ok((rows, removed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::MockVectorStore;

    fn chunk(i: i32) -> NewChunk {
        NewChunk::new(
            "https://react.dev/learn".parse().expect("url"),
            DocType::React,
            i,
            format!("chunk {i}"),
        )
    }

    fn row(new: NewChunk) -> Model {
        let hash = new.content_hash();
        new.into_model(hash)
    }

    #[tokio::test]
    async fn a_failed_vector_upsert_removes_the_chunks_inserted() {
        let mut repo = MockChunkRepository::new();
        repo.expect_store_many().returning(|news| {
            let mut it = news.into_iter();
            let first = row(it.next().expect("one"));
            Ok(ChunkBatch {
                inserted: vec![first],
                skipped: vec![1],
            })
        });
        repo.expect_delete_ids()
            .times(1)
            .withf(|ids| ids.len() == 1)
            .returning(|_| Ok(1));
        let mut vectors = MockVectorStore::new();
        vectors.expect_upsert().times(1).returning(|_, records| {
            assert_eq!(records.len(), 1);
            assert_eq!(records[0].document.as_deref(), Some("chunk 0"));
            Err(Error::validation("embedding", "wrong dimension", 2))
        });
        let collection = CollectionName::parse("docs").expect("name");
        let chunks = (0..2)
            .map(|i| EmbeddedChunk {
                chunk: chunk(i),
                embedding: vec![0.1, 0.2],
            })
            .collect();
        let err = store_with_embeddings(&repo, &vectors, &collection, chunks)
            .await
            .expect_err("upsert fails");
        assert!(matches!(err, Error::Validation { .. }), "{err}");
    }

    #[tokio::test]
    async fn vectors_follow_the_chunks_inserted() {
        let mut repo = MockChunkRepository::new();
        repo.expect_store_many().returning(|news| {
            Ok(ChunkBatch {
                inserted: news.into_iter().map(row).collect(),
                skipped: vec![],
            })
        });
        repo.expect_delete_ids().never();
        let mut vectors = MockVectorStore::new();
        vectors.expect_upsert().times(1).returning(|_, records| {
            assert_eq!(records.len(), 2);
            assert_eq!(records[1].embedding, vec![1.0, 1.0]);
            Ok(2)
        });
        let collection = CollectionName::parse("docs").expect("name");
        let chunks = (0..2_u8)
            .map(|i| EmbeddedChunk {
                chunk: chunk(i.into()),
                embedding: vec![f32::from(i); 2],
            })
            .collect();
        let batch = store_with_embeddings(&repo, &vectors, &collection, chunks)
            .await
            .expect("stored");
        assert_eq!(batch.inserted.len(), 2);
        assert!(batch.inserted.iter().all(|r| r.embedding_id.is_some()));
    }
}
