//! The vector ops: `vector_upsert` (100,000 records of 384 components, in batches of 500) and
//! `vector_query` (2,000 queries, k = 10, 8 concurrent, without and then with a metadata
//! filter), through the configured `VectorStore`.
//!
//! The data: components uniform in [-1, 1) from a fixed seed; each record has a short document
//! and metadata `{technology: TECHNOLOGIES[i % 12], chunk: i % 30}`; the filter is
//! `{"technology": "rust"}` (one record in twelve).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::{Rng, SeedableRng};
use repository::knowledge::TECHNOLOGIES;
use repository::vector::{
    CollectionName, Distance, Filter, NewCollection, RecordId, VectorRecord, VectorStore,
};

use super::report::OpReport;
use super::runner::{Bench, concurrent};

/// Components per embedding (all-MiniLM-L6-v2's, the seeds' default embedding model).
pub(crate) const DIMENSION: usize = 384;

/// Records per upsert call.
const BATCH: usize = 500;

/// Neighbours per query.
const K: u32 = 10;

/// The collection the ops write, created fresh and dropped at the end.
const COLLECTION: &str = "dal_bench_vectors";

/// A random embedding.
fn embedding(rng: &mut impl Rng) -> Vec<f32> {
    (0..DIMENSION)
        .map(|_| rng.random_range(-1.0_f32..1.0))
        .collect()
}

/// Record `i` of the benchmark.
fn record(i: u64, rng: &mut impl Rng) -> Result<VectorRecord> {
    let technology = TECHNOLOGIES[(i % TECHNOLOGIES.len() as u64) as usize];
    Ok(
        VectorRecord::new(RecordId::parse(&format!("v{i:08}"))?, embedding(rng))
            .document(format!("Chunk {i} of the {technology} documentation."))
            .meta("technology", technology)
            .meta("chunk", (i % 30) as i64),
    )
}

/// `vector_upsert`, then `vector_query` when asked for (it reads what the upsert wrote).
pub(crate) async fn run(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let store = b.vector()?;
    let name = CollectionName::parse(COLLECTION)?;
    match store.delete_collection(&name).await {
        Ok(()) | Err(repository::Error::NotFound { .. }) => {}
        Err(e) => return Err(e).context("dropping an earlier benchmark collection"),
    }
    store
        .create_collection(NewCollection::new(
            name.clone(),
            DIMENSION as u32,
            Distance::Cosine,
        ))
        .await?;
    let result = async {
        upsert(b, store.as_ref(), &name, out)
            .await
            .context("vector_upsert")?;
        if b.wants("vector_query") {
            query(b, &store, &name, out).await.context("vector_query")?;
        }
        anyhow::Ok(())
    }
    .await;
    store.delete_collection(&name).await.ok();
    result
}

async fn upsert(
    b: &mut Bench,
    store: &dyn VectorStore,
    name: &CollectionName,
    out: &mut dyn Write,
) -> Result<()> {
    let n = b.count(100_000);
    let bar = b.bar("vector_upsert", n);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x7ec7);
    // Only the upsert calls are timed, not making their records.
    let mut elapsed = Duration::ZERO;
    let mut i = 0;
    while i < n {
        let end = (i + BATCH as u64).min(n);
        let batch = (i..end)
            .map(|i| record(i, &mut rng))
            .collect::<Result<Vec<_>>>()?;
        let started = Instant::now();
        store.upsert(name, batch).await?;
        elapsed += started.elapsed();
        bar.inc(end - i);
        i = end;
    }
    bar.finish_and_clear();
    if store.count(name).await? != n {
        bail!("vector_upsert: the collection does not hold every record");
    }
    b.push(OpReport::new("vector_upsert", n, elapsed, None), out)
}

async fn query(
    b: &mut Bench,
    store: &Arc<dyn VectorStore>,
    name: &CollectionName,
    out: &mut dyn Write,
) -> Result<()> {
    let rows = b.count(100_000);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x9e11);
    let queries: Arc<Vec<Vec<f32>>> = Arc::new((0..1024).map(|_| embedding(&mut rng)).collect());

    // The first query after the writes brings the store up to date (the embedded store reads
    // the collection into its replica): reported on its own as `vector_load`.
    let started = Instant::now();
    store.query(name, &queries[..1], K, None).await?;
    b.push(
        OpReport::new("vector_load", rows, started.elapsed(), None),
        out,
    )?;

    let rust = Filter::from_json(&serde_json::json!({"technology": "rust"}))?;
    for (op, filter) in [
        ("vector_query", None),
        ("vector_query_filtered", Some(rust)),
    ] {
        let n = b.count(2_000);
        let bar = b.bar(op, n);
        let (store, name, queries) = (Arc::clone(store), name.clone(), Arc::clone(&queries));
        let (elapsed, lat) = concurrent(n, 8, &bar, move |i| {
            let (store, name, queries, filter) = (
                Arc::clone(&store),
                name.clone(),
                Arc::clone(&queries),
                filter.clone(),
            );
            async move {
                let query = &queries[i as usize % queries.len()];
                let found = store
                    .query(&name, std::slice::from_ref(query), K, filter)
                    .await?;
                if found.first().is_none_or(Vec::is_empty) {
                    bail!("a query found nothing");
                }
                Ok(())
            }
        })
        .await?;
        bar.finish_and_clear();
        b.push(OpReport::new(op, n, elapsed, Some(lat)), out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_the_benchmark_definition() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let r = record(13, &mut rng).expect("record");
        assert_eq!(r.id.as_str(), "v00000013");
        assert_eq!(r.embedding.len(), DIMENSION);
        assert!(r.embedding.iter().all(|x| (-1.0..1.0).contains(x)));
        assert_eq!(r.metadata["technology"], TECHNOLOGIES[1].into());
        assert_eq!(r.metadata["chunk"], 13_i64.into());
        r.validate(0, DIMENSION as u32).expect("valid");
    }
}
