//! Seed 002 declares `size = Column(Integer)` for `document_references` and `file_metadata`; the
//! tables were created with `INTEGER`, which is 64-bit on SQLite but `int4` on PostgreSQL, where
//! a file of 2 GiB or more would not fit. Change detection stores byte sizes of any file, so on
//! PostgreSQL both columns become `BIGINT` (a deliberate deviation from the seed's `Integer`,
//! listed where the schema tests list deviations).
//!
//! - SQLite: nothing to change (its `INTEGER` already holds 8 bytes); the version is recorded.
//! - PostgreSQL: `ALTER COLUMN size TYPE BIGINT` on both tables (NOT NULL is kept).
//! - `down` on PostgreSQL narrows them back to `INTEGER`; it fails (and changes nothing, the
//!   migration runs in a transaction) while a stored size does not fit in 32 bits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::common::{forget_version, raw, record_version};

/// Widens the docsync `size` columns to 64 bits on PostgreSQL.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str =
    "widen document_references.size and file_metadata.size to BIGINT (PostgreSQL)";

/// The docsync tables with a `size` column.
const TABLES: &[&str] = &["document_references", "file_metadata"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in TABLES {
                raw(
                    manager,
                    &format!("ALTER TABLE \"{table}\" ALTER COLUMN \"size\" TYPE BIGINT"),
                )
                .await?;
            }
        }
        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in TABLES {
                raw(
                    manager,
                    &format!("ALTER TABLE \"{table}\" ALTER COLUMN \"size\" TYPE INTEGER"),
                )
                .await?;
            }
        }
        Ok(())
    }
}
