//! Vector collections (issue 10): one behavioural suite ([`suite`]) run on every backend of
//! `repository::vector::VectorStore`, plus what only the embedded store has ([`embedded`]:
//! transactions shared with other repositories, other processes' writes).
//!
//! Each behaviour is its own test, with one variant per backend: `sqlite` and `postgres` for the
//! embedded store now; a `chroma` variant (ignored unless `DAL_TEST_CHROMA_URL` was set at build
//! time or `CI` is, cfg `dal_chroma`) calls the same functions with a Chroma store.

mod embedded;
pub mod suite;

use std::sync::Arc;

use repository::vector::{ChromaConfig, ChromaVectorStore, EmbeddedVectorStore};
use tests::TestDb;

pub use suite::Fixture;

impl Fixture {
    /// A Chroma store on `DAL_TEST_CHROMA_URL` (database `dal_test`). Chroma's search is
    /// approximate: `ef_search` 512 makes it exact for the suite's collection sizes.
    pub async fn chroma() -> Self {
        let config = ChromaConfig::new(tests::chroma_url())
            .with_database("dal_test")
            .with_ef_search(512);
        let store = ChromaVectorStore::connect(&config).await.expect("Chroma");
        Self::new(Arc::new(store))
    }

    /// The embedded store over `db`'s pool.
    pub fn embedded(db: &TestDb) -> Self {
        Self::new(Arc::new(EmbeddedVectorStore::new(db.conn.clone())))
    }
}

/// `mod $name { sqlite(); postgres(); }` running `suite::$name` on a fresh, migrated database of
/// each backend, through the embedded store.
macro_rules! vector_suite {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = tests::TestDb::migrated(tests::Backend::Sqlite).await;
                    super::suite::$name(&super::Fixture::embedded(&db)).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
                async fn postgres() {
                    let db = tests::TestDb::migrated(tests::Backend::Postgres).await;
                    super::suite::$name(&super::Fixture::embedded(&db)).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
                async fn chroma() {
                    let fixture = super::Fixture::chroma().await;
                    super::suite::$name(&fixture).await;
                    fixture.drop_collections().await;
                }
            }
        )*
    };
}

vector_suite!(
    upsert_inserts_and_overwrites,
    get_keeps_the_order_of_ids_and_skips_missing,
    delete_by_id,
    delete_by_filter,
    every_filter_operator,
    knn_matches_brute_force_for_every_metric,
    concurrent_queries_get_their_own_answers,
    ties_are_broken_by_id,
    paging_lists_every_id_once,
    collections_are_isolated,
    concurrent_upserts_all_land,
    bad_input_is_refused_and_nothing_written,
    missing_collections_are_not_found,
    dimension_is_fixed_and_create_is_idempotent,
    collections_are_created_listed_and_deleted,
    health_lists_collections_with_counts,
);
