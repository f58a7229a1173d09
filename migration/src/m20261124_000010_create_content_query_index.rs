//! An index beyond seed 000 for the catalog's hot listing: rows of one technology at or above a
//! quality threshold, best first (`ContentRepository::list` with `ContentOrder::QualityDesc`).
//!
//! With only the seed's single-column indexes the planner reads every row of the technology
//! (a twelfth of the table) and sorts it for each page; this index hands the first page over in
//! order, so the query costs the same at 100,000 rows as at 1,000,000.

use sea_orm_migration::prelude::*;

use crate::common::{forget_version, record_version};

/// Creates `idx_content_metadata_technology_quality`.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = concat!(
    "index content_metadata (technology, quality_score DESC, content_id) ",
    "for quality-ordered listings"
);

const INDEX: &str = "idx_content_metadata_technology_quality";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("content_metadata")
                    .col("technology")
                    .col(("quality_score", IndexOrder::Desc))
                    .col("content_id")
                    .take(),
            )
            .await?;
        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table("content_metadata")
                    .to_owned(),
            )
            .await
    }
}
