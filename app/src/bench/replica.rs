//! `dal bench --replica-url`: read throughput of the listings (`query_indexed`'s query, a
//! replica-safe read) on the primary alone, then routed to one streaming replica, and their
//! ratio.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use migration::{Migrator, MigratorTrait};
use repository::knowledge::{ContentFilter, ContentOrder, ContentRepository, ContentStore};
use repository::{DatabaseManager, DbBackend, DbConfig, DbRouter, Page};

use super::report::{self, OpReport};
use super::runner::{Bench, BenchOptions, concurrent};
use super::workload::{row, technology};

/// Listings per measurement, before `--scale`.
const LISTINGS: u64 = 20_000;

/// Concurrent callers, as `query_indexed`.
const CONCURRENCY: usize = 8;

/// Rebuild the primary of `--database-url`, load `--rows` rows, wait for the replica of
/// `replica_url` to replay them, then time the listings on the primary alone and through the
/// router with the replica; writes both figures and their ratio.
///
/// # Errors
/// A database URL that is not PostgreSQL, a replica that does not catch up within a minute,
/// or any failure of the layer.
pub(crate) async fn run(
    opts: BenchOptions,
    replica_url: &str,
    out: &mut dyn Write,
) -> Result<Vec<OpReport>> {
    let Some(url) = opts.database_url.clone() else {
        bail!("--replica-url needs --database-url (the replica's PostgreSQL primary)");
    };
    let mut config = DbConfig::new(url.clone());
    config.replicas = vec![replica_url.to_owned()];
    config.replica_check_interval = Duration::from_millis(200);
    if config.backend()? != DbBackend::Postgres {
        bail!("--replica-url needs a postgres:// --database-url");
    }
    let manager = DatabaseManager::connect_with(config)
        .await
        .with_context(|| format!("connecting to {}", repository::redact_url(&url)))?;
    let router = manager.router().await?;
    Migrator::fresh(router.primary())
        .await
        .context("migrating the benchmark database")?;
    let loader = ContentStore::new(router.primary().clone());
    let mut i = 0;
    while i < opts.rows {
        let end = (i + 1000).min(opts.rows);
        loader.create_many((i..end).map(row).collect()).await?;
        i = end;
    }
    manager.analyze().await?;
    wait_for_replica(&router, opts.rows).await?;

    let n = ((LISTINGS as f64 * opts.scale).round() as u64).max(1);
    let mut bench = Bench::reporting(opts);
    let primary = listings(&bench, "list_primary", router.on_primary(), n).await?;
    let replica = listings(&bench, "list_replica", router.clone(), n).await?;
    let ratio = replica.ops_per_sec / primary.ops_per_sec;
    let json = bench.opts.json;
    bench.push(primary, out)?;
    bench.push(replica, out)?;
    if json {
        serde_json::to_writer(&mut *out, &serde_json::json!({ "replica_ratio": ratio }))?;
        writeln!(out)?;
    } else {
        report::write_table(bench.reports(), report::peak_rss_mb(), out)?;
        writeln!(
            out,
            "read throughput with one replica / primary alone: {ratio:.2}"
        )?;
    }
    manager.disconnect().await.ok();
    Ok(bench.reports().to_vec())
}

/// Wait (up to a minute) until the replica is in the rotation and lists all `rows` rows.
async fn wait_for_replica(router: &DbRouter, rows: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let store = ContentStore::new(router.clone());
    loop {
        let nodes = router.check_now().await;
        let ready = nodes.get(1).is_some_and(|n| n.in_rotation)
            && router.reader().is_replica()
            && store.count(ContentFilter::default()).await? == rows;
        if ready {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the replica did not catch up within a minute: {}",
                nodes
                    .get(1)
                    .and_then(|n| n.error.clone())
                    .unwrap_or_else(|| "rows missing".to_owned())
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `n` listings (`query_indexed`'s) on `router`'s reader, timed.
async fn listings(bench: &Bench, op: &str, router: DbRouter, n: u64) -> Result<OpReport> {
    let bar = bench.bar(op, n);
    let repo = Arc::new(ContentStore::new(router));
    let (elapsed, lat) = concurrent(n, CONCURRENCY, &bar, move |k| {
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
    .await
    .with_context(|| op.to_owned())?;
    bar.finish_and_clear();
    Ok(OpReport::new(op, n, elapsed, Some(lat)))
}
