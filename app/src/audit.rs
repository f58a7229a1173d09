//! `dal audit export`: the retention of the platform's audit trail without breaking its
//! immutability (seed 004's archival strategy as an export).
//!
//! The rows created before a date are written, oldest first, as JSON lines (one `audit_logs`
//! row per line, as the repository returns it) into `audit_logs_before_<date>.jsonl`, with a
//! manifest `audit_logs_before_<date>.manifest.json` holding the file's SHA-256, its size, the
//! row count and the range of `created_at`. Nothing is deleted: the database refuses it anyway.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use repository::platform::{AuditFilter, AuditRepository, AuditStore};
use repository::{DatabaseConnection, Page};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Rows read per query.
const PAGE: u64 = 1_000;

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    /// Its name, in the export directory.
    pub name: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// Rows (lines) in it.
    pub rows: u64,
}

/// What an export wrote: the manifest's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportManifest {
    /// The table exported (`audit_logs`).
    pub table: String,
    /// Rows created before this instant were exported.
    pub before: DateTime<Utc>,
    /// When the export ran.
    pub exported_at: DateTime<Utc>,
    /// Rows exported.
    pub rows: u64,
    /// `created_at` of the first row exported (none when there were none).
    pub first_created_at: Option<DateTime<Utc>>,
    /// `created_at` of the last row exported.
    pub last_created_at: Option<DateTime<Utc>>,
    /// The data files.
    pub files: Vec<ExportFile>,
    /// The manifest's own name.
    pub manifest: String,
}

/// `DATE` of `--before`: an RFC 3339 instant, or a day (`2026-11-01`, its midnight UTC).
///
/// # Errors
/// When `text` is neither.
pub fn parse_before(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("--before {text:?}: expected YYYY-MM-DD or an RFC 3339 time"))?;
    Ok(day
        .and_hms_opt(0, 0, 0)
        .context("midnight exists")?
        .and_utc())
}

/// Export the audit rows created before `before` into `dir` (created if missing).
///
/// # Errors
/// When the rows cannot be read or the files cannot be written.
pub async fn export_before(
    conn: &DatabaseConnection,
    before: DateTime<Utc>,
    dir: &Path,
) -> Result<ExportManifest> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = format!("audit_logs_before_{}", before.format("%Y%m%dT%H%M%SZ"));
    let data_name = format!("{stem}.jsonl");
    let manifest_name = format!("{stem}.manifest.json");
    let data_path = dir.join(&data_name);
    let exported_at = Utc::now();

    let store = AuditStore::new(conn.clone());
    let filter = AuditFilter {
        before: Some(before),
        oldest_first: true,
        ..AuditFilter::default()
    };
    let mut file = std::io::BufWriter::new(
        create_owner_only(&data_path)
            .with_context(|| format!("creating {}", data_path.display()))?,
    );
    let mut hasher = Sha256::new();
    let (mut rows, mut bytes) = (0u64, 0u64);
    let (mut first, mut last) = (None, None);
    for page in 0.. {
        let batch = store
            .query(filter.clone(), Page::nth(page, PAGE))
            .await
            .context("reading audit rows")?;
        for row in &batch {
            let mut line = serde_json::to_vec(row)?;
            line.push(b'\n');
            file.write_all(&line)?;
            hasher.update(&line);
            bytes += line.len() as u64;
            rows += 1;
            first.get_or_insert(row.created_at.into_inner());
            last = Some(row.created_at.into_inner());
        }
        if (batch.len() as u64) < PAGE {
            break;
        }
    }
    file.flush()?;
    file.get_ref().sync_all()?;
    let manifest = ExportManifest {
        table: "audit_logs".to_owned(),
        before,
        exported_at,
        rows,
        first_created_at: first,
        last_created_at: last,
        files: vec![ExportFile {
            name: data_name,
            sha256: hex::encode(hasher.finalize()),
            bytes,
            rows,
        }],
        manifest: manifest_name.clone(),
    };
    let manifest_path: PathBuf = dir.join(&manifest_name);
    create_owner_only(&manifest_path)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, &serde_json::to_vec_pretty(&manifest)?)
        })
        .with_context(|| format!("writing {}", manifest_path.display()))?;
    tracing::info!(audit.rows = rows, "audit rows exported");
    Ok(manifest)
}

/// A new file (truncating one that exists) readable by its owner only: an export holds every
/// audited change, whatever the umask.
fn create_owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only when the file is created; an older export keeps its own otherwise.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_instants() {
        assert_eq!(
            parse_before("2026-11-01").expect("day").to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_before("2026-11-01T12:30:00+02:00")
                .expect("instant")
                .to_rfc3339(),
            "2026-11-01T10:30:00+00:00"
        );
        assert!(parse_before("yesterday").is_err());
    }
}
