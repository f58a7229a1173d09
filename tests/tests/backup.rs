//! `dal backup` and `dal backup verify` on both backends: a consistent copy under concurrent
//! writes, a manifest whose counts are the copy's, damaged sets refused, old sets pruned.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use repository::knowledge::{NewSearchCache, SearchCacheRepository, SearchCacheStore};
use repository::{DatabaseConnection, QueryHash};
use tests::{Backend, TestDb};

async fn dal(
    dir: &Path,
    env: &HashMap<String, String>,
    args: &[&str],
) -> (String, anyhow::Result<()>) {
    let cli = app::cli::Cli::try_parse_from(std::iter::once("dal").chain(args.iter().copied()))
        .expect("args");
    let mut out = Vec::new();
    let result = app::cli::run(cli, dir, Some(env), &mut out).await;
    (String::from_utf8(out).expect("utf-8"), result)
}

/// Write search-cache rows on `conn` until `stop` is set; returns how many.
fn keep_writing(conn: DatabaseConnection, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let repo = SearchCacheStore::new(conn);
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let entry = NewSearchCache::new(
                QueryHash::digest(format!("query {n}")),
                format!("query {n}"),
                serde_json::json!([n]),
            );
            repo.put(entry).await.expect("a concurrent write");
            n += 1;
        }
        n
    })
}

/// Back up `db` through `dal` while another task writes, and return the set and its manifest.
async fn backup_under_writes(db: &TestDb, dir: &Path) -> (PathBuf, serde_json::Value) {
    let env = HashMap::from([("DATABASE_URL".to_owned(), db.url.clone())]);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = keep_writing(db.conn.clone(), Arc::clone(&stop));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (out, result) = dal(dir, &env, &["backup", "--json"]).await;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.expect("writer");
    result.expect("backup");
    assert!(written > 0, "the writer wrote during the backup");
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let set = PathBuf::from(line["set"].as_str().expect("set"));
    assert!(set.starts_with(dir.join("backups")), "{line}");
    (set, line["manifest"].clone())
}

async fn verify(dir: &Path, set: &Path) -> (String, anyhow::Result<()>) {
    dal(
        dir,
        &HashMap::new(),
        &["backup", "verify", set.to_str().expect("utf-8")],
    )
    .await
}

async fn a_backup_is_consistent_and_verifies(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let dir = tempfile::tempdir().expect("dir");
    let (set, manifest) = backup_under_writes(&db, dir.path()).await;

    assert_eq!(manifest["format"], 1);
    assert_eq!(
        manifest["backend"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    assert!(manifest["schema_version"].is_string(), "{manifest}");
    let tables = manifest["tables"].as_object().expect("tables");
    assert!(tables.contains_key("content_metadata"), "{manifest}");
    assert!(tables["search_cache"].as_i64() > Some(0), "{manifest}");
    for file in manifest["files"].as_array().expect("files") {
        let path = set.join(file["name"].as_str().expect("name"));
        let (bytes, sha256) = app::backup::sha256_file(&path).expect("read");
        assert_eq!(file["bytes"], bytes);
        assert_eq!(file["sha256"], sha256);
    }
    if backend == Backend::Sqlite {
        // The copy holds exactly the rows the manifest counts, though writes went on.
        let plain = dir.path().join("copy.sqlite3");
        let mut gz = flate2::read::GzDecoder::new(
            std::fs::File::open(set.join("database.sqlite3.gz")).expect("open"),
        );
        std::io::copy(&mut gz, &mut std::fs::File::create(&plain).expect("create"))
            .expect("gunzip");
        let copy = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", plain.display()))
            .await
            .expect("open the copy");
        let counts = app::backup::table_counts(&copy).await.expect("counts");
        for (table, n) in &counts {
            assert_eq!(tables[table].as_i64(), Some(*n), "{table}");
        }
        assert_eq!(counts.len(), tables.len());
        copy.close().await.expect("close");
    }
    let (out, result) = verify(dir.path(), &set).await;
    result.expect("a fresh set verifies");
    assert!(out.contains("files ok"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_is_consistent_and_verifies() {
    a_backup_is_consistent_and_verifies(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn postgres_backup_is_consistent_and_verifies() {
    a_backup_is_consistent_and_verifies(Backend::Postgres).await;
}

/// A copy of the set `set` under `dir`, to damage.
fn copy_set(set: &Path, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).expect("dir");
    for entry in std::fs::read_dir(set).expect("read") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
    to
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_sets_are_refused() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("dir");
    let (set, _) = backup_under_writes(&db, dir.path()).await;
    let file = "database.sqlite3.gz";

    let flipped = copy_set(&set, dir.path(), "flipped");
    let mut bytes = std::fs::read(flipped.join(file)).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(flipped.join(file), &bytes).expect("write");
    let (out, result) = verify(dir.path(), &flipped).await;
    assert!(result.is_err(), "a flipped byte fails");
    assert!(out.contains("SHA-256"), "{out}");

    let truncated = copy_set(&set, dir.path(), "truncated");
    let bytes = std::fs::read(truncated.join(file)).expect("read");
    std::fs::write(truncated.join(file), &bytes[..bytes.len() / 2]).expect("write");
    let (out, result) = verify(dir.path(), &truncated).await;
    assert!(result.is_err(), "a truncated file fails");
    assert!(out.contains("bytes, the manifest says"), "{out}");

    let missing = copy_set(&set, dir.path(), "missing");
    std::fs::remove_file(missing.join(file)).expect("remove");
    let (out, result) = verify(dir.path(), &missing).await;
    assert!(result.is_err(), "a missing file fails");
    assert!(out.contains("missing"), "{out}");

    // Garbage whose digest the manifest agrees with: the copy itself is checked.
    let garbage = copy_set(&set, dir.path(), "garbage");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &[7u8; 8192]).expect("gzip");
    std::fs::write(garbage.join(file), gz.finish().expect("gzip")).expect("write");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(garbage.join("manifest.json")).expect("read"))
            .expect("json");
    let (bytes, sha256) = app::backup::sha256_file(&garbage.join(file)).expect("digest");
    manifest["files"][0]["bytes"] = bytes.into();
    manifest["files"][0]["sha256"] = sha256.into();
    std::fs::write(
        garbage.join("manifest.json"),
        serde_json::to_vec(&manifest).expect("json"),
    )
    .expect("write");
    let (out, result) = verify(dir.path(), &garbage).await;
    assert!(
        result.is_err(),
        "a copy that is not a database fails: {out}"
    );

    let no_manifest = copy_set(&set, dir.path(), "no-manifest");
    std::fs::remove_file(no_manifest.join("manifest.json")).expect("remove");
    let (_, result) = verify(dir.path(), &no_manifest).await;
    assert!(result.is_err(), "a set without its manifest fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_prunes_the_oldest_sets() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([("DATABASE_URL".to_owned(), db.url.clone())]);
    let mut sets = Vec::new();
    for _ in 0..3 {
        let (out, result) = dal(dir.path(), &env, &["backup", "--keep", "2", "--json"]).await;
        result.expect("backup");
        let line: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        sets.push(PathBuf::from(line["set"].as_str().expect("set")));
        // Sets are named to the millisecond.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(!sets[0].exists(), "the oldest set was pruned");
    assert!(sets[1].exists() && sets[2].exists());
    let left = std::fs::read_dir(dir.path().join("backups"))
        .expect("read")
        .count();
    assert_eq!(left, 2, "no partial set is left behind either");
}
