//! What the Chroma server itself does, through raw HTTP: the semantics the embedded store
//! reproduces (`Filter::matches`, `Distance::between`, last repeated id wins, missing ids
//! skipped), and the quirks `ChromaVectorStore` works around (mixed-type lists refused, upsert
//! merging metadata and keeping documents, delete counting the ids sent, get answering in
//! insertion order). If a Chroma upgrade changes one of these, this file says which.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Raw calls to the test server's database [`super::DATABASE`].
pub struct Raw {
    http: reqwest::Client,
    base: String,
}

impl Raw {
    /// A client for the server at `url`.
    pub fn new(url: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("client"),
            base: format!(
                "{}/api/v2/tenants/default_tenant",
                url.trim_end_matches('/')
            ),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("Chroma answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `POST` to `path` under the test database; the status and JSON answer.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let path = format!("/databases/{}{path}", super::DATABASE);
        self.send(reqwest::Method::POST, &path, Some(body)).await
    }

    /// Create a collection (`space` as its distance) and return its id.
    pub async fn collection(&self, name: &str, space: &str) -> String {
        let (status, body) = self
            .post(
                "/collections",
                json!({"name": name, "configuration": {"hnsw": {"space": space}}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// A collection as Chroma describes it, by name.
    pub async fn describe(&self, name: &str) -> Value {
        let path = format!("/databases/{}/collections/{name}", super::DATABASE);
        let (status, body) = self.send(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Delete a collection by name.
    pub async fn drop_collection(&self, name: &str) {
        let path = format!("/databases/{}/collections/{name}", super::DATABASE);
        self.send(reqwest::Method::DELETE, &path, None).await;
    }

    /// Delete a database of the default tenant.
    pub async fn delete_database(&self, database: &str) {
        let (status, body) = self
            .send(
                reqwest::Method::DELETE,
                &format!("/databases/{database}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// A raw collection for one test, dropped at the end.
struct Scratch {
    raw: Raw,
    name: String,
    id: String,
}

impl Scratch {
    async fn new(space: &str) -> Self {
        tests::init_tracing();
        let raw = Raw::new(&tests::chroma_url());
        // The store makes the database; make sure it exists for raw calls too.
        repository::vector::ChromaVectorStore::connect(&super::config(&tests::chroma_url()))
            .await
            .expect("Chroma reachable");
        let name = format!("{}_raw", tests::unique_name());
        let id = raw.collection(&name, space).await;
        Self { raw, name, id }
    }

    async fn post(&self, op: &str, body: Value) -> (u16, Value) {
        self.raw
            .post(&format!("/collections/{}/{op}", self.id), body)
            .await
    }

    async fn ok(&self, op: &str, body: Value) -> Value {
        let (status, answer) = self.post(op, body).await;
        assert!((200..300).contains(&status), "{op}: {status} {answer}");
        answer
    }

    /// The ids `where` selects, sorted; or the refusal's status.
    async fn select(&self, filter: Value) -> Result<BTreeSet<String>, u16> {
        let (status, answer) = self
            .post("get", json!({"where": filter, "include": []}))
            .await;
        if status != 200 {
            return Err(status);
        }
        Ok(answer["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|i| i.as_str().expect("id").to_owned())
            .collect())
    }

    async fn drop(self) {
        self.raw.drop_collection(&self.name).await;
    }
}

fn set(ids: &[&str]) -> Result<BTreeSet<String>, u16> {
    Ok(ids.iter().map(|i| (*i).to_owned()).collect())
}

async fn with_metadata_records() -> Scratch {
    let scratch = Scratch::new("l2").await;
    scratch
        .ok(
            "upsert",
            json!({
                "ids": ["int1", "float1", "float15", "str_b", "true", "none", "other"],
                "embeddings": [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0],
                               [5.0, 0.0], [6.0, 0.0]],
                "metadatas": [{"k": 1}, {"k": 1.0}, {"k": 1.5}, {"k": "b"}, {"k": true}, null,
                              {"z": 1}],
            }),
        )
        .await;
    scratch
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn filter_semantics_the_embedded_store_reproduces() {
    let s = with_metadata_records().await;
    // $ne and $nin match records without the key (none, other).
    assert_eq!(
        s.select(json!({"k": {"$ne": 1}})).await,
        set(&["float15", "str_b", "true", "none", "other"])
    );
    assert_eq!(
        s.select(json!({"k": {"$nin": ["b"]}})).await,
        set(&["int1", "float1", "float15", "true", "none", "other"])
    );
    // Comparisons and $in never match a missing key.
    assert_eq!(
        s.select(json!({"k": {"$in": ["b"]}})).await,
        set(&["str_b"])
    );
    // An integer equals the float of the same value, both ways.
    assert_eq!(s.select(json!({"k": 1})).await, set(&["int1", "float1"]));
    assert_eq!(
        s.select(json!({"k": {"$eq": 1.0}})).await,
        set(&["int1", "float1"])
    );
    // A boolean is not the number 1.
    assert_eq!(s.select(json!({"k": true})).await, set(&["true"]));
    assert_eq!(
        s.select(json!({"k": {"$ne": true}})).await,
        set(&["int1", "float1", "float15", "str_b", "none", "other"])
    );
    // Comparisons compare numbers only (a string or boolean value never matches).
    assert_eq!(
        s.select(json!({"k": {"$gte": 1}})).await,
        set(&["int1", "float1", "float15"])
    );
    assert_eq!(s.select(json!({"k": {"$gt": 1}})).await, set(&["float15"]));
    // …and a string or boolean operand is refused (so Filter::validate refuses it first).
    assert_eq!(s.select(json!({"k": {"$gt": "a"}})).await, Err(400));
    assert_eq!(s.select(json!({"k": {"$lt": true}})).await, Err(400));
    // $and/$or of one filter are accepted (Filter::to_json unwraps them anyway); an empty
    // $in is refused, an empty $and matches everything (Filter::validate refuses both).
    assert_eq!(
        s.select(json!({"$and": [{"k": 1}]})).await,
        set(&["int1", "float1"])
    );
    assert_eq!(
        s.select(json!({"$or": [{"k": "b"}]})).await,
        set(&["str_b"])
    );
    assert_eq!(s.select(json!({"k": {"$in": []}})).await, Err(400));
    s.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn mixed_type_lists_are_refused_or_read_by_their_first_element() {
    let s = with_metadata_records().await;
    assert_eq!(s.select(json!({"k": {"$in": [1, "b"]}})).await, Err(400));
    assert_eq!(s.select(json!({"k": {"$nin": [true, 1]}})).await, Err(400));
    // A list of numbers is typed by its first element: an int first refuses a later float…
    assert_eq!(s.select(json!({"k": {"$in": [1, 1.5]}})).await, Err(400));
    // …a float first reads the rest as floats (so the store writes such lists as floats).
    assert_eq!(
        s.select(json!({"k": {"$in": [1.5, 1]}})).await,
        set(&["int1", "float1", "float15"])
    );
    s.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn a_fraction_is_truncated_toward_zero_against_integers() {
    let s = Scratch::new("l2").await;
    s.ok(
        "upsert",
        json!({
            "ids": ["i1", "f1", "f15", "im1", "fm15"],
            "embeddings": [[0.0], [1.0], [2.0], [3.0], [4.0]],
            "metadatas": [{"k": 1}, {"k": 1.0}, {"k": 1.5}, {"k": -1}, {"k": -1.5}],
        }),
    )
    .await;
    // Chroma compares the integer 1 with 1.5 as with 1, and -1 with -1.5 as with -1; the store
    // writes such comparisons so that the result is exact (wire::where_clause).
    assert_eq!(
        s.select(json!({"k": {"$eq": 1.5}})).await,
        set(&["i1", "f15"])
    );
    assert_eq!(
        s.select(json!({"k": {"$lt": 1.5}})).await,
        set(&["f1", "im1", "fm15"])
    );
    assert_eq!(
        s.select(json!({"k": {"$in": [-1.5]}})).await,
        set(&["im1", "fm15"])
    );
    // An integer operand is compared exactly with floats.
    assert_eq!(s.select(json!({"k": {"$gt": 1}})).await, set(&["f15"]));
    assert_eq!(s.select(json!({"k": {"$lt": -1}})).await, set(&["fm15"]));
    s.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn distances_are_squared_l2_one_minus_cosine_and_one_minus_dot() {
    // a = (2, 0), b = (0, 2).
    for (space, query, expected) in [
        ("l2", [2.0, 0.0], [0.0, 8.0]),
        ("cosine", [1.0, 0.0], [0.0, 1.0]),
        ("ip", [1.0, 0.0], [-1.0, 1.0]),
    ] {
        let s = Scratch::new(space).await;
        s.ok(
            "upsert",
            json!({"ids": ["a", "b"], "embeddings": [[2.0, 0.0], [0.0, 2.0]]}),
        )
        .await;
        let answer = s
            .ok(
                "query",
                json!({"query_embeddings": [query], "n_results": 2, "include": ["distances"]}),
            )
            .await;
        assert_eq!(answer["ids"], json!([["a", "b"]]), "{space}");
        assert_eq!(answer["distances"], json!([expected]), "{space}");
        s.drop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn upsert_keeps_the_last_repeated_id_and_merges_into_existing_records() {
    let s = Scratch::new("l2").await;
    s.ok(
        "upsert",
        json!({"ids": ["d", "d"], "embeddings": [[1.0], [2.0]], "metadatas": [{"v": 1}, {"v": 2}]}),
    )
    .await;
    let got = s
        .ok(
            "get",
            json!({"ids": ["d"], "include": ["embeddings", "metadatas"]}),
        )
        .await;
    assert_eq!(
        got["embeddings"],
        json!([[2.0]]),
        "the last occurrence wins"
    );
    assert_eq!(got["metadatas"], json!([{"v": 2}]));
    assert_eq!(
        s.ok("get", json!({"include": []})).await["ids"],
        json!(["d"])
    );

    // Chroma's upsert merges metadata and keeps the document (the store reads first to replace).
    s.ok(
        "upsert",
        json!({"ids": ["a"], "embeddings": [[1.0]], "documents": ["doc"],
               "metadatas": [{"k": 1, "j": 1}]}),
    )
    .await;
    s.ok(
        "upsert",
        json!({"ids": ["a"], "embeddings": [[3.0]], "metadatas": [{"j": 2}]}),
    )
    .await;
    let got = s
        .ok(
            "get",
            json!({"ids": ["a"], "include": ["documents", "metadatas"]}),
        )
        .await;
    assert_eq!(got["documents"], json!(["doc"]));
    assert_eq!(got["metadatas"], json!([{"j": 2, "k": 1}]));
    // A key sent as null is removed.
    s.ok(
        "upsert",
        json!({"ids": ["a"], "embeddings": [[3.0]], "metadatas": [{"k": null}]}),
    )
    .await;
    let got = s
        .ok("get", json!({"ids": ["a"], "include": ["metadatas"]}))
        .await;
    assert_eq!(got["metadatas"], json!([{"j": 2}]));
    s.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn cosine_collections_return_embeddings_within_rounding() {
    let s = Scratch::new("cosine").await;
    s.ok("upsert", json!({"ids": ["a"], "embeddings": [[0.1, 0.5]]}))
        .await;
    let got = s
        .ok("get", json!({"ids": ["a"], "include": ["embeddings"]}))
        .await;
    let back: Vec<f64> = got["embeddings"][0]
        .as_array()
        .expect("embedding")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    // Stored normalised, scaled back on the way out: close, not always bit for bit.
    assert!(
        (back[0] - 0.1).abs() < 1e-6 && (back[1] - 0.5).abs() < 1e-6,
        "{back:?}"
    );
    s.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn get_skips_missing_ids_and_delete_counts_the_ids_sent() {
    let s = Scratch::new("l2").await;
    s.ok(
        "upsert",
        json!({"ids": ["r3", "r1", "r2"], "embeddings": [[3.0], [1.0], [2.0]]}),
    )
    .await;
    let got = s
        .ok(
            "get",
            json!({"ids": ["r2", "nope", "r3", "r2"], "include": []}),
        )
        .await;
    // Missing ids are skipped, repeats answered once, in insertion order (not the order asked).
    assert_eq!(got["ids"], json!(["r3", "r2"]));
    let deleted = s.ok("delete", json!({"ids": ["r1", "nope"]})).await;
    assert_eq!(
        deleted["deleted"],
        json!(2),
        "Chroma counts the ids it was sent"
    );
    let (status, _) = s.post("delete", json!({"ids": []})).await;
    assert_eq!(status, 400, "an empty delete is refused");
    s.drop().await;
}
