//! The Chroma vector store: its behaviour on the real Chroma server of `DAL_TEST_CHROMA_URL`
//! (`store`), what that server itself does that the embedded store must match or that this
//! store works around (`server_facts`, raw HTTP), and calls against a server that is down or
//! never answers (`fault`, no server needed).
//!
//! Every test works in the database `dal_test` under collection names unique to it, and deletes
//! them afterwards (also when it failed).

mod fault;
mod server_facts;
mod store;

use std::future::Future;
use std::sync::Arc;

use repository::vector::{ChromaConfig, ChromaVectorStore, CollectionName, VectorStore};

/// The Chroma database the tests use (created by the store when missing).
pub const DATABASE: &str = "dal_test";

/// One test's store and the prefix of its collections.
pub struct Env {
    /// The store under test, on database [`DATABASE`].
    pub store: ChromaVectorStore,
    /// The server's URL.
    pub url: String,
    prefix: String,
}

impl Env {
    /// A collection name unique to this test.
    pub fn name(&self, tag: &str) -> CollectionName {
        CollectionName::parse(&format!("{}_{tag}", self.prefix)).expect("valid name")
    }

    /// Another store on the same server and database (another process, as far as caches go).
    pub fn other_store(&self) -> ChromaVectorStore {
        ChromaVectorStore::new(&config(&self.url)).expect("config")
    }
}

/// The HNSW `ef_search` of the test collections: high enough that Chroma's approximate index
/// finds the true nearest neighbours of the suite's collections (thousands of random 384-component
/// vectors; Chroma's default of 100 misses some).
pub const EF_SEARCH: u32 = 512;

/// The configuration of the test server, database [`DATABASE`].
pub fn config(url: &str) -> ChromaConfig {
    ChromaConfig::new(url)
        .with_database(DATABASE)
        .with_ef_search(EF_SEARCH)
}

/// Connect to `DAL_TEST_CHROMA_URL`, run `test` in its own task, delete the test's collections
/// (also when it panicked), then re-raise a panic.
///
/// # Panics
/// When the server is unset or unreachable, or the test panicked.
pub async fn run<F, Fut>(test: F)
where
    F: FnOnce(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    tests::init_tracing();
    let url = tests::chroma_url();
    let store = ChromaVectorStore::connect(&config(&url))
        .await
        .unwrap_or_else(|e| panic!("Chroma of DAL_TEST_CHROMA_URL is unusable: {e}"));
    let env = Arc::new(Env {
        store,
        url,
        prefix: tests::unique_name(),
    });
    let result = tokio::spawn(test(Arc::clone(&env))).await;
    if let Ok(collections) = env.store.list_collections().await {
        for collection in collections {
            if collection.name.as_str().starts_with(&env.prefix) {
                let _ = env.store.delete_collection(&collection.name).await;
            }
        }
    }
    if let Err(error) = result {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("test task failed: {error}");
    }
}
