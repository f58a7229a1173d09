//! The behavioural suite every `VectorStore` passes: one `async fn` per behaviour, taking a
//! [`Fixture`] (the store under test and a prefix that keeps this test's collections apart from
//! any other test's on a shared server). Expectations are written out by hand or computed here
//! (brute force in `f64`), never with the code under test.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use repository::Error;
use repository::Page;
use repository::vector::{
    CollectionName, Distance, Filter, Metadata, MetadataValue, NewCollection, QueryMatch, RecordId,
    VectorRecord, VectorStore,
};
use serde_json::json;

/// The store under test and this test's collection-name prefix.
pub struct Fixture {
    /// The store.
    pub store: Arc<dyn VectorStore>,
    prefix: String,
}

impl Fixture {
    /// A fixture over `store`, with a prefix unique to this test.
    pub fn new(store: Arc<dyn VectorStore>) -> Self {
        Self {
            store,
            prefix: tests::unique_name(),
        }
    }

    /// Delete this test's collections (a server keeps them after the test).
    pub async fn drop_collections(&self) {
        for collection in self.store.list_collections().await.unwrap_or_default() {
            if collection.name.as_str().starts_with(&self.prefix) {
                let _ = self.store.delete_collection(&collection.name).await;
            }
        }
    }

    /// This test's collection called `name`.
    pub fn name(&self, name: &str) -> CollectionName {
        CollectionName::parse(&format!("{}-{name}", self.prefix)).expect("valid name")
    }

    /// Create this test's collection `name`.
    pub async fn create(&self, name: &str, dimension: u32, distance: Distance) -> CollectionName {
        let name = self.name(name);
        self.store
            .create_collection(NewCollection::new(name.clone(), dimension, distance))
            .await
            .expect("create collection");
        name
    }
}

/// A record id.
pub fn id(text: &str) -> RecordId {
    RecordId::parse(text).expect("valid id")
}

/// A record with an embedding and nothing else.
pub fn rec(name: &str, embedding: &[f32]) -> VectorRecord {
    VectorRecord::new(id(name), embedding.to_vec())
}

fn ids(matches: &[QueryMatch]) -> Vec<&str> {
    matches.iter().map(|m| m.id.as_str()).collect()
}

fn filter(value: serde_json::Value) -> Filter {
    Filter::from_json(&value).expect("valid filter")
}

fn assert_validation<T: std::fmt::Debug>(result: repository::Result<T>, what: &str) {
    assert!(
        matches!(result, Err(Error::Validation { .. })),
        "{what}: expected a validation error, got {result:?}"
    );
}

fn assert_not_found<T: std::fmt::Debug>(result: repository::Result<T>, what: &str) {
    assert!(
        matches!(result, Err(Error::NotFound { .. })),
        "{what}: expected not found, got {result:?}"
    );
}

/// Deterministic pseudo-random numbers in [-1, 1) (xorshift), so every run tests the same data.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32).mul_add(2.0, -1.0)
    }

    fn vector(&mut self, dimension: usize) -> Vec<f32> {
        (0..dimension).map(|_| self.next()).collect()
    }
}

/// Chroma's distances, computed here in `f64`.
fn reference_distance(distance: Distance, a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    match distance {
        Distance::L2 => a
            .iter()
            .zip(b)
            .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
            .sum(),
        Distance::InnerProduct => 1.0 - dot,
        Distance::Cosine => {
            let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
            let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
            1.0 - dot / (na * nb)
        }
    }
}

/// The `k` nearest of `records` to `query` by brute force, ties by id.
fn brute_force(
    distance: Distance,
    records: &[VectorRecord],
    query: &[f32],
    k: usize,
) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = records
        .iter()
        .map(|r| {
            (
                r.id.as_str().to_owned(),
                reference_distance(distance, &r.embedding, query),
            )
        })
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn close(found: f64, expected: f64) -> bool {
    (found - expected).abs() <= 1e-4 * expected.abs().max(1.0)
}

fn meta(pairs: &[(&str, MetadataValue)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Insert records, then overwrite some (embedding, document and metadata all replaced); an id
/// repeated within one call keeps its last occurrence.
pub async fn upsert_inserts_and_overwrites(f: &Fixture) {
    let c = f.create("upsert", 3, Distance::L2).await;
    let written = f
        .store
        .upsert(
            &c,
            vec![
                rec("a", &[1.0, 0.0, 0.0]).document("first a").meta("v", 1),
                rec("b", &[0.0, 1.0, 0.0]),
            ],
        )
        .await
        .expect("insert");
    assert_eq!(written, 2);
    assert_eq!(f.store.count(&c).await.expect("count"), 2);
    // Warm whatever the store keeps for queries before overwriting.
    let before = f
        .store
        .query(&c, &[vec![1.0, 0.0, 0.0]], 1, None)
        .await
        .expect("query");
    assert_eq!(ids(&before[0]), ["a"]);

    let written = f
        .store
        .upsert(
            &c,
            vec![
                rec("a", &[0.0, 0.0, 5.0]).document("second a").meta("v", 2),
                rec("c", &[1.0, 0.1, 0.0]),
            ],
        )
        .await
        .expect("overwrite");
    assert_eq!(written, 2);
    assert_eq!(f.store.count(&c).await.expect("count"), 3);
    let got = f.store.get(&c, &[id("a")]).await.expect("get");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].embedding, [0.0, 0.0, 5.0]);
    assert_eq!(got[0].document.as_deref(), Some("second a"));
    assert_eq!(got[0].metadata, meta(&[("v", 2.into())]));
    let after = f
        .store
        .query(&c, &[vec![1.0, 0.0, 0.0]], 3, None)
        .await
        .expect("query");
    assert_eq!(ids(&after[0]), ["c", "b", "a"], "the overwrite moved a");
    assert!(close(after[0][2].distance, 26.0), "{:?}", after[0][2]);

    // Overwriting without a document or metadata clears them.
    f.store
        .upsert(&c, vec![rec("a", &[0.0, 0.0, 5.0])])
        .await
        .expect("overwrite bare");
    let got = f.store.get(&c, &[id("a")]).await.expect("get");
    assert_eq!(got[0].document, None);
    assert!(got[0].metadata.is_empty());

    // The last occurrence of a repeated id wins.
    f.store
        .upsert(
            &c,
            vec![rec("d", &[1.0, 1.0, 1.0]), rec("d", &[2.0, 2.0, 2.0])],
        )
        .await
        .expect("repeated id");
    let got = f.store.get(&c, &[id("d")]).await.expect("get");
    assert_eq!(got[0].embedding, [2.0, 2.0, 2.0]);
    assert_eq!(f.store.count(&c).await.expect("count"), 4);
}

/// `get` returns the records that exist, in the order asked, with embedding (bit for bit),
/// document and metadata of every value type.
pub async fn get_keeps_the_order_of_ids_and_skips_missing(f: &Fixture) {
    let c = f.create("get", 2, Distance::Cosine).await;
    let tiny = f32::MIN_POSITIVE;
    f.store
        .upsert(
            &c,
            vec![
                rec("a", &[0.1, tiny])
                    .document("alpha")
                    .meta("text", "x")
                    .meta("int", 42)
                    .meta("float", 2.5)
                    .meta("flag", true),
                rec("b", &[-3.25, 1e-7]),
                rec("c", &[7.0, 8.0]).document(""),
            ],
        )
        .await
        .expect("upsert");
    let got = f
        .store
        .get(&c, &[id("c"), id("missing"), id("a")])
        .await
        .expect("get");
    let order: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ["c", "a"]);
    assert_eq!(got[0].embedding, [7.0, 8.0]);
    assert_eq!(got[0].document.as_deref(), Some(""));
    assert_eq!(
        got[1].embedding,
        [0.1, tiny],
        "embeddings come back bit for bit"
    );
    assert_eq!(got[1].document.as_deref(), Some("alpha"));
    assert_eq!(
        got[1].metadata,
        meta(&[
            ("text", "x".into()),
            ("int", 42.into()),
            ("float", 2.5.into()),
            ("flag", true.into()),
        ])
    );
    assert!(f.store.get(&c, &[]).await.expect("no ids").is_empty());
    assert!(
        f.store
            .get(&c, &[id("nope")])
            .await
            .expect("only missing")
            .is_empty()
    );
}

/// Deleting by id removes exactly those records (missing ids are not counted), also from
/// queries made before the delete.
pub async fn delete_by_id(f: &Fixture) {
    let c = f.create("delete", 2, Distance::L2).await;
    f.store
        .upsert(
            &c,
            vec![
                rec("a", &[0.0, 0.0]),
                rec("b", &[1.0, 0.0]),
                rec("c", &[2.0, 0.0]),
            ],
        )
        .await
        .expect("upsert");
    let before = f
        .store
        .query(&c, &[vec![0.0, 0.0]], 3, None)
        .await
        .expect("query");
    assert_eq!(ids(&before[0]), ["a", "b", "c"]);

    let deleted = f
        .store
        .delete(&c, &[id("a"), id("missing")])
        .await
        .expect("delete");
    assert_eq!(deleted, 1);
    assert_eq!(f.store.count(&c).await.expect("count"), 2);
    assert!(f.store.get(&c, &[id("a")]).await.expect("get").is_empty());
    let after = f
        .store
        .query(&c, &[vec![0.0, 0.0]], 3, None)
        .await
        .expect("query");
    assert_eq!(ids(&after[0]), ["b", "c"]);
    assert_eq!(
        f.store.delete(&c, &[id("a")]).await.expect("again"),
        0,
        "deleting a missing id deletes nothing"
    );
    assert_eq!(f.store.delete(&c, &[]).await.expect("no ids"), 0);
}

/// Deleting by filter removes exactly the records the filter matches.
pub async fn delete_by_filter(f: &Fixture) {
    let c = f.create("delete-where", 2, Distance::L2).await;
    f.store
        .upsert(
            &c,
            vec![
                rec("a", &[0.0, 0.0])
                    .meta("kind", "draft")
                    .meta("year", 2020),
                rec("b", &[1.0, 0.0])
                    .meta("kind", "final")
                    .meta("year", 2021),
                rec("c", &[2.0, 0.0])
                    .meta("kind", "draft")
                    .meta("year", 2022),
                rec("d", &[3.0, 0.0]),
            ],
        )
        .await
        .expect("upsert");
    f.store
        .query(&c, &[vec![0.0, 0.0]], 4, None)
        .await
        .expect("warm");
    let deleted = f
        .store
        .delete_where(
            &c,
            &filter(json!({"$and": [{"kind": "draft"}, {"year": {"$gte": 2021}}]})),
        )
        .await
        .expect("delete where");
    assert_eq!(deleted, 1);
    let deleted = f
        .store
        .delete_where(&c, &filter(json!({"kind": {"$ne": "final"}})))
        .await
        .expect("delete where");
    assert_eq!(deleted, 2, "a, and d which has no kind");
    let left = f
        .store
        .list_ids(&c, Page::first(10))
        .await
        .expect("list ids");
    assert_eq!(left, [id("b")]);
    let after = f
        .store
        .query(&c, &[vec![0.0, 0.0]], 4, None)
        .await
        .expect("query");
    assert_eq!(ids(&after[0]), ["b"]);
    assert_eq!(
        f.store
            .delete_where(&c, &filter(json!({"kind": "none"})))
            .await
            .expect("nothing matches"),
        0
    );
}

/// Every operator of the filter, with the missing-key semantics of `$ne` and `$nin`.
pub async fn every_filter_operator(f: &Fixture) {
    let c = f.create("filters", 2, Distance::L2).await;
    f.store
        .upsert(
            &c,
            vec![
                rec("r1", &[1.0, 0.0])
                    .meta("kind", "resume")
                    .meta("year", 2020)
                    .meta("score", 0.5)
                    .meta("draft", false),
                rec("r2", &[2.0, 0.0])
                    .meta("kind", "resume")
                    .meta("year", 2022)
                    .meta("score", 0.9),
                rec("r3", &[3.0, 0.0])
                    .meta("kind", "contract")
                    .meta("year", 2021)
                    .meta("draft", true),
                rec("r4", &[4.0, 0.0])
                    .meta("kind", "review")
                    .meta("score", 0.1),
                rec("r5", &[5.0, 0.0]),
                rec("r6", &[6.0, 0.0])
                    .meta("kind", "policy")
                    .meta("year", 2023)
                    .meta("score", 0.7)
                    .meta("draft", false),
            ],
        )
        .await
        .expect("upsert");
    let cases: Vec<(serde_json::Value, &[&str])> = vec![
        (json!({"kind": "resume"}), &["r1", "r2"]),
        (json!({"kind": {"$eq": "resume"}}), &["r1", "r2"]),
        (
            json!({"kind": {"$ne": "resume"}}),
            &["r3", "r4", "r5", "r6"],
        ),
        (json!({"year": {"$gt": 2021}}), &["r2", "r6"]),
        (json!({"year": {"$gte": 2021}}), &["r2", "r3", "r6"]),
        (json!({"year": {"$lt": 2021}}), &["r1"]),
        (json!({"year": {"$lte": 2021}}), &["r1", "r3"]),
        (json!({"score": {"$gte": 0.5}}), &["r1", "r2", "r6"]),
        (json!({"score": {"$lt": 0.5}}), &["r4"]),
        (json!({"year": 2022}), &["r2"]),
        (
            json!({"kind": {"$in": ["resume", "policy"]}}),
            &["r1", "r2", "r6"],
        ),
        (
            json!({"kind": {"$nin": ["resume", "policy"]}}),
            &["r3", "r4", "r5"],
        ),
        (json!({"draft": true}), &["r3"]),
        (
            json!({"draft": {"$ne": true}}),
            &["r1", "r2", "r4", "r5", "r6"],
        ),
        (
            json!({"$and": [{"kind": "resume"}, {"year": {"$gt": 2020}}]}),
            &["r2"],
        ),
        (
            json!({"$or": [{"kind": "review"}, {"year": 2023}]}),
            &["r4", "r6"],
        ),
        (
            json!({"$and": [
                {"$or": [{"kind": "resume"}, {"kind": "contract"}]},
                {"score": {"$lt": 0.8}}
            ]}),
            &["r1"],
        ),
        (json!({"kind": "none"}), &[]),
    ];
    for (where_, expected) in cases {
        let found = f
            .store
            .query(&c, &[vec![0.0, 0.0]], 10, Some(filter(where_.clone())))
            .await
            .unwrap_or_else(|e| panic!("{where_}: {e}"));
        assert_eq!(ids(&found[0]), expected, "{where_}");
    }
}

/// For every metric: the k nearest of 300 random records to several query embeddings (one
/// call), with and without a filter, against a brute-force reference in `f64`; documents and
/// metadata come with the matches; `k` beyond the count returns every record.
pub async fn knn_matches_brute_force_for_every_metric(f: &Fixture) {
    let mut numbers = Numbers(0x9e37_79b9_7f4a_7c15);
    for distance in [Distance::Cosine, Distance::L2, Distance::InnerProduct] {
        let dimension = 24;
        let c = f
            .create(&format!("knn-{distance}"), dimension as u32, distance)
            .await;
        let records: Vec<VectorRecord> = (0..300)
            .map(|i| {
                rec(&format!("r{i:03}"), &numbers.vector(dimension))
                    .document(format!("document {i}"))
                    .meta("bucket", i64::from(i % 5))
            })
            .collect();
        for batch in records.chunks(70) {
            f.store.upsert(&c, batch.to_vec()).await.expect("upsert");
        }
        let queries: Vec<Vec<f32>> = (0..4).map(|_| numbers.vector(dimension)).collect();
        let found = f.store.query(&c, &queries, 10, None).await.expect("query");
        assert_eq!(found.len(), queries.len(), "one list per query embedding");
        for (query, matches) in queries.iter().zip(&found) {
            let expected = brute_force(distance, &records, query, 10);
            let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
            assert_eq!(ids(matches), expected_ids, "{distance}");
            for (m, (_, d)) in matches.iter().zip(&expected) {
                assert!(close(m.distance, *d), "{distance}: {} vs {d}", m.distance);
                let i: usize = m.id.as_str()[1..].parse().expect("index");
                assert_eq!(
                    m.document.as_deref(),
                    Some(format!("document {i}").as_str())
                );
                assert_eq!(m.metadata, records[i].metadata);
            }
        }

        // With a filter: the brute force over the matching records only.
        let low: Vec<VectorRecord> = records
            .iter()
            .filter(|r| matches!(r.metadata.get("bucket"), Some(MetadataValue::Int(b)) if *b < 2))
            .cloned()
            .collect();
        let found = f
            .store
            .query(
                &c,
                &queries[..1],
                7,
                Some(filter(json!({"bucket": {"$lt": 2}}))),
            )
            .await
            .expect("filtered query");
        let expected = brute_force(distance, &low, &queries[0], 7);
        let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids(&found[0]), expected_ids, "{distance} filtered");

        // k larger than the collection: every record, nearest first.
        let all = f
            .store
            .query(&c, &queries[..1], 1000, None)
            .await
            .expect("k > count");
        assert_eq!(all[0].len(), 300);
        assert!(
            all[0].windows(2).all(|w| w[0].distance <= w[1].distance),
            "{distance}: nearest first"
        );
    }
}

/// Sixteen queries at once on a collection large enough to be searched in passes shared by
/// concurrent queries (and split over the cores): each gets its own answer, the brute force's,
/// with its own filter.
pub async fn concurrent_queries_get_their_own_answers(f: &Fixture) {
    let dimension = 384;
    let c = f
        .create("concurrent-queries", dimension as u32, Distance::Cosine)
        .await;
    let mut numbers = Numbers(0x2545_f491_4f6c_dd1d);
    let records: Arc<Vec<VectorRecord>> = Arc::new(
        (0..3000)
            .map(|i| {
                rec(&format!("r{i:04}"), &numbers.vector(dimension))
                    .meta("bucket", i64::from(i % 4))
            })
            .collect(),
    );
    for batch in records.chunks(500) {
        f.store.upsert(&c, batch.to_vec()).await.expect("upsert");
    }
    let mut tasks = Vec::new();
    for task in 0..16_i64 {
        let (store, c, records) = (Arc::clone(&f.store), c.clone(), Arc::clone(&records));
        let query = numbers.vector(dimension);
        tasks.push(tokio::spawn(async move {
            let bucket = task % 4;
            let found = store
                .query(
                    &c,
                    std::slice::from_ref(&query),
                    5,
                    (task % 2 == 0).then(|| filter(json!({"bucket": bucket}))),
                )
                .await
                .expect("query");
            let candidates: Vec<VectorRecord> = records
                .iter()
                .filter(|r| task % 2 == 1 || r.metadata.get("bucket") == Some(&bucket.into()))
                .cloned()
                .collect();
            let expected = brute_force(Distance::Cosine, &candidates, &query, 5);
            let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
            assert_eq!(ids(&found[0]), expected_ids, "task {task}");
            for (m, (_, d)) in found[0].iter().zip(&expected) {
                assert!(close(m.distance, *d), "task {task}: {} vs {d}", m.distance);
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
}

/// Records at the same distance come in id order, for every metric.
pub async fn ties_are_broken_by_id(f: &Fixture) {
    for distance in [Distance::Cosine, Distance::L2, Distance::InnerProduct] {
        let c = f.create(&format!("ties-{distance}"), 2, distance).await;
        f.store
            .upsert(
                &c,
                vec![
                    rec("b", &[0.6, 0.8]),
                    rec("e", &[-0.8, 0.6]),
                    rec("d", &[0.6, 0.8]),
                    rec("a", &[0.6, 0.8]),
                    rec("c", &[0.6, 0.8]),
                ],
            )
            .await
            .expect("upsert");
        let found = f
            .store
            .query(&c, &[vec![0.6, 0.8]], 3, None)
            .await
            .expect("query");
        assert_eq!(ids(&found[0]), ["a", "b", "c"], "{distance}");
        assert!(
            found[0].iter().all(|m| m.distance == found[0][0].distance),
            "{distance}: {:?}",
            found[0]
        );
        let all = f
            .store
            .query(&c, &[vec![0.6, 0.8]], 5, None)
            .await
            .expect("query");
        assert_eq!(ids(&all[0]), ["a", "b", "c", "d", "e"], "{distance}");
    }
}

/// Paging through the ids lists every id exactly once, in id order.
pub async fn paging_lists_every_id_once(f: &Fixture) {
    let c = f.create("paging", 2, Distance::L2).await;
    // Written in an order unrelated to id order, in several calls.
    let mut all: Vec<String> = (0..257)
        .map(|i| format!("id-{:04}", (i * 37) % 257))
        .collect();
    for batch in all.chunks(60) {
        let records = batch.iter().map(|i| rec(i, &[1.0, 2.0])).collect();
        f.store.upsert(&c, records).await.expect("upsert");
    }
    all.sort();
    let mut listed = Vec::new();
    for number in 0.. {
        let page = f
            .store
            .list_ids(&c, Page::nth(number, 50))
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 50);
        listed.extend(page.into_iter().map(|id| id.as_str().to_owned()));
    }
    assert_eq!(listed, all, "every id once, in id order");
    assert_validation(
        f.store
            .list_ids(
                &c,
                Page {
                    limit: 0,
                    offset: 0,
                },
            )
            .await,
        "a page of 0",
    );
}

/// Two collections with the same ids never see each other's records.
pub async fn collections_are_isolated(f: &Fixture) {
    let one = f.create("one", 2, Distance::L2).await;
    let two = f.create("two", 3, Distance::Cosine).await;
    f.store
        .upsert(
            &one,
            vec![rec("x", &[1.0, 1.0]), rec("only-one", &[0.0, 0.0])],
        )
        .await
        .expect("upsert one");
    f.store
        .upsert(&two, vec![rec("x", &[1.0, 2.0, 3.0])])
        .await
        .expect("upsert two");
    assert_eq!(f.store.count(&one).await.expect("count"), 2);
    assert_eq!(f.store.count(&two).await.expect("count"), 1);
    let got = f
        .store
        .get(&two, &[id("x"), id("only-one")])
        .await
        .expect("get");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].embedding, [1.0, 2.0, 3.0]);
    let found = f
        .store
        .query(&two, &[vec![1.0, 2.0, 3.0]], 10, None)
        .await
        .expect("query two");
    assert_eq!(ids(&found[0]), ["x"]);

    f.store.delete(&one, &[id("x")]).await.expect("delete");
    assert_eq!(f.store.count(&two).await.expect("count"), 1);
    f.store.delete_collection(&one).await.expect("drop one");
    assert_eq!(f.store.count(&two).await.expect("count"), 1);
    assert_eq!(
        f.store.list_ids(&two, Page::first(10)).await.expect("ids"),
        [id("x")]
    );
}

/// Eight tasks upserting at once: every record lands.
pub async fn concurrent_upserts_all_land(f: &Fixture) {
    let c = f.create("concurrent", 4, Distance::Cosine).await;
    let mut tasks = Vec::new();
    for task in 0..8 {
        let (store, c) = (Arc::clone(&f.store), c.clone());
        tasks.push(tokio::spawn(async move {
            for batch in 0..5 {
                let records = (0..10)
                    .map(|i| {
                        let n = (task * 50 + batch * 10 + i) as f32;
                        rec(&format!("t{task}-{batch}-{i}"), &[1.0, n, 0.5, -n])
                    })
                    .collect();
                store.upsert(&c, records).await.expect("concurrent upsert");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(f.store.count(&c).await.expect("count"), 400);
    let listed = f.store.list_ids(&c, Page::first(1000)).await.expect("ids");
    let unique: BTreeSet<_> = listed.iter().collect();
    assert_eq!(unique.len(), 400);
    let found = f
        .store
        .query(&c, &[vec![1.0, 0.0, 0.5, 0.0]], 400, None)
        .await
        .expect("query");
    assert_eq!(found[0].len(), 400);
}

/// Wrong dimension, NaN, infinity, bad metadata, bad ids and names, `k` of 0 and malformed
/// filters are refused as validation errors, and nothing of the call is written.
pub async fn bad_input_is_refused_and_nothing_written(f: &Fixture) {
    let c = f.create("bad-input", 3, Distance::L2).await;
    f.store
        .upsert(&c, vec![rec("keep", &[1.0, 2.0, 3.0])])
        .await
        .expect("upsert");
    let good = || rec("new", &[0.0, 0.0, 0.0]);
    for (what, bad) in [
        ("too few components", rec("bad", &[1.0, 2.0])),
        ("too many components", rec("bad", &[1.0, 2.0, 3.0, 4.0])),
        ("no components", rec("bad", &[])),
        ("NaN", rec("bad", &[1.0, f32::NAN, 3.0])),
        ("infinity", rec("bad", &[f32::INFINITY, 0.0, 0.0])),
        ("-infinity", rec("bad", &[0.0, 0.0, f32::NEG_INFINITY])),
        (
            "NaN metadata",
            rec("bad", &[0.0, 0.0, 0.0]).meta("x", f64::NAN),
        ),
        (
            "empty metadata key",
            rec("bad", &[0.0, 0.0, 0.0]).meta("", 1),
        ),
    ] {
        assert_validation(f.store.upsert(&c, vec![good(), bad]).await, what);
        assert_eq!(f.store.count(&c).await.expect("count"), 1, "{what}");
        assert!(
            f.store.get(&c, &[id("new")]).await.expect("get").is_empty(),
            "{what}: the good record of the batch was not written either"
        );
    }
    assert_validation(RecordId::parse(""), "an empty id");
    assert_validation(RecordId::parse(&"x".repeat(513)), "a 513-byte id");
    for name in ["ab", "-abc", "a..b", "has space", "192.168.0.1"] {
        assert_validation(CollectionName::parse(name), name);
    }
    assert_validation(
        f.store
            .create_collection(NewCollection::new(f.name("zero"), 0, Distance::L2))
            .await,
        "dimension 0",
    );
    let mut bad_meta = NewCollection::new(f.name("bad-meta"), 3, Distance::L2);
    bad_meta.metadata.insert("x".into(), f64::INFINITY.into());
    assert_validation(
        f.store.create_collection(bad_meta).await,
        "collection metadata",
    );

    let q = || vec![vec![1.0, 2.0, 3.0]];
    assert_validation(f.store.query(&c, &q(), 0, None).await, "k = 0");
    assert_validation(
        f.store.query(&c, &[vec![1.0, 2.0]], 1, None).await,
        "a query of the wrong dimension",
    );
    assert_validation(
        f.store
            .query(&c, &[vec![1.0, f32::NAN, 3.0]], 1, None)
            .await,
        "a NaN query",
    );
    for malformed in [
        json!({}),
        json!({"a": {"$regex": "x"}}),
        json!({"a": {"$gt": "text"}}),
        json!({"$and": []}),
        json!({"a": {"$in": []}}),
    ] {
        assert_validation(Filter::from_json(&malformed), &malformed.to_string());
    }
    // Filters built in code are checked too, before anything is read or deleted.
    let empty_in = Filter::In("a".into(), Vec::new());
    assert_validation(
        f.store.query(&c, &q(), 1, Some(empty_in.clone())).await,
        "$in of nothing",
    );
    assert_validation(
        f.store.delete_where(&c, &Filter::Or(Vec::new())).await,
        "$or of nothing",
    );
    assert_validation(
        f.store
            .delete_where(&c, &Filter::Gt("a".into(), "x".into()))
            .await,
        "$gt of a string",
    );
    assert_eq!(f.store.count(&c).await.expect("count"), 1);
}

/// Every call on a collection that does not exist is `NotFound`.
pub async fn missing_collections_are_not_found(f: &Fixture) {
    let c = f.name("missing");
    assert_not_found(f.store.get_collection(&c).await, "get_collection");
    assert_not_found(f.store.delete_collection(&c).await, "delete_collection");
    assert_not_found(f.store.upsert(&c, vec![rec("a", &[1.0])]).await, "upsert");
    assert_not_found(f.store.get(&c, &[id("a")]).await, "get");
    assert_not_found(f.store.delete(&c, &[id("a")]).await, "delete");
    assert_not_found(
        f.store.delete_where(&c, &filter(json!({"a": 1}))).await,
        "delete_where",
    );
    assert_not_found(f.store.list_ids(&c, Page::first(5)).await, "list_ids");
    assert_not_found(f.store.count(&c).await, "count");
    assert_not_found(f.store.query(&c, &[vec![1.0]], 1, None).await, "query");
}

/// Creating a collection again with the same dimension and distance returns it; with another
/// one is a conflict; its dimension binds every record.
pub async fn dimension_is_fixed_and_create_is_idempotent(f: &Fixture) {
    let c = f.create("fixed", 3, Distance::Cosine).await;
    f.store
        .upsert(&c, vec![rec("a", &[1.0, 0.0, 0.0])])
        .await
        .expect("upsert");
    let again = f
        .store
        .create_collection(NewCollection::new(c.clone(), 3, Distance::Cosine))
        .await
        .expect("same again");
    assert_eq!(
        (again.dimension, again.distance, again.count),
        (3, Distance::Cosine, 1)
    );
    for (dimension, distance) in [(4, Distance::Cosine), (3, Distance::L2)] {
        let result = f
            .store
            .create_collection(NewCollection::new(c.clone(), dimension, distance))
            .await;
        assert!(
            matches!(result, Err(Error::Conflict(_))),
            "{dimension} {distance}: {result:?}"
        );
    }
    assert_validation(
        f.store
            .upsert(&c, vec![rec("b", &[1.0, 0.0, 0.0, 0.0])])
            .await,
        "a record of another dimension",
    );
    let kept = f.store.get_collection(&c).await.expect("get");
    assert_eq!((kept.dimension, kept.count), (3, 1));
}

/// Create (with metadata), get, list and delete collections; a deleted collection's records go
/// with it, and a new collection under the same name starts empty.
pub async fn collections_are_created_listed_and_deleted(f: &Fixture) {
    let mut new = NewCollection::new(f.name("b-listed"), 2, Distance::InnerProduct);
    new.metadata = meta(&[("system", "assistant".into()), ("version", 2.into())]);
    let created = f.store.create_collection(new).await.expect("create");
    assert_eq!(created.count, 0);
    assert_eq!(created.distance, Distance::InnerProduct);
    let a = f.create("a-listed", 5, Distance::L2).await;
    let b = created.name.clone();
    f.store
        .upsert(&b, vec![rec("x", &[1.0, 0.0]), rec("y", &[0.0, 1.0])])
        .await
        .expect("upsert");
    let got = f.store.get_collection(&b).await.expect("get");
    assert_eq!(got.count, 2);
    assert_eq!(got.dimension, 2);
    assert_eq!(
        got.metadata,
        meta(&[("system", "assistant".into()), ("version", 2.into())])
    );
    let listed: Vec<(String, u64)> = f
        .store
        .list_collections()
        .await
        .expect("list")
        .into_iter()
        .filter(|c| c.name.as_str().starts_with(&f.prefix))
        .map(|c| (c.name.as_str().to_owned(), c.count))
        .collect();
    assert_eq!(
        listed,
        [(a.as_str().to_owned(), 0), (b.as_str().to_owned(), 2)],
        "by name, with counts"
    );
    f.store
        .query(&b, &[vec![1.0, 0.0]], 2, None)
        .await
        .expect("warm");
    f.store.delete_collection(&b).await.expect("delete");
    assert_not_found(f.store.get_collection(&b).await, "deleted");
    assert_not_found(f.store.delete_collection(&b).await, "deleted twice");

    // The same name again: a new, empty collection (nothing of the old one shows).
    f.store
        .create_collection(NewCollection::new(b.clone(), 2, Distance::InnerProduct))
        .await
        .expect("create again");
    assert_eq!(f.store.count(&b).await.expect("count"), 0);
    f.store
        .upsert(&b, vec![rec("z", &[0.5, 0.5])])
        .await
        .expect("upsert");
    let found = f
        .store
        .query(&b, &[vec![1.0, 0.0]], 5, None)
        .await
        .expect("query");
    assert_eq!(ids(&found[0]), ["z"]);
}

/// Health answers, with every collection and its count.
pub async fn health_lists_collections_with_counts(f: &Fixture) {
    let c = f.create("health", 2, Distance::L2).await;
    f.store
        .upsert(&c, vec![rec("a", &[1.0, 0.0]), rec("b", &[0.0, 1.0])])
        .await
        .expect("upsert");
    let health = f.store.health().await;
    assert!(health.reachable, "{health:?}");
    assert!(health.round_trip_ms.is_some_and(|ms| ms >= 0.0));
    assert!(health.error.is_none());
    let counts: BTreeMap<_, _> = health.collections.into_iter().collect();
    assert_eq!(counts.get(&c), Some(&2), "{counts:?}");
}
