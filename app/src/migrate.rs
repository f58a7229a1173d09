//! Running migrations safely from the `dal` tool: one process at a time, all-or-nothing.
//!
//! `up`, `down`, `refresh` and `reset` run inside one write transaction that first takes a lock:
//! `pg_advisory_xact_lock` on PostgreSQL, `BEGIN IMMEDIATE` (the single writer lock) on SQLite.
//! A second `dal migrate` started meanwhile waits, then finds nothing left to do. Each migration
//! still records itself in `seaql_migrations` and `schema_versions`; a failure rolls back the
//! whole batch. `fresh` rolls every known migration back (children before parents, which SQLite
//! needs for tables with two cascading parents), drops any table left over, then applies every
//! migration, all in that same locked transaction.

use anyhow::{Context, Result};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Arbitrary, fixed key of the PostgreSQL advisory lock that serialises migrations.
pub(crate) const PG_MIGRATION_LOCK: i64 = 0x6461_6c5f_6d69_6772; // "dal_migr"

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
        Action::Fresh => {
            Migrator::down(&txn, None)
                .await
                .context("migrate fresh (down)")?;
            drop_leftover_tables(&txn)
                .await
                .context("migrate fresh (drop leftover tables)")?;
            Migrator::up(&txn, None)
                .await
                .context("migrate fresh (up)")?;
        }
    }
    txn.commit().await.context("commit migrations")?;
    Ok(())
}

/// Drop every table but the migration ledger (tables no migration knows about).
async fn drop_leftover_tables(txn: &sea_orm::DatabaseTransaction) -> Result<()> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_type = 'BASE TABLE' AND table_name <> 'seaql_migrations'"
        }
    };
    for row in txn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let name: String = row.try_get("", "name")?;
        // The name comes from the catalogue, not from input; quoted as an identifier.
        let quoted = crate::quoted_identifier(&name);
        let cascade = if backend == DbBackend::Postgres {
            " CASCADE"
        } else {
            ""
        };
        txn.execute_unprepared(&format!("DROP TABLE IF EXISTS {quoted}{cascade}"))
            .await?;
    }
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
