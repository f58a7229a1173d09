//! [`ChromaVectorStore`]: the [`VectorStore`] of a Chroma server (HTTP API v2), through `reqwest`
//! and this module's own serde types of Chroma's JSON.
//!
//! # How Chroma's behaviour is made the trait's
//!
//! - **Distance** is the collection's index configuration (`{"hnsw": {"space": …}}`), which
//!   Chroma 1.x honours and reports; Chroma's numbers are the trait's (`l2` squared, `1 - cos`,
//!   `1 - a·b`), sent as `f32` and returned as `f64`.
//! - **Dimension**: Chroma fixes it at the first record added, so it is also kept in the
//!   collection's metadata (`dal:dimension`, hidden from callers) and every embedding is checked
//!   here, before anything is sent.
//! - **Upsert overwrites**: Chroma's own upsert merges metadata into an existing record and keeps
//!   its document when none is sent. So each batch first reads which of its ids exist: keys the
//!   new metadata lacks are sent as `null` (which removes them), and records whose document would
//!   be dropped are deleted first. A batch larger than the server's `max_batch_size` is sent in
//!   several requests: each is all or nothing, the whole is not.
//! - **Order**: query results are re-sorted by distance, then id. Chroma's own order among equal
//!   distances is its insertion order, and which of several equally distant records it returns at
//!   the `k`-th place is arbitrary, so a query asks for `k + 1` neighbours, and for more while the
//!   last one returned ties with the `k`-th.
//! - **Recall**: Chroma's HNSW index is approximate: it may miss some of the true nearest
//!   neighbours of high-dimensional data, and its graph can leave a record unreachable.
//!   [`ChromaConfig::ef_search`] (set on the collections this store creates) trades query speed
//!   for recall. When Chroma returns fewer neighbours than asked (the query asked for at least
//!   every matching record, or the graph missed some), the store reads the matching records
//!   themselves (up to 2,000) and ranks them here, so such an answer is exact.
//! - **`get`** answers in the order of the ids asked for (Chroma answers in its insertion order).
//!   **`delete`** counts the ids that existed (Chroma counts the ids it was sent).
//! - **`list_ids`** reads every id of the collection (ids only, one request), sorts them and
//!   returns the page: Chroma's `get` pages by offset in insertion order, which is not id order.
//!   So each page costs a read of all ids (a few bytes of JSON per id), and paging through a
//!   collection of `n` ids in pages of `p` reads `n²/p` ids.
//! - **Filters** are [`Filter`]s, written as Chroma's `where` so that Chroma evaluates them as
//!   [`Filter::matches`] does (see [`wire::where_clause`]).
//!
//! # Outages
//!
//! Every request is bounded: connecting by [`ChromaTimeouts::connect`], each call by
//! [`ChromaTimeouts::request`] ([`ChromaTimeouts::health`] for [`VectorStore::health`]). A server
//! that is down, or accepts connections and never answers, makes calls fail with
//! [`Error::Vector`] within those bounds; [`VectorStore::health`] reports it as unreachable with
//! the cause. [`ChromaVectorStore::new`] does no I/O, so a process starts while Chroma is down; the
//! database is created (if missing) by the first call that reaches the server.

mod client;
mod config;
mod records;
mod search;
mod wire;

pub use config::{ChromaConfig, ChromaTimeouts};

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::{StreamExt as _, TryStreamExt as _};
use reqwest::Method;
use serde_json::Value;
use tokio::sync::OnceCell;
use tracing::{instrument, warn};
use url::Url;

use self::client::{Client, Failure};
use self::records::{distinct, record_id, stored_records};
use self::wire::{
    CreateCollection, DIMENSION_KEY, Delete, DeleteResponse, Get, PreFlight, RESERVED_PREFIXES,
    WireCollection,
};
use super::types::validate_embedding;
use super::{
    Collection, CollectionName, Distance, Embedding, Filter, NewCollection, QueryMatch, RecordId,
    StoredRecord, VectorHealth, VectorRecord, VectorStore,
};
use crate::{Error, Page, Result, redact_url};

/// What the server told us once: its batch limit and whether it reads base64 embeddings.
#[derive(Debug, Clone, Copy)]
struct ServerInfo {
    max_batch: usize,
    base64: bool,
}

/// A collection's Chroma id and what is checked against it.
#[derive(Debug, Clone, PartialEq)]
struct Resolved {
    id: String,
    /// 0 while unknown (a collection another client made, still empty).
    dimension: u32,
    distance: Distance,
}

/// The [`VectorStore`] of one database of a Chroma server.
pub struct ChromaVectorStore {
    client: Client,
    tenant: String,
    database: String,
    timeouts: ChromaTimeouts,
    ef_search: Option<u32>,
    /// Set once the database is known to exist.
    server: OnceCell<ServerInfo>,
    /// Collection names to Chroma ids (ids never change; a collection deleted and re-created
    /// elsewhere answers 404 under its old id, which re-resolves the name).
    collections: RwLock<HashMap<CollectionName, Resolved>>,
}

impl fmt::Debug for ChromaVectorStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChromaVectorStore")
            .field("url", &self.client.shown())
            .field("tenant", &self.tenant)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

/// What `get` asks Chroma to include for a record.
const RECORD_FIELDS: &[&str] = &["embeddings", "metadatas", "documents"];
/// What a query asks Chroma to include for a neighbour.
const MATCH_FIELDS: &[&str] = &["distances", "metadatas", "documents"];
/// Chroma's `max_batch_size` when the server does not say.
const DEFAULT_MAX_BATCH: usize = 1000;

impl ChromaVectorStore {
    /// A store for `config`, without contacting the server (calls do, each within its timeout).
    ///
    /// # Errors
    /// [`Error::Config`] when the URL is not `http(s)://…`, or the tenant, database or token is
    /// unusable.
    pub fn new(config: &ChromaConfig) -> Result<Self> {
        let shown = redact_url(&config.url);
        let base = Url::parse(&config.url)
            .map_err(|e| Error::Config(format!("the Chroma URL {shown} does not parse: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::Config(format!(
                "the Chroma URL {shown} must start with http:// or https://"
            )));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(Error::Config(format!(
                "the Chroma URL {shown} must not have a query or fragment"
            )));
        }
        for (what, value) in [("tenant", &config.tenant), ("database", &config.database)] {
            if value.trim().is_empty() {
                return Err(Error::Config(format!(
                    "the Chroma {what} must not be empty"
                )));
            }
        }
        let client = Client::new(
            base,
            shown,
            config.timeouts.connect,
            config.token.as_deref(),
        )?;
        Ok(Self {
            client,
            tenant: config.tenant.clone(),
            database: config.database.clone(),
            timeouts: config.timeouts,
            ef_search: config.ef_search,
            server: OnceCell::new(),
            collections: RwLock::new(HashMap::new()),
        })
    }

    /// A store for `config`, once the server answered and the database exists (created when
    /// missing).
    ///
    /// # Errors
    /// [`Error::Config`] as for [`Self::new`], or when the tenant does not exist;
    /// [`Error::Vector`] when the server cannot be reached within the timeouts or fails.
    pub async fn connect(config: &ChromaConfig) -> Result<Self> {
        let store = Self::new(config)?;
        store.server().await?;
        Ok(store)
    }

    /// The server's URL, redacted, with the tenant and database.
    #[must_use]
    pub fn target(&self) -> String {
        format!(
            "{} ({}/{})",
            self.client.shown().trim_end_matches('/'),
            self.tenant,
            self.database
        )
    }

    fn database_url(&self, tail: &[&str]) -> Url {
        let mut segments = vec![
            "tenants",
            self.tenant.as_str(),
            "databases",
            self.database.as_str(),
        ];
        segments.extend_from_slice(tail);
        self.client.url(&segments)
    }

    fn collection_url(&self, id: &str, op: &str) -> Url {
        self.database_url(&["collections", id, op])
    }

    /// Make sure the database exists, and learn the server's limits (once).
    async fn server(&self) -> Result<ServerInfo> {
        self.server
            .get_or_try_init(|| async {
                self.ensure_database().await?;
                let preflight: PreFlight = self
                    .client
                    .call(
                        Method::GET,
                        self.client.url(&["pre-flight-checks"]),
                        None::<&()>,
                        self.timeouts.request,
                        "pre-flight-checks",
                    )
                    .await
                    .map_err(Error::from)?;
                Ok(ServerInfo {
                    max_batch: preflight
                        .max_batch_size
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|n| *n > 0)
                        .unwrap_or(DEFAULT_MAX_BATCH),
                    base64: preflight.supports_base64_encoding.unwrap_or(false),
                })
            })
            .await
            .copied()
    }

    async fn ensure_database(&self) -> Result<()> {
        let timeout = self.timeouts.request;
        let url = self
            .client
            .url(&["tenants", &self.tenant, "databases", &self.database]);
        match self
            .client
            .send(Method::GET, url, None::<&()>, timeout, "get database")
            .await
        {
            Ok(_) => return Ok(()),
            Err(f) if f.is_not_found() => {}
            Err(f) => return Err(f.into()),
        }
        let url = self.client.url(&["tenants", &self.tenant, "databases"]);
        let body = serde_json::json!({ "name": self.database });
        match self
            .client
            .send(Method::POST, url, Some(&body), timeout, "create database")
            .await
        {
            // 409: another process created it meanwhile.
            Ok(_) | Err(Failure::Status(reqwest::StatusCode::CONFLICT, _)) => Ok(()),
            Err(f) if f.is_not_found() => Err(Error::Config(format!(
                "the Chroma tenant {} does not exist at {}",
                self.tenant,
                self.client.shown()
            ))),
            Err(f) => Err(f.into()),
        }
    }

    /// Read a collection by name.
    async fn fetch_collection(&self, name: &CollectionName) -> Result<WireCollection> {
        self.client
            .call(
                Method::GET,
                self.database_url(&["collections", name.as_str()]),
                None::<&()>,
                self.timeouts.request,
                "get collection",
            )
            .await
            .map_err(|f| f.into_error("collection", name.as_str()))
    }

    /// The collection's id, dimension and distance: cached, or read (and cached) when `fresh` or
    /// not cached yet.
    async fn resolve(&self, name: &CollectionName, fresh: bool) -> Result<Resolved> {
        if !fresh && let Some(found) = self.cached(name) {
            return Ok(found);
        }
        self.server().await?;
        let wire = self.fetch_collection(name).await?;
        self.remember(name, &wire)
    }

    fn cached(&self, name: &CollectionName) -> Option<Resolved> {
        self.collections
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    fn remember(&self, name: &CollectionName, wire: &WireCollection) -> Result<Resolved> {
        let distance = wire.distance().ok_or_else(|| {
            Error::Vector(format!(
                "Chroma collection {name} uses a distance this store does not know"
            ))
        })?;
        let resolved = Resolved {
            id: wire.id.clone(),
            dimension: wire.dimension(),
            distance,
        };
        self.collections
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.clone(), resolved.clone());
        Ok(resolved)
    }

    fn forget(&self, name: &CollectionName) {
        self.collections
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
    }

    /// Run `op` on the collection's id; when Chroma says that id no longer exists (the collection
    /// was deleted, maybe re-created, by another client), or `op` refused its input against what
    /// was cached, resolve the name afresh and, if it is another collection now, run `op` once
    /// more.
    async fn on_collection<T, F, Fut>(&self, name: &CollectionName, op: F) -> Result<T>
    where
        F: Fn(Resolved) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let cached = self.cached(name).is_some();
        let resolved = self.resolve(name, false).await?;
        let first_id = resolved.id.clone();
        match op(resolved).await {
            // A 404, or input refused against a cached dimension: the collection may have been
            // re-created elsewhere (a new id, maybe another dimension).
            Err(failure)
                if failure.is_not_found()
                    || (cached && matches!(failure, Failure::Other(Error::Validation { .. }))) =>
            {
                self.forget(name);
                let again = self.resolve(name, true).await?;
                if again.id == first_id {
                    return Err(failure.into_error("collection", name.as_str()));
                }
                op(again)
                    .await
                    .map_err(|f| f.into_error("collection", name.as_str()))
            }
            other => other.map_err(|f| f.into_error("collection", name.as_str())),
        }
    }

    async fn count_by_id(&self, id: &str, timeout: Duration) -> Result<u64, Failure> {
        self.client
            .call(
                Method::GET,
                self.collection_url(id, "count"),
                None::<&()>,
                timeout,
                "count",
            )
            .await
    }

    fn collection(
        &self,
        name: CollectionName,
        wire: &WireCollection,
        count: u64,
    ) -> Result<Collection> {
        let resolved = self.remember(&name, wire)?;
        Ok(Collection {
            name,
            dimension: resolved.dimension,
            distance: resolved.distance,
            metadata: wire.user_metadata(),
            count,
        })
    }

    /// Every collection of the database, as Chroma lists them, within `timeout` per request.
    async fn list_wire(&self, timeout: Duration) -> Result<Vec<WireCollection>> {
        const PAGE: usize = 100;
        let mut all = Vec::new();
        loop {
            let mut url = self.database_url(&["collections"]);
            url.query_pairs_mut()
                .append_pair("limit", &PAGE.to_string())
                .append_pair("offset", &all.len().to_string());
            let page: Vec<WireCollection> = self
                .client
                .call(Method::GET, url, None::<&()>, timeout, "list collections")
                .await?;
            let done = page.len() < PAGE;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// Every collection with its record count, by name.
    async fn collections_with_counts(&self, timeout: Duration) -> Result<Vec<Collection>> {
        let wires = self.list_wire(timeout).await?;
        let mut collections: Vec<Collection> = futures::stream::iter(wires)
            .filter_map(|wire| async move {
                match CollectionName::parse(&wire.name) {
                    Ok(name) => Some((name, wire)),
                    Err(_) => {
                        warn!("skipping a Chroma collection whose name this store cannot use");
                        None
                    }
                }
            })
            .map(|(name, wire)| async move {
                match self.count_by_id(&wire.id, timeout).await {
                    Ok(count) => self.collection(name, &wire, count).map(Some),
                    // Deleted by another client since it was listed.
                    Err(f) if f.is_not_found() => Ok(None),
                    Err(f) => Err(f.into_error("collection", name.as_str())),
                }
            })
            .buffer_unordered(8)
            .try_filter_map(|c| async move { Ok(c) })
            .try_collect()
            .await?;
        collections.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(collections)
    }
}

#[async_trait]
impl VectorStore for ChromaVectorStore {
    #[instrument(skip_all, fields(vector.collection = %new.name, vector.dimension = new.dimension))]
    async fn create_collection(&self, new: NewCollection) -> Result<Collection> {
        new.validate()?;
        if let Some(key) = new
            .metadata
            .keys()
            .find(|k| RESERVED_PREFIXES.iter().any(|p| k.starts_with(p)))
        {
            return Err(Error::validation(
                format!("metadata.{key}"),
                "keys starting with dal:, hnsw: or chroma: are reserved",
                key,
            ));
        }
        self.server().await?;
        let mut metadata = wire::metadata_to_json(&new.metadata);
        metadata.insert(DIMENSION_KEY.to_owned(), Value::from(new.dimension));
        let body = CreateCollection {
            name: new.name.as_str(),
            configuration: wire::configuration(new.distance, self.ef_search),
            metadata,
            get_or_create: true,
        };
        let wire: WireCollection = self
            .client
            .call(
                Method::POST,
                self.database_url(&["collections"]),
                Some(&body),
                self.timeouts.request,
                "create collection",
            )
            .await
            .map_err(|f| f.into_error("collection", new.name.as_str()))?;
        let resolved = self.remember(&new.name, &wire)?;
        let dimension_ok = resolved.dimension == new.dimension || resolved.dimension == 0;
        if resolved.distance != new.distance || !dimension_ok {
            return Err(Error::Conflict(format!(
                "collection {} exists with dimension {} and distance {}",
                new.name, resolved.dimension, resolved.distance
            )));
        }
        let count = self
            .count_by_id(&resolved.id, self.timeouts.request)
            .await
            .map_err(|f| f.into_error("collection", new.name.as_str()))?;
        let mut collection = self.collection(new.name, &wire, count)?;
        if collection.dimension == 0 {
            collection.dimension = new.dimension;
        }
        Ok(collection)
    }

    #[instrument(skip_all, fields(vector.collection = %name))]
    async fn get_collection(&self, name: &CollectionName) -> Result<Collection> {
        self.server().await?;
        let wire = self.fetch_collection(name).await?;
        let count = self
            .count_by_id(&wire.id, self.timeouts.request)
            .await
            .map_err(|f| f.into_error("collection", name.as_str()))?;
        self.collection(name.clone(), &wire, count)
    }

    #[instrument(skip_all)]
    async fn list_collections(&self) -> Result<Vec<Collection>> {
        self.server().await?;
        self.collections_with_counts(self.timeouts.request).await
    }

    #[instrument(skip_all, fields(vector.collection = %name))]
    async fn delete_collection(&self, name: &CollectionName) -> Result<()> {
        self.server().await?;
        self.forget(name);
        self.client
            .send(
                Method::DELETE,
                self.database_url(&["collections", name.as_str()]),
                None::<&()>,
                self.timeouts.request,
                "delete collection",
            )
            .await
            .map_err(|f| f.into_error("collection", name.as_str()))?;
        Ok(())
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.records = records.len()))]
    async fn upsert(&self, collection: &CollectionName, records: Vec<VectorRecord>) -> Result<u64> {
        let server = self.server().await?;
        // The last occurrence of each id wins, as if the records were written one by one.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            last.insert(record.id.as_str(), i);
        }
        let written = u64::try_from(last.len()).unwrap_or(u64::MAX);
        let keep: Vec<bool> = (0..records.len())
            .map(|i| last.get(records[i].id.as_str()) == Some(&i))
            .collect();
        drop(last);
        let (records, keep) = (&records, &keep);
        self.on_collection(collection, |resolved: Resolved| async move {
            let dimension = match resolved.dimension {
                0 => records
                    .first()
                    .and_then(|r| u32::try_from(r.embedding.len()).ok())
                    .filter(|d| *d > 0)
                    .unwrap_or(1),
                d => d,
            };
            for (i, record) in records.iter().enumerate() {
                record.validate(i, dimension).map_err(Failure::Other)?;
            }
            if records.is_empty() {
                // Nothing to write, but the collection must exist.
                self.count_by_id(&resolved.id, self.timeouts.request)
                    .await?;
                return Ok(());
            }
            let batch: Vec<VectorRecord> = records
                .iter()
                .zip(keep)
                .filter(|(_, keep)| **keep)
                .map(|(r, _)| r.clone())
                .collect();
            for chunk in batch.chunks(server.max_batch) {
                self.upsert_batch(&resolved.id, chunk, server).await?;
            }
            if resolved.dimension == 0 {
                // Chroma fixed it with these records.
                let mut cache = self
                    .collections
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(entry) = cache.get_mut(collection) {
                    entry.dimension = dimension;
                }
            }
            Ok(())
        })
        .await?;
        Ok(if records.is_empty() { 0 } else { written })
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.ids = ids.len()))]
    async fn get(
        &self,
        collection: &CollectionName,
        ids: &[RecordId],
    ) -> Result<Vec<StoredRecord>> {
        let server = self.server().await?;
        let wanted = &distinct(ids);
        let mut found = self
            .on_collection(collection, |resolved: Resolved| async move {
                let mut found: HashMap<String, StoredRecord> = HashMap::with_capacity(wanted.len());
                if wanted.is_empty() {
                    self.count_by_id(&resolved.id, self.timeouts.request)
                        .await?;
                }
                for chunk in wanted.chunks(server.max_batch) {
                    let answer = self.existing(&resolved.id, chunk, RECORD_FIELDS).await?;
                    for record in stored_records(answer).map_err(Failure::Other)? {
                        found.insert(record.id.as_str().to_owned(), record);
                    }
                }
                Ok(found)
            })
            .await?;
        // Chroma answers in its own order: give the order asked for.
        Ok(wanted.iter().filter_map(|id| found.remove(id)).collect())
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.ids = ids.len()))]
    async fn delete(&self, collection: &CollectionName, ids: &[RecordId]) -> Result<u64> {
        let server = self.server().await?;
        let wanted = &distinct(ids);
        self.on_collection(collection, |resolved: Resolved| async move {
            if wanted.is_empty() {
                self.count_by_id(&resolved.id, self.timeouts.request)
                    .await?;
                return Ok(0);
            }
            let mut deleted = 0_u64;
            for chunk in wanted.chunks(server.max_batch) {
                // Chroma counts the ids it is sent; the trait counts those that existed.
                let existing = self.existing(&resolved.id, chunk, &[]).await?.ids;
                if existing.is_empty() {
                    continue;
                }
                let body = Delete {
                    ids: Some(&existing),
                    filter: None,
                };
                self.client
                    .send(
                        Method::POST,
                        self.collection_url(&resolved.id, "delete"),
                        Some(&body),
                        self.timeouts.request,
                        "delete",
                    )
                    .await?;
                deleted += u64::try_from(existing.len()).unwrap_or(u64::MAX);
            }
            Ok(deleted)
        })
        .await
    }

    #[instrument(skip_all, fields(vector.collection = %collection))]
    async fn delete_where(&self, collection: &CollectionName, filter: &Filter) -> Result<u64> {
        filter.validate()?;
        self.server().await?;
        let clause = &wire::where_clause(filter);
        self.on_collection(collection, |resolved: Resolved| async move {
            let body = Delete {
                ids: None,
                filter: Some(clause.clone()),
            };
            let answer: DeleteResponse = self
                .client
                .call(
                    Method::POST,
                    self.collection_url(&resolved.id, "delete"),
                    Some(&body),
                    self.timeouts.request,
                    "delete",
                )
                .await?;
            Ok(answer.deleted.unwrap_or(0))
        })
        .await
    }

    #[instrument(skip_all, fields(vector.collection = %collection, db.limit = page.limit, db.offset = page.offset))]
    async fn list_ids(&self, collection: &CollectionName, page: Page) -> Result<Vec<RecordId>> {
        let page = page.validate()?;
        self.server().await?;
        let mut ids = self
            .on_collection(collection, |resolved: Resolved| async move {
                let body = Get {
                    ids: None,
                    filter: None,
                    limit: None,
                    include: &[],
                };
                Ok(self.get_wire(&resolved.id, &body).await?.ids)
            })
            .await?;
        ids.sort_unstable();
        let start = usize::try_from(page.offset)
            .unwrap_or(usize::MAX)
            .min(ids.len());
        let end = start
            .saturating_add(usize::try_from(page.limit).unwrap_or(usize::MAX))
            .min(ids.len());
        ids.drain(start..end).map(record_id).collect()
    }

    #[instrument(skip_all, fields(vector.collection = %collection))]
    async fn count(&self, collection: &CollectionName) -> Result<u64> {
        self.server().await?;
        self.on_collection(collection, |resolved: Resolved| async move {
            self.count_by_id(&resolved.id, self.timeouts.request).await
        })
        .await
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.queries = embeddings.len(), vector.k = k))]
    async fn query(
        &self,
        collection: &CollectionName,
        embeddings: &[Embedding],
        k: u32,
        filter: Option<Filter>,
    ) -> Result<Vec<Vec<QueryMatch>>> {
        if k == 0 {
            return Err(Error::validation("k", "must be at least 1", 0));
        }
        if let Some(filter) = &filter {
            filter.validate()?;
        }
        let server = self.server().await?;
        let clause = &filter.as_ref().map(wire::where_clause);
        self.on_collection(collection, |resolved: Resolved| async move {
            let dimension = match resolved.dimension {
                0 => embeddings
                    .first()
                    .and_then(|e| u32::try_from(e.len()).ok())
                    .filter(|d| *d > 0)
                    .unwrap_or(1),
                d => d,
            };
            for (i, embedding) in embeddings.iter().enumerate() {
                validate_embedding(&format!("embeddings[{i}]"), embedding, dimension)
                    .map_err(Failure::Other)?;
            }
            if embeddings.is_empty() {
                self.count_by_id(&resolved.id, self.timeouts.request)
                    .await?;
                return Ok(Vec::new());
            }
            if resolved.dimension == 0
                && self
                    .count_by_id(&resolved.id, self.timeouts.request)
                    .await?
                    == 0
            {
                // A collection another client made and nobody filled: no neighbours.
                return Ok(vec![Vec::new(); embeddings.len()]);
            }
            self.query_on(&resolved, embeddings, k, clause.as_ref(), server.max_batch)
                .await
        })
        .await
    }

    #[instrument(skip_all)]
    async fn health(&self) -> VectorHealth {
        let timeout = self.timeouts.health;
        let mut health = VectorHealth {
            backend: "chroma".to_owned(),
            target: self.target(),
            reachable: false,
            round_trip_ms: None,
            collections: Vec::new(),
            error: None,
        };
        let started = Instant::now();
        let beat = self
            .client
            .send(
                Method::GET,
                self.client.url(&["heartbeat"]),
                None::<&()>,
                timeout,
                "heartbeat",
            )
            .await;
        if let Err(failure) = beat {
            health.error = Some(Error::from(failure).to_string());
            return health;
        }
        health.reachable = true;
        health.round_trip_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        match tokio::time::timeout(timeout, self.collections_with_counts(timeout)).await {
            Ok(Ok(collections)) => {
                health.collections = collections.into_iter().map(|c| (c.name, c.count)).collect();
            }
            Ok(Err(error)) => health.error = Some(format!("listing collections: {error}")),
            Err(_) => {
                health.error = Some(format!("listing collections took longer than {timeout:?}"));
            }
        }
        health
    }
}
