//! `dal restore SET`: a verified backup set back into an empty database of its backend, or,
//! forced, over a database that has data (after a backup of that database).
//!
//! Nothing is half-restored. SQLite: the copy is decompressed next to the target, its row counts
//! checked against the manifest, and only then renamed over the target (one atomic rename).
//! PostgreSQL: `pg_restore --single-transaction --exit-on-error`, so a failure rolls back.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use migration::MigratorTrait as _;
use repository::DbConfig;
use sea_orm::{Database, DbBackend};
use serde::Serialize;

use super::manifest::Manifest;
use super::{postgres, redis, sqlite, table_counts, verify};

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The set restored.
    pub set: PathBuf,
    /// Tables whose row counts were compared with the manifest (all matched).
    pub tables: usize,
    /// Rows restored in all.
    pub rows: i64,
    /// The backup taken of the target before it was replaced (`--force` over data).
    pub previous: Option<PathBuf>,
    /// Cache keys restored, when the set has them and a Redis cache was given.
    pub cache_keys_restored: Option<u64>,
    /// Cache keys left out because their time to live ran out since the backup.
    pub cache_keys_expired: Option<u64>,
}

/// Restore `set` into the database of `target` (its backend must be the set's) and, when the set
/// has cache keys and `cache` is given, those keys (after the database). A target that holds
/// tables is refused unless `force`, which first backs it up into `backups`.
///
/// # Errors
/// A set that fails verification, was written by a newer schema than this tool knows, or of
/// another backend; a target with data and no `force`; a failed restore (the target is then as
/// it was); row counts that differ from the manifest.
pub async fn restore(
    set: &Path,
    target: &DbConfig,
    cache: Option<&cache::CacheManager>,
    force: bool,
    backups: &Path,
) -> Result<Restored> {
    let check = verify(set).await?;
    if !check.is_ok() {
        bail!(
            "backup set {} fails verification: {}",
            set.display(),
            check.problems.join("; ")
        );
    }
    let manifest = Manifest::read(set)?;
    let known: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if let Some(unknown) = manifest.migrations.iter().find(|m| !known.contains(m)) {
        bail!(
            "backup set {} has a newer schema than this tool knows (migration {unknown}): \
             restore it with a newer dal",
            set.display()
        );
    }
    let backend = target.backend()?;
    let backend_name = if backend == DbBackend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    if manifest.backend != backend_name {
        bail!(
            "backup set {} is of {}, the target is {backend_name}: use dal copy between backends",
            set.display(),
            manifest.backend
        );
    }
    let entry = manifest
        .files
        .iter()
        .find(|f| f.content == sqlite::CONTENT || f.content == postgres::CONTENT)
        .context("the manifest lists no database file")?;
    let previous = if has_tables(target).await? {
        if !force {
            bail!(
                "the target database {} has tables: restore into an empty database, or pass \
                 --force to replace it (a backup of it is taken first)",
                target.redacted_url()
            );
        }
        Some(backup_first(target, backups).await?)
    } else {
        None
    };
    let file = set.join(&entry.name);
    if backend == DbBackend::Sqlite {
        restore_sqlite(&file, target, &manifest).await?;
    } else {
        postgres::restore(&file, &target.url, previous.is_some()).await?;
        let db = Database::connect(target.url.clone()).await?;
        let counts = table_counts(&db).await;
        db.close().await?;
        compare(&manifest, &counts?)?;
    }
    let keys = manifest.files.iter().find(|f| f.content == redis::CONTENT);
    let (cache_keys_restored, cache_keys_expired) = match (keys, cache) {
        (Some(keys), Some(cache)) => {
            let taken = repository::chrono::DateTime::parse_from_rfc3339(&manifest.created_at)
                .context("the manifest's created_at")?;
            let elapsed_ms = (repository::chrono::Utc::now() - taken.to_utc())
                .num_milliseconds()
                .max(0);
            let (restored, expired) =
                redis::restore(&set.join(&keys.name), cache, elapsed_ms).await?;
            (Some(restored), Some(expired))
        }
        _ => (None, None),
    };
    Ok(Restored {
        set: set.to_path_buf(),
        tables: manifest.tables.len(),
        rows: manifest.tables.values().sum(),
        previous,
        cache_keys_restored,
        cache_keys_expired,
    })
}

/// Whether the target database exists and holds any table.
async fn has_tables(target: &DbConfig) -> Result<bool> {
    if target.backend()? == DbBackend::Sqlite {
        match target.sqlite_path() {
            Some(path) if path.is_file() && std::fs::metadata(&path)?.len() > 0 => {}
            _ => return Ok(false),
        }
    }
    let db = Database::connect(target.url.clone())
        .await
        .with_context(|| format!("connecting to {}", target.redacted_url()))?;
    let counts = table_counts(&db).await;
    db.close().await?;
    Ok(!counts?.is_empty())
}

async fn backup_first(target: &DbConfig, backups: &Path) -> Result<PathBuf> {
    let db = Database::connect(target.url.clone()).await?;
    let written = super::create(&db, target, None, backups).await;
    db.close().await?;
    let (set, _) = written.context("backing up the target before replacing it")?;
    tracing::info!("the target was backed up before the restore");
    Ok(set)
}

async fn restore_sqlite(file: &Path, target: &DbConfig, manifest: &Manifest) -> Result<()> {
    let path = target
        .sqlite_path()
        .context("restoring into an in-memory SQLite database is not possible")?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let staged = tempfile::Builder::new()
        .prefix(".dal-restore-")
        .tempfile_in(&dir)
        .context("a staging file beside the target")?;
    sqlite::gunzip(file, staged.path())?;
    let url = format!("sqlite://{}?mode=ro", staged.path().display());
    let db = Database::connect(url).await?;
    let counts = table_counts(&db).await;
    db.close().await?;
    compare(manifest, &counts?)?;
    // The old file's log and shared memory belong to the old database.
    for suffix in ["-wal", "-shm"] {
        let mut side = path.clone().into_os_string();
        side.push(suffix);
        match std::fs::remove_file(&side) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                return Err(err)
                    .with_context(|| format!("removing {}", PathBuf::from(side).display()));
            }
            _ => {}
        }
    }
    staged
        .persist(&path)
        .with_context(|| format!("moving the restored copy to {}", path.display()))?;
    Ok(())
}

/// Every table of the manifest with its count, and no other table.
fn compare(manifest: &Manifest, counts: &std::collections::BTreeMap<String, i64>) -> Result<()> {
    if &manifest.tables != counts {
        let differing: Vec<String> = manifest
            .tables
            .iter()
            .filter(|(table, n)| counts.get(*table) != Some(*n))
            .map(|(table, n)| format!("{table}: {n} in the set, {:?} restored", counts.get(table)))
            .collect();
        bail!(
            "the restored rows differ from the manifest: {}",
            differing.join(", ")
        );
    }
    Ok(())
}
