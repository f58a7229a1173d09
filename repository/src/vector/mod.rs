//! Vector collections: one [`VectorStore`] trait, two backends that pass one behavioural suite.
//!
//! - The embedded store keeps vectors in the project's own database (the SQLite file, or
//!   PostgreSQL's own tables), so a chunk and its embedding can commit in one transaction, and
//!   answers k-nearest-neighbour queries exactly.
//! - The Chroma store speaks to a Chroma server over HTTP (the seeds' engine), for collections
//!   larger than one process should hold.
//!
//! Distances follow Chroma's definitions, so both backends return the same numbers:
//! [`Distance::L2`] is the *squared* Euclidean distance, [`Distance::Cosine`] is
//! `1 - cos(a, b)`, [`Distance::InnerProduct`] is `1 - a·b`. Results come nearest first, ties
//! broken by id.

mod chroma;
mod embedded;
mod filter;
mod replica;
mod types;

use async_trait::async_trait;

pub use chroma::{ChromaConfig, ChromaTimeouts, ChromaVectorStore};
pub use embedded::{EmbeddedVectorStore, VectorDb};
pub use filter::{Filter, FilterValue};
pub use types::{
    Collection, CollectionName, Distance, Embedding, Metadata, MetadataValue, NewCollection,
    QueryMatch, RecordId, StoredRecord, VectorHealth, VectorRecord,
};

use crate::{Page, Result};

/// Collections of embeddings with metadata, and k-nearest-neighbour search over them.
///
/// Every method validates its input before anything is written: a vector of the wrong dimension,
/// a NaN or infinite component, an empty id, a bad collection name or a malformed filter is an
/// [`crate::Error::Validation`] naming the field, and nothing of the call is stored.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait VectorStore: Send + Sync {
    /// Create a collection, or return the existing one when it has the same dimension and
    /// distance (so that start-up code can call it every time).
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when a collection of that name exists with another dimension or
    /// distance; [`crate::Error::Validation`] for a bad name, a zero dimension or bad metadata.
    async fn create_collection(&self, new: NewCollection) -> Result<Collection>;

    /// One collection, with its record count.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when there is none of that name.
    async fn get_collection(&self, name: &CollectionName) -> Result<Collection>;

    /// Every collection, by name, with record counts.
    ///
    /// # Errors
    /// The backend's error.
    async fn list_collections(&self) -> Result<Vec<Collection>>;

    /// Delete a collection and all its records.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when there is none of that name.
    async fn delete_collection(&self, name: &CollectionName) -> Result<()>;

    /// Insert or overwrite records by id (all or nothing); returns how many were written.
    /// An id repeated within `records` keeps its last occurrence.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for a missing collection; [`crate::Error::Validation`] for a
    /// record of the wrong dimension, a non-finite component, an empty id or bad metadata.
    async fn upsert(&self, collection: &CollectionName, records: Vec<VectorRecord>) -> Result<u64>;

    /// The records with these ids that exist, in the order of `ids`, with their embeddings.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for a missing collection.
    async fn get(&self, collection: &CollectionName, ids: &[RecordId])
    -> Result<Vec<StoredRecord>>;

    /// Delete records by id; returns how many existed.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for a missing collection.
    async fn delete(&self, collection: &CollectionName, ids: &[RecordId]) -> Result<u64>;

    /// Delete every record whose metadata matches `filter`; returns how many.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for a missing collection.
    async fn delete_where(&self, collection: &CollectionName, filter: &Filter) -> Result<u64>;

    /// One page of record ids, in id order (paging through all of them lists every id once).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for a missing collection; [`crate::Error::Validation`] for a bad
    /// page.
    async fn list_ids(&self, collection: &CollectionName, page: Page) -> Result<Vec<RecordId>>;

    /// How many records the collection holds.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for a missing collection.
    async fn count(&self, collection: &CollectionName) -> Result<u64>;

    /// The `k` records nearest to each of `embeddings` (one result list per query embedding),
    /// among those whose metadata matches `filter`, nearest first, ties broken by id.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for a missing collection; [`crate::Error::Validation`] for an
    /// embedding of the wrong dimension or with a non-finite component, or `k` of 0.
    async fn query(
        &self,
        collection: &CollectionName,
        embeddings: &[Embedding],
        k: u32,
        filter: Option<Filter>,
    ) -> Result<Vec<Vec<QueryMatch>>>;

    /// Whether the store answers, its round trip, and every collection with its record count.
    /// Never fails: an unreachable store is reported as such.
    async fn health(&self) -> VectorHealth;
}
