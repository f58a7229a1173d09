//! The three cache ops of `BENCHMARK.md` through the public API, at concurrency 50:
//! `cache_set` / `cache_get` of a ~4 KB search-results JSON under `search:results:{hash}` (gzip,
//! 3600 s) and `rate_limit` on `rate_limit:api:{ip}` across 1,000 addresses.
//!
//! `cargo run --release -p cache --example cache_bench -- [memory|redis://…] [ops] [pool size]`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cache::{CacheConfig, CacheManager, keys};
use serde_json::{Value, json};

const CONCURRENCY: usize = 50;

fn doc(i: usize) -> Value {
    json!({
        "query": format!("query {i}"),
        "results": (0..10).map(|r| json!({
            "content_id": format!("c{:08}", i * 10 + r),
            "title": format!("Document {}", i * 10 + r),
            "source_url": format!("https://docs.example.org/rust/page/{}", i * 10 + r),
            "snippet": format!("{r} {i} ").repeat(5) + &"The quick brown fox jumps over the lazy dog while reading async Rust documentation. ".repeat(3),
            "score": 0.5,
        })).collect::<Vec<_>>(),
    })
}

async fn run<F, Fut>(name: &str, n: usize, op: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                op(i).await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("task"));
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e6;
    println!(
        "{name:<10} n={n} ops/s={:.0} p50={:.0}us p99={:.0}us",
        n as f64 / secs,
        pct(0.50),
        pct(0.99)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let target = std::env::args().nth(1).unwrap_or_else(|| "memory".into());
        let n: usize = std::env::args()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_000);
        let config = CacheConfig::from_url(&target)
            .expect("target")
            .with_key_prefix("bench:")
            .with_pool_size(
                std::env::args()
                    .nth(3)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(CacheConfig::DEFAULT_POOL_SIZE),
            );
        let cache = CacheManager::connect(config).await.expect("connect");
        let hashes: Arc<Vec<String>> = Arc::new(
            (0..n)
                .map(|i| keys::hash_parts(&[&i.to_string()]))
                .collect(),
        );
        let docs: Arc<Vec<Value>> = Arc::new((0..100).map(doc).collect());
        println!(
            "plain JSON {} bytes, gzip {} bytes",
            serde_json::to_vec(&docs[0]).map(|v| v.len()).unwrap_or(0),
            cache::codec::to_gzip_json(&docs[0])
                .map(|b| b.len())
                .unwrap_or(0)
        );
        {
            let (c, h, d) = (cache.clone(), hashes.clone(), docs.clone());
            run("cache_set", n, move |i| {
                let (c, h, d) = (c.clone(), h.clone(), d.clone());
                async move {
                    c.put(&keys::search_results(&h[i]), &d[i % 100])
                        .await
                        .expect("set");
                }
            })
            .await;
        }
        {
            let (c, h) = (cache.clone(), hashes.clone());
            run("cache_get", n, move |i| {
                let (c, h) = (c.clone(), h.clone());
                async move {
                    let v: Option<Value> =
                        c.get_json(&keys::search_results(&h[i])).await.expect("get");
                    assert!(v.is_some());
                }
            })
            .await;
        }
        {
            let limiter = cache.rate_limiter();
            run("rate_limit", n, move |i| {
                let limiter = limiter.clone();
                async move {
                    let ip = format!("10.0.{}.{}", (i % 1000) / 256, i % 256);
                    limiter.check_ip(&ip, 1_000_000).await.expect("rate limit");
                }
            })
            .await;
        }
        cache.clear_pattern("*").await.expect("clean up");
        cache.disconnect().await.expect("disconnect");
    });
}
