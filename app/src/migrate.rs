//! Running migrations safely from the `dal` tool: one process at a time, all-or-nothing.
//!
//! `up`, `down`, `refresh` and `reset` run inside one write transaction that first takes a lock:
//! `pg_advisory_xact_lock` on PostgreSQL, `BEGIN IMMEDIATE` (the single writer lock) on SQLite.
//! A second `dal migrate` started meanwhile waits, then finds nothing left to do. Each migration
//! still records itself in `seaql_migrations` and `schema_versions`; a failure rolls back the
//! whole batch. `fresh` (drop everything, then `up`) is a development command and takes no lock.

use anyhow::{Context, Result};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Arbitrary, fixed key of the PostgreSQL advisory lock that serialises migrations.
const PG_MIGRATION_LOCK: i64 = 0x6461_6c5f_6d69_6772; // "dal_migr"

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Apply pending migrations (all, or this many).
    Up(Option<u32>),
    /// Roll back this many applied migrations (default 1).
    Down(Option<u32>),
    /// Roll back everything, then apply everything.
    Refresh,
    /// Roll back everything.
    Reset,
    /// Drop every table, then apply everything.
    Fresh,
}

/// Run `action` against `conn`, holding the migration lock.
///
/// # Errors
/// The migration that failed; nothing of the batch is kept.
pub async fn run(conn: &DatabaseConnection, action: Action) -> Result<()> {
    if action == Action::Fresh {
        return Migrator::fresh(conn).await.context("migrate fresh");
    }
    let txn = repository::begin_write(conn)
        .await
        .context("begin migration transaction")?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [PG_MIGRATION_LOCK.into()],
        ))
        .await
        .context("take the migration lock")?;
    }
    match action {
        Action::Up(steps) => Migrator::up(&txn, steps).await.context("migrate up")?,
        Action::Down(steps) => Migrator::down(&txn, Some(steps.unwrap_or(1)))
            .await
            .context("migrate down")?,
        Action::Refresh => {
            Migrator::down(&txn, None)
                .await
                .context("migrate refresh (down)")?;
            Migrator::up(&txn, None)
                .await
                .context("migrate refresh (up)")?;
        }
        Action::Reset => Migrator::down(&txn, None).await.context("migrate reset")?,
        Action::Fresh => unreachable!("handled above"),
    }
    txn.commit().await.context("commit migrations")?;
    Ok(())
}

/// One migration and whether it is applied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationState {
    /// Its name (`mYYYYMMDD_HHMMSS_verb_object`).
    pub name: String,
    /// Applied to this database.
    pub applied: bool,
}

/// Every migration the binary knows, in order, with its state in `conn`.
///
/// # Errors
/// The database error.
pub async fn states(conn: &DatabaseConnection) -> Result<Vec<MigrationState>> {
    Ok(Migrator::get_migration_with_status_read_only(conn)
        .await
        .context("read migration status")?
        .into_iter()
        .map(|m| MigrationState {
            name: m.name().to_owned(),
            applied: m.status() == migration::MigrationStatus::Applied,
        })
        .collect())
}
