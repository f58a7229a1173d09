//! The assistant system (placeholder: its tables are being written).

use sea_orm_migration::prelude::*;

use crate::common::{forget_version, record_version};

/// Creates the assistant tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create assistant tables";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await
    }
}
