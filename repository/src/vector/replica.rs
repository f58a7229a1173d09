//! The in-process copy of a collection and the exact k-nearest-neighbour search over it.
//!
//! A [`Replica`] holds every record of one collection: the embeddings in one contiguous `f32`
//! buffer (row after row), with what the search needs per row (a norm), the ids and documents,
//! and the metadata by key, each value coded in a dictionary of the key's distinct values (a
//! filter is evaluated once per distinct value, then looked up per row).
//! [`Replica::search_batch`] answers several searches in one pass over the rows:
//!
//! 1. a tight `f32` loop per row and query (16 independent sums, which the compiler turns into
//!    SIMD), spread over the cores for large collections, gives an approximate distance for every
//!    row the query's filter lets through;
//! 2. a bounded heap finds the `k`-th smallest of them, and every row within the `f32` error
//!    bound of it is a candidate;
//! 3. the candidates' distances are computed again in `f64` ([`Distance::between`]) and sorted
//!    by (distance, id).
//!
//! So the result is what a brute-force `f64` scan gives, ties broken by id, while almost all of
//! the work is the `f32` scan.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use super::filter::Filter;
use super::types::{Distance, Metadata, MetadataValue, QueryMatch, RecordId};

/// Rows × dimension above which a scan is split over the cores (below it, starting threads
/// costs more than it saves).
const PARALLEL_MIN_FLOATS: usize = 1 << 20;

/// Independent partial sums per dot product: enough for the compiler to fill SIMD registers.
const LANES: usize = 16;

/// One record of a collection as the copy holds it.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The id.
    pub id: RecordId,
    /// The embedding (`dimension` components).
    pub embedding: Vec<f32>,
    /// The document.
    pub document: Option<String>,
    /// The metadata.
    pub metadata: Metadata,
}

/// A metadata value as a dictionary key (floats by their bits: `-0.0` and `0.0`, or two NaNs,
/// are distinct entries, which only costs an entry).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
}

impl From<&MetadataValue> for ValueKey {
    fn from(value: &MetadataValue) -> Self {
        match value {
            MetadataValue::Bool(b) => Self::Bool(*b),
            MetadataValue::Int(i) => Self::Int(*i),
            MetadataValue::Float(f) => Self::Float(f.to_bits()),
            MetadataValue::Str(s) => Self::Str(s.clone()),
        }
    }
}

/// One metadata key over every row: a code per row (0: the row lacks the key, `c`: the row's
/// value is `values[c - 1]`).
#[derive(Debug, Default)]
struct Column {
    codes: Vec<u32>,
    values: Vec<MetadataValue>,
    index: HashMap<ValueKey, u32>,
}

impl Column {
    fn code(&mut self, value: &MetadataValue) -> u32 {
        let key = ValueKey::from(value);
        if let Some(&code) = self.index.get(&key) {
            return code;
        }
        self.values.push(value.clone());
        let code = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.index.insert(key, code);
        code
    }
}

/// Every record of one collection, laid out for scanning.
#[derive(Debug)]
pub(crate) struct Replica {
    dimension: usize,
    distance: Distance,
    /// `ids.len() * dimension` components.
    vectors: Vec<f32>,
    /// Per row: `1/|a|` for cosine (0 for a zero vector), `|a|` for the others.
    norms: Vec<f32>,
    ids: Vec<RecordId>,
    documents: Vec<Option<String>>,
    /// The metadata, by key.
    columns: HashMap<String, Column>,
    positions: HashMap<RecordId, usize>,
    /// The largest `|a|` (bounds the rounding error of inner products).
    max_norm: f32,
}

/// One search of a batch: query embeddings, how many neighbours, and a filter.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    /// The query embeddings.
    pub queries: Vec<Vec<f32>>,
    /// Neighbours per query.
    pub k: usize,
    /// The filter the neighbours match.
    pub filter: Option<Filter>,
}

/// A query embedding prepared for the scan.
struct Prepared<'a> {
    embedding: &'a [f32],
    /// `1/|q|` for cosine (0 for a zero vector), `|q|` otherwise.
    norm: f32,
}

fn norm(v: &[f32]) -> f32 {
    dot(v, v).sqrt()
}

/// `a · b` in `f32`, in [`LANES`] independent sums so that the loop vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0_f32; LANES];
    let (a_head, a_tail) = a.split_at(a.len() - a.len() % LANES);
    let (b_head, b_tail) = b.split_at(a_head.len().min(b.len()));
    for (x, y) in a_head.chunks_exact(LANES).zip(b_head.chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += x * y;
    }
    sum
}

/// `Σ (aᵢ - bᵢ)²` in `f32`, vectorised like [`dot`].
#[inline(always)]
fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0_f32; LANES];
    let (a_head, a_tail) = a.split_at(a.len() - a.len() % LANES);
    let (b_head, b_tail) = b.split_at(a_head.len().min(b.len()));
    for (x, y) in a_head.chunks_exact(LANES).zip(b_head.chunks_exact(LANES)) {
        for i in 0..LANES {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += (x - y) * (x - y);
    }
    sum
}

/// Score `rows` (row `start` onwards of the replica, `dimension` components each, with their
/// `norms`) against every query into `outs`, skipping rows a query's mask leaves out.
///
/// Compiled for several instruction sets (AVX-512, AVX2, …) and chosen at run time for the CPU
/// at hand, so that the loops of [`dot`] and [`squared_l2`], inlined here, use its widest
/// registers; the result is the same on every one (the same sums, in the same order).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma+avx",
    "x86_64+avx2+fma+avx",
    "aarch64+neon"
))]
#[allow(clippy::too_many_arguments)]
fn score_rows<'q>(
    rows: &[f32],
    norms: &[f32],
    dimension: usize,
    distance: Distance,
    start: usize,
    queries: &[Prepared<'q>],
    masks: &[Option<&[bool]>],
    outs: &mut [&mut [f32]],
) {
    for (offset, (row, &row_norm)) in rows.chunks_exact(dimension).zip(norms).enumerate() {
        let at = start + offset;
        for ((query, mask), out) in queries.iter().zip(masks).zip(outs.iter_mut()) {
            if mask.is_some_and(|m| !m[at]) {
                continue;
            }
            out[offset] = match distance {
                Distance::L2 => squared_l2(row, query.embedding),
                Distance::InnerProduct => 1.0 - dot(row, query.embedding),
                Distance::Cosine => 1.0 - dot(row, query.embedding) * row_norm * query.norm,
            };
        }
    }
}

/// An `f32` distance ordered totally (NaN last), with the row it belongs to.
#[derive(Debug, Clone, Copy)]
struct Scored(f32, usize);

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

impl Replica {
    /// An empty copy of a collection of `dimension`-component embeddings under `distance`.
    pub(crate) fn new(dimension: usize, distance: Distance) -> Self {
        Self {
            dimension,
            distance,
            vectors: Vec::new(),
            norms: Vec::new(),
            ids: Vec::new(),
            documents: Vec::new(),
            columns: HashMap::new(),
            positions: HashMap::new(),
            max_norm: 0.0,
        }
    }

    /// Make room for `more` records beyond those held (a load reserves once instead of growing
    /// the buffers step by step, which would hold two copies at each step).
    pub(crate) fn reserve(&mut self, more: usize) {
        self.vectors.reserve_exact(more * self.dimension);
        self.norms.reserve_exact(more);
        self.ids.reserve_exact(more);
        self.documents.reserve_exact(more);
        self.positions.reserve(more);
    }

    /// Records held.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Insert `row`, or overwrite the record with its id. Its embedding must have `dimension`
    /// components (the store checked it when it was written).
    pub(crate) fn put(&mut self, row: Row) {
        let n = norm(&row.embedding);
        self.max_norm = self.max_norm.max(n);
        let stored_norm = match self.distance {
            Distance::Cosine if n > 0.0 => 1.0 / n,
            Distance::Cosine => 0.0,
            Distance::L2 | Distance::InnerProduct => n,
        };
        let at = if let Some(&at) = self.positions.get(&row.id) {
            let d = self.dimension;
            self.vectors[at * d..(at + 1) * d].copy_from_slice(&row.embedding);
            self.norms[at] = stored_norm;
            self.documents[at] = row.document;
            for column in self.columns.values_mut() {
                column.codes[at] = 0;
            }
            at
        } else {
            let at = self.ids.len();
            self.positions.insert(row.id.clone(), at);
            self.vectors.extend_from_slice(&row.embedding);
            self.norms.push(stored_norm);
            self.ids.push(row.id);
            self.documents.push(row.document);
            for column in self.columns.values_mut() {
                column.codes.push(0);
            }
            at
        };
        let rows = self.ids.len();
        for (key, value) in &row.metadata {
            let column = self.columns.entry(key.clone()).or_default();
            column.codes.resize(rows, 0);
            column.codes[at] = column.code(value);
        }
    }

    /// The metadata of `row`.
    fn metadata(&self, row: usize) -> Metadata {
        self.columns
            .iter()
            .filter_map(|(key, column)| {
                let code = column.codes[row] as usize;
                (code > 0).then(|| (key.clone(), column.values[code - 1].clone()))
            })
            .collect()
    }

    /// Which rows `filter` matches: each comparison is evaluated once per distinct value of its
    /// key (with [`Filter::matches_value`], so exactly as [`Filter::matches`] does), then looked
    /// up per row.
    fn mask(&self, filter: &Filter) -> Vec<bool> {
        let n = self.len();
        match filter {
            Filter::And(all) => all.iter().fold(vec![true; n], |mut acc, f| {
                for (a, m) in acc.iter_mut().zip(self.mask(f)) {
                    *a &= m;
                }
                acc
            }),
            Filter::Or(any) => any.iter().fold(vec![false; n], |mut acc, f| {
                for (a, m) in acc.iter_mut().zip(self.mask(f)) {
                    *a |= m;
                }
                acc
            }),
            leaf => match leaf.key().and_then(|key| self.columns.get(key)) {
                None => vec![leaf.matches_value(None); n],
                Some(column) => {
                    let table: Vec<bool> = std::iter::once(leaf.matches_value(None))
                        .chain(column.values.iter().map(|v| leaf.matches_value(Some(v))))
                        .collect();
                    column.codes.iter().map(|&c| table[c as usize]).collect()
                }
            },
        }
    }

    /// The `k` nearest records to each query embedding among those `filter` matches, nearest
    /// first, ties broken by id. Every query embedding has `dimension` finite components.
    pub(crate) fn search(
        &self,
        queries: &[Vec<f32>],
        k: usize,
        filter: Option<&Filter>,
    ) -> Vec<Vec<QueryMatch>> {
        let search = Search {
            queries: queries.to_vec(),
            k,
            filter: filter.cloned(),
        };
        self.search_batch(std::slice::from_ref(&search))
            .pop()
            .unwrap_or_default()
    }

    /// Every search of `searches` in one pass over the rows: for each, one result list per
    /// query embedding, as [`Replica::search`] gives it.
    pub(crate) fn search_batch(&self, searches: &[Search]) -> Vec<Vec<Vec<QueryMatch>>> {
        let masks: Vec<Option<Vec<bool>>> = searches
            .iter()
            .map(|s| s.filter.as_ref().map(|f| self.mask(f)))
            .collect();
        let mut prepared = Vec::new();
        let mut query_masks = Vec::new();
        for (search, mask) in searches.iter().zip(&masks) {
            for q in &search.queries {
                let n = norm(q);
                prepared.push(Prepared {
                    embedding: q,
                    norm: match self.distance {
                        Distance::Cosine if n > 0.0 => 1.0 / n,
                        Distance::Cosine => 0.0,
                        Distance::L2 | Distance::InnerProduct => n,
                    },
                });
                query_masks.push(mask.as_deref());
            }
        }
        let mut scores = self.scan(&prepared, &query_masks).into_iter();
        let mut queries = prepared.iter();
        searches
            .iter()
            .map(|search| {
                search
                    .queries
                    .iter()
                    .zip(queries.by_ref())
                    .zip(scores.by_ref())
                    .map(|((_, query), scores)| self.select(query, &scores, search.k))
                    .collect()
            })
            .collect()
    }

    /// The approximate (`f32`) distance of every row to every query, query by query; rows a
    /// query's mask leaves out get `+inf`.
    fn scan(&self, queries: &[Prepared<'_>], masks: &[Option<&[bool]>]) -> Vec<Vec<f32>> {
        let n = self.len();
        let mut scores = vec![vec![f32::INFINITY; n]; queries.len()];
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        if threads < 2 || n * self.dimension < PARALLEL_MIN_FLOATS {
            let mut outs: Vec<&mut [f32]> = scores.iter_mut().map(Vec::as_mut_slice).collect();
            self.scan_rows(0, queries, masks, &mut outs);
            return scores;
        }
        // Split the rows into one contiguous part per core; each thread writes its part of every
        // query's scores.
        let per = n.div_ceil(threads);
        let mut parts: Vec<Vec<&mut [f32]>> = (0..threads).map(|_| Vec::new()).collect();
        for query_scores in &mut scores {
            for (part, chunk) in parts.iter_mut().zip(query_scores.chunks_mut(per)) {
                part.push(chunk);
            }
        }
        std::thread::scope(|scope| {
            for (i, mut outs) in parts.into_iter().enumerate() {
                if outs.first().is_none_or(|o| o.is_empty()) {
                    continue;
                }
                scope.spawn(move || self.scan_rows(i * per, queries, masks, &mut outs));
            }
        });
        scores
    }

    /// Score rows `start..start + outs[0].len()` against every query into `outs`.
    fn scan_rows(
        &self,
        start: usize,
        queries: &[Prepared<'_>],
        masks: &[Option<&[bool]>],
        outs: &mut [&mut [f32]],
    ) {
        let count = outs.first().map_or(0, |o| o.len());
        let d = self.dimension;
        score_rows(
            &self.vectors[start * d..(start + count) * d],
            &self.norms[start..start + count],
            d,
            self.distance,
            start,
            queries,
            masks,
            outs,
        );
    }

    /// How far an `f32` distance may be from the exact one, for a row at approximate distance
    /// `value` from `query`: the rounding of a `dimension`-term sum, with room to spare.
    fn error_bound(&self, query: &Prepared<'_>, value: f32) -> f32 {
        let relative = 4.0 * (self.dimension as f32 + 8.0) * f32::EPSILON;
        match self.distance {
            // Every term is non-negative: the error is relative to the sum.
            Distance::L2 => relative * value.abs() + f32::MIN_POSITIVE,
            // |cos| <= 1.
            Distance::Cosine => relative * 2.0,
            // |a·q| <= |a||q|.
            Distance::InnerProduct => relative * (1.0 + self.max_norm * query.norm),
        }
    }

    /// The `k` nearest rows by exact (`f64`) distance, from the approximate `scores`.
    fn select(&self, query: &Prepared<'_>, scores: &[f32], k: usize) -> Vec<QueryMatch> {
        // The k smallest approximate distances (a max-heap of k).
        let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
        for (row, &score) in scores.iter().enumerate() {
            if score == f32::INFINITY {
                continue;
            }
            let scored = Scored(score, row);
            if heap.len() < k {
                heap.push(scored);
            } else if heap.peek().is_some_and(|worst| scored < *worst) {
                heap.pop();
                heap.push(scored);
            }
        }
        let Some(&Scored(kth, _)) = heap.peek() else {
            return Vec::new();
        };
        // Every row that may be nearer than the k-th once rounding is accounted for, measured
        // exactly.
        let threshold = kth + 2.0 * self.error_bound(query, kth);
        let d = self.dimension;
        let mut exact: Vec<(f64, usize)> = scores
            .iter()
            .enumerate()
            .filter(|&(_, &score)| score <= threshold || (heap.len() < k && score.is_finite()))
            .map(|(row, _)| {
                let embedding = &self.vectors[row * d..(row + 1) * d];
                (self.distance.between(embedding, query.embedding), row)
            })
            .collect();
        exact.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| self.ids[a.1].cmp(&self.ids[b.1]))
        });
        exact
            .into_iter()
            .take(k)
            .map(|(distance, row)| QueryMatch {
                id: self.ids[row].clone(),
                distance,
                document: self.documents[row].clone(),
                metadata: self.metadata(row),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> RecordId {
        RecordId::parse(s).expect("id")
    }

    fn copy_of(distance: Distance, rows: &[(&str, Vec<f32>)]) -> Replica {
        let mut copy = Replica::new(rows[0].1.len(), distance);
        for (name, embedding) in rows {
            copy.put(Row {
                id: id(name),
                embedding: embedding.clone(),
                document: None,
                metadata: Metadata::new(),
            });
        }
        copy
    }

    #[test]
    fn dot_and_l2_agree_with_f64_at_any_length() {
        for len in [1, 15, 16, 17, 384, 1000] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let exact_dot: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            assert!((f64::from(dot(&a, &b)) - exact_dot).abs() < 1e-3, "{len}");
            let exact_l2 = Distance::L2.between(&a, &b);
            assert!(
                (f64::from(squared_l2(&a, &b)) - exact_l2).abs() < 1e-3,
                "{len}"
            );
        }
    }

    #[test]
    fn search_is_exact_nearest_first_ties_by_id() {
        for distance in [Distance::Cosine, Distance::L2, Distance::InnerProduct] {
            let copy = copy_of(
                distance,
                &[
                    ("b", vec![1.0, 0.0]),
                    ("a", vec![1.0, 0.0]),
                    ("c", vec![0.0, 1.0]),
                    ("d", vec![-1.0, 0.1]),
                ],
            );
            let found = copy.search(&[vec![1.0, 0.0]], 3, None);
            let ids: Vec<&str> = found[0].iter().map(|m| m.id.as_str()).collect();
            assert_eq!(ids, ["a", "b", "c"], "{distance}");
            assert_eq!(found[0][0].distance, found[0][1].distance);
        }
    }

    #[test]
    fn filters_on_the_columns_match_filter_matches() {
        let mut copy = Replica::new(1, Distance::L2);
        let metas = [
            Metadata::from([("k".to_owned(), "a".into()), ("n".to_owned(), 1.into())]),
            Metadata::from([("k".to_owned(), "b".into())]),
            Metadata::new(),
            Metadata::from([("n".to_owned(), 2.5.into()), ("f".to_owned(), true.into())]),
        ];
        for (i, m) in metas.iter().enumerate() {
            copy.put(Row {
                id: id(&format!("r{i}")),
                embedding: vec![i as f32],
                document: None,
                metadata: m.clone(),
            });
        }
        // An overwrite drops the keys the new metadata lacks.
        copy.put(Row {
            id: id("r1"),
            embedding: vec![1.0],
            document: None,
            metadata: Metadata::from([("n".to_owned(), 1.0.into())]),
        });
        let metas = [
            metas[0].clone(),
            Metadata::from([("n".to_owned(), 1.0.into())]),
            metas[2].clone(),
            metas[3].clone(),
        ];
        for (i, m) in metas.iter().enumerate() {
            assert_eq!(&copy.metadata(i), m);
        }
        for text in [
            r#"{"k": "a"}"#,
            r#"{"k": {"$ne": "a"}}"#,
            r#"{"n": {"$gte": 1}}"#,
            r#"{"n": 1}"#,
            r#"{"k": {"$nin": ["a", "b"]}}"#,
            r#"{"$or": [{"f": true}, {"k": {"$in": ["b"]}}]}"#,
            r#"{"$and": [{"n": {"$lt": 3}}, {"missing": {"$ne": 0}}]}"#,
        ] {
            let filter =
                Filter::from_json(&serde_json::from_str(text).expect("json")).expect("filter");
            let expected: Vec<bool> = metas.iter().map(|m| filter.matches(m)).collect();
            assert_eq!(copy.mask(&filter), expected, "{text}");
        }
    }

    #[test]
    fn overwrite_keeps_one_row_and_zero_vectors_are_at_cosine_one() {
        let mut copy = copy_of(
            Distance::Cosine,
            &[("a", vec![1.0, 0.0]), ("z", vec![0.0, 0.0])],
        );
        copy.put(Row {
            id: id("a"),
            embedding: vec![0.0, 1.0],
            document: Some("doc".into()),
            metadata: Metadata::new(),
        });
        assert_eq!(copy.len(), 2);
        let found = copy.search(&[vec![0.0, 2.0]], 5, None);
        assert_eq!(found[0][0].id.as_str(), "a");
        assert!(found[0][0].distance.abs() < 1e-12);
        assert_eq!(found[0][0].document.as_deref(), Some("doc"));
        assert!((found[0][1].distance - 1.0).abs() < 1e-12);
    }
}
