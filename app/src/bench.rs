//! `dal bench`: the workload of `BENCHMARK.md`, run through the layer's public API (the knowledge
//! repositories, `CacheManager` and its rate limiter), never raw SQL or a raw Redis client, so that
//! its figures are what users get.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use cache::{CacheConfig, CacheManager};
use entity::knowledge::sea_orm_active_enums::{FeedbackType, ProcessingStatus, SignalType};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use migration::{Migrator, MigratorTrait};
use rand::{Rng, SeedableRng};
use repository::knowledge::feedback::{FeedbackRepository, FeedbackStore, NewFeedback, NewSignal};
use repository::knowledge::search_cache::{
    NewSearchCache, SearchCacheRepository, SearchCacheStore,
};
use repository::knowledge::{
    ContentFilter, ContentOrder, ContentRepository, ContentStore, NewContent,
};
use repository::{ContentHash, DatabaseManager, DbConfig, HttpUrl, Page, QueryHash};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The twelve technologies rows cycle through.
pub const TECHS: [&str; 12] = [
    "python",
    "rust",
    "react",
    "fastapi",
    "django",
    "postgres",
    "redis",
    "docker",
    "kubernetes",
    "go",
    "typescript",
    "sqlite",
];

/// Every op, in the order they run.
pub const OPS: [&str; 9] = [
    "insert_bulk",
    "get_by_pk",
    "query_indexed",
    "update_by_pk",
    "txn_feedback",
    "cleanup_expired",
    "cache_set",
    "cache_get",
    "rate_limit",
];

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Database; `None` = a fresh SQLite file in a temporary directory.
    pub database_url: Option<String>,
    /// `redis://…`, `memory` or `none`; `None` = Redis on 127.0.0.1:6379 when reachable, else memory.
    pub cache_url: Option<String>,
    /// Rows of `content_metadata`.
    pub rows: u64,
    /// Only these ops (`insert_bulk` always runs: it makes the data).
    pub ops: Option<Vec<String>>,
    /// Multiplies every op count.
    pub scale: f64,
    /// One JSON object per op on stdout, nothing else.
    pub json: bool,
}

/// One op's figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OpReport {
    /// Op name.
    pub op: String,
    /// Operations (rows for `insert_bulk`, deleted rows for `cleanup_expired`).
    pub n: u64,
    /// Wall time.
    pub secs: f64,
    /// `n / secs`.
    pub ops_per_sec: f64,
    /// Median per-operation latency in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50_us: Option<f64>,
    /// 99th-percentile per-operation latency in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_us: Option<f64>,
}

/// ~4 KB of search results: 10 results with ~300-character snippets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SearchResults {
    /// The query.
    pub query: String,
    /// The hits.
    pub results: Vec<SearchHit>,
}

/// One hit of [`SearchResults`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SearchHit {
    /// Document id.
    pub content_id: String,
    /// Title.
    pub title: String,
    /// Where it lives.
    pub url: String,
    /// Relevance.
    pub score: f64,
    /// ~300 characters of text.
    pub snippet: String,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Row `i` of the benchmark's `content_metadata`.
#[must_use]
pub fn row(i: u64) -> NewContent {
    let tech = TECHS[(i % 12) as usize];
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

/// Per-op latencies (ns) and wall time of `n` operations shared by `concurrency` tasks.
async fn concurrent<F, Fut>(
    n: u64,
    concurrency: usize,
    bar: &ProgressBar,
    f: F,
) -> Result<(Duration, Vec<u64>)>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (f, next, bar) = (Arc::clone(&f), Arc::clone(&next), bar.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity((n as usize / concurrency.max(1)) + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                f(i).await?;
                latencies.push(t.elapsed().as_nanos() as u64);
                bar.inc(1);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(n as usize);
    for task in tasks {
        all.extend(task.await.context("benchmark task panicked")??);
    }
    Ok((started.elapsed(), all))
}

fn percentile_us(sorted_ns: &[u64], p: f64) -> Option<f64> {
    if sorted_ns.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted_ns.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted_ns.len()) - 1;
    Some(sorted_ns[idx] as f64 / 1000.0)
}

fn report(op: &str, n: u64, elapsed: Duration, mut latencies: Option<Vec<u64>>) -> OpReport {
    let secs = elapsed.as_secs_f64();
    let (p50_us, p99_us) = match latencies.as_mut() {
        Some(l) => {
            l.sort_unstable();
            (percentile_us(l, 50.0), percentile_us(l, 99.0))
        }
        None => (None, None),
    };
    OpReport {
        op: op.to_owned(),
        n,
        secs: (secs * 1e6).round() / 1e6,
        ops_per_sec: if secs > 0.0 {
            ((n as f64 / secs) * 10.0).round() / 10.0
        } else {
            0.0
        },
        p50_us: p50_us.map(|v| (v * 10.0).round() / 10.0),
        p99_us: p99_us.map(|v| (v * 10.0).round() / 10.0),
    }
}

/// Peak resident memory of this process in MB (`VmHWM`), where the OS reports it.
#[must_use]
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

struct Bench {
    opts: BenchOptions,
    conn: DatabaseConnection,
    cache: Option<CacheManager>,
    keys: Arc<Vec<u64>>,
    reports: Vec<OpReport>,
}

impl Bench {
    fn wants(&self, op: &str) -> bool {
        self.opts
            .ops
            .as_ref()
            .is_none_or(|ops| ops.iter().any(|o| o == op))
    }

    fn count(&self, base: u64) -> u64 {
        ((base as f64 * self.opts.scale).round() as u64).max(1)
    }

    fn bar(&self, op: &str, n: u64) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(
            Some(n),
            if self.opts.json {
                ProgressDrawTarget::hidden()
            } else {
                ProgressDrawTarget::stderr()
            },
        );
        bar.set_style(
            ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {per_sec} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(op.to_owned());
        bar
    }

    fn push(&mut self, r: OpReport, out: &mut dyn Write) -> Result<()> {
        if self.opts.json {
            serde_json::to_writer(&mut *out, &r)?;
            writeln!(out)?;
        }
        self.reports.push(r);
        Ok(())
    }
}

/// Run the benchmark, writing JSON lines (with `--json`) or a table to `out`.
///
/// # Errors
/// Any failure of the layer under test, with the op named.
pub async fn run(opts: BenchOptions, out: &mut dyn Write) -> Result<Vec<OpReport>> {
    if opts.rows == 0 {
        bail!("--rows must be at least 1");
    }
    if !(opts.scale.is_finite() && opts.scale > 0.0) {
        bail!("--scale must be a positive number");
    }
    if let Some(ops) = &opts.ops {
        for op in ops {
            if !OPS.contains(&op.as_str()) {
                bail!("unknown op {op:?}; ops are {}", OPS.join(", "));
            }
        }
    }

    // The database: a fresh SQLite file by default; PostgreSQL is rebuilt by migrations.
    let scratch = tempfile::tempdir().context("temporary directory")?;
    let url = opts.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            scratch.path().join("bench.sqlite3").display()
        )
    });
    let manager = DatabaseManager::connect_with(DbConfig::new(url.clone()))
        .await
        .with_context(|| format!("connecting to {}", repository::redact_url(&url)))?;
    let conn = manager.connection().await?;
    Migrator::fresh(&conn)
        .await
        .context("migrating the benchmark database")?;

    let cache = match opts.cache_url.as_deref() {
        Some("none") => None,
        Some(url) => Some(
            CacheManager::connect(CacheConfig::from_url(url)?.with_key_prefix(bench_prefix()))
                .await?,
        ),
        None => {
            let redis = CacheManager::connect(
                CacheConfig::redis("redis://127.0.0.1:6379/0").with_key_prefix(bench_prefix()),
            )
            .await;
            match redis {
                Ok(c) if c.health().await.reachable => Some(c),
                _ => Some(
                    CacheManager::connect(CacheConfig::memory().with_key_prefix(bench_prefix()))
                        .await?,
                ),
            }
        }
    };

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let rows = opts.rows;
    let keys: Vec<u64> = (0..65_536).map(|_| rng.random_range(0..rows)).collect();
    let mut bench = Bench {
        opts,
        conn,
        cache,
        keys: Arc::new(keys),
        reports: Vec::new(),
    };

    insert_bulk(&mut bench, &manager, out)
        .await
        .context("insert_bulk")?;
    if bench.wants("get_by_pk") {
        get_by_pk(&mut bench, out).await.context("get_by_pk")?;
    }
    if bench.wants("query_indexed") {
        query_indexed(&mut bench, out)
            .await
            .context("query_indexed")?;
    }
    if bench.wants("update_by_pk") {
        update_by_pk(&mut bench, out)
            .await
            .context("update_by_pk")?;
    }
    if bench.wants("txn_feedback") {
        txn_feedback(&mut bench, out)
            .await
            .context("txn_feedback")?;
    }
    if bench.wants("cleanup_expired") {
        cleanup_expired(&mut bench, out)
            .await
            .context("cleanup_expired")?;
    }
    if bench.cache.is_some() {
        if bench.wants("cache_set") || bench.wants("cache_get") {
            cache_set(&mut bench, out).await.context("cache_set")?;
        }
        if bench.wants("cache_get") {
            cache_get(&mut bench, out).await.context("cache_get")?;
        }
        if bench.wants("rate_limit") {
            rate_limit(&mut bench, out).await.context("rate_limit")?;
        }
        if let Some(cache) = &bench.cache {
            cache.clear_pattern("*").await.ok();
        }
    }

    let peak = peak_rss_mb();
    if bench.opts.json {
        serde_json::to_writer(
            &mut *out,
            &serde_json::json!({"op": "peak_rss", "peak_rss_mb": peak}),
        )?;
        writeln!(out)?;
    } else {
        write_table(&bench.reports, peak, out)?;
    }
    manager.disconnect().await.ok();
    Ok(bench.reports)
}

fn bench_prefix() -> String {
    format!("dal:bench:{}:", std::process::id())
}

fn write_table(reports: &[OpReport], peak: Option<f64>, out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "{:<16} {:>9} {:>10} {:>12} {:>10} {:>10}",
        "op", "n", "secs", "ops/s", "p50 µs", "p99 µs"
    )?;
    for r in reports {
        let us = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        writeln!(
            out,
            "{:<16} {:>9} {:>10.3} {:>12.1} {:>10} {:>10}",
            r.op,
            r.n,
            r.secs,
            r.ops_per_sec,
            us(r.p50_us),
            us(r.p99_us)
        )?;
    }
    if let Some(mb) = peak {
        writeln!(out, "peak RSS {mb:.1} MB")?;
    }
    Ok(())
}

async fn insert_bulk(b: &mut Bench, manager: &DatabaseManager, out: &mut dyn Write) -> Result<()> {
    let n = b.opts.rows;
    let bar = b.bar("insert_bulk", n);
    let repo = ContentStore::new(b.conn.clone());
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
    b.push(report("insert_bulk", n, elapsed, None), out)
}

async fn get_by_pk(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(20_000);
    let bar = b.bar("get_by_pk", n);
    let repo = Arc::new(ContentStore::new(b.conn.clone()));
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
    b.push(report("get_by_pk", n, elapsed, Some(lat)), out)
}

async fn query_indexed(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(5_000);
    let bar = b.bar("query_indexed", n);
    let repo = Arc::new(ContentStore::new(b.conn.clone()));
    let (elapsed, lat) = concurrent(n, 8, &bar, move |k| {
        let repo = Arc::clone(&repo);
        async move {
            let filter = ContentFilter {
                technology: Some(TECHS[(k % 12) as usize].to_owned()),
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
    b.push(report("query_indexed", n, elapsed, Some(lat)), out)
}

async fn update_by_pk(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(10_000);
    let bar = b.bar("update_by_pk", n);
    let repo = Arc::new(ContentStore::new(b.conn.clone()));
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
    b.push(report("update_by_pk", n, elapsed, Some(lat)), out)
}

async fn txn_feedback(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let n = b.count(2_000);
    let bar = b.bar("txn_feedback", n);
    let repo = Arc::new(FeedbackStore::new(b.conn.clone()));
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
    b.push(report("txn_feedback", n, elapsed, Some(lat)), out)
}

async fn cleanup_expired(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let total = b.count(100_000);
    let repo = SearchCacheStore::new(b.conn.clone());
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
    let cleaned = repo.cleanup_expired(entity::behavior::now(), None).await?;
    let elapsed = started.elapsed();
    bar.set_position(cleaned.deleted);
    bar.finish_and_clear();
    b.push(
        report("cleanup_expired", cleaned.deleted, elapsed, None),
        out,
    )
}

async fn cache_set(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let cache = b.cache.clone().context("no cache")?;
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
    b.push(report("cache_set", n, elapsed, Some(lat)), out)
}

fn query_hash(i: u64) -> String {
    sha256_hex(&format!("query {i}"))
}

async fn cache_get(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let cache = b.cache.clone().context("no cache")?;
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
    b.push(report("cache_get", n, elapsed, Some(lat)), out)
}

async fn rate_limit(b: &mut Bench, out: &mut dyn Write) -> Result<()> {
    let limiter = b.cache.as_ref().context("no cache")?.rate_limiter();
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
    b.push(report("rate_limit", n, elapsed, Some(lat)), out)
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
    fn percentiles() {
        let l: Vec<u64> = (1..=100).map(|v| v * 1000).collect();
        assert_eq!(percentile_us(&l, 50.0), Some(50.0));
        assert_eq!(percentile_us(&l, 99.0), Some(99.0));
        assert_eq!(percentile_us(&[], 99.0), None);
    }
}
