//! `dal copy --from URL --to URL`: every table of every system from one database into another,
//! across backends (SQLite → PostgreSQL to outgrow the embedded default, PostgreSQL → SQLite for
//! a local copy).
//!
//! All or nothing. The whole copy is one target transaction (`BEGIN IMMEDIATE` on SQLite; on
//! PostgreSQL it also holds the migration lock), read from one source snapshot (a read-only
//! `REPEATABLE READ` transaction on PostgreSQL, one read transaction on SQLite). A target
//! without tables is migrated inside that transaction to exactly the source's version; a target
//! with tables must be at the source's version and empty, or it is refused. Tables go in
//! foreign-key order (parents first, derived from the catalogue), rows in primary-key order
//! (self-referencing tables: parents first), in batches under the bind limits. Before the commit,
//! every table is read back from the target transaction and its row count and SHA-256 over the
//! canonical rendering of its values compared with the source's; any difference rolls the whole
//! copy back. On PostgreSQL, every serial or identity sequence is moved to its column's maximum.
//!
//! Not copied: the migration ledgers `seaql_migrations` and `schema_versions` (the target's own
//! migrations write them; their versions are compared instead).

mod catalogue;
mod cell;
mod rows;

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use migration::MigratorTrait as _;
use repository::{DatabaseManager, DbConfig};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseTransaction, DbBackend, IsolationLevel, Statement,
    TransactionTrait,
};
use serde::Serialize;
use tracing::Instrument as _;

pub use catalogue::{Kind, LEDGERS};
pub use cell::canonical_json;

/// Rows per `INSERT` unless the bind limit asks for fewer.
pub const DEFAULT_BATCH_ROWS: usize = 500;

/// What to copy where.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// The source database's URL.
    pub from: String,
    /// The target database's URL.
    pub to: String,
    /// Rows per `INSERT` (at most; wide tables take fewer).
    pub batch_rows: usize,
    /// Draw a progress bar per table on stderr.
    pub progress: bool,
}

/// One table copied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableCopy {
    /// The table.
    pub table: String,
    /// Rows copied (the same number in source and target).
    pub rows: u64,
    /// SHA-256 (hex) of the canonical rendering of its rows in primary-key order (the same in
    /// source and target).
    pub sha256: String,
    /// Seconds spent on it (copy and check).
    pub seconds: f64,
}

/// What [`copy`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyReport {
    /// The source (password masked).
    pub from: String,
    /// The target (password masked).
    pub to: String,
    /// The schema version both are at (the last applied migration).
    pub schema_version: Option<String>,
    /// Whether the target had no tables and was migrated first (in the same transaction).
    pub migrated_target: bool,
    /// Every table, in the order copied.
    pub tables: Vec<TableCopy>,
    /// Rows copied in all.
    pub rows: u64,
    /// Seconds in all.
    pub seconds: f64,
}

impl CopyReport {
    /// The report as text: one line per table (rows, seconds, checksum), then the totals.
    #[must_use]
    pub fn render(&self) -> String {
        let mut text = String::new();
        for t in &self.tables {
            text.push_str(&format!(
                "{:<30} {:>10} rows {:>8.3} s  sha256 {}\n",
                t.table, t.rows, t.seconds, t.sha256
            ));
        }
        text.push_str(&format!(
            "copied {} tables, {} rows from {} to {} in {:.3} s{} (schema {}); counts and \
             checksums match\n",
            self.tables.len(),
            self.rows,
            self.from,
            self.to,
            self.seconds,
            if self.migrated_target {
                ", target migrated first"
            } else {
                ""
            },
            self.schema_version.as_deref().unwrap_or("-"),
        ));
        text
    }
}

/// Copy every table of the database at `options.from` into the one at `options.to`.
///
/// # Errors
/// A source that does not exist or has no migrations; a target at another schema version, or
/// with rows; a value that cannot be carried; a row count or checksum that differs after the
/// copy (naming the table). The target is then as it was: nothing is committed.
#[tracing::instrument(skip_all, fields(copy.from = %repository::redact_url(&options.from), copy.to = %repository::redact_url(&options.to)))]
pub async fn copy(options: &CopyOptions) -> Result<CopyReport> {
    let started = Instant::now();
    let from = DbConfig::new(options.from.clone());
    let to = DbConfig::new(options.to.clone());
    let (source_backend, target_backend) = (from.backend()?, to.backend()?);
    if same_database(&from, &to) {
        bail!("--from and --to name the same database");
    }
    if source_backend == DbBackend::Sqlite {
        match from.sqlite_path() {
            Some(path) if path.is_file() => {}
            _ => bail!(
                "the source {} is not an existing SQLite file",
                from.redacted_url()
            ),
        }
    }
    if target_backend == DbBackend::Postgres {
        crate::create_postgres_database_if_missing(&options.to).await?;
    }
    let source = DatabaseManager::connect_with(from.clone())
        .await
        .with_context(|| format!("connecting to the source {}", from.redacted_url()))?;
    let target = DatabaseManager::connect_with(to.clone())
        .await
        .with_context(|| format!("connecting to the target {}", to.redacted_url()))?;
    let result = copy_between(&source, &target, options).await;
    source.disconnect().await.ok();
    target.disconnect().await.ok();
    let (schema_version, migrated_target, tables) = result?;
    let report = CopyReport {
        from: from.redacted_url(),
        to: to.redacted_url(),
        schema_version,
        migrated_target,
        rows: tables.iter().map(|t| t.rows).sum(),
        tables,
        seconds: started.elapsed().as_secs_f64(),
    };
    tracing::info!(
        copy.tables = report.tables.len(),
        copy.rows = report.rows,
        copy.seconds = report.seconds,
        "copy committed"
    );
    Ok(report)
}

/// Whether `a` and `b` are one database (the same URL, or the same SQLite file).
fn same_database(a: &DbConfig, b: &DbConfig) -> bool {
    if a.url == b.url {
        return true;
    }
    match (a.sqlite_path(), b.sqlite_path()) {
        (Some(x), Some(y)) => match (std::fs::canonicalize(&x), std::fs::canonicalize(&y)) {
            (Ok(x), Ok(y)) => x == y,
            _ => x == y,
        },
        _ => false,
    }
}

type Copied = (Option<String>, bool, Vec<TableCopy>);

async fn copy_between(
    source: &DatabaseManager,
    target: &DatabaseManager,
    options: &CopyOptions,
) -> Result<Copied> {
    let source = source.connection().await?;
    let target = target.connection().await?;
    let read = match source.get_database_backend() {
        DbBackend::Postgres => {
            source
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await
        }
        _ => source.begin().await,
    }
    .context("beginning the source's read transaction")?;
    let source_versions = versions(&read)
        .await
        .context("reading the source's migrations (is it a dal database?)")?;
    if source_versions.is_empty() {
        bail!("the source has no migrations applied: nothing to copy");
    }
    let write = repository::begin_write(&target)
        .await
        .context("beginning the target's transaction")?;
    if write.get_database_backend() == DbBackend::Postgres {
        write
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [crate::migrate::PG_MIGRATION_LOCK.into()],
            ))
            .await
            .context("taking the migration lock on the target")?;
    }
    let filled = fill(&read, &write, &source_versions, options).await;
    let (migrated, copied) = match filled {
        Ok(done) => done,
        Err(err) => {
            // Nothing of the copy stays: the migrations (when the target had no tables) and
            // every row are in this transaction.
            write.rollback().await.ok();
            return Err(err);
        }
    };
    write.commit().await.context("committing the copy")?;
    read.commit().await.ok();
    Ok((source_versions.last().cloned(), migrated, copied))
}

/// Everything of the copy inside the target's transaction `write`: migrate a target without
/// tables, check the schemas and emptiness, copy and check every table, reset the sequences.
/// Returns whether the target was migrated, and the tables copied.
async fn fill(
    read: &DatabaseTransaction,
    write: &DatabaseTransaction,
    source_versions: &[String],
    options: &CopyOptions,
) -> Result<(bool, Vec<TableCopy>)> {
    let migrated = prepare_target(write, source_versions).await?;
    let mut tables = catalogue::read(read).await.context("the source's tables")?;
    catalogue::resolve_implicit_keys(&mut tables);
    let mut target_tables = catalogue::read(write)
        .await
        .context("the target's tables")?;
    catalogue::resolve_implicit_keys(&mut target_tables);
    match_schemas(&tables, &target_tables)?;
    refuse_rows(write, &target_tables).await?;
    let order = catalogue::dependency_order(&target_tables)?;

    let progress = crate::progress::TableBars::new(order.len() as u64, options.progress);
    let mut copied = Vec::with_capacity(order.len());
    for name in &order {
        let span = tracing::info_span!("copy.table", copy.table = %name);
        let done = copy_table(
            read,
            write,
            &target_tables[name],
            options.batch_rows,
            &progress,
        )
        .instrument(span)
        .await
        .with_context(|| format!("copying table {name}"))?;
        copied.push(done);
    }
    if write.get_database_backend() == DbBackend::Postgres {
        reset_sequences(write, &order).await?;
    }
    progress.finish();
    Ok((migrated, copied))
}

/// Copy one table and check it.
async fn copy_table(
    read: &DatabaseTransaction,
    write: &DatabaseTransaction,
    target_table: &catalogue::Table,
    batch: usize,
    progress: &crate::progress::TableBars,
) -> Result<TableCopy> {
    let started = Instant::now();
    let name = &target_table.name;
    // `match_schemas` found the same columns of the same kinds on both sides, so the target's
    // description reads the source (columns are selected by name) and writes the target.
    let table = target_table;
    let total = u64::try_from(crate::backup::row_count(read, name).await?).unwrap_or_default();
    let bar = progress.table(name, total);
    let sent = rows::copy(read, write, table, batch, &|n| {
        bar.set_position(n);
    })
    .await?;
    let landed = rows::summarise(write, table)
        .await
        .with_context(|| format!("reading {name} back from the target"))?;
    if sent.rows != landed.rows {
        bail!(
            "table {name}: {} rows read from the source, {} in the target",
            sent.rows,
            landed.rows
        );
    }
    if sent.sha256 != landed.sha256 {
        bail!(
            "table {name}: the checksum of the target's rows ({}) differs from the source's ({})",
            landed.sha256,
            sent.sha256
        );
    }
    progress.done(&bar);
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        copy.rows = sent.rows,
        copy.seconds = seconds,
        "table copied"
    );
    Ok(TableCopy {
        table: name.clone(),
        rows: sent.rows,
        sha256: sent.sha256,
        seconds,
    })
}

/// The applied migrations of `db`, in order (none when it has no ledger).
async fn versions(db: &impl ConnectionTrait) -> Result<Vec<String>> {
    let names = crate::backup::table_names(db).await?;
    if !names.iter().any(|n| n == "seaql_migrations") {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    rows.into_iter()
        .map(|row| Ok(row.try_get::<String>("", "version")?))
        .collect()
}

/// Bring the target to the source's version: migrate a target without tables (returns `true`),
/// accept one at exactly the source's version, refuse any other.
async fn prepare_target(write: &DatabaseTransaction, source: &[String]) -> Result<bool> {
    let known: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if !known.starts_with(source) {
        bail!(
            "the source is at schema version {} which this dal does not know: copy it with a \
             newer dal",
            source.last().map_or("?", String::as_str)
        );
    }
    let target = versions(write).await?;
    if target.is_empty() {
        if !crate::backup::table_names(write).await?.is_empty() {
            bail!("the target has tables but no migration ledger: copy into an empty database");
        }
        let steps = u32::try_from(source.len()).context("too many migrations")?;
        migration::Migrator::up(write, Some(steps))
            .await
            .context("migrating the target to the source's version")?;
        return Ok(true);
    }
    if target != source {
        bail!(
            "the target is at schema version {}, the source at {}: bring the target to the \
             source's version first (dal migrate up|down), or copy into an empty database",
            target.last().map_or("(none)", String::as_str),
            source.last().map_or("(none)", String::as_str)
        );
    }
    Ok(false)
}

/// The same tables with the same columns of the same kinds on both sides.
fn match_schemas(
    source: &BTreeMap<String, catalogue::Table>,
    target: &BTreeMap<String, catalogue::Table>,
) -> Result<()> {
    let only = |a: &BTreeMap<String, catalogue::Table>, b: &BTreeMap<String, catalogue::Table>| {
        a.keys()
            .filter(|k| !b.contains_key(*k))
            .cloned()
            .collect::<Vec<_>>()
    };
    let (missing, extra) = (only(source, target), only(target, source));
    if !missing.is_empty() || !extra.is_empty() {
        bail!(
            "the source and target schemas differ: only in the source: [{}]; only in the \
             target: [{}]",
            missing.join(", "),
            extra.join(", ")
        );
    }
    for (name, table) in source {
        let other = &target[name];
        for column in &table.columns {
            match other.column(&column.name) {
                Some(c) if c.kind == column.kind => {}
                Some(c) => bail!(
                    "column {name}.{}: {} in the source, {} in the target",
                    column.name,
                    column.declared,
                    c.declared
                ),
                None => bail!("column {name}.{} is missing from the target", column.name),
            }
        }
        if other.columns.len() != table.columns.len() {
            bail!("table {name} has columns in the target that the source lacks");
        }
    }
    Ok(())
}

/// Refuse a target any of whose tables has a row.
async fn refuse_rows(
    write: &DatabaseTransaction,
    tables: &BTreeMap<String, catalogue::Table>,
) -> Result<()> {
    for name in tables.keys() {
        let n = crate::backup::row_count(write, name).await?;
        if n > 0 {
            bail!(
                "the target is not empty (table {name} has {n} rows): dal copy copies into an \
                 empty database only"
            );
        }
    }
    Ok(())
}

/// Move every serial or identity sequence of `tables` to its column's maximum (the next id is
/// then max + 1; an empty table's sequence starts again at 1).
async fn reset_sequences(write: &DatabaseTransaction, tables: &[String]) -> Result<()> {
    let rows = write
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.table_name::text AS t, c.column_name::text AS c, \
             pg_get_serial_sequence(quote_ident(c.table_name::text), c.column_name::text) AS s \
             FROM information_schema.columns c \
             WHERE c.table_schema = current_schema() \
             AND pg_get_serial_sequence(quote_ident(c.table_name::text), c.column_name::text) IS NOT NULL",
        ))
        .await
        .context("listing the target's sequences")?;
    for row in rows {
        let table: String = row.try_get("", "t")?;
        let column: String = row.try_get("", "c")?;
        let sequence: String = row.try_get("", "s")?;
        if !tables.contains(&table) {
            continue;
        }
        let (t, c) = (
            crate::quoted_identifier(&table),
            crate::quoted_identifier(&column),
        );
        // Names from the catalogue, quoted; the sequence is a bound value.
        let sql = format!(
            "SELECT setval($1::regclass, COALESCE((SELECT max({c}) FROM {t}), 1), \
             (SELECT max({c}) FROM {t}) IS NOT NULL)"
        );
        write
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [sequence.into()],
            ))
            .await
            .with_context(|| format!("resetting the sequence of {table}.{column}"))?;
    }
    Ok(())
}
