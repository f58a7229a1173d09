#![doc = include_str!("../README.md")]

pub use sea_orm_migration::prelude::*;

pub mod common;
mod m20261123_000001_create_schema_versions;
mod m20261123_000010_create_knowledge_tables;

/// Every migration of the workspace, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_schema_versions::Migration),
            Box::new(m20261123_000010_create_knowledge_tables::Migration),
        ]
    }
}
