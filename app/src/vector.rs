//! Vector collections in the tool: the store the configuration names, the collections the
//! seeds ask for (created by `dal init`), and what `dal status` and `dal vector ls|info` show.

use std::sync::Arc;

use anyhow::{Context, Result};
use repository::DatabaseConnection;
use repository::vector::{ChromaConfig, ChromaVectorStore};
use repository::vector::{
    Collection, CollectionName, Distance, EmbeddedVectorStore, MetadataValue, NewCollection,
    VectorHealth, VectorStore,
};
use serde::Serialize;

use crate::config::{Config, ConfigError, VectorBackend};

/// A collection a seed asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedCollection {
    /// Its name.
    pub name: &'static str,
    /// The seed that asks for it.
    pub seed: &'static str,
    /// The seed's system.
    pub system: &'static str,
    /// What it holds, in the seed's words.
    pub description: &'static str,
}

/// The collection of the chat system's chunk embeddings (`document_chunk.embedding_id`).
pub const CHAT_CHUNK_COLLECTION: &str = "docrag_chunks";

/// The collections of seed 003 ("ChromaDB Collections to Create") and seed 001's chunk
/// collection (the seed links `document_chunk.embedding_id` to it without naming it).
pub const SEED_COLLECTIONS: [SeedCollection; 6] = [
    SeedCollection {
        name: "employee_documents",
        seed: "003",
        system: "assistant",
        description: "employee-related documents",
    },
    SeedCollection {
        name: "resume_chunks",
        seed: "003",
        system: "assistant",
        description: "resume text chunks",
    },
    SeedCollection {
        name: "contract_chunks",
        seed: "003",
        system: "assistant",
        description: "contract text chunks",
    },
    SeedCollection {
        name: "review_chunks",
        seed: "003",
        system: "assistant",
        description: "performance review chunks",
    },
    SeedCollection {
        name: "policy_chunks",
        seed: "003",
        system: "assistant",
        description: "company policy chunks",
    },
    SeedCollection {
        name: CHAT_CHUNK_COLLECTION,
        seed: "001",
        system: "chat",
        description: "documentation chunks of DocRag (document_chunk.embedding_id)",
    },
];

/// The distance the seed collections are created with: sentence embeddings are compared by
/// angle.
pub const SEED_DISTANCE: Distance = Distance::Cosine;

/// The vector store `config` names, over `conn` for the embedded one.
///
/// # Errors
/// A [`ConfigError`] for a backend this build cannot construct.
pub fn store(config: &Config, conn: &DatabaseConnection) -> Result<Arc<dyn VectorStore>> {
    store_for(&config.vector.backend, conn)
}

/// The vector store on `backend`, over `conn` for the embedded one.
///
/// # Errors
/// A [`ConfigError`] for a backend this build cannot construct.
pub fn store_for(
    backend: &VectorBackend,
    conn: &DatabaseConnection,
) -> Result<Arc<dyn VectorStore>> {
    match backend {
        VectorBackend::Embedded => Ok(Arc::new(EmbeddedVectorStore::new(conn.clone()))),
        // No I/O here: the app starts while Chroma is down; every call is bounded by the
        // store's timeouts.
        VectorBackend::Chroma {
            url,
            tenant,
            database,
        } => {
            let config = ChromaConfig::new(url.clone())
                .with_tenant(tenant.clone())
                .with_database(database.clone());
            let store = ChromaVectorStore::new(&config)
                .map_err(|e| ConfigError::new("CHROMA_URL", format!("{e}")))?;
            Ok(Arc::new(store))
        }
    }
}

/// Create every collection of [`SEED_COLLECTIONS`] with `dimension` components (idempotent:
/// existing ones are kept as they are).
///
/// # Errors
/// A collection that exists with another dimension or distance, or the store's error.
pub async fn ensure_seed_collections(
    store: &dyn VectorStore,
    dimension: u32,
) -> Result<Vec<Collection>> {
    let mut created = Vec::with_capacity(SEED_COLLECTIONS.len());
    for seed in SEED_COLLECTIONS {
        let name = CollectionName::parse(seed.name)?;
        let mut new = NewCollection::new(name, dimension, SEED_DISTANCE);
        for (key, value) in [
            ("seed", seed.seed),
            ("system", seed.system),
            ("description", seed.description),
        ] {
            new.metadata
                .insert(key.to_owned(), MetadataValue::from(value));
        }
        created.push(
            store
                .create_collection(new)
                .await
                .with_context(|| format!("creating vector collection {}", seed.name))?,
        );
    }
    Ok(created)
}

/// The vector side of `dal status`.
#[derive(Debug, Clone, Serialize)]
pub struct VectorStatus {
    /// `embedded` or `chroma`.
    pub backend: String,
    /// Where it lives (no secrets).
    pub target: String,
    /// Whether it answered.
    pub reachable: bool,
    /// The round trip of the check, in milliseconds, when it answered.
    pub round_trip_ms: Option<f64>,
    /// Every collection with its record count.
    pub collections: Vec<CollectionCount>,
    /// Why it did not answer, when it did not.
    pub error: Option<String>,
}

/// A collection and its record count.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionCount {
    /// The collection's name.
    pub name: String,
    /// Records it holds.
    pub records: u64,
}

impl VectorStatus {
    /// Ask `store` how it is.
    pub async fn of(store: &dyn VectorStore) -> Self {
        Self::from(store.health().await)
    }
}

impl From<VectorHealth> for VectorStatus {
    fn from(health: VectorHealth) -> Self {
        Self {
            backend: health.backend,
            target: health.target,
            reachable: health.reachable,
            round_trip_ms: health.round_trip_ms,
            collections: health
                .collections
                .into_iter()
                .map(|(name, records)| CollectionCount {
                    name: name.as_str().to_owned(),
                    records,
                })
                .collect(),
            error: health.error,
        }
    }
}

/// `dal vector ls`: one line per collection.
#[must_use]
pub fn render_list(collections: &[Collection]) -> String {
    use std::fmt::Write as _;
    let width = collections
        .iter()
        .map(|c| c.name.as_str().len())
        .max()
        .unwrap_or(0)
        .max("name".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>9}  {:<8}  {:>10}",
        "name", "dimension", "distance", "records"
    );
    for c in collections {
        let _ = writeln!(
            out,
            "{:<width$}  {:>9}  {:<8}  {:>10}",
            c.name.as_str(),
            c.dimension,
            c.distance.as_str(),
            c.count
        );
    }
    out
}

/// `dal vector info NAME`: the collection's settings, count and metadata.
#[must_use]
pub fn render_info(collection: &Collection) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "name       {}", collection.name);
    let _ = writeln!(out, "dimension  {}", collection.dimension);
    let _ = writeln!(out, "distance   {}", collection.distance);
    let _ = writeln!(out, "records    {}", collection.count);
    let _ = writeln!(out, "metadata");
    for (key, value) in &collection.metadata {
        let shown = serde_json::to_string(value).unwrap_or_default();
        let _ = writeln!(out, "  {key} = {shown}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_collection_names_are_valid_and_distinct() {
        let mut names: Vec<&str> = SEED_COLLECTIONS.iter().map(|c| c.name).collect();
        for name in &names {
            CollectionName::parse(name).expect("valid");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SEED_COLLECTIONS.len());
    }

    #[test]
    fn the_chroma_backend_is_built_without_contacting_the_server() {
        let mut config =
            Config::from_sources(std::path::Path::new("/x"), &Default::default(), None)
                .expect("config");
        config.vector.backend = VectorBackend::Chroma {
            url: "http://127.0.0.1:1".into(),
            tenant: "t".into(),
            database: "d".into(),
        };
        let conn = DatabaseConnection::default();
        assert!(store(&config, &conn).is_ok());
    }
}
