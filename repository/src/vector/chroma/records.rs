//! Records on the wire: Chroma's `get` (every read of records goes through
//! [`ChromaVectorStore::get_wire`]), the overwrite that makes Chroma's upsert replace a record,
//! and the decoding of what Chroma returns.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use reqwest::Method;
use serde_json::Value;

use super::client::Failure;
use super::wire::{self, Delete, Get, GetResponse, Upsert};
use super::{ChromaVectorStore, ServerInfo};
use crate::vector::{RecordId, StoredRecord, VectorRecord};
use crate::{Error, Result};

impl ChromaVectorStore {
    /// One `get` request on the collection with Chroma id `collection`.
    pub(super) async fn get_wire(
        &self,
        collection: &str,
        body: &Get<'_>,
    ) -> Result<GetResponse, Failure> {
        self.client
            .call(
                Method::POST,
                self.collection_url(collection, "get"),
                Some(body),
                self.timeouts.request,
                "get",
            )
            .await
    }

    /// The ids among `ids` that exist, with what the overwrite needs: metadata keys and whether
    /// there is a document.
    pub(super) async fn existing(
        &self,
        collection: &str,
        ids: &[String],
        include: &[&str],
    ) -> Result<GetResponse, Failure> {
        self.get_wire(
            collection,
            &Get {
                ids: Some(ids),
                filter: None,
                limit: None,
                include,
            },
        )
        .await
    }

    /// Write one batch (at most `max_batch` records, distinct ids) so that each record replaces
    /// whatever had its id.
    pub(super) async fn upsert_batch(
        &self,
        collection: &str,
        batch: &[VectorRecord],
        server: ServerInfo,
    ) -> Result<(), Failure> {
        let ids: Vec<String> = batch.iter().map(|r| r.id.as_str().to_owned()).collect();
        let old = self
            .existing(collection, &ids, &["metadatas", "documents"])
            .await?;
        let mut old_keys: HashMap<&str, Vec<&String>> = HashMap::new();
        let mut drop_document: Vec<String> = Vec::new();
        let new_by_id: HashMap<&str, &VectorRecord> =
            batch.iter().map(|r| (r.id.as_str(), r)).collect();
        for (i, id) in old.ids.iter().enumerate() {
            let Some(new) = new_by_id.get(id.as_str()) else {
                continue;
            };
            if let Some(Some(metadata)) = old.metadatas.as_ref().and_then(|m| m.get(i)) {
                let gone: Vec<&String> = metadata
                    .keys()
                    .filter(|k| !new.metadata.contains_key(k.as_str()))
                    .collect();
                if !gone.is_empty() {
                    old_keys.insert(id.as_str(), gone);
                }
            }
            let had_document = old
                .documents
                .as_ref()
                .and_then(|d| d.get(i))
                .is_some_and(Option::is_some);
            if had_document && new.document.is_none() {
                drop_document.push(id.clone());
            }
        }
        if !drop_document.is_empty() {
            let body = Delete {
                ids: Some(&drop_document),
                filter: None,
            };
            self.client
                .send(
                    Method::POST,
                    self.collection_url(collection, "delete"),
                    Some(&body),
                    self.timeouts.request,
                    "delete",
                )
                .await?;
        }
        let metadatas: Vec<wire::WireMetadata> = batch
            .iter()
            .map(|r| {
                let mut map = wire::metadata_to_json(&r.metadata);
                // A key the record no longer has is removed by sending it as null; not for a
                // record deleted above (it is written afresh).
                if !drop_document.iter().any(|d| d == r.id.as_str())
                    && let Some(gone) = old_keys.get(r.id.as_str())
                {
                    for key in gone {
                        map.insert((*key).clone(), Value::Null);
                    }
                }
                (!map.is_empty()).then_some(map)
            })
            .collect();
        let documents: Vec<Option<String>> = batch.iter().map(|r| r.document.clone()).collect();
        let body = Upsert {
            ids,
            embeddings: batch
                .iter()
                .map(|r| embedding_json(&r.embedding, server.base64))
                .collect(),
            documents: documents.iter().any(Option::is_some).then_some(documents),
            metadatas: metadatas.iter().any(Option::is_some).then_some(metadatas),
        };
        self.client
            .send(
                Method::POST,
                self.collection_url(collection, "upsert"),
                Some(&body),
                self.timeouts.request,
                "upsert",
            )
            .await?;
        Ok(())
    }
}

/// The records of a `get` answer.
pub(super) fn stored_records(answer: GetResponse) -> Result<Vec<StoredRecord>> {
    let GetResponse {
        ids,
        embeddings,
        documents,
        metadatas,
    } = answer;
    let mut embeddings = embeddings.unwrap_or_default().into_iter();
    let mut documents = documents.unwrap_or_default().into_iter();
    let mut metadatas = metadatas.unwrap_or_default().into_iter();
    ids.into_iter()
        .map(|id| {
            Ok(StoredRecord {
                id: record_id(id)?,
                embedding: embeddings.next().unwrap_or_default(),
                document: documents.next().flatten(),
                metadata: metadatas
                    .next()
                    .flatten()
                    .as_ref()
                    .map(wire::metadata_from)
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// An embedding as Chroma reads it: base64 of little-endian `f32`s when the server takes it
/// (a third of the bytes of decimal text, and no float formatting), else a list of numbers.
pub(super) fn embedding_json(embedding: &[f32], base64: bool) -> Value {
    if base64 {
        let bytes: Vec<u8> = embedding.iter().flat_map(|x| x.to_le_bytes()).collect();
        Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
    } else {
        Value::Array(
            embedding
                .iter()
                .map(|x| Value::from(f64::from(*x)))
                .collect(),
        )
    }
}

pub(super) fn record_id(id: String) -> Result<RecordId> {
    RecordId::parse(&id).map_err(|_| {
        Error::Vector(format!(
            "Chroma returned a record id this store cannot use ({} bytes)",
            id.len()
        ))
    })
}

/// `ids` without repeats, in first-seen order.
pub(super) fn distinct(ids: &[RecordId]) -> Vec<String> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .map(|id| id.as_str().to_owned())
        .collect()
}
