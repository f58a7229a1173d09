//! `dal backup`, `dal backup verify` and `dal restore` ([`restore()`]): one timestamped backup
//! set per run, a directory holding the database (SQLite: an online, consistent copy by `VACUUM INTO`, gzipped; PostgreSQL:
//! `pg_dump -Fc`) and a manifest (`manifest.json`: what, sizes, SHA-256 of every file, schema
//! version, row counts per table as of the copy, tool version).
//!
//! A set is written under a hidden `.partial` name and renamed when complete, so a set that
//! exists is whole. The row counts are read from the same snapshot as the copy: from the copied
//! SQLite file, and on PostgreSQL in the transaction whose exported snapshot `pg_dump` uses.
//! On a terminal, the step under way is shown on stderr ([`crate::progress::Steps`]).

mod manifest;
mod postgres;
mod redis;
mod restore;
mod sqlite;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use repository::DbBackend;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;

pub use manifest::{FileEntry, MANIFEST, Manifest, sha256_file};
pub use restore::{Restored, restore};

use crate::migrate;

/// The prefix of every backup set's directory name.
pub const SET_PREFIX: &str = "dal-backup-";

/// Create `dir` readable by its owner only: a set holds every row and key, passwords and tokens
/// among them, so it gets the database file's permissions whatever the umask.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Make every file directly in `dir` owner-only (`0600`): `VACUUM INTO` and `pg_dump` create theirs
/// with the umask's permissions.
pub(crate) fn owner_only_files(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", path.display()))?;
        }
    }
    Ok(())
}

/// Write a backup set of the database behind `conn` (configured by `config`) and, when given,
/// the keys of the Redis `cache` under its prefix, into `dir`; returns the set's directory and
/// its manifest.
///
/// # Errors
/// When the copy, the dump or a file cannot be written; nothing is left behind then.
pub async fn create(
    conn: &DatabaseConnection,
    config: &repository::DbConfig,
    cache: Option<&cache::CacheManager>,
    dir: &Path,
) -> Result<(PathBuf, Manifest)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let created_at = repository::chrono::Utc::now();
    let name = format!("{SET_PREFIX}{}", created_at.format("%Y%m%dT%H%M%S%.3fZ"));
    let partial = dir.join(format!(".{name}.partial"));
    let set = dir.join(&name);
    if set.exists() {
        bail!("backup set {} already exists", set.display());
    }
    private_dir(&partial)?;
    let mut steps =
        crate::progress::Steps::new(3 + u64::from(cache.is_some()), crate::progress::wanted());
    let written = async {
        steps.step("reading the migrations");
        let migrations = migrate::states(conn).await?;
        let applied: Vec<String> = migrations
            .iter()
            .filter(|m| m.applied)
            .map(|m| m.name.clone())
            .collect();
        steps.step("copying the database");
        let (backend, mut files, tables) = match conn.get_database_backend() {
            DbBackend::Sqlite => {
                let (files, tables) = sqlite::dump(conn, &partial).await?;
                ("sqlite", files, tables)
            }
            _ => {
                let (files, tables) = postgres::dump(conn, config, &partial).await?;
                ("postgres", files, tables)
            }
        };
        let cache_keys = match cache {
            Some(cache) => {
                steps.step("copying the cache keys");
                let (entry, keys) = redis::dump(cache, &partial).await?;
                files.push(entry);
                Some(keys)
            }
            None => None,
        };
        let manifest = Manifest {
            format: manifest::FORMAT,
            created_at: created_at.to_rfc3339(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            backend: backend.to_owned(),
            schema_version: applied.last().cloned(),
            migrations: applied,
            tables,
            cache_keys,
            files,
        };
        steps.step("writing the manifest");
        manifest.write(&partial)?;
        owner_only_files(&partial)?;
        std::fs::rename(&partial, &set)
            .with_context(|| format!("renaming {} to {}", partial.display(), set.display()))?;
        Ok::<_, anyhow::Error>(manifest)
    }
    .await;
    drop(steps);
    match written {
        Ok(manifest) => {
            tracing::info!(
                backup.files = manifest.files.len(),
                backup.tables = manifest.tables.len(),
                "backup set written"
            );
            Ok((set, manifest))
        }
        Err(err) => {
            let _ = std::fs::remove_dir_all(&partial);
            Err(err)
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The set checked.
    pub set: PathBuf,
    /// Files whose size and SHA-256 match the manifest.
    pub files_ok: usize,
    /// What is wrong, one line each (empty: the set is good).
    pub problems: Vec<String>,
}

impl Verification {
    /// Whether nothing is wrong.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Check a backup set: the manifest parses, every file it lists exists with its size and
/// SHA-256, and the copies are readable (SQLite: `PRAGMA integrity_check` on the decompressed
/// copy; PostgreSQL: `pg_restore --list` reads the archive's table of contents; Redis: every
/// key's line decodes).
///
/// # Errors
/// Only when the check itself cannot run (a temporary file cannot be made); what is wrong
/// with the set is in [`Verification::problems`].
pub async fn verify(set: &Path) -> Result<Verification> {
    let mut report = Verification {
        set: set.to_path_buf(),
        files_ok: 0,
        problems: Vec::new(),
    };
    let manifest = match Manifest::read(set) {
        Ok(manifest) => manifest,
        Err(err) => {
            report.problems.push(format!("{err:#}"));
            return Ok(report);
        }
    };
    for entry in &manifest.files {
        match entry.check(set) {
            Ok(()) => report.files_ok += 1,
            Err(problem) => report.problems.push(problem),
        }
    }
    if !report.is_ok() {
        return Ok(report);
    }
    for entry in &manifest.files {
        let path = set.join(&entry.name);
        let readable = match entry.content.as_str() {
            sqlite::CONTENT => sqlite::check(&path).await,
            postgres::CONTENT => postgres::check(&path).await,
            redis::CONTENT => redis::check(&path),
            other => Err(anyhow::anyhow!("unknown content {other:?}")),
        };
        if let Err(err) = readable {
            report.problems.push(format!("{}: {err:#}", entry.name));
        }
    }
    Ok(report)
}

/// Delete all but the newest `keep` complete backup sets in `dir` (sets are named by their UTC
/// time, so name order is age order). Returns the sets deleted.
///
/// # Errors
/// When `dir` cannot be read or a set cannot be deleted.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(SET_PREFIX))
                && path.join(MANIFEST).is_file()
        })
        .collect();
    sets.sort();
    let excess = sets.len().saturating_sub(keep);
    let old: Vec<PathBuf> = sets.drain(..excess).collect();
    for set in &old {
        std::fs::remove_dir_all(set).with_context(|| format!("deleting {}", set.display()))?;
    }
    Ok(old)
}

/// The names of every table of the current schema (ledgers included), in order.
///
/// # Errors
/// When the catalogue cannot be read.
pub async fn table_names(db: &impl ConnectionTrait) -> Result<Vec<String>> {
    let backend = db.get_database_backend();
    let tables_sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    db.query_all_raw(Statement::from_string(backend, tables_sql))
        .await?
        .into_iter()
        .map(|row| Ok(row.try_get("", "name")?))
        .collect()
}

/// `count(*)` of `table`, a name from the catalogue (quoted as an identifier, never input).
///
/// # Errors
/// When the table cannot be read.
pub async fn row_count(db: &impl ConnectionTrait, table: &str) -> Result<i64> {
    let sql = format!(
        "SELECT count(*) AS n FROM {}",
        crate::quoted_identifier(table)
    );
    Ok(db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("row count")?
        .try_get("", "n")?)
}

/// The row count of every table of the current schema (ledgers included), read through `db`
/// (a connection, or the transaction whose snapshot the copy is taken from).
///
/// # Errors
/// When the catalogue or a table cannot be read.
pub async fn table_counts(
    db: &impl ConnectionTrait,
) -> Result<std::collections::BTreeMap<String, i64>> {
    let mut counts = std::collections::BTreeMap::new();
    for table in table_names(db).await? {
        let n = row_count(db, &table).await?;
        counts.insert(table, n);
    }
    Ok(counts)
}
