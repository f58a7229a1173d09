//! The SQLite part of a backup set: `VACUUM INTO` a file of the set (an online, consistent
//! copy: it reads one snapshot while writers go on in WAL mode), counted, then gzipped.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use super::manifest::FileEntry;

/// The content type of the database file in a set.
pub const CONTENT: &str = "sqlite+gzip";

/// The database file's name in a set.
const FILE: &str = "database.sqlite3.gz";

/// Copy the database behind `conn` into `dir`; returns the set's file entry and the copy's row
/// counts.
pub(super) async fn dump(
    conn: &DatabaseConnection,
    dir: &Path,
) -> Result<(Vec<FileEntry>, BTreeMap<String, i64>)> {
    let copy = dir.join("database.sqlite3");
    let target = copy
        .to_str()
        .context("the backup directory's path is not UTF-8")?;
    // The target is a bound value, not SQL text.
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await
    .context("copying the database (VACUUM INTO)")?;
    let tables = counts_of(&copy).await?;
    gzip(&copy, &dir.join(FILE))?;
    std::fs::remove_file(&copy).with_context(|| format!("removing {}", copy.display()))?;
    Ok((vec![FileEntry::of(dir, FILE, CONTENT)?], tables))
}

/// Open the SQLite file at `path` read-only.
async fn open_read_only(path: &Path) -> Result<DatabaseConnection> {
    let url = format!("sqlite://{}?mode=ro", path.display());
    Database::connect(url)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// The row counts of the SQLite file at `path`.
async fn counts_of(path: &Path) -> Result<BTreeMap<String, i64>> {
    let db = open_read_only(path).await?;
    let counts = super::table_counts(&db).await;
    db.close().await?;
    counts
}

/// Decompress the set's copy into a temporary file and run `PRAGMA integrity_check` on it.
pub(super) async fn check(path: &Path) -> Result<()> {
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let plain = dir.path().join("check.sqlite3");
    gunzip(path, &plain)?;
    let db = open_read_only(&plain).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await;
    db.close().await?;
    let problems: Vec<String> = rows
        .context("PRAGMA integrity_check")?
        .into_iter()
        .filter_map(|row| row.try_get_by_index::<String>(0).ok())
        .filter(|line| line != "ok")
        .collect();
    if !problems.is_empty() {
        bail!("integrity_check: {}", problems.join("; "));
    }
    Ok(())
}

fn gzip(from: &Path, to: &Path) -> Result<()> {
    let mut input =
        std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let output = std::fs::File::create(to).with_context(|| format!("creating {}", to.display()))?;
    let mut encoder = GzEncoder::new(output, Compression::fast());
    std::io::copy(&mut input, &mut encoder)
        .with_context(|| format!("compressing into {}", to.display()))?;
    encoder.finish()?.sync_all()?;
    Ok(())
}

/// Decompress the gzip file `from` into `to`.
///
/// # Errors
/// When either file fails, or `from` is not whole gzip.
pub(super) fn gunzip(from: &Path, to: &Path) -> Result<()> {
    let input = std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut output =
        std::fs::File::create(to).with_context(|| format!("creating {}", to.display()))?;
    std::io::copy(&mut GzDecoder::new(input), &mut output)
        .with_context(|| format!("decompressing {}", from.display()))?;
    output.sync_all()?;
    Ok(())
}
