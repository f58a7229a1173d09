//! What to run, the setup (a database, a cache), and the loop that times concurrent operations.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use cache::{CacheConfig, CacheManager};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use migration::{Migrator, MigratorTrait};
use rand::{Rng, SeedableRng};
use repository::{DatabaseManager, DbConfig};
use sea_orm::DatabaseConnection;

use super::report::{self, OpReport};
use super::workload::{self, CACHE_OPS, OPS, VECTOR_OPS};
use crate::config::VectorBackend;
use repository::vector::VectorStore;

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct BenchOptions {
    /// Database; `None` = a fresh SQLite file in a temporary directory.
    pub database_url: Option<String>,
    /// `redis://…`, `memory` or `none`; `None` = Redis on 127.0.0.1:6379 when reachable, else memory.
    pub cache_url: Option<String>,
    /// Connections of the Redis pool (`None`: the cache's default).
    pub cache_pool_size: Option<usize>,
    /// Rows of `content_metadata`.
    pub rows: u64,
    /// Only these ops (`insert_bulk` runs whenever a database op does: it makes their rows).
    pub ops: Option<Vec<String>>,
    /// Multiplies every op count.
    pub scale: f64,
    /// One JSON object per op on stdout, nothing else.
    pub json: bool,
    /// Where the vector ops run: the embedded store in the benchmark's database, or a Chroma
    /// server.
    pub vector: VectorBackend,
    /// A streaming replica of `database_url`: measure replica-routed listings against the
    /// primary alone instead of the workload.
    pub replica_url: Option<String>,
}

/// The state the ops share: options, connections, the random keys and the figures so far.
pub(crate) struct Bench {
    pub opts: BenchOptions,
    /// The database, when a database op runs.
    pub conn: Option<DatabaseConnection>,
    /// The cache, unless `--cache-url none`.
    pub cache: Option<CacheManager>,
    /// The vector store, when a vector op runs.
    pub vector: Option<Arc<dyn VectorStore>>,
    /// Row numbers drawn uniformly from `0..rows`, the same on every run.
    pub keys: Arc<Vec<u64>>,
    reports: Vec<OpReport>,
}

impl Bench {
    /// Whether `op` was asked for (all are, without `--ops`).
    pub(crate) fn wants(&self, op: &str) -> bool {
        self.opts
            .ops
            .as_ref()
            .is_none_or(|ops| ops.iter().any(|o| o == op))
    }

    /// `base` operations times `--scale`, at least one.
    pub(crate) fn count(&self, base: u64) -> u64 {
        ((base as f64 * self.opts.scale).round() as u64).max(1)
    }

    /// The database connection (only asked for by database ops, which run with one).
    pub(crate) fn conn(&self) -> Result<DatabaseConnection> {
        self.conn.clone().context("no database")
    }

    /// The cache (only asked for by cache ops, which run with one).
    pub(crate) fn cache(&self) -> Result<CacheManager> {
        self.cache.clone().context("no cache")
    }

    /// The vector store (only asked for by vector ops, which run with one).
    pub(crate) fn vector(&self) -> Result<Arc<dyn VectorStore>> {
        self.vector.clone().context("no vector store")
    }

    /// A progress bar for `n` operations of `op` on stderr (hidden with `--json`).
    pub(crate) fn bar(&self, op: &str, n: u64) -> ProgressBar {
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

    /// A bench that only collects and prints figures (no connections of its own).
    pub(crate) fn reporting(opts: BenchOptions) -> Self {
        Self {
            opts,
            conn: None,
            cache: None,
            vector: None,
            keys: Arc::new(Vec::new()),
            reports: Vec::new(),
        }
    }

    /// The figures so far.
    pub(crate) fn reports(&self) -> &[OpReport] {
        &self.reports
    }

    /// Record one op's figures (and print its JSON line with `--json`).
    pub(crate) fn push(&mut self, r: OpReport, out: &mut dyn Write) -> Result<()> {
        if self.opts.json {
            report::write_json_line(&r, out)?;
        }
        self.reports.push(r);
        Ok(())
    }
}

/// Wall time and per-operation latencies (ns) of `n` operations `f(0..n)` shared by
/// `concurrency` tasks.
pub(crate) async fn concurrent<F, Fut>(
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

/// Run the benchmark, writing JSON lines (with `--json`) or a table to `out`.
///
/// # Errors
/// Bad options, or any failure of the layer under test, with the op named.
pub(crate) async fn run(opts: BenchOptions, out: &mut dyn Write) -> Result<Vec<OpReport>> {
    if opts.rows == 0 {
        bail!("--rows must be at least 1");
    }
    if !(opts.scale.is_finite() && opts.scale > 0.0) {
        bail!("--scale must be a positive number");
    }
    if opts.cache_pool_size == Some(0) {
        bail!("--cache-pool-size must be at least 1");
    }
    if let Some(replica_url) = opts.replica_url.clone() {
        return super::replica::run(opts, &replica_url, out).await;
    }
    if let Some(ops) = &opts.ops {
        for op in ops {
            if !OPS.contains(&op.as_str()) {
                bail!("unknown op {op:?}; ops are {}", OPS.join(", "));
            }
        }
        if opts.cache_url.as_deref() == Some("none")
            && ops.iter().any(|o| CACHE_OPS.contains(&o.as_str()))
        {
            bail!("--cache-url none runs no cache op; drop it or the cache ops from --ops");
        }
    }
    let with_database = opts
        .ops
        .as_ref()
        .is_none_or(|ops| ops.iter().any(|o| !CACHE_OPS.contains(&o.as_str())));

    // The database, only when a database op runs: a fresh SQLite file by default; PostgreSQL is
    // rebuilt by migrations.
    let scratch = tempfile::tempdir().context("temporary directory")?;
    let manager = if with_database {
        let url = opts.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                scratch.path().join("bench.sqlite3").display()
            )
        });
        let manager = DatabaseManager::connect_with(DbConfig::new(url.clone()))
            .await
            .with_context(|| format!("connecting to {}", repository::redact_url(&url)))?;
        Migrator::fresh(&manager.connection().await?)
            .await
            .context("migrating the benchmark database")?;
        Some(manager)
    } else {
        None
    };
    let conn = match &manager {
        Some(m) => Some(m.connection().await?),
        None => None,
    };
    let cache = connect_cache(&opts).await?;
    let vector = match &conn {
        Some(conn)
            if VECTOR_OPS.iter().any(|op| {
                opts.ops
                    .as_ref()
                    .is_none_or(|ops| ops.iter().any(|o| o == op))
            }) =>
        {
            Some(crate::vector::store_for(&opts.vector, conn)?)
        }
        _ => None,
    };

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let rows = opts.rows;
    let keys: Vec<u64> = (0..65_536).map(|_| rng.random_range(0..rows)).collect();
    let mut bench = Bench {
        opts,
        conn,
        cache,
        vector,
        keys: Arc::new(keys),
        reports: Vec::new(),
    };

    if let Some(manager) = &manager {
        workload::run_database_ops(&mut bench, manager, out).await?;
    }
    if bench.cache.is_some() {
        workload::run_cache_ops(&mut bench, out).await?;
        if let Some(cache) = &bench.cache {
            cache.clear_pattern("*").await.ok();
        }
    }

    let peak = report::peak_rss_mb();
    if bench.opts.json {
        report::write_json_peak(peak, out)?;
    } else {
        report::write_table(&bench.reports, peak, out)?;
    }
    if let Some(manager) = manager {
        manager.disconnect().await.ok();
    }
    Ok(bench.reports)
}

/// The cache `--cache-url` names (`None` for `none`), every key under a prefix of this process
/// so that the clean-up at the end touches nothing else.
async fn connect_cache(opts: &BenchOptions) -> Result<Option<CacheManager>> {
    let prefix = format!("dal:bench:{}:", std::process::id());
    let configure = |config: CacheConfig| {
        let config = config.with_key_prefix(prefix.clone());
        match opts.cache_pool_size {
            Some(size) => config.with_pool_size(size),
            None => config,
        }
    };
    Ok(match opts.cache_url.as_deref() {
        Some("none") => None,
        Some(url) => Some(CacheManager::connect(configure(CacheConfig::from_url(url)?)).await?),
        None => {
            let redis =
                CacheManager::connect(configure(CacheConfig::redis("redis://127.0.0.1:6379/0")))
                    .await;
            match redis {
                Ok(c) if c.health().await.reachable => Some(c),
                _ => Some(CacheManager::connect(configure(CacheConfig::memory())).await?),
            }
        }
    })
}
