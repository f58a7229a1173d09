//! `dal backup` and `dal backup verify` on both backends: a consistent copy under concurrent
//! writes, a manifest whose counts are the copy's, damaged sets refused, old sets pruned.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use repository::knowledge::{NewSearchCache, SearchCacheRepository, SearchCacheStore};
use repository::{DatabaseConnection, QueryHash};
use tests::{Backend, TestDb};

use crate::cli::dal_output as dal;

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

/// The permission bits of `path`.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
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
    // Owner-only, whatever the umask: a set holds every row and key.
    assert_eq!(mode_of(&set), 0o700, "set directory");
    for file in manifest["files"].as_array().expect("files") {
        let path = set.join(file["name"].as_str().expect("name"));
        assert_eq!(mode_of(&path), 0o600, "{}", path.display());
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

/// Rows in several systems' tables: knowledge content with JSON and timestamps, chat
/// conversations with UUID sessions and JSON sources, search-cache rows, vector records.
async fn fill(db: &TestDb) {
    use repository::chat::{ConversationRepository, ConversationStore, NewConversation};
    use repository::knowledge::{ContentRepository, ContentStore, NewContent};

    let content = ContentStore::new(db.conn.clone());
    for i in 0..20 {
        content
            .create(NewContent::new(
                format!("doc-{i}"),
                format!("Document {i} — ünïcödé"),
                format!("https://docs.example.org/{i}")
                    .parse()
                    .expect("url"),
                "rust",
                repository::ContentHash::digest(format!("doc {i}")),
            ))
            .await
            .expect("content");
    }
    let conversations = ConversationStore::new(db.conn.clone());
    let session = repository::UuidText::new_v4();
    for i in 0..10 {
        conversations
            .record(
                NewConversation::new(session, format!("question {i}"), "answer")
                    .with_sources(vec!["https://a.example.org/x".parse().expect("url")]),
            )
            .await
            .expect("conversation");
    }
    let cache = SearchCacheStore::new(db.conn.clone());
    cache
        .put(NewSearchCache::new(
            QueryHash::digest("q"),
            "q",
            serde_json::json!([{"title": "t", "score": 0.5}]),
        ))
        .await
        .expect("cache");
}

/// Every row of every table, each as JSON text, sorted: the database's whole content.
async fn contents(db: &TestDb) -> std::collections::BTreeMap<String, Vec<String>> {
    let conn = db.manager.connection().await.expect("conn");
    let tables = app::backup::table_counts(&conn).await.expect("tables");
    let mut all = std::collections::BTreeMap::new();
    for table in tables.keys() {
        // Names from the catalogue, quoted.
        let rows = db
            .manager
            .fetch_all(&format!("SELECT * FROM \"{table}\""), vec![])
            .await
            .expect("rows");
        let mut rows: Vec<String> = rows.iter().map(ToString::to_string).collect();
        rows.sort();
        all.insert(table.clone(), rows);
    }
    all
}

async fn backup_wipe_restore_gives_back_every_row(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    fill(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let (set, _) = backup_under_writes(&db, dir.path()).await;
    let before = {
        // The set holds what was there when the copy was taken: compare with a restore of it
        // into a second, empty database rather than with the live one, which went on changing.
        let target = TestDb::empty(backend).await;
        let env = HashMap::new();
        let (out, result) = dal(
            dir.path(),
            &env,
            &[
                "restore",
                set.to_str().expect("utf-8"),
                "--to",
                &target.url,
                "--json",
            ],
        )
        .await;
        result.expect("restore into an empty database");
        let restored: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        assert!(restored["previous"].is_null(), "{restored}");
        // A pool opened before the restore still sees the file it opened (SQLite).
        target.manager.disconnect().await.expect("disconnect");
        target.manager.connect().await.expect("reconnect");
        contents(&target).await
    };
    assert!(
        before["content_metadata"].len() == 20,
        "every content row came back"
    );
    assert!(before["conversation"].len() == 10);

    // Wipe the original (drop it: a fresh empty database under the same name would do too)
    // and restore over a database that has data: refused, then forced.
    let env = HashMap::new();
    let (_, refused) = dal(
        dir.path(),
        &env,
        &["restore", set.to_str().expect("utf-8"), "--to", &db.url],
    )
    .await;
    let err = format!("{:#}", refused.expect_err("the target has tables"));
    assert!(err.contains("--force"), "{err}");
    let (out, forced) = dal(
        dir.path(),
        &env,
        &[
            "restore",
            set.to_str().expect("utf-8"),
            "--to",
            &db.url,
            "--force",
            "--json",
        ],
    )
    .await;
    forced.expect("forced restore");
    let restored: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let previous = PathBuf::from(
        restored["previous"]
            .as_str()
            .expect("a backup of the target"),
    );
    assert!(previous.join("manifest.json").is_file());
    db.manager.disconnect().await.expect("disconnect");
    db.manager.connect().await.expect("reconnect");
    assert_eq!(
        contents(&db).await,
        before,
        "the forced restore holds the set's rows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_wipe_restore_gives_back_every_row() {
    backup_wipe_restore_gives_back_every_row(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn postgres_backup_wipe_restore_gives_back_every_row() {
    backup_wipe_restore_gives_back_every_row(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_damaged_newer_and_foreign_sets_and_leaves_the_target_alone() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    fill(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let (set, _) = backup_under_writes(&db, dir.path()).await;
    let target = TestDb::empty(Backend::Sqlite).await;
    let env = HashMap::new();
    let restore = |set: PathBuf| {
        let url = target.url.clone();
        let dir = dir.path().to_path_buf();
        let env = env.clone();
        async move {
            dal(
                &dir,
                &env,
                &["restore", set.to_str().expect("utf-8"), "--to", &url],
            )
            .await
        }
    };

    let damaged = copy_set(&set, dir.path(), "damaged");
    let file = damaged.join("database.sqlite3.gz");
    let bytes = std::fs::read(&file).expect("read");
    std::fs::write(&file, &bytes[..bytes.len() - 1]).expect("truncate");
    let (_, result) = restore(damaged).await;
    let err = format!("{:#}", result.expect_err("damaged"));
    assert!(err.contains("fails verification"), "{err}");

    let newer = copy_set(&set, dir.path(), "newer");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(newer.join("manifest.json")).expect("read"))
            .expect("json");
    manifest["migrations"]
        .as_array_mut()
        .expect("migrations")
        .push("m29991231_000000_from_the_future".into());
    std::fs::write(
        newer.join("manifest.json"),
        serde_json::to_vec(&manifest).expect("json"),
    )
    .expect("write");
    let (_, result) = restore(newer).await;
    let err = format!("{:#}", result.expect_err("newer"));
    assert!(err.contains("newer schema"), "{err}");

    let foreign = copy_set(&set, dir.path(), "foreign");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(foreign.join("manifest.json")).expect("read"))
            .expect("json");
    manifest["backend"] = "postgres".into();
    std::fs::write(
        foreign.join("manifest.json"),
        serde_json::to_vec(&manifest).expect("json"),
    )
    .expect("write");
    let (_, result) = restore(foreign).await;
    let err = format!("{:#}", result.expect_err("another backend"));
    assert!(err.contains("dal copy"), "{err}");

    assert!(
        app::backup::table_counts(&target.conn)
            .await
            .expect("tables")
            .is_empty(),
        "nothing was written to the target"
    );
}

/// The Redis keys under the cache's prefix go into the set with their TTLs, and come back with
/// the time they had left (a key whose time ran out meanwhile stays gone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn redis_keys_are_backed_up_and_restored_with_their_remaining_ttl() {
    use std::time::Duration;

    use cache::{CacheConfig, CacheManager, KeyTtl};

    let db = TestDb::migrated(Backend::Sqlite).await;
    let prefix = format!("{}:", tests::unique_name());
    let cache =
        CacheManager::connect(CacheConfig::redis(tests::redis_url()).with_key_prefix(&prefix))
            .await
            .expect("redis");
    // A counter has no expiry.
    assert_eq!(cache.increment("kept").await.expect("incr"), 1);
    cache
        .set("hour", b"an hour".to_vec(), Duration::from_secs(3600))
        .await
        .expect("set");
    cache
        .set("brief", b"soon gone".to_vec(), Duration::from_millis(1500))
        .await
        .expect("set");
    let dir = tempfile::tempdir().expect("dir");
    let env = HashMap::from([
        ("DATABASE_URL".to_owned(), db.url.clone()),
        ("REDIS_URL".to_owned(), tests::redis_url()),
        ("DAL_CACHE_PREFIX".to_owned(), prefix.clone()),
    ]);
    let (out, result) = dal(dir.path(), &env, &["backup", "--json"]).await;
    result.expect("backup");
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(line["manifest"]["cache_keys"], 3, "{line}");
    let set = line["set"].as_str().expect("set").to_owned();
    let (_, verified) = verify(dir.path(), Path::new(&set)).await;
    verified.expect("the set with its keys verifies");

    assert_eq!(cache.clear_pattern("*").await.expect("wipe"), 3);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let target = TestDb::empty(Backend::Sqlite).await;
    let (out, result) = dal(
        dir.path(),
        &env,
        &["restore", &set, "--to", &target.url, "--json"],
    )
    .await;
    result.expect("restore");
    let restored: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(restored["cache_keys_restored"], 2, "{restored}");
    assert_eq!(restored["cache_keys_expired"], 1, "{restored}");
    assert_eq!(
        cache.get("kept").await.expect("get").as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(cache.ttl("kept").await.expect("ttl"), KeyTtl::Persistent);
    match cache.ttl("hour").await.expect("ttl") {
        KeyTtl::ExpiresIn(left) => assert!(
            left <= Duration::from_secs(3600) && left > Duration::from_secs(3500),
            "{left:?}"
        ),
        other => panic!("the hour key lost its TTL: {other:?}"),
    }
    assert_eq!(cache.ttl("brief").await.expect("ttl"), KeyTtl::Missing);
    cache.clear_pattern("*").await.expect("clean up");
}
