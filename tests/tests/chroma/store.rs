//! `ChromaVectorStore` on the real server: collections, overwrite semantics, order, filters
//! evaluated as `Filter::matches` does, distances as `Distance::between` computes them, paging,
//! validation before any write, and a collection re-created by another client.

use std::collections::BTreeSet;
use std::sync::Arc;

use repository::vector::{
    ChromaVectorStore, Collection, CollectionName, Distance, Embedding, Filter, Metadata,
    MetadataValue, NewCollection, RecordId, VectorRecord, VectorStore,
};
use repository::{Error, Page};
use serde_json::json;

use super::{Env, run};

fn id(text: &str) -> RecordId {
    RecordId::parse(text).expect("id")
}

fn ids(texts: &[&str]) -> Vec<RecordId> {
    texts.iter().map(|t| id(t)).collect()
}

fn names(records: impl IntoIterator<Item = RecordId>) -> Vec<String> {
    records.into_iter().map(|r| r.as_str().to_owned()).collect()
}

/// Deterministic pseudo-random components in [-1, 1) (splitmix64).
fn vector(seed: u64, dimension: usize) -> Embedding {
    (0..dimension as u64)
        .map(|j| {
            let mut z = (seed * 1_000_003 + j).wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 40) as f32 / (1u64 << 24) as f32).mul_add(2.0, -1.0)
        })
        .collect()
}

async fn create(env: &Env, tag: &str, dimension: u32, distance: Distance) -> Collection {
    env.store
        .create_collection(NewCollection::new(env.name(tag), dimension, distance))
        .await
        .expect("create collection")
}

fn is_not_found<T: std::fmt::Debug>(result: repository::Result<T>) -> bool {
    matches!(
        result,
        Err(Error::NotFound {
            entity: "collection",
            ..
        })
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn collections_lifecycle() {
    run(|env| async move {
        let store = &env.store;
        let name = env.name("docs");
        let mut new = NewCollection::new(name.clone(), 3, Distance::L2);
        new.metadata.insert("team".into(), "a".into());
        let created = store.create_collection(new.clone()).await.expect("create");
        assert_eq!(
            (created.dimension, created.distance, created.count),
            (3, Distance::L2, 0)
        );
        assert_eq!(
            created.metadata.get("team"),
            Some(&MetadataValue::from("a"))
        );
        assert_eq!(created.metadata.len(), 1, "the store's own keys are hidden");
        let described = super::server_facts::Raw::new(&env.url)
            .describe(name.as_str())
            .await;
        let hnsw = &described["configuration_json"]["hnsw"];
        assert_eq!(hnsw["space"], "l2");
        assert_eq!(hnsw["ef_search"], super::EF_SEARCH);
        assert_eq!(described["metadata"]["dal:dimension"], 3);

        // The dimension is known before any record fixes Chroma's.
        let fresh = env.other_store();
        let got = fresh.get_collection(&name).await.expect("get");
        assert_eq!(
            (got.dimension, got.distance, got.count),
            (3, Distance::L2, 0)
        );

        // Idempotent; a mismatched re-create is a conflict.
        assert_eq!(
            store.create_collection(new).await.expect("again").name,
            name
        );
        for (dimension, distance) in [(4, Distance::L2), (3, Distance::Cosine)] {
            let result = store
                .create_collection(NewCollection::new(name.clone(), dimension, distance))
                .await;
            assert!(matches!(result, Err(Error::Conflict(_))), "{result:?}");
        }
        let mut reserved = NewCollection::new(env.name("reserved"), 3, Distance::L2);
        reserved.metadata.insert("hnsw:space".into(), "ip".into());
        assert!(matches!(
            store.create_collection(reserved).await,
            Err(Error::Validation { .. })
        ));

        let listed = store.list_collections().await.expect("list");
        assert!(listed.iter().any(|c| c.name == name && c.dimension == 3));
        assert!(listed.windows(2).all(|w| w[0].name < w[1].name), "by name");

        store.delete_collection(&name).await.expect("delete");
        assert!(is_not_found(store.get_collection(&name).await));
        assert!(is_not_found(store.delete_collection(&name).await));
        let one = vec![VectorRecord::new(id("a"), vec![0.0; 3])];
        assert!(is_not_found(store.upsert(&name, one).await));
        assert!(is_not_found(store.get(&name, &ids(&["a"])).await));
        assert!(is_not_found(store.get(&name, &[]).await));
        assert!(is_not_found(store.delete(&name, &ids(&["a"])).await));
        assert!(is_not_found(store.delete(&name, &[]).await));
        let filter = Filter::Eq("k".into(), 1.into());
        assert!(is_not_found(store.delete_where(&name, &filter).await));
        assert!(is_not_found(store.list_ids(&name, Page::first(10)).await));
        assert!(is_not_found(store.count(&name).await));
        assert!(is_not_found(
            store.query(&name, &[vec![0.0; 3]], 1, None).await
        ));
        // The store that cached the collection learns it is gone too.
        assert!(is_not_found(fresh.count(&name).await));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn distances_and_order_match_a_brute_force_reference() {
    run(|env| async move {
        const DIM: usize = 16;
        let records: Vec<(RecordId, Embedding)> = (0..120_u64)
            .map(|i| (id(&format!("r{i:03}")), vector(i, DIM)))
            .collect();
        let queries: Vec<Embedding> = (0..4).map(|q| vector(10_000 + q, DIM)).collect();
        for distance in [Distance::L2, Distance::Cosine, Distance::InnerProduct] {
            let collection = create(&env, distance.as_str(), DIM as u32, distance)
                .await
                .name;
            let batch = records
                .iter()
                .map(|(i, e)| VectorRecord::new(i.clone(), e.clone()))
                .collect();
            env.store.upsert(&collection, batch).await.expect("upsert");
            let found = env
                .store
                .query(&collection, &queries, 10, None)
                .await
                .expect("query");
            assert_eq!(found.len(), queries.len());
            for (query, matches) in queries.iter().zip(found) {
                let mut reference: Vec<(f64, &RecordId)> = records
                    .iter()
                    .map(|(i, e)| (distance.between(query, e), i))
                    .collect();
                reference.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
                assert_eq!(matches.len(), 10);
                for (rank, m) in matches.iter().enumerate() {
                    let (expected, _) = reference[rank];
                    let own = records
                        .iter()
                        .find(|(i, _)| *i == m.id)
                        .map(|(_, e)| distance.between(query, e))
                        .expect("a stored id");
                    let tolerance = 1e-5 * expected.abs().max(1.0);
                    assert!(
                        (m.distance - expected).abs() < tolerance,
                        "{distance}: rank {rank}: {} vs {expected}",
                        m.distance
                    );
                    assert!(
                        (m.distance - own).abs() < tolerance,
                        "{distance}: {} is at {} not {}",
                        m.id,
                        own,
                        m.distance
                    );
                }
                assert!(
                    matches.windows(2).all(|w| w[0].distance <= w[1].distance),
                    "nearest first"
                );
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn ties_are_broken_by_id_also_at_the_kth_place() {
    run(|env| async move {
        let name = create(&env, "ties", 2, Distance::L2).await.name;
        // Inserted out of id order: Chroma's own order among equals is insertion order.
        let points = [
            ("t3", [1.0, 0.0]),
            ("t1", [0.0, 1.0]),
            ("t2", [-1.0, 0.0]),
            ("t0", [0.0, -1.0]),
            ("near", [0.5, 0.0]),
            ("far", [3.0, 0.0]),
        ];
        let batch = points
            .iter()
            .map(|(i, e)| VectorRecord::new(id(i), e.to_vec()))
            .collect();
        env.store.upsert(&name, batch).await.expect("upsert");
        for (k, expected) in [
            (1, vec!["near"]),
            (2, vec!["near", "t0"]),
            (3, vec!["near", "t0", "t1"]),
            (5, vec!["near", "t0", "t1", "t2", "t3"]),
            (9, vec!["near", "t0", "t1", "t2", "t3", "far"]),
        ] {
            let found = env
                .store
                .query(&name, &[vec![0.0, 0.0]], k, None)
                .await
                .expect("query")
                .remove(0);
            assert_eq!(
                names(found.iter().map(|m| m.id.clone())),
                expected,
                "k = {k}"
            );
            assert!((found[0].distance - 0.25).abs() < 1e-9, "squared l2");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn asking_for_at_least_every_match_returns_every_match_in_order() {
    run(|env| async move {
        // Nearly parallel vectors written concurrently: Chroma's graph often leaves one of these
        // 400 unreachable, and its own answer to k = 400 then has 399.
        let name = create(&env, "all", 4, Distance::Cosine).await.name;
        let mut tasks = Vec::new();
        for task in 0..8_u64 {
            let env = Arc::clone(&env);
            let name = name.clone();
            tasks.push(tokio::spawn(async move {
                for batch in 0..5_u64 {
                    let records = (0..10_u64)
                        .map(|i| {
                            let n = (task * 50 + batch * 10 + i) as f32;
                            VectorRecord::new(
                                id(&format!("t{task}-{batch}-{i}")),
                                vec![1.0, n, 0.5, -n],
                            )
                            .meta("even", n as i64 % 2 == 0)
                        })
                        .collect();
                    env.store.upsert(&name, records).await.expect("upsert");
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let query = vec![1.0, 0.0, 0.5, 0.0];
        for (k, filter, expected) in [
            (400, None, 400),
            (1000, None, 400),
            (300, Some(Filter::Eq("even".into(), true.into())), 200),
        ] {
            let found = env
                .store
                .query(&name, std::slice::from_ref(&query), k, filter)
                .await
                .expect("query")
                .remove(0);
            assert_eq!(found.len(), expected, "k = {k}");
            assert!(
                found
                    .windows(2)
                    .all(|w| (w[0].distance, &w[0].id) <= (w[1].distance, &w[1].id)),
                "nearest first, ties by id"
            );
        }
    })
    .await;
}

/// Records whose metadata covers every case the filters distinguish: ints, floats of the same
/// value, strings, booleans, a missing key, no metadata at all.
fn filter_records() -> Vec<VectorRecord> {
    let m = |pairs: &[(&str, MetadataValue)]| -> Metadata {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    let rows = [
        ("int1", m(&[("k", 1.into()), ("n", 10.into())])),
        ("float1", m(&[("k", 1.0.into()), ("n", 20.into())])),
        ("float15", m(&[("k", 1.5.into())])),
        ("int2", m(&[("k", 2.into()), ("z", "x".into())])),
        ("int_m1", m(&[("k", (-1).into())])),
        ("int_m2", m(&[("k", (-2).into())])),
        ("float_m15", m(&[("k", (-1.5).into())])),
        ("str_a", m(&[("k", "a".into())])),
        ("str_b", m(&[("k", "b".into()), ("n", 30.into())])),
        ("true", m(&[("k", true.into())])),
        ("false", m(&[("k", false.into())])),
        ("other", m(&[("z", 1.into())])),
        ("bare", Metadata::new()),
    ];
    rows.into_iter()
        .enumerate()
        .map(|(i, (name, metadata))| VectorRecord {
            id: id(name),
            embedding: vec![i as f32, 1.0],
            document: Some(format!("doc {name}")),
            metadata,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn filters_select_what_filter_matches_selects() {
    run(|env| async move {
        let name = create(&env, "filters", 2, Distance::L2).await.name;
        let records = filter_records();
        env.store
            .upsert(&name, records.clone())
            .await
            .expect("upsert");
        let filters = [
            json!({"k": 1}),
            json!({"k": 1.0}),
            json!({"k": {"$eq": true}}),
            json!({"k": {"$eq": "a"}}),
            json!({"k": {"$ne": 1}}),
            json!({"k": {"$ne": "a"}}),
            json!({"k": {"$ne": false}}),
            json!({"k": {"$gt": 1}}),
            json!({"k": {"$gte": 1.0}}),
            json!({"k": {"$lt": 1.5}}),
            json!({"k": {"$lte": 2}}),
            json!({"n": {"$gt": 15}}),
            // Fractions against integers (Chroma alone truncates them toward zero).
            json!({"k": {"$eq": 1.5}}),
            json!({"k": {"$ne": 1.5}}),
            json!({"k": {"$lt": 1.5}}),
            json!({"k": {"$lte": 1.5}}),
            json!({"k": {"$gt": 1.5}}),
            json!({"k": {"$gte": 1.5}}),
            json!({"k": {"$eq": -1.5}}),
            json!({"k": {"$ne": -1.5}}),
            json!({"k": {"$lt": -1.5}}),
            json!({"k": {"$lte": -1.5}}),
            json!({"k": {"$gt": -1.5}}),
            json!({"k": {"$gte": -1.5}}),
            json!({"k": {"$gt": -0.5}}),
            json!({"k": {"$lt": 0.5}}),
            json!({"k": {"$in": [-1.5, 1.5]}}),
            json!({"k": {"$nin": [-1.5, 1.5]}}),
            json!({"k": {"$in": [2.0]}}),
            json!({"k": {"$in": [1, 2]}}),
            json!({"k": {"$in": [1.5, 2]}}),
            json!({"k": {"$in": [2, 1.5]}}),
            json!({"k": {"$in": ["a", 2, true]}}),
            json!({"k": {"$nin": [1]}}),
            json!({"k": {"$nin": ["a", 1.5]}}),
            json!({"k": {"$nin": [true, "b", 2]}}),
            json!({"$and": [{"k": 1}]}),
            json!({"$or": [{"k": "a"}]}),
            json!({"$and": [{"k": {"$gte": 1}}, {"n": {"$lt": 15}}]}),
            json!({"$or": [{"z": {"$eq": "x"}}, {"k": {"$eq": "b"}}, {"z": 1}]}),
            json!({"$or": [{"$and": [{"k": {"$gt": 0}}, {"n": {"$ne": 10}}]}, {"k": true}]}),
        ];
        for text in filters {
            let filter = Filter::from_json(&text).expect("filter");
            let expected: BTreeSet<String> = records
                .iter()
                .filter(|r| filter.matches(&r.metadata))
                .map(|r| r.id.as_str().to_owned())
                .collect();
            let found = env
                .store
                .query(&name, &[vec![0.0, 0.0]], 100, Some(filter.clone()))
                .await
                .unwrap_or_else(|e| panic!("{text}: {e}"))
                .remove(0);
            let got: BTreeSet<String> = found.iter().map(|m| m.id.as_str().to_owned()).collect();
            assert_eq!(got, expected, "{text}");
            for m in &found {
                let record = records.iter().find(|r| r.id == m.id).expect("record");
                assert_eq!(m.metadata, record.metadata, "{text}: metadata of {}", m.id);
                assert_eq!(m.document, record.document);
            }
        }

        // delete_where removes exactly what matches, and says how many.
        let filter = Filter::from_json(&json!({"k": {"$nin": [1, 2]}})).expect("filter");
        let expected = records
            .iter()
            .filter(|r| filter.matches(&r.metadata))
            .count();
        let deleted = env
            .store
            .delete_where(&name, &filter)
            .await
            .expect("delete");
        assert_eq!(deleted as usize, expected);
        let left = env
            .store
            .list_ids(&name, Page::first(100))
            .await
            .expect("ids");
        assert_eq!(names(left), ["float1", "int1", "int2"]);
        assert_eq!(
            env.store.delete_where(&name, &filter).await.expect("again"),
            0
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn upsert_replaces_whole_records() {
    run(|env| async move {
        let store = &env.store;
        let name = create(&env, "overwrite", 2, Distance::Cosine).await.name;
        let first = vec![
            VectorRecord::new(id("a"), vec![1.0, 0.0])
                .document("first a")
                .meta("k", 1)
                .meta("j", "x"),
            VectorRecord::new(id("b"), vec![0.0, 1.0])
                .document("first b")
                .meta("k", 2),
            VectorRecord::new(id("c"), vec![1.0, 1.0]).meta("k", 3),
        ];
        assert_eq!(store.upsert(&name, first).await.expect("upsert"), 3);
        let second = vec![
            // Loses key j and its document.
            VectorRecord::new(id("a"), vec![0.5, 0.5]).meta("k", 10),
            // Keeps a document, loses all metadata.
            VectorRecord::new(id("b"), vec![0.25, 0.75]).document("second b"),
            // Repeated: the last occurrence wins.
            VectorRecord::new(id("c"), vec![2.0, 0.0]).meta("v", 1),
            VectorRecord::new(id("c"), vec![3.0, 0.0]).meta("v", 2),
        ];
        assert_eq!(store.upsert(&name, second).await.expect("upsert"), 3);
        let got = store.get(&name, &ids(&["a", "b", "c"])).await.expect("get");
        assert_eq!(got.len(), 3);
        // Chroma keeps cosine collections' embeddings normalised: they come back within f32
        // rounding, not bit for bit.
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(
            close(&got[0].embedding, &[0.5, 0.5]),
            "{:?}",
            got[0].embedding
        );
        assert_eq!(got[0].document, None);
        assert_eq!(got[0].metadata.len(), 1);
        assert_eq!(got[0].metadata.get("k"), Some(&MetadataValue::Int(10)));
        assert_eq!(got[1].document.as_deref(), Some("second b"));
        assert!(got[1].metadata.is_empty(), "{:?}", got[1].metadata);
        assert!(
            close(&got[2].embedding, &[3.0, 0.0]),
            "{:?}",
            got[2].embedding
        );
        assert_eq!(got[2].metadata.get("v"), Some(&MetadataValue::Int(2)));
        assert!(!got[2].metadata.contains_key("k"));
        assert_eq!(store.count(&name).await.expect("count"), 3);
        assert_eq!(store.upsert(&name, Vec::new()).await.expect("nothing"), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn get_answers_in_the_order_asked_and_delete_counts_what_existed() {
    run(|env| async move {
        let store = &env.store;
        let name = create(&env, "order", 3, Distance::L2).await.name;
        let batch: Vec<VectorRecord> = ["r1", "r2", "r3", "r4"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                // Components that decimal text would not carry exactly.
                let e = vec![0.1 * i as f32, 1.0 / 3.0, -7.123_456_7e-5];
                VectorRecord::new(id(n), e).meta("i", i as i64)
            })
            .collect();
        store.upsert(&name, batch.clone()).await.expect("upsert");
        let got = store
            .get(&name, &ids(&["r3", "nope", "r1", "r4", "r3"]))
            .await
            .expect("get");
        assert_eq!(names(got.iter().map(|r| r.id.clone())), ["r3", "r1", "r4"]);
        assert_eq!(
            got[0].embedding, batch[2].embedding,
            "embeddings round-trip exactly"
        );
        assert_eq!(got[0].metadata, batch[2].metadata);
        assert!(store.get(&name, &[]).await.expect("none").is_empty());

        let deleted = store
            .delete(&name, &ids(&["r2", "nope", "r2", "r4"]))
            .await
            .expect("delete");
        assert_eq!(deleted, 2, "only the ids that existed");
        assert_eq!(store.delete(&name, &ids(&["r2"])).await.expect("again"), 0);
        assert_eq!(store.delete(&name, &[]).await.expect("none"), 0);
        assert_eq!(store.count(&name).await.expect("count"), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn bad_input_is_refused_before_anything_is_written() {
    run(|env| async move {
        let store = &env.store;
        let name = create(&env, "refuse", 3, Distance::L2).await.name;
        let good = |i: &str| VectorRecord::new(id(i), vec![1.0, 2.0, 3.0]);
        let bad_batches = [
            vec![good("a"), VectorRecord::new(id("b"), vec![1.0, 2.0])],
            vec![
                good("a"),
                VectorRecord::new(id("b"), vec![1.0, f32::NAN, 0.0]),
            ],
            vec![
                VectorRecord::new(id("b"), vec![f32::INFINITY, 0.0, 0.0]),
                good("a"),
            ],
            vec![good("a"), good("b").meta("x", f64::NAN)],
        ];
        for batch in bad_batches {
            let result = store.upsert(&name, batch).await;
            assert!(
                matches!(result, Err(Error::Validation { .. })),
                "{result:?}"
            );
        }
        assert_eq!(
            store.count(&name).await.expect("count"),
            0,
            "nothing written"
        );
        // Neither before the first record (dimension from the collection's metadata).
        let other = env.other_store();
        let result = other
            .upsert(&name, vec![VectorRecord::new(id("c"), vec![1.0; 4])])
            .await;
        assert!(
            matches!(result, Err(Error::Validation { .. })),
            "{result:?}"
        );
        assert_eq!(store.count(&name).await.expect("count"), 0);

        store.upsert(&name, vec![good("a")]).await.expect("upsert");
        for (embedding, k, filter) in [
            (vec![1.0, 2.0], 1, None),
            (vec![1.0, 2.0, f32::NAN], 1, None),
            (vec![1.0, 2.0, 3.0], 0, None),
            (vec![1.0, 2.0, 3.0], 1, Some(Filter::In("k".into(), vec![]))),
            (
                vec![1.0, 2.0, 3.0],
                1,
                Some(Filter::Gt("k".into(), "text".into())),
            ),
        ] {
            let result = store.query(&name, &[embedding], k, filter).await;
            assert!(
                matches!(result, Err(Error::Validation { .. })),
                "{result:?}"
            );
        }
        let result = store.delete_where(&name, &Filter::And(vec![])).await;
        assert!(
            matches!(result, Err(Error::Validation { .. })),
            "{result:?}"
        );
        let result = store.list_ids(&name, Page::first(0)).await;
        assert!(
            matches!(result, Err(Error::Validation { .. })),
            "{result:?}"
        );
        assert_eq!(store.count(&name).await.expect("count"), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn list_ids_pages_through_every_id_once_in_id_order() {
    run(|env| async move {
        let name = create(&env, "paging", 2, Distance::L2).await.name;
        // More than one Chroma batch, inserted out of id order.
        let total = 6_100_u64;
        let batch: Vec<VectorRecord> = (0..total)
            .map(|i| {
                let n = (i * 7_919) % total;
                VectorRecord::new(id(&format!("id{n}")), vec![n as f32, 1.0])
            })
            .collect();
        assert_eq!(env.store.upsert(&name, batch).await.expect("upsert"), total);
        assert_eq!(env.store.count(&name).await.expect("count"), total);
        let mut listed = Vec::new();
        for page in 0.. {
            let ids = env
                .store
                .list_ids(&name, Page::nth(page, 1000))
                .await
                .expect("page");
            if ids.is_empty() {
                break;
            }
            listed.extend(names(ids));
        }
        let mut expected: Vec<String> = (0..total).map(|n| format!("id{n}")).collect();
        expected.sort();
        assert_eq!(listed, expected);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn concurrent_upserts_all_land() {
    run(|env| async move {
        let name = create(&env, "concurrent", 4, Distance::Cosine).await.name;
        let mut tasks = Vec::new();
        for task in 0..8_u64 {
            let env = Arc::clone(&env);
            let name = name.clone();
            tasks.push(tokio::spawn(async move {
                for round in 0..5_u64 {
                    let batch = (0..20_u64)
                        .map(|i| {
                            let n = task * 1000 + round * 20 + i;
                            VectorRecord::new(id(&format!("c{n}")), vector(n, 4))
                        })
                        .collect();
                    env.store.upsert(&name, batch).await.expect("upsert");
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(env.store.count(&name).await.expect("count"), 8 * 5 * 20);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn a_collection_recreated_by_another_client_is_found_again() {
    run(|env| async move {
        let name = create(&env, "recreated", 2, Distance::L2).await.name;
        let record = |e: Vec<f32>| vec![VectorRecord::new(id("a"), e)];
        env.store
            .upsert(&name, record(vec![1.0, 2.0]))
            .await
            .expect("upsert");

        // Another process deletes it and makes it again with another dimension.
        let other = env.other_store();
        other.delete_collection(&name).await.expect("delete");
        other
            .create_collection(NewCollection::new(name.clone(), 3, Distance::Cosine))
            .await
            .expect("re-create");

        // The first store's cached id and dimension are stale: it notices and follows.
        env.store
            .upsert(&name, record(vec![1.0, 2.0, 3.0]))
            .await
            .expect("upsert after re-create");
        assert_eq!(env.store.count(&name).await.expect("count"), 1);
        let found = env
            .store
            .query(&name, &[vec![1.0, 2.0, 3.0]], 1, None)
            .await
            .expect("query");
        assert!(found[0][0].distance.abs() < 1e-6, "cosine of itself");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn health_reports_collections_with_counts() {
    run(|env| async move {
        let name = create(&env, "health", 2, Distance::L2).await.name;
        let batch = (0..3)
            .map(|i| VectorRecord::new(id(&format!("h{i}")), vec![i as f32, 0.0]))
            .collect();
        env.store.upsert(&name, batch).await.expect("upsert");
        let health = env.store.health().await;
        assert!(health.reachable, "{health:?}");
        assert_eq!(health.backend, "chroma");
        assert!(health.round_trip_ms.is_some());
        assert_eq!(health.error, None);
        assert!(health.collections.contains(&(name, 3)), "{health:?}");
        assert!(health.target.contains(super::DATABASE));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn a_missing_database_is_created() {
    tests::init_tracing();
    let url = tests::chroma_url();
    let database = tests::unique_name();
    let config = super::config(&url).with_database(database.clone());
    let store = ChromaVectorStore::connect(&config).await.expect("connect");
    let name = CollectionName::parse("in_new_database").expect("name");
    store
        .create_collection(NewCollection::new(name.clone(), 2, Distance::L2))
        .await
        .expect("create");
    assert_eq!(store.list_collections().await.expect("list").len(), 1);
    // A second store on the same database sees it (the database exists once).
    let again = ChromaVectorStore::connect(&config)
        .await
        .expect("connect again");
    assert_eq!(again.get_collection(&name).await.expect("get").dimension, 2);
    store.delete_collection(&name).await.expect("delete");
    super::server_facts::Raw::new(&url)
        .delete_database(&database)
        .await;
}
