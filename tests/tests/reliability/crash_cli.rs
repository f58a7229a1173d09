//! SIGKILL in the middle of `dal migrate up`, `dal restore` and `dal docsync scan`, on SQLite and
//! PostgreSQL.
//!
//! Each command is first run to its end once, to time it; then it is started again on a fresh
//! target and killed at [`kill_at`] fractions of that time. After each kill the database passes
//! its integrity check and is in a state the command leaves whole (migrations: none or all
//! applied, the ledger matching the tables; restore: empty or the whole set; scan: whole batches,
//! each row the file's), and rerunning the command finishes the job.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use migration::MigratorTrait;
use repository::DatabaseConnection;
use tests::{Backend, TestDb};

use super::Child;
use super::crash_writes::count;

/// Where in the command's run time the kills land: three points on SQLite, two on PostgreSQL
/// (where each run takes longer).
fn kill_at(backend: Backend) -> &'static [f64] {
    match backend {
        Backend::Sqlite => &[0.2, 0.45, 0.7],
        Backend::Postgres => &[0.3, 0.6],
    }
}

/// Run `dal args…` in `dir` on `url` as a child: to its end, or killed `kill_after` after it
/// started (when it had not ended by then).
fn dal_child(dir: &Path, url: &str, args: &[&str], kill_after: Option<Duration>) -> Killed {
    let env = [
        ("DAL_RELIABILITY_DIR", dir.display().to_string()),
        ("DAL_RELIABILITY_URL", url.to_owned()),
        ("DAL_RELIABILITY_ARGS", args.join("\n")),
    ];
    let mut child = Child::spawn("cli", &env);
    child
        .wait_for("STARTED", Duration::from_secs(30))
        .unwrap_or_else(|| panic!("the child did not start: {:?}", child.seen));
    let start = Instant::now();
    match kill_after {
        Some(after) => {
            if let Some(line) = child.wait_for("EXIT", after) {
                let _ = child.kill();
                return Killed::Finished(line, start.elapsed());
            }
            let running = child.kill();
            if running {
                Killed::Midway
            } else {
                Killed::Finished(
                    child
                        .seen
                        .iter()
                        .find(|l| l.starts_with("EXIT"))
                        .cloned()
                        .unwrap_or_default(),
                    start.elapsed(),
                )
            }
        }
        None => {
            let line = child
                .wait_for("EXIT", Duration::from_secs(120))
                .unwrap_or_else(|| panic!("dal {args:?} did not finish: {:?}", child.seen));
            let took = start.elapsed();
            let (status, lines) = child.finish(Duration::from_secs(30));
            assert!(status.success(), "{lines:?}");
            Killed::Finished(line, took)
        }
    }
}

/// How a child run ended.
#[derive(Debug)]
enum Killed {
    /// Killed while the command was still running.
    Midway,
    /// The command ended first (its `EXIT` line) after this long.
    Finished(String, Duration),
}

impl Killed {
    fn succeeded(&self) -> Duration {
        match self {
            Self::Finished(line, took) if line == "EXIT ok" => *took,
            other => panic!("expected a successful run, got {other:?}"),
        }
    }
}

/// The tables of the database at `url` with their row counts, from a fresh connection.
async fn table_counts(url: &str) -> BTreeMap<String, i64> {
    let conn = sea_orm::Database::connect(url).await.expect("connect");
    let tables = tests::introspect::describe(&conn).await.tables;
    let mut counts = BTreeMap::new();
    for table in tables.keys() {
        // A name from the catalogue, quoted.
        counts.insert(
            table.clone(),
            count(&conn, &format!("SELECT count(*) FROM \"{table}\""), &[]).await,
        );
    }
    let _ = conn.close().await;
    counts
}

async fn integrity(backend: Backend, url: &str) {
    if backend == Backend::Sqlite {
        assert_eq!(super::sqlite_integrity(url).await, "ok");
    }
}

/// A fresh target database (SQLite: a file not yet created) and its URL.
async fn fresh(backend: Backend, dir: &Path, n: usize) -> (Option<TestDb>, String) {
    match backend {
        Backend::Sqlite => (
            None,
            format!("sqlite://{}", dir.join(format!("t{n}.sqlite3")).display()),
        ),
        Backend::Postgres => {
            let db = TestDb::empty(backend).await;
            let url = db.url.clone();
            (Some(db), url)
        }
    }
}

/// The migration ledger matches the schema: no migration applied and no table but the ledger's,
/// or every migration applied (in `seaql_migrations` and `schema_versions`) and exactly the
/// tables of a fully migrated database.
async fn ledger_matches(url: &str, full: &BTreeMap<String, i64>) -> bool {
    let counts = table_counts(url).await;
    let names = i64::try_from(migration::Migrator::migrations().len()).expect("few");
    let applied = counts.get("seaql_migrations").copied().unwrap_or(0);
    if applied == 0 {
        assert!(
            counts.keys().all(|t| t == "seaql_migrations"),
            "no migration recorded, yet tables: {counts:?}"
        );
        return false;
    }
    assert_eq!(applied, names, "a partial ledger");
    assert_eq!(counts.get("schema_versions"), Some(&names), "{counts:?}");
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        full.keys().collect::<Vec<_>>(),
        "every migration recorded, the tables differ"
    );
    true
}

async fn migrate_up_survives_sigkill(backend: Backend) -> usize {
    let dir = tempfile::tempdir().expect("dir");
    let (_keep, url) = fresh(backend, dir.path(), 0).await;
    let took = dal_child(dir.path(), &url, &["migrate", "up"], None).succeeded();
    let full = table_counts(&url).await;
    assert!(ledger_matches(&url, &full).await);
    let mut midway = 0;
    for (n, &at) in kill_at(backend).iter().enumerate() {
        let (_keep, url) = fresh(backend, dir.path(), n + 1).await;
        let ended = dal_child(dir.path(), &url, &["migrate", "up"], Some(took.mul_f64(at)));
        midway += usize::from(matches!(ended, Killed::Midway));
        if Path::new(url.trim_start_matches("sqlite://")).is_file() || backend == Backend::Postgres
        {
            integrity(backend, &url).await;
            ledger_matches(&url, &full).await;
        }
        dal_child(dir.path(), &url, &["migrate", "up"], None).succeeded();
        integrity(backend, &url).await;
        assert!(ledger_matches(&url, &full).await, "the rerun applied all");
    }
    midway
}

/// A source database with rows in several systems, and a backup set of it.
async fn backup_set(backend: Backend, dir: &Path) -> (TestDb, PathBuf, BTreeMap<String, i64>) {
    use repository::knowledge::{ContentRepository, ContentStore};
    let db = TestDb::migrated(backend).await;
    let docs = (0..1_000)
        .map(|i| crate::knowledge::doc(i, "rust", 0.5))
        .collect();
    ContentStore::new(db.conn.clone())
        .create_many(docs)
        .await
        .expect("rows to back up");
    let env = HashMap::from([("DATABASE_URL".to_owned(), db.url.clone())]);
    let (out, result) = crate::cli::dal_output(dir, &env, &["backup", "--json"]).await;
    result.expect("backup");
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let set = PathBuf::from(line["set"].as_str().expect("set"));
    let counts = table_counts(&db.url).await;
    (db, set, counts)
}

/// No session other than `conn`'s own is connected to the PostgreSQL database `name`: waits
/// (up to 60 s) for the ones a killed `dal` left behind (its `pg_restore`) to end.
async fn wait_for_orphans(conn: &DatabaseConnection, name: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0;
    loop {
        let others = count(
            conn,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
             AND pid <> pg_backend_pid() AND application_name = 'pg_restore'",
            &[name.to_owned()],
        )
        .await;
        seen = seen.max(usize::try_from(others).unwrap_or(0));
        if others == 0 {
            return seen;
        }
        assert!(Instant::now() < deadline, "pg_restore still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn restore_survives_sigkill(backend: Backend) -> usize {
    let dir = tempfile::tempdir().expect("dir");
    let (source, set, expected) = backup_set(backend, dir.path()).await;
    let set_arg = set.display().to_string();
    let (_keep, url) = fresh(backend, dir.path(), 0).await;
    let args = |url: &str| {
        vec![
            "restore".to_owned(),
            set_arg.clone(),
            "--to".into(),
            url.into(),
        ]
    };
    let run = |url: &str, kill: Option<Duration>| {
        let args = args(url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        dal_child(dir.path(), &source.url, &args, kill)
    };
    let took = run(&url, None).succeeded();
    assert_eq!(table_counts(&url).await, expected);
    let mut midway = 0;
    let mut restored_before_kill = 0;
    let mut orphans = 0;
    for (n, &at) in kill_at(backend).iter().enumerate() {
        let (target, url) = fresh(backend, dir.path(), n + 1).await;
        let ended = run(&url, Some(took.mul_f64(at)));
        midway += usize::from(matches!(ended, Killed::Midway));
        if let Some(target) = &target {
            let name = url.rsplit('/').next().expect("database name").to_owned();
            orphans += wait_for_orphans(&target.conn, &name).await;
        }
        let exists = backend == Backend::Postgres
            || std::fs::metadata(url.trim_start_matches("sqlite://")).is_ok_and(|m| m.len() > 0);
        let whole = if exists {
            integrity(backend, &url).await;
            let counts = table_counts(&url).await;
            assert!(
                counts.is_empty() || counts == expected,
                "after a kill the target is empty or whole: {counts:?}"
            );
            !counts.is_empty()
        } else {
            false
        };
        let rerun = run(&url, None);
        let Killed::Finished(line, _) = &rerun else {
            panic!("{rerun:?}")
        };
        if whole {
            // The killed run had finished the job: the rerun leaves the restored data alone.
            restored_before_kill += 1;
            assert!(line.contains("has tables"), "{line}");
        } else {
            assert_eq!(line, "EXIT ok", "the rerun finished the restore");
        }
        integrity(backend, &url).await;
        assert_eq!(table_counts(&url).await, expected, "the rerun restored all");
    }
    println!(
        "{backend:?} restore: {midway} kills mid-restore, {restored_before_kill} targets already \
         whole after the kill, {orphans} pg_restore left running by a killed dal"
    );
    midway
}

/// Write `n` small files under `root/tree`.
fn tree(root: &Path, n: usize) -> PathBuf {
    let tree = root.join("tree");
    for i in 0..n {
        let dir = tree.join(format!("d{}", i / 100));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join(format!("f{i}.md")),
            format!("# file {i}\n{}\n", "x".repeat(i % 97)),
        )
        .expect("file");
    }
    tree
}

/// The recorded files are whole batches (or all of them), each row with its digest and size.
async fn scan_rows_whole(url: &str, files: i64) -> i64 {
    let conn = sea_orm::Database::connect(url).await.expect("connect");
    let rows = count(&conn, "SELECT count(*) FROM file_metadata", &[]).await;
    let batch = repository::docsync::SCAN_BATCH as i64;
    assert!(
        rows == files || rows % batch == 0,
        "{rows} rows: not whole batches of {batch}"
    );
    let wrong = count(
        &conn,
        "SELECT count(*) FROM file_metadata WHERE md5_digest IS NULL OR size < 8",
        &[],
    )
    .await;
    assert_eq!(wrong, 0, "rows without their digest or size");
    let _ = conn.close().await;
    rows
}

async fn docsync_scan_survives_sigkill(backend: Backend) -> usize {
    const FILES: usize = 1_500;
    let dir = tempfile::tempdir().expect("dir");
    let tree = tree(dir.path(), FILES);
    let tree_arg = tree.display().to_string();
    let args = ["docsync", "scan", tree_arg.as_str()];
    let (url, _keep) = migrated(backend, dir.path(), 0).await;
    let took = dal_child(dir.path(), &url, &args, None).succeeded();
    assert_eq!(scan_rows_whole(&url, FILES as i64).await, FILES as i64);
    let mut midway = 0;
    for &at in kill_at(backend) {
        // The same database, its scan forgotten: every file is new again.
        let conn = sea_orm::Database::connect(&url).await.expect("connect");
        sea_orm::ConnectionTrait::execute_unprepared(&conn, "DELETE FROM file_metadata")
            .await
            .expect("forget the scan");
        let _ = conn.close().await;
        let ended = dal_child(dir.path(), &url, &args, Some(took.mul_f64(at)));
        midway += usize::from(matches!(ended, Killed::Midway));
        integrity(backend, &url).await;
        scan_rows_whole(&url, FILES as i64).await;
        dal_child(dir.path(), &url, &args, None).succeeded();
        integrity(backend, &url).await;
        assert_eq!(scan_rows_whole(&url, FILES as i64).await, FILES as i64);
    }
    midway
}

/// A fresh migrated database: its URL (and the PostgreSQL database, dropped on drop).
async fn migrated(backend: Backend, dir: &Path, n: usize) -> (String, Option<TestDb>) {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.join(format!("s{n}.sqlite3")).display());
            let manager =
                repository::DatabaseManager::connect_with(repository::DbConfig::new(url.clone()))
                    .await
                    .expect("create");
            let conn = manager.connection().await.expect("conn");
            migration::Migrator::up(&conn, None).await.expect("migrate");
            manager.disconnect().await.expect("close");
            (url, None)
        }
        Backend::Postgres => {
            let db = TestDb::migrated(backend).await;
            (db.url.clone(), Some(db))
        }
    }
}

async fn every_command_survives_sigkill(backend: Backend) {
    let start = Instant::now();
    let migrate = migrate_up_survives_sigkill(backend).await;
    let migrate_took = start.elapsed();
    let restore = restore_survives_sigkill(backend).await;
    let restore_took = start.elapsed() - migrate_took;
    let scan = docsync_scan_survives_sigkill(backend).await;
    println!(
        "{backend:?}: migrate {migrate_took:?}, restore {restore_took:?}, scan {:?}",
        start.elapsed() - migrate_took - restore_took
    );
    let points = kill_at(backend).len();
    println!(
        "{backend:?}: SIGKILL mid-command: migrate up {migrate}/{points}, restore \
         {restore}/{points}, docsync scan {scan}/{points}; every rerun finished the job"
    );
    // The kills at the earlier points land while the command runs.
    assert!(
        migrate >= 1 && restore >= 1 && scan >= 1,
        "too few kills landed mid-command"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commands_survive_sigkill() {
    tests::init_tracing();
    every_command_survives_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_pg), ignore = "DAL_TEST_DATABASE_URL not set")]
async fn postgres_commands_survive_sigkill() {
    tests::init_tracing();
    every_command_survives_sigkill(Backend::Postgres).await;
}
