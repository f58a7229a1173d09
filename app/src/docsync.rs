//! `dal docsync scan DIR`: record a tree's files for change detection (seed 002) and report
//! what is new, changed, unchanged and deleted; a progress bar when stdout is a terminal.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use repository::docsync::{FileMetadataRepository, ScanProgress, ScanReport, scan_tree};

/// A progress bar on stderr (only made when stdout is a terminal).
struct Bar(ProgressBar);

impl ScanProgress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }

    fn advance(&self) {
        self.0.inc(1);
    }
}

/// No progress shown (stdout is a pipe or a file: a bar would only add noise).
struct Quiet;

impl ScanProgress for Quiet {
    fn start(&self, _total: u64) {}
    fn advance(&self) {}
}

/// Scan `dir` through `files`, showing a progress bar when `progress_bar` is set.
///
/// # Errors
/// When `dir` is not a directory or a batch cannot be recorded.
pub async fn scan(
    files: &dyn FileMetadataRepository,
    dir: &Path,
    progress_bar: bool,
) -> Result<ScanReport> {
    let report = if progress_bar {
        let bar = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} scanning [{bar:30}] {pos}/{len} files")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        let bar = Bar(bar);
        let report = scan_tree(files, dir, &bar).await;
        bar.0.finish_and_clear();
        report
    } else {
        scan_tree(files, dir, &Quiet).await
    };
    report.with_context(|| format!("scanning {}", dir.display()))
}

/// Whether a progress bar should be drawn: stdout is a terminal.
#[must_use]
pub fn progress_wanted() -> bool {
    std::io::stdout().is_terminal()
}

/// Write `report` to `out`, as JSON or as text.
///
/// # Errors
/// When `out` cannot be written.
pub fn print(report: &ScanReport, json: bool, out: &mut dyn Write) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", render(report))?;
    }
    Ok(())
}

/// The report as text: one line of counts, then the paths of each kind of change.
#[must_use]
pub fn render(report: &ScanReport) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} new, {} changed, {} unchanged, {} deleted, {} failed \
         ({} digests computed, {} bytes read, {} documents updated)",
        report.root,
        report.new.len(),
        report.changed.len(),
        report.unchanged,
        report.deleted.len(),
        report.failed.len(),
        report.digests_computed,
        report.bytes_hashed,
        report.documents_updated,
    );
    for (label, paths) in [
        ("new", &report.new),
        ("changed", &report.changed),
        ("deleted", &report.deleted),
    ] {
        for path in paths {
            let _ = writeln!(text, "  {label:<8} {path}");
        }
    }
    for failure in &report.failed {
        let _ = writeln!(text, "  failed   {}: {}", failure.path, failure.reason);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use repository::docsync::{FileCheck, KnownFile, MockFileMetadataRepository, ScanWrite};

    /// The scan driven through a mock of the repository (as a crate other than `repository`
    /// sees it): a file recorded with the same time and size is not read again.
    #[tokio::test]
    async fn a_scan_reads_only_what_the_quick_check_cannot_clear() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("same.md"), "# same\n").expect("write");
        std::fs::write(dir.path().join("new.rs"), "fn main() {}\n").expect("write");
        let root = dir.path().canonicalize().expect("canonical");
        let same = root.join("same.md");
        let meta = std::fs::metadata(&same).expect("meta");
        let at = repository::docsync::stored_precision(meta.modified().expect("mtime").into());
        let known = KnownFile {
            path: same.to_str().expect("utf-8").to_owned(),
            last_modified: at.into(),
            size: i64::try_from(meta.len()).expect("size"),
            md5_digest: None,
        };
        assert_eq!(known.check(at, known.size), FileCheck::Unchanged);
        let mut repo = MockFileMetadataRepository::new();
        repo.expect_known_under()
            .times(1)
            .returning(move |_| Ok(vec![known.clone()]));
        repo.expect_apply_scan()
            .withf(|batch| batch.files.len() == 1 && batch.deleted.is_empty())
            .times(1)
            .returning(|batch| {
                Ok(ScanWrite {
                    files: batch.files.len() as u64,
                    documents: 0,
                    deleted: 0,
                })
            });
        let report = scan(&repo, dir.path(), false).await.expect("scan");
        assert_eq!(report.unchanged, 1);
        assert_eq!(report.digests_computed, 1);
        assert_eq!(report.new.len(), 1);
        assert!(report.new[0].ends_with("new.rs"), "{report:?}");
        assert!(render(&report).contains("1 new, 0 changed, 1 unchanged"));
    }
}
