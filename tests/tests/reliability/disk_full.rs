//! SQLite on storage that fills up: a child process writes under a file-size limit
//! (`RLIMIT_FSIZE`, set with `prlimit`, `SIGXFSZ` ignored so that writes past it fail with
//! `EFBIG` as on a full disk) until a write fails. The failure is the typed
//! `Error::Storage`, later writes fail the same way without hanging, the file passes its
//! integrity check with every committed write in it, and once space is freed (the child run
//! again with a larger limit) writes succeed again.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use repository::knowledge::{ContentRepository, ContentStore};
use repository::{DbConfig, Error};

use super::Child;
use super::crash_writes::count;

/// Rows per write of the child.
const ROWS: u32 = 50;

/// The child's side: write batches of [`ROWS`] content rows to `DAL_RELIABILITY_URL` until one
/// fails (printing `COMMITTED k` after each) or `DAL_RELIABILITY_WRITES` succeeded; on a failure
/// print `FAILED <typed?> <error>`, try three more writes, print how they failed, and exit.
pub async fn child_main() {
    let url = std::env::var("DAL_RELIABILITY_URL").expect("url");
    let first: u32 = std::env::var("DAL_RELIABILITY_FIRST")
        .expect("first")
        .parse()
        .expect("number");
    let writes: u32 = std::env::var("DAL_RELIABILITY_WRITES")
        .expect("writes")
        .parse()
        .expect("number");
    let manager = repository::DatabaseManager::connect_with(DbConfig::new(url))
        .await
        .expect("connect");
    let conn = manager.connection().await.expect("connection");
    let store = ContentStore::new(conn);
    for k in first..first + writes {
        let docs = (0..ROWS)
            .map(|i| crate::knowledge::doc(k * ROWS + i, "rust", 0.5))
            .collect();
        let started = std::time::Instant::now();
        match store.create_many(docs).await {
            Ok(_) => println!("COMMITTED {k}"),
            Err(error) => {
                println!(
                    "FAILED {} {}ms {error}",
                    kind(&error),
                    started.elapsed().as_millis()
                );
                for again in 0..3 {
                    // The same size as the write that failed.
                    let docs = (0..ROWS)
                        .map(|i| crate::knowledge::doc(9_000_000 + again * ROWS + i, "rust", 0.5))
                        .collect();
                    let started = std::time::Instant::now();
                    match store.create_many(docs).await {
                        Ok(_) => println!("AGAIN ok"),
                        Err(error) => println!(
                            "AGAIN {} {}ms {error}",
                            kind(&error),
                            started.elapsed().as_millis()
                        ),
                    }
                }
                return;
            }
        }
    }
    println!("DONE");
}

fn kind(error: &Error) -> &'static str {
    match error {
        Error::Storage { .. } => "storage",
        _ => "other",
    }
}

/// Run the child on `url` under a file-size limit of `limit` bytes, starting at write `first`.
fn limited_child(url: &str, limit: u64, first: u32, writes: u32) -> Child {
    let inner = Child::command(
        "disk",
        &[
            ("DAL_RELIABILITY_URL", url.to_owned()),
            ("DAL_RELIABILITY_FIRST", first.to_string()),
            ("DAL_RELIABILITY_WRITES", writes.to_string()),
        ],
    );
    let mut command = Command::new("sh");
    // Ignored signals stay ignored across exec: writes past the limit then fail with EFBIG
    // instead of killing the process.
    command
        .arg("-c")
        .arg("trap '' XFSZ; exec prlimit --fsize=\"$0\" -- \"$@\"")
        .arg(limit.to_string())
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    Child::spawn_command(command)
}

fn file_size(path: &Path) -> u64 {
    let side = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
    };
    std::fs::metadata(path)
        .map(|m| m.len())
        .unwrap_or(0)
        .max(side("-wal"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_full_storage_fails_typed_stays_valid_and_recovers() {
    tests::init_tracing();
    let ok = Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "prlimit (util-linux) is needed to limit the child's file size"
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("full.sqlite3");
    let url = format!("sqlite://{}", path.display());
    {
        let db = repository::DatabaseManager::connect_with(DbConfig::new(url.clone()))
            .await
            .expect("create");
        let conn = db.connection().await.expect("conn");
        <migration::Migrator as migration::MigratorTrait>::up(&conn, None)
            .await
            .expect("migrate");
        db.disconnect().await.expect("close");
    }
    // Room for a few writes beyond what the file and its log hold now.
    let limit = file_size(&path) + 200 * 1024;
    let (status, lines) = limited_child(&url, limit, 0, 1_000).finish(Duration::from_secs(60));
    assert!(status.success(), "{lines:?}");
    let committed = lines.iter().filter(|l| l.starts_with("COMMITTED")).count();
    let failed = lines
        .iter()
        .find(|l| l.starts_with("FAILED"))
        .unwrap_or_else(|| panic!("no write failed under the limit: {lines:?}"));
    assert!(committed > 0, "{lines:?}");
    assert!(
        failed.starts_with("FAILED storage "),
        "a typed storage error: {failed}"
    );
    assert!(failed.contains("storage full or failing"), "{failed}");
    let again: Vec<&String> = lines.iter().filter(|l| l.starts_with("AGAIN")).collect();
    assert_eq!(again.len(), 3, "{lines:?}");
    for line in &again {
        assert!(line.starts_with("AGAIN storage "), "{line}");
    }
    // Every failed write returned within the busy timeout (no hang).
    for line in std::iter::once(failed).chain(again.iter().copied()) {
        let ms: u64 = line
            .split_whitespace()
            .nth(2)
            .and_then(|t| t.strip_suffix("ms"))
            .and_then(|t| t.parse().ok())
            .expect("elapsed");
        assert!(ms < 6_000, "{line}");
    }

    // The file is valid and holds exactly the committed writes.
    assert_eq!(super::sqlite_integrity(&url).await, "ok");
    let conn = sea_orm::Database::connect(&url).await.expect("open");
    let rows = count(&conn, "SELECT count(*) FROM content_metadata", &[]).await;
    assert_eq!(rows, committed as i64 * i64::from(ROWS));
    let _ = conn.close().await;

    // Space freed (a limit far above the file): writes succeed again, in the same file.
    let first = u32::try_from(committed).expect("few");
    let (status, lines) =
        limited_child(&url, limit + 64 * 1024 * 1024, first, 5).finish(Duration::from_secs(60));
    assert!(status.success(), "{lines:?}");
    assert!(lines.iter().any(|l| l == "DONE"), "{lines:?}");
    assert_eq!(super::sqlite_integrity(&url).await, "ok");
    let conn = sea_orm::Database::connect(&url).await.expect("open");
    let rows = count(&conn, "SELECT count(*) FROM content_metadata", &[]).await;
    assert_eq!(rows, (committed as i64 + 5) * i64::from(ROWS));
    let _ = conn.close().await;
    println!(
        "disk full: {committed} writes before the limit, then `{failed}`; recovered with 5 more"
    );
}

/// The same on a database that reached its size limit (`PRAGMA max_page_count`, what SQLite
/// reports as `SQLITE_FULL`, as on a full disk): `Error::Storage` naming a full disk, a valid
/// file with every committed write, and writes again once the limit is raised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_database_is_a_typed_disk_full_error() {
    use sea_orm::ConnectionTrait;
    tests::init_tracing();
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("capped.sqlite3").display());
    let mut config = DbConfig::new(url.clone());
    // One connection, so that the per-connection limit applies to every write.
    config.max_connections = Some(1);
    let manager = repository::DatabaseManager::connect_with(config)
        .await
        .expect("create");
    let conn = manager.connection().await.expect("conn");
    <migration::Migrator as migration::MigratorTrait>::up(&conn, None)
        .await
        .expect("migrate");
    let pages = count(&conn, "SELECT page_count FROM pragma_page_count()", &[]).await;
    conn.execute_unprepared(&format!("PRAGMA max_page_count = {}", pages + 40))
        .await
        .expect("cap the file");
    let store = ContentStore::new(conn.clone());
    let mut committed = 0_i64;
    let error = loop {
        let docs = (0..ROWS)
            .map(|i| {
                crate::knowledge::doc(
                    u32::try_from(committed).expect("few") * ROWS + i,
                    "rust",
                    0.5,
                )
            })
            .collect();
        match store.create_many(docs).await {
            Ok(_) => committed += 1,
            Err(error) => break error,
        }
        assert!(committed < 1_000, "the capped file never filled up");
    };
    match &error {
        Error::Storage { cause, .. } => assert_eq!(*cause, Error::DISK_FULL, "{error}"),
        other => panic!("expected Error::Storage, got {other:?}"),
    }
    assert!(error.to_string().contains("disk full"), "{error}");
    assert!(committed > 0);
    assert_eq!(super::sqlite_integrity(&url).await, "ok");
    let rows = count(&conn, "SELECT count(*) FROM content_metadata", &[]).await;
    assert_eq!(rows, committed * i64::from(ROWS));

    conn.execute_unprepared("PRAGMA max_page_count = 1073741823")
        .await
        .expect("lift the cap");
    let docs = (0..ROWS)
        .map(|i| crate::knowledge::doc(5_000_000 + i, "rust", 0.5))
        .collect();
    store.create_many(docs).await.expect("writes succeed again");
    assert_eq!(super::sqlite_integrity(&url).await, "ok");
    manager.disconnect().await.expect("close");
}
