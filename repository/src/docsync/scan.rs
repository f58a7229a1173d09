//! `dal docsync scan`: walk a tree (honouring `.gitignore`, `.ignore` and hidden-file rules, as
//! `git` and `ripgrep` do, through the `ignore` crate), compare every file with what
//! `file_metadata` holds, and record what changed.
//!
//! - The quick check compares modification time (to the microsecond) and size; only a file that
//!   is new or fails it is read, and then in pieces ([`calculate_md5`]). A file whose time moved
//!   but whose digest did not is unchanged (its new time is recorded, so the next scan does not
//!   read it again). A second scan of an unchanged tree therefore reads no file contents:
//!   [`ScanReport::digests_computed`] is 0.
//! - A file that vanishes or cannot be read mid-scan is listed in [`ScanReport::failed`], not
//!   fatal; its row is kept.
//! - Rows under the root whose file is gone are deleted and listed in [`ScanReport::deleted`].
//! - Paths are stored absolute: the root (made canonical) joined with the path under it, so
//!   scans of different trees never mix.
//! - Writes go in batches of [`SCAN_BATCH`] files, each one transaction, so a concurrent writer
//!   waits for one batch at most.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::changes::{
    FileCheck, FileMetadataRepository, FileRecord, KnownFile, ScanBatch, calculate_md5,
    stored_precision,
};
use crate::error::{Error, Result};
use crate::types::DocPath;

/// Files recorded per transaction.
pub const SCAN_BATCH: usize = 500;

/// A file a scan could not look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFailure {
    /// The file (as far as it is known).
    pub path: String,
    /// Why (the I/O error).
    pub reason: String,
}

/// What a scan found and recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    /// The tree scanned (canonical).
    pub root: String,
    /// Files never seen before, by path.
    pub new: Vec<String>,
    /// Files whose content changed, by path.
    pub changed: Vec<String>,
    /// Files whose content did not change.
    pub unchanged: u64,
    /// Of those, files whose time or size moved but whose digest did not.
    pub touched: u64,
    /// Files recorded before and gone now, by path.
    pub deleted: Vec<String>,
    /// Files that vanished or could not be read during the scan.
    pub failed: Vec<ScanFailure>,
    /// Files whose content was read to compute a digest.
    pub digests_computed: u64,
    /// Bytes read to compute them.
    pub bytes_hashed: u64,
    /// Tracked documents (`document_references`) given a new time, size and digest.
    pub documents_updated: u64,
}

/// What a scan tells its caller as it goes (a progress bar, a log).
pub trait ScanProgress: Send + Sync {
    /// The walk found `total` files to check.
    fn start(&self, total: u64);
    /// One more file was checked.
    fn advance(&self);
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ScanProgress for NoProgress {
    fn start(&self, _total: u64) {}
    fn advance(&self) {}
}

/// A file the walk found.
struct Seen {
    path: PathBuf,
    key: DocPath,
    last_modified: DateTime<Utc>,
    size: i64,
}

/// What the walk of a tree produced.
struct Walk {
    root: String,
    files: Vec<Seen>,
    failed: Vec<ScanFailure>,
    /// Paths (keys) of files that exist but could not be looked at: their rows are kept.
    unreadable: HashSet<String>,
}

/// Walk `root` (blocking).
fn walk(root: &Path) -> Result<Walk> {
    let canonical = root.canonicalize().map_err(|e| {
        Error::validation(
            "root",
            "must be an existing directory",
            format!("{}: {e}", root.display()),
        )
    })?;
    if !canonical.is_dir() {
        return Err(Error::validation(
            "root",
            "must be an existing directory",
            canonical.display(),
        ));
    }
    let root_text = canonical
        .to_str()
        .ok_or_else(|| Error::validation("root", "must be valid UTF-8", canonical.display()))?
        .to_owned();
    let mut out = Walk {
        root: root_text,
        files: Vec::new(),
        failed: Vec::new(),
        unreadable: HashSet::new(),
    };
    // `.gitignore` is honoured even outside a git checkout (a copied tree keeps its rules).
    let walker = ignore::WalkBuilder::new(&canonical)
        .require_git(false)
        .sort_by_file_name(std::cmp::Ord::cmp)
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.failed.push(ScanFailure {
                    path: error_path(&e).unwrap_or_default(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path().to_path_buf();
        let Some(text) = path.to_str() else {
            out.failed.push(ScanFailure {
                path: path.display().to_string(),
                reason: "the path is not valid UTF-8".to_owned(),
            });
            continue;
        };
        let key = match DocPath::parse_field("path", text) {
            Ok(key) => key,
            Err(e) => {
                out.failed.push(ScanFailure {
                    path: text.to_owned(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let meta = entry.metadata().map_err(|e| e.to_string()).and_then(|m| {
            m.modified()
                .map(|t| (t, m.len()))
                .map_err(|e| e.to_string())
        });
        match meta {
            Ok((modified, len)) => out.files.push(Seen {
                path,
                key,
                last_modified: stored_precision(DateTime::<Utc>::from(modified)),
                size: i64::try_from(len).unwrap_or(i64::MAX),
            }),
            Err(reason) => {
                out.unreadable.insert(key.to_string());
                out.failed.push(ScanFailure {
                    path: key.into_string(),
                    reason,
                });
            }
        }
    }
    Ok(out)
}

fn error_path(err: &ignore::Error) -> Option<String> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.display().to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// The language of a file, from its extension (for `file_metadata.language`).
#[must_use]
pub fn language_of(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let lang = match ext.as_str() {
        "rs" => "rust",
        "py" => "python",
        "md" | "markdown" => "markdown",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" | "tsx" => "typescript",
        "go" => "go",
        "java" => "java",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => "cpp",
        "toml" => "toml",
        "yaml" | "yml" => "yaml",
        "json" => "json",
        "sql" => "sql",
        "sh" | "bash" => "shell",
        "html" | "htm" => "html",
        "css" => "css",
        "txt" => "text",
        _ => return None,
    };
    Some(lang.to_owned())
}

/// The digest of a file that needs one (blocking work on the blocking pool).
async fn digest(path: PathBuf) -> std::io::Result<crate::types::Md5Digest> {
    tokio::task::spawn_blocking(move || calculate_md5(&path))
        .await
        .map_err(std::io::Error::other)?
}

/// Scan the tree at `root` and record it through `files` (see the module docs).
///
/// # Errors
/// [`Error::Validation`] when `root` is not an existing directory (or not UTF-8); [`Error::Db`]
/// when a batch cannot be recorded (batches already recorded stay: each is whole).
#[instrument(skip_all, fields(scan.files, scan.digests))]
pub async fn scan_tree(
    files: &dyn FileMetadataRepository,
    root: &Path,
    progress: &dyn ScanProgress,
) -> Result<ScanReport> {
    let root_owned = root.to_path_buf();
    let walked = tokio::task::spawn_blocking(move || walk(&root_owned))
        .await
        .map_err(|e| Error::Db(sea_orm::DbErr::Custom(format!("scan task failed: {e}"))))??;
    let prefix = format!("{}{}", walked.root, std::path::MAIN_SEPARATOR);
    let known: HashMap<String, KnownFile> = files
        .known_under(prefix)
        .await?
        .into_iter()
        .map(|k| (k.path.clone(), k))
        .collect();
    tracing::Span::current().record("scan.files", walked.files.len());
    progress.start(walked.files.len() as u64);

    let mut report = ScanReport {
        root: walked.root,
        failed: walked.failed,
        ..ScanReport::default()
    };
    let mut present: HashSet<String> = walked.unreadable;
    let mut batch = ScanBatch::default();
    for seen in walked.files {
        progress.advance();
        present.insert(seen.key.to_string());
        let old = known.get(seen.key.as_str());
        let check = old.map_or(FileCheck::New, |k| k.check(seen.last_modified, seen.size));
        if check == FileCheck::Unchanged {
            report.unchanged += 1;
            continue;
        }
        let md5 = match digest(seen.path.clone()).await {
            Ok(md5) => md5,
            Err(e) => {
                report.failed.push(ScanFailure {
                    path: seen.key.into_string(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        report.digests_computed += 1;
        report.bytes_hashed += u64::try_from(seen.size).unwrap_or(0);
        match old {
            None => report.new.push(seen.key.to_string()),
            Some(k) if k.md5_digest.as_deref() == Some(md5.as_str()) => {
                report.unchanged += 1;
                report.touched += 1;
            }
            Some(_) => report.changed.push(seen.key.to_string()),
        }
        batch.files.push(FileRecord {
            language: language_of(&seen.path),
            path: seen.key,
            last_modified: seen.last_modified,
            size: seen.size,
            md5_digest: md5,
        });
        if batch.files.len() >= SCAN_BATCH {
            let write = files.apply_scan(std::mem::take(&mut batch)).await?;
            report.documents_updated += write.documents;
        }
    }
    let mut gone: Vec<&String> = known.keys().filter(|p| !present.contains(*p)).collect();
    gone.sort();
    for path in gone {
        report.deleted.push(path.clone());
        batch
            .deleted
            .push(DocPath::parse_field("path", path.as_str())?);
        if batch.deleted.len() + batch.files.len() >= SCAN_BATCH {
            let write = files.apply_scan(std::mem::take(&mut batch)).await?;
            report.documents_updated += write.documents;
        }
    }
    let write = files.apply_scan(batch).await?;
    report.documents_updated += write.documents;
    tracing::Span::current().record("scan.digests", report.digests_computed);
    Ok(report)
}
