//! Queries: Chroma's k-nearest answer re-sorted and completed past ties at the `k`-th place,
//! and the exact answer from the matching records when Chroma's index finds fewer than asked.

use reqwest::Method;
use serde_json::Value;

use super::client::Failure;
use super::records::{record_id, stored_records};
use super::wire::{self, Get, Query, QueryResponse};
use super::{ChromaVectorStore, MATCH_FIELDS, RECORD_FIELDS, Resolved};
use crate::vector::{Distance, Embedding, QueryMatch, StoredRecord};

impl ChromaVectorStore {
    /// One query request for `embeddings`, `n` neighbours each, as lists sorted by distance, then
    /// id.
    async fn query_once(
        &self,
        collection: &str,
        embeddings: &[Vec<f32>],
        n: u32,
        filter: Option<&Value>,
    ) -> Result<Vec<Vec<QueryMatch>>, Failure> {
        let body = Query {
            query_embeddings: embeddings,
            n_results: n,
            filter,
            include: MATCH_FIELDS,
        };
        let answer: QueryResponse = self
            .client
            .call(
                Method::POST,
                self.collection_url(collection, "query"),
                Some(&body),
                self.timeouts.request,
                "query",
            )
            .await?;
        let mut lists = Vec::with_capacity(answer.ids.len());
        for (q, ids) in answer.ids.into_iter().enumerate() {
            let mut matches = Vec::with_capacity(ids.len());
            for (i, id) in ids.into_iter().enumerate() {
                let distance = cell(answer.distances.as_ref(), q, i);
                let metadata = cell(answer.metadatas.as_ref(), q, i);
                matches.push(QueryMatch {
                    id: record_id(id).map_err(Failure::Other)?,
                    distance: distance.unwrap_or(f64::INFINITY),
                    document: cell(answer.documents.as_ref(), q, i),
                    metadata: metadata
                        .as_ref()
                        .map(wire::metadata_from)
                        .unwrap_or_default(),
                });
            }
            matches.sort_by(|a, b| {
                a.distance
                    .total_cmp(&b.distance)
                    .then_with(|| a.id.cmp(&b.id))
            });
            lists.push(matches);
        }
        Ok(lists)
    }

    /// The `k` nearest to each embedding, ties at the `k`-th place broken by id.
    pub(super) async fn query_on(
        &self,
        collection: &Resolved,
        embeddings: &[Embedding],
        k: u32,
        filter: Option<&Value>,
        max_batch: usize,
    ) -> Result<Vec<Vec<QueryMatch>>, Failure> {
        let id = collection.id.as_str();
        let asked = k.saturating_add(1);
        let mut out = Vec::with_capacity(embeddings.len());
        // Read at most once per call, when Chroma's index answers with fewer than asked.
        let mut candidates: Option<Option<Vec<StoredRecord>>> = None;
        for chunk in embeddings.chunks(max_batch) {
            let lists = self.query_once(id, chunk, asked, filter).await?;
            for (embedding, mut list) in chunk.iter().zip(lists) {
                let mut n = asked;
                // While the last neighbour returned ties with the k-th, more may tie beyond it.
                while list.len() >= n as usize
                    && n < u32::MAX
                    && list[k as usize].distance == list[k as usize - 1].distance
                {
                    n = n.saturating_mul(2);
                    list = self
                        .query_once(id, std::slice::from_ref(embedding), n, filter)
                        .await?
                        .pop()
                        .unwrap_or_default();
                }
                if list.len() < n as usize {
                    // Chroma found fewer than asked: either that is every matching record, or its
                    // graph missed some (HNSW can leave a record unreachable). Answer exactly
                    // from the matching records themselves when they are few enough to read.
                    if candidates.is_none() {
                        candidates = Some(self.exact_candidates(id, filter).await?);
                    }
                    if let Some(Some(records)) = &candidates
                        && records.len() > list.len()
                    {
                        list = exact(collection.distance, embedding, records);
                    }
                }
                list.truncate(k as usize);
                out.push(list);
            }
        }
        Ok(out)
    }

    /// Every record matching `filter`, when there are at most [`EXACT_LIMIT`].
    async fn exact_candidates(
        &self,
        collection: &str,
        filter: Option<&Value>,
    ) -> Result<Option<Vec<StoredRecord>>, Failure> {
        let limit = u32::try_from(EXACT_LIMIT + 1).unwrap_or(u32::MAX);
        let body = Get {
            ids: None,
            filter,
            limit: Some(limit),
            include: RECORD_FIELDS,
        };
        let answer = self.get_wire(collection, &body).await?;
        if answer.ids.len() > EXACT_LIMIT {
            return Ok(None);
        }
        stored_records(answer).map(Some).map_err(Failure::Other)
    }
}

/// The most records a query reads to answer exactly when Chroma's index finds fewer neighbours
/// than asked (a few MB of JSON at 384 components).
const EXACT_LIMIT: usize = 2_000;

/// `records` as neighbours of `query` under `distance`, computed here, nearest first, ties by id.
fn exact(distance: Distance, query: &[f32], records: &[StoredRecord]) -> Vec<QueryMatch> {
    let mut matches: Vec<QueryMatch> = records
        .iter()
        .map(|r| QueryMatch {
            id: r.id.clone(),
            distance: distance.between(query, &r.embedding),
            document: r.document.clone(),
            metadata: r.metadata.clone(),
        })
        .collect();
    matches.sort_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then_with(|| a.id.cmp(&b.id))
    });
    matches
}

/// The value for query `q`, neighbour `i`, of one of the answer's optional lists.
fn cell<T: Clone>(lists: Option<&Vec<Vec<Option<T>>>>, q: usize, i: usize) -> Option<T> {
    lists?.get(q)?.get(i)?.clone()
}
