//! `schema_versions` (seed 000): the ledger of applied migrations with their descriptions.

use sea_orm_migration::prelude::*;

use crate::common::{forget_version, record_version, timestamp_now};

/// Creates `schema_versions` and records itself in it.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create schema_versions, the ledger of applied schema versions";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("schema_versions")
                    .col(ColumnDef::new("version_id").text().not_null().primary_key())
                    .col(timestamp_now(backend, "applied_at"))
                    .col(ColumnDef::new("description").text().null())
                    .col(ColumnDef::new("migration_script").text().null())
                    .take(),
            )
            .await?;
        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        manager
            .drop_table(Table::drop().table("schema_versions").take())
            .await
    }
}
