//! The workload of `BENCHMARK.md`: its data (rows cycling through the shared technologies, ~4 KB
//! search-result values) and its ops, each with its count and concurrency.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use entity::knowledge::sea_orm_active_enums::{FeedbackType, ProcessingStatus, SignalType};
use repository::knowledge::feedback::{FeedbackRepository, FeedbackStore, NewFeedback, NewSignal};
use repository::knowledge::search_cache::{
    NewSearchCache, SearchCacheRepository, SearchCacheStore,
};
use repository::knowledge::{
    ContentFilter, ContentOrder, ContentRepository, ContentStore, NewContent, TECHNOLOGIES,
};
use repository::{ContentHash, DatabaseManager, HttpUrl, Page, QueryHash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::report::OpReport;
use super::runner::{Bench, concurrent};

/// Every op, in the order they run.
pub(crate) const OPS: [&str; 11] = [
    "insert_bulk",
    "get_by_pk",
    "query_indexed",
    "update_by_pk",
    "txn_feedback",
    "cleanup_expired",
    "vector_upsert",
    "vector_query",
    "cache_set",
    "cache_get",
    "rate_limit",
];

/// The ops that use only the cache: asked for alone, they run without a database.
pub(crate) const CACHE_OPS: [&str; 3] = ["cache_set", "cache_get", "rate_limit"];

/// The ops of the vector store (`vector_query` reads what `vector_upsert` wrote, so asking for
/// it runs both); they need no `content_metadata` rows.
pub(crate) const VECTOR_OPS: [&str; 2] = ["vector_upsert", "vector_query"];

/// ~4 KB of search results: 10 results with ~300-character snippets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct SearchResults {
    query: String,
    results: Vec<SearchHit>,
}

/// One hit of [`SearchResults`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct SearchHit {
    content_id: String,
    title: String,
    url: String,
    score: f64,
    snippet: String,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The technology of row `i`.
pub(super) fn technology(i: u64) -> &'static str {
    TECHNOLOGIES[(i % TECHNOLOGIES.len() as u64) as usize]
}

/// Row `i` of the benchmark's `content_metadata`.
pub(super) fn row(i: u64) -> NewContent {
    let tech = technology(i);
    NewContent {
        content_id: format!("c{i:08}"),
        title: format!("Document {i}"),
        source_url: HttpUrl::parse_field(
            "source_url",
            format!("https://docs.example.org/{tech}/page/{i}"),
        )
        .expect("the benchmark's URLs are valid"),
        technology: tech.to_owned(),
        content_hash: ContentHash::digest(i.to_string()),
        word_count: 100 + (i % 5000) as i32,
        heading_count: (i % 40) as i32,
        code_block_count: (i % 15) as i32,
        chunk_count: 1 + (i % 30) as i32,
        quality_score: ((i * 7919) % 1001) as f64 / 1000.0,
        freshness_score: 1.0,
        anythingllm_workspace: None,
        anythingllm_document_id: None,
        processing_status: ProcessingStatus::Completed,
    }
}

fn search_results(i: u64) -> SearchResults {
    let snippet_base = "Ownership is a set of rules that govern how a program manages memory. \
        Some languages have garbage collection that regularly looks for no-longer-used memory as the \
        program runs; in other languages, the programmer must explicitly allocate and free the memory. \
        Rust uses a third approach: memory is managed through a system of ownership with rules.";
    SearchResults {
        query: format!("how does ownership work {i}"),
        results: (0..10)
            .map(|k| SearchHit {
                content_id: format!("c{:08}", (i * 10 + k) % 1_000_000),
                title: format!("Document {} — Understanding Ownership", i * 10 + k),
                url: format!("https://docs.example.org/rust/page/{}", i * 10 + k),
                score: 1.0 - k as f64 / 20.0,
                snippet: snippet_base[..snippet_base.len().min(300)].to_owned(),
            })
            .collect(),
    }
}

fn query_hash(i: u64) -> String {
    sha256_hex(&format!("query {i}"))
}

/// `insert_bulk` (it makes the rows) when a knowledge op is asked for, then every knowledge op
/// asked for, then the vector ops asked for.
pub(crate) async fn run_database_ops(
    b: &mut Bench,
    manager: &DatabaseManager,
    out: &mut dyn Write,
) -> Result<()> {
    let knowledge = OPS
        .iter()
        .any(|op| !CACHE_OPS.contains(op) && !VECTOR_OPS.contains(op) && b.wants(op));
    if knowledge {
        run_knowledge_ops(b, manager, out).await?;
    }
    if VECTOR_OPS.iter().any(|op| b.wants(op)) {
        super::vectors::run(b, out).await?;
    }
    Ok(())
}

async fn run_knowledge_ops(
    b: &mut Bench,
    manager: &DatabaseManager,
    out: &mut dyn Write,
) -> Result<()> {
    insert_bulk(b, manager, out).await.context("insert_bulk")?;
    if b.wants("get_by_pk") {
        get_by_pk(b, out).await.context("get_by_pk")?;
    }
    if b.wants("query_indexed") {
        query_indexed(b, out).await.context("query_indexed")?;
    }
    if b.wants("update_by_pk") {
        update_by_pk(b, out).await.context("update_by_pk")?;
    }
    if b.wants("txn_feedback") {
        txn_feedback(b, out).await.context("txn_feedback")?;
    }
    if b.wants("cleanup_expired") {
        cleanup_expired(b, out).await.context("cleanup_expired")?;
    }
    Ok(())
}

/// Every cache op asked for (`cache_get` reads what `cache_set` wrote, so asking for it runs
/// both).
pub(crate) async fn run_cache_ops(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    if b.wants("cache_set") || b.wants("cache_get") {
        cache_set(b, out).await.context("cache_set")?;
    }
    if b.wants("cache_get") {
        cache_get(b, out).await.context("cache_get")?;
    }
    if b.wants("rate_limit") {
        rate_limit(b, out).await.context("rate_limit")?;
    }
    Ok(())
}

async fn insert_bulk(b: &mut Bench, manager: &DatabaseManager, out: &mut dyn Write) -> Result<()> {
    let n = b.opts.rows;
    let bar = b.bar("insert_bulk", n);
    let repo = ContentStore::new(b.conn()?);
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let end = (i + 1000).min(n);
        repo.create_many((i..end).map(row).collect()).await?;
        bar.inc(end - i);
        i = end;
    }
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    manager.analyze().await?;
    b.push(OpReport::new("insert_bulk", n, elapsed, None), out)
}

async fn get_by_pk(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(20_000);
    let bar = b.bar("get_by_pk", n);
    let repo = Arc::new(ContentStore::new(b.conn()?));
    let keys = Arc::clone(&b.keys);
    let (elapsed, lat) = concurrent(n, 8, &bar, move |i| {
        let repo = Arc::clone(&repo);
        let id = format!("c{:08}", keys[(i as usize) % keys.len()]);
        async move {
            repo.get(&id).await?;
            Ok(())
        }
    })
    .await?;
    bar.finish_and_clear();
    b.push(OpReport::new("get_by_pk", n, elapsed, Some(lat)), out)
}

async fn query_indexed(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(5_000);
    let bar = b.bar("query_indexed", n);
    let repo = Arc::new(ContentStore::new(b.conn()?));
    let (elapsed, lat) = concurrent(n, 8, &bar, move |k| {
        let repo = Arc::clone(&repo);
        async move {
            let filter = ContentFilter {
                technology: Some(technology(k).to_owned()),
                min_quality: Some(0.5),
                ..ContentFilter::default()
            };
            repo.list(filter, ContentOrder::QualityDesc, Page::first(20))
                .await?;
            Ok(())
        }
    })
    .await?;
    bar.finish_and_clear();
    b.push(OpReport::new("query_indexed", n, elapsed, Some(lat)), out)
}

async fn update_by_pk(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(10_000);
    let bar = b.bar("update_by_pk", n);
    let repo = Arc::new(ContentStore::new(b.conn()?));
    let keys = Arc::clone(&b.keys);
    let (elapsed, lat) = concurrent(n, 8, &bar, move |i| {
        let repo = Arc::clone(&repo);
        let id = format!("c{:08}", keys[(i as usize * 7 + 1) % keys.len()]);
        async move {
            repo.record_access(&id).await?;
            Ok(())
        }
    })
    .await?;
    bar.finish_and_clear();
    b.push(OpReport::new("update_by_pk", n, elapsed, Some(lat)), out)
}

async fn txn_feedback(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(2_000);
    let bar = b.bar("txn_feedback", n);
    let repo = Arc::new(FeedbackStore::new(b.conn()?));
    let keys = Arc::clone(&b.keys);
    let (elapsed, lat) = concurrent(n, 8, &bar, move |i| {
        let repo = Arc::clone(&repo);
        let content_id = format!("c{:08}", keys[(i as usize * 13 + 3) % keys.len()]);
        async move {
            let feedback =
                NewFeedback::new(content_id.clone(), FeedbackType::Helpful).with_rating(5);
            let signal = NewSignal::new(content_id, SignalType::Click, 1.0);
            repo.record_interaction(feedback, signal).await?;
            Ok(())
        }
    })
    .await?;
    bar.finish_and_clear();
    b.push(OpReport::new("txn_feedback", n, elapsed, Some(lat)), out)
}

async fn cleanup_expired(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let total = b.count(100_000);
    let repo = SearchCacheStore::new(b.conn()?);
    // Untimed: 100,000 rows, every even one expired by the time the cleanup runs (a 1 s TTL and
    // a wait: the public API only writes entries that are valid when written), 1,000 per
    // transaction, so that they never sit in memory all at once.
    let mut i = 0;
    while i < total {
        let end = (i + 1000).min(total);
        let rows: Vec<NewSearchCache> = (i..end)
            .map(|i| {
                let ttl = if i % 2 == 0 {
                    Duration::from_secs(1)
                } else {
                    Duration::from_secs(3600)
                };
                NewSearchCache::new(
                    QueryHash::digest(format!("q{i}")),
                    format!("query {i}"),
                    serde_json::json!([]),
                )
                .with_ttl(ttl)
            })
            .collect();
        repo.put_many(rows).await?;
        i = end;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let bar = b.bar("cleanup_expired", total / 2);
    let started = Instant::now();
    let cleaned = repo.cleanup_expired(*entity::behavior::now(), None).await?;
    let elapsed = started.elapsed();
    bar.set_position(cleaned.deleted);
    bar.finish_and_clear();
    b.push(
        OpReport::new("cleanup_expired", cleaned.deleted, elapsed, None),
        out,
    )
}

async fn cache_set(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let cache = b.cache()?;
    let n = b.count(20_000);
    let bar = b.bar("cache_set", n);
    let (elapsed, lat) = concurrent(n, 50, &bar, move |i| {
        let cache = cache.clone();
        async move {
            let value = search_results(i);
            cache
                .put(&cache::keys::search_results(&query_hash(i)), &value)
                .await?;
            Ok(())
        }
    })
    .await?;
    bar.finish_and_clear();
    // What one value weighs: as JSON, and as `search:results:*` stores it (gzip JSON).
    let value = search_results(0);
    let mut report = OpReport::new("cache_set", n, elapsed, Some(lat));
    report.payload_bytes = Some(serde_json::to_vec(&value)?.len() as u64);
    report.stored_bytes = Some(cache::codec::to_gzip_json(&value)?.len() as u64);
    b.push(report, out)
}

async fn cache_get(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let cache = b.cache()?;
    let n = b.count(20_000);
    let written = b.count(20_000);
    let bar = b.bar("cache_get", n);
    let keys = Arc::clone(&b.keys);
    let (elapsed, lat) = concurrent(n, 50, &bar, move |i| {
        let cache = cache.clone();
        let k = keys[(i as usize) % keys.len()] % written;
        async move {
            let hit: Option<SearchResults> = cache
                .get_json(&cache::keys::search_results(&query_hash(k)))
                .await?;
            if hit.is_none() {
                bail!("cache_get missed a key cache_set wrote");
            }
            Ok(())
        }
    })
    .await?;
    bar.finish_and_clear();
    b.push(OpReport::new("cache_get", n, elapsed, Some(lat)), out)
}

async fn rate_limit(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let limiter = b.cache()?.rate_limiter();
    let n = b.count(20_000);
    let bar = b.bar("rate_limit", n);
    let (elapsed, lat) = concurrent(n, 50, &bar, move |i| {
        let limiter = limiter.clone();
        async move {
            let ip = format!("10.0.{}.{}", (i % 1000) / 250, (i % 1000) % 250);
            limiter.check_ip(&ip, 1_000_000).await?;
            Ok(())
        }
    })
    .await?;
    bar.finish_and_clear();
    b.push(OpReport::new("rate_limit", n, elapsed, Some(lat)), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_benchmark_definition() {
        let r = row(7);
        assert_eq!(r.content_id, "c00000007");
        assert_eq!(r.technology, "docker");
        assert_eq!(r.source_url, "https://docs.example.org/docker/page/7");
        assert_eq!(r.content_hash, sha256_hex("7"));
        assert_eq!(r.word_count, 107);
        assert!((r.quality_score - ((7 * 7919) % 1001) as f64 / 1000.0).abs() < f64::EPSILON);
        r.validate().expect("valid");
        let json = serde_json::to_vec(&search_results(1)).expect("json");
        assert!(
            (3000..6000).contains(&json.len()),
            "~4 KB payload, got {}",
            json.len()
        );
    }

    #[test]
    fn rows_cycle_through_every_technology() {
        let cycle: Vec<&str> = (0..12).map(technology).collect();
        assert_eq!(cycle, TECHNOLOGIES, "BENCHMARK.md's TECHS[i % 12]");
        assert_eq!(technology(12), technology(0));
    }

    #[test]
    fn cache_and_vector_ops_are_ops() {
        assert!(CACHE_OPS.iter().all(|op| OPS.contains(op)));
        assert!(VECTOR_OPS.iter().all(|op| OPS.contains(op)));
    }
}
