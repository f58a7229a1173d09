#![doc = include_str!("../README.md")]

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

pub mod common;
mod m20261123_000001_create_schema_versions;
mod m20261123_000010_create_knowledge_tables;
mod m20261123_000020_create_chat_tables;
mod m20261123_000030_create_docsync_tables;
mod m20261123_000040_create_assistant_tables;
mod m20261123_000050_create_platform_tables;
mod m20261124_000010_create_content_query_index;
mod m20261201_000010_convert_sqlite_column_types;
mod m20261201_000020_create_vector_tables;
mod m20261201_000030_convert_conversation_sources;
mod m20261201_000040_widen_docsync_sizes;

/// Every migration of the workspace, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_schema_versions::Migration),
            Box::new(m20261123_000010_create_knowledge_tables::Migration),
            Box::new(m20261123_000020_create_chat_tables::Migration),
            Box::new(m20261123_000030_create_docsync_tables::Migration),
            Box::new(m20261123_000040_create_assistant_tables::Migration),
            Box::new(m20261123_000050_create_platform_tables::Migration),
            Box::new(m20261124_000010_create_content_query_index::Migration),
            Box::new(m20261201_000010_convert_sqlite_column_types::Migration),
            Box::new(m20261201_000020_create_vector_tables::Migration),
            Box::new(m20261201_000030_convert_conversation_sources::Migration),
            Box::new(m20261201_000040_widen_docsync_sizes::Migration),
        ]
    }
}
