//! A private Chroma server killed (SIGKILL) under load and restarted on the same port and data
//! directory: 50 tasks query, upsert and read the database throughout. No vector call waits
//! longer than the request timeout plus a margin, database reads keep answering, the store serves
//! again within 2 s of the server answering again, and every upsert acknowledged before the kill
//! is still there (nothing lost).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use repository::vector::{
    ChromaConfig, ChromaTimeouts, ChromaVectorStore, CollectionName, Distance, NewCollection,
    RecordId, VectorRecord, VectorStore,
};
use tests::{Backend, TestDb};

const TIMEOUT: Duration = Duration::from_secs(2);
/// Margin over the request timeout for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);
const TASKS: usize = 50;
const DIMENSION: usize = 8;

/// The `chroma` executable `scripts/test` installs: `$DAL_CHROMA_VENV/bin/chroma`, else
/// `/opt/dal-chroma/bin/chroma`, else `$DAL_CACHE_DIR/chroma-venv/bin/chroma` (default
/// `~/.cache/dal`).
fn chroma_binary() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(venv) = std::env::var_os("DAL_CHROMA_VENV") {
        candidates.push(PathBuf::from(venv).join("bin/chroma"));
    }
    candidates.push(PathBuf::from("/opt/dal-chroma/bin/chroma"));
    let cache = std::env::var_os("DAL_CACHE_DIR").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/dal"),
        PathBuf::from,
    );
    candidates.push(cache.join("chroma-venv/bin/chroma"));
    candidates
        .into_iter()
        .find(|c| c.is_file())
        .unwrap_or_else(|| panic!("no chroma executable (bash scripts/test installs it)"))
}

/// A private `chroma run` on 127.0.0.1; killed (SIGKILL) on drop.
struct ChromaServer(std::process::Child);

impl ChromaServer {
    fn start(port: u16, data: &Path) -> Self {
        let child = Command::new(chroma_binary())
            .arg("run")
            .arg("--path")
            .arg(data)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chroma");
        Self(child)
    }
}

impl Drop for ChromaServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether the server answers its heartbeat (raw HTTP, not the store under test).
async fn answers(port: u16) -> bool {
    let client = reqwest::Client::new();
    client
        .get(format!("http://127.0.0.1:{port}/api/v2/heartbeat"))
        .timeout(Duration::from_millis(500))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

async fn wait_until_answering(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    while !answers(port).await {
        assert!(
            Instant::now() < deadline,
            "chroma did not start within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn embedding(seed: u64) -> Vec<f32> {
    (0..DIMENSION as u64)
        .map(|j| ((seed * 31 + j * 7) % 97) as f32 / 97.0)
        .collect()
}

#[derive(Default)]
struct Stats {
    ok: AtomicU64,
    failed: AtomicU64,
    slowest_us: AtomicU64,
    db_ok: AtomicU64,
    db_failed: AtomicU64,
    acknowledged: Mutex<Vec<String>>,
}

impl Stats {
    fn call(&self, ok: bool, took: Duration) {
        if ok { &self.ok } else { &self.failed }.fetch_add(1, Ordering::Relaxed);
        self.slowest_us.fetch_max(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

fn worker(
    n: usize,
    store: Arc<ChromaVectorStore>,
    name: CollectionName,
    db: repository::DatabaseConnection,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let start = Instant::now();
            if n.is_multiple_of(5) {
                let id = format!("w{n}-{i}");
                let record = VectorRecord::new(
                    RecordId::parse(&id).expect("id"),
                    embedding(n as u64 * 10_000 + i),
                );
                let result = store.upsert(&name, vec![record]).await;
                stats.call(result.is_ok(), start.elapsed());
                if result.is_ok() {
                    stats.acknowledged.lock().expect("lock").push(id);
                }
            } else {
                let result = store.query(&name, &[embedding(i)], 3, None).await;
                stats.call(result.is_ok(), start.elapsed());
            }
            if super::db_read(&db).await {
                stats.db_ok.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.db_failed.fetch_add(1, Ordering::Relaxed);
            }
            i += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_chroma), ignore = "DAL_TEST_CHROMA_URL not set")]
async fn chroma_killed_under_load_and_restarted() {
    tests::init_tracing();
    let data = tempfile::tempdir().expect("data dir");
    let port = crate::cache::server::free_port();
    let server = ChromaServer::start(port, data.path());
    wait_until_answering(port, Duration::from_secs(60)).await;
    let db = TestDb::migrated(Backend::Sqlite).await;
    let store = Arc::new(
        ChromaVectorStore::connect(
            &ChromaConfig::new(format!("http://127.0.0.1:{port}")).with_timeouts(ChromaTimeouts {
                connect: TIMEOUT,
                request: TIMEOUT,
                health: TIMEOUT,
            }),
        )
        .await
        .expect("connect"),
    );
    let name = CollectionName::parse("faults").expect("name");
    store
        .create_collection(NewCollection::new(
            name.clone(),
            u32::try_from(DIMENSION).expect("small"),
            Distance::L2,
        ))
        .await
        .expect("collection");
    let seed: Vec<VectorRecord> = (0..100)
        .map(|i| {
            VectorRecord::new(
                RecordId::parse(&format!("seed{i}")).expect("id"),
                embedding(i),
            )
        })
        .collect();
    store.upsert(&name, seed).await.expect("seed records");

    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..TASKS)
        .map(|n| {
            worker(
                n,
                Arc::clone(&store),
                name.clone(),
                db.conn.clone(),
                Arc::clone(&stats),
                Arc::clone(&stop),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(stats.ok.load(Ordering::Relaxed) > 0, "the load runs");

    // SIGKILL, then 1.5 s down under load.
    drop(server);
    let acknowledged_before = stats.acknowledged.lock().expect("lock").len();
    let db_before = stats.db_ok.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(
        stats.failed.load(Ordering::Relaxed) > 0,
        "calls fail while Chroma is down"
    );
    assert!(
        stats.db_ok.load(Ordering::Relaxed) > db_before,
        "database reads go on while Chroma is down"
    );

    // Restarted on the same port and data; the store serves once the server answers.
    let _server = ChromaServer::start(port, data.path());
    wait_until_answering(port, Duration::from_secs(60)).await;
    let answering = Instant::now();
    let recovered = loop {
        if store.count(&name).await.is_ok() {
            break answering.elapsed();
        }
        assert!(
            answering.elapsed() < Duration::from_secs(10),
            "the store did not serve again"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("worker");
    }

    // Nothing acknowledged was lost.
    let acknowledged = stats.acknowledged.lock().expect("lock").clone();
    let ids: Vec<RecordId> = acknowledged
        .iter()
        .map(|id| RecordId::parse(id).expect("id"))
        .collect();
    let found = store.get(&name, &ids).await.expect("get after restart");
    assert_eq!(found.len(), ids.len(), "acknowledged upserts lost");
    let total = store.count(&name).await.expect("count");
    assert!(total >= 100 + ids.len() as u64, "{total}");
    let slowest = Duration::from_micros(stats.slowest_us.load(Ordering::Relaxed));
    assert!(
        slowest < TIMEOUT + SLACK,
        "a vector call waited {slowest:?}"
    );
    assert_eq!(
        stats.db_failed.load(Ordering::Relaxed),
        0,
        "database reads failed"
    );
    assert!(
        recovered < Duration::from_secs(2),
        "served again after {recovered:?}"
    );
    let _ = store.delete_collection(&name).await;
    println!(
        "chroma kill -9 under {TASKS} tasks: {} calls ok, {} failed fast (slowest {slowest:?}, \
         timeout {TIMEOUT:?}); {} database reads, none failed; served again {recovered:?} after \
         it answered; {} upserts acknowledged ({acknowledged_before} before the kill), none lost",
        stats.ok.load(Ordering::Relaxed),
        stats.failed.load(Ordering::Relaxed),
        stats.db_ok.load(Ordering::Relaxed),
        ids.len(),
    );
}
