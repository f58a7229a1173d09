//! The tree scan behind `dal docsync scan`: new, changed, unchanged (and touched), deleted and
//! vanished files, `.gitignore`, a second scan that reads nothing, this repository's own tree,
//! and the command itself.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use clap::Parser;
use repository::DatabaseConnection;
use repository::docsync::{
    DocumentRepository, DocumentType, FileMetadataRepository, FileMetadataStore, NewDocument,
    NoProgress, ScanProgress, ScanReport, scan_tree,
};
use tests::{TestDb, db_tests};

use super::{documents, path};

fn files(db: &TestDb) -> FileMetadataStore<DatabaseConnection> {
    FileMetadataStore::new(db.conn.clone())
}

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).expect("dir");
    }
    std::fs::write(&p, content).expect("write");
}

/// Move the modification time of `root/rel` by `by`.
fn touch(root: &Path, rel: &str, by: Duration) {
    let file = std::fs::File::options()
        .write(true)
        .open(root.join(rel))
        .expect("open");
    let at = file.metadata().expect("meta").modified().expect("mtime");
    file.set_modified(at.checked_add(by).unwrap_or(SystemTime::now()))
        .expect("set mtime");
}

fn name(root: &Path, rel: &str) -> String {
    root.canonicalize()
        .expect("canonical")
        .join(rel)
        .to_str()
        .expect("utf-8")
        .to_owned()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn scan(db: &TestDb, root: &Path) -> ScanReport {
    scan_tree(&files(db), root, &NoProgress)
        .await
        .expect("scan")
}

async fn new_changed_unchanged_deleted(db: &TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(root, ".gitignore", "target/\n*.log\n");
    write(root, "README.md", "# Project\n");
    write(root, "src/lib.rs", "pub fn f() {}\n");
    write(root, "src/main.rs", "fn main() {}\n");
    write(root, "docs/DESIGN.md", "# Design\n");
    write(root, "target/debug/out.bin", "ignored\n");
    write(root, "run.log", "ignored\n");
    // A tracked document: the scan gives it its time, size and digest.
    let tracked = documents(db)
        .save(NewDocument::new(
            path(&name(root, "docs/DESIGN.md")),
            DocumentType::Markdown,
            tests::now(),
            0,
        ))
        .await
        .expect("track");

    let first = scan(db, root).await;
    assert_eq!(
        sorted(first.new.clone()),
        sorted(
            ["README.md", "docs/DESIGN.md", "src/lib.rs", "src/main.rs"]
                .iter()
                .map(|r| name(root, r))
                .collect()
        ),
        ".gitignore'd files and hidden files (.gitignore itself) are skipped"
    );
    assert_eq!(first.digests_computed, 4);
    assert_eq!(first.documents_updated, 1);
    assert!(first.changed.is_empty() && first.deleted.is_empty() && first.failed.is_empty());
    let design = documents(db).get(tracked.id).await.expect("doc");
    assert_eq!(design.size, 9);
    assert_eq!(
        design.md5_digest.as_deref(),
        Some(format!("{:x}", md5_of(b"# Design\n")).as_str())
    );

    // Nothing changed: nothing is read.
    let second = scan(db, root).await;
    assert_eq!(second.digests_computed, 0, "{second:?}");
    assert_eq!(second.bytes_hashed, 0);
    assert_eq!(second.unchanged, 4);
    assert!(second.new.is_empty() && second.changed.is_empty() && second.deleted.is_empty());

    // A changed file, a touched one (same content, new time), a deleted one, a new one.
    write(root, "src/lib.rs", "pub fn f() -> u8 { 1 }\n");
    touch(root, "README.md", Duration::from_secs(60));
    std::fs::remove_file(root.join("src/main.rs")).expect("rm");
    write(root, "src/new.rs", "// new\n");
    let third = scan(db, root).await;
    assert_eq!(third.changed, vec![name(root, "src/lib.rs")]);
    assert_eq!(third.new, vec![name(root, "src/new.rs")]);
    assert_eq!(third.deleted, vec![name(root, "src/main.rs")]);
    assert_eq!(third.touched, 1);
    assert_eq!(third.unchanged, 2);
    assert_eq!(third.digests_computed, 3, "changed, touched and new only");
    assert!(
        files(db)
            .get(&path(&name(root, "src/main.rs")))
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(files(db).count().await.expect("count"), 4);
    // The touched file's new time is recorded: the next scan reads nothing again.
    let fourth = scan(db, root).await;
    assert_eq!(fourth.digests_computed, 0, "{fourth:?}");
    assert_eq!(fourth.unchanged, 4);
}

fn md5_of(bytes: &[u8]) -> u128 {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("f");
    std::fs::write(&p, bytes).expect("write");
    let digest = repository::docsync::calculate_md5(&p).expect("md5");
    u128::from_str_radix(digest.as_str(), 16).expect("hex")
}

/// Deletes a file when the walk is done and hashing starts: the file vanishes mid-scan.
struct Vanish {
    victim: Mutex<Option<std::path::PathBuf>>,
}

impl ScanProgress for Vanish {
    fn start(&self, _total: u64) {
        if let Some(p) = self.victim.lock().expect("lock").take() {
            std::fs::remove_file(p).expect("remove");
        }
    }
    fn advance(&self) {}
}

async fn a_file_vanishing_mid_scan_is_reported_not_fatal(db: &TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(root, "a.md", "a\n");
    write(root, "b.md", "b\n");
    let progress = Vanish {
        victim: Mutex::new(Some(root.join("b.md"))),
    };
    let report = scan_tree(&files(db), root, &progress)
        .await
        .expect("scan goes on");
    assert_eq!(report.new, vec![name(root, "a.md")]);
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].path, name(root, "b.md"));
    assert_eq!(files(db).count().await.expect("count"), 1);
    // A directory that is not there is refused as input, not reported as a file.
    let err = scan_tree(&files(db), &root.join("missing"), &NoProgress)
        .await
        .expect_err("no such dir");
    assert!(
        matches!(&err, repository::Error::Validation { field, .. } if field == "root"),
        "{err}"
    );
}

async fn scans_this_repository(db: &TestDb) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let first = scan(db, &root).await;
    assert!(first.new.len() > 50, "{} files", first.new.len());
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    let own = name(&root, "tests/tests/docsync/scan.rs");
    assert!(first.new.contains(&own), "this file is found");
    assert!(
        !first.new.iter().any(|p| p.contains("/target/")),
        "the repository's .gitignore keeps build output out"
    );
    assert!(
        !first.new.iter().any(|p| p.contains("/.git/")),
        "hidden directories are skipped"
    );
    assert_eq!(first.digests_computed, first.new.len() as u64);
    // Nobody edits the repository during the test: the second scan reads nothing.
    let second = scan(db, &root).await;
    assert_eq!(second.digests_computed, 0, "{:?}", second.changed);
    assert_eq!(second.unchanged, first.new.len() as u64);
}

async fn the_scan_command_reports_json(db: &TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(root, "one.md", "1\n");
    write(root, "two.rs", "2\n");
    let run = |json: bool| {
        let mut args = vec![
            "dal".to_owned(),
            "--database-url".to_owned(),
            db.url.clone(),
            "--redis-url".to_owned(),
            "memory".to_owned(),
            "docsync".to_owned(),
            "scan".to_owned(),
            root.display().to_string(),
        ];
        if json {
            args.push("--json".to_owned());
        }
        app::cli::Cli::try_parse_from(args).expect("args")
    };
    let mut out = Vec::new();
    app::cli::run(run(true), root, Some(&Default::default()), &mut out)
        .await
        .expect("scan command");
    let report: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(report["new"].as_array().map(Vec::len), Some(2), "{report}");
    assert_eq!(report["digests_computed"], 2);
    let mut out = Vec::new();
    app::cli::run(run(false), root, Some(&Default::default()), &mut out)
        .await
        .expect("scan command");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("0 new, 0 changed, 2 unchanged, 0 deleted, 0 failed (0 digests computed"),
        "{text}"
    );
}

db_tests!(
    new_changed_unchanged_deleted,
    a_file_vanishing_mid_scan_is_reported_not_fatal,
    scans_this_repository,
    the_scan_command_reports_json
);
