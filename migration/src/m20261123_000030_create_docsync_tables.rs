//! The docsync system (seed 002, Documentation-Based Programming).
//!
//! The seed gives SQLAlchemy models, not DDL, so the tables are designed from them:
//! - `Integer` primary keys are auto-increment integers; `String` ids marked `# UUID` are UUIDs.
//! - `index=True` is an index named `ix_<table>_<column>` (unique where `unique=True`).
//! - Every `Enum(...)` column is NOT NULL with a CHECK of exactly the seed's values.
//! - NOT NULL where a row means nothing without the value: paths, kinds, severities, statuses,
//!   descriptions, the indexed timestamps (defaulting to now), and the `last_modified`/`size`
//!   pair that change detection compares; everything else stays nullable as SQLAlchemy leaves it.
//! - Foreign keys: the dependency and the two map tables cascade both ways (a link means nothing
//!   once either end is gone); `developer_decisions` cascades with its recommendation so the 7-day
//!   purge of recommendations takes their decisions along; `Recommendation.inconsistencies`
//!   becomes `inconsistency_records.recommendation_id`, SET NULL, so an inconsistency outlives
//!   the recommendation that covered it.
//!
//! Not implemented: `DocumentReference.design_decisions = relationship("DesignDecision",
//! back_populates="document")` names a `DesignDecision` model the seed never defines (no table,
//! no columns, no key), so there is nothing to create for it.

use sea_orm_migration::prelude::*;

use crate::common::{
    check_in, create_indexes, create_table, drop_tables, fk, forget_version, identity_pk, index,
    record_version, timestamp, timestamp_now, uuid, uuid_pk,
};

/// Creates the eight docsync tables and their indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create docsync tables: document_references, document_dependencies, \
     recommendations, inconsistency_records, inconsistency_document_map, \
     recommendation_document_map, developer_decisions, file_metadata";

/// Children first, for `down`.
const TABLES: &[&str] = &[
    "developer_decisions",
    "recommendation_document_map",
    "inconsistency_document_map",
    "inconsistency_records",
    "recommendations",
    "document_dependencies",
    "document_references",
    "file_metadata",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    #[allow(clippy::too_many_lines)]
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();

        create_table(
            manager,
            Table::create()
                .table("document_references")
                .col(identity_pk("id"))
                .col(ColumnDef::new("path").text().not_null())
                .col(ColumnDef::new("type").text().not_null())
                .col(timestamp("last_modified").not_null())
                .col(ColumnDef::new("size").integer().not_null())
                .col(ColumnDef::new("md5_digest").text().null())
                .col(ColumnDef::new("header_sections").json().null())
                .check(check_in(
                    "document_references",
                    "type",
                    &["Code", "Markdown", "Header", "Config"],
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("document_dependencies")
                .col(ColumnDef::new("source_id").integer().not_null())
                .col(ColumnDef::new("target_id").integer().not_null())
                .col(ColumnDef::new("relation_type").text().null())
                .col(ColumnDef::new("topic").text().null())
                .col(ColumnDef::new("scope").text().null())
                .primary_key(Index::create().col("source_id").col("target_id"))
                .foreign_key(&mut fk(
                    "document_dependencies",
                    "source_id",
                    "document_references",
                    "id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "document_dependencies",
                    "target_id",
                    "document_references",
                    "id",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("recommendations")
                .col(uuid_pk(b, "id"))
                .col(timestamp_now(b, "creation_timestamp"))
                .col(ColumnDef::new("title").text().not_null())
                .col(ColumnDef::new("suggested_changes").json().not_null())
                .col(ColumnDef::new("status").text().not_null().default("Active"))
                .col(ColumnDef::new("developer_feedback").text().null())
                .col(timestamp("last_codebase_change_timestamp").null())
                .check(check_in(
                    "recommendations",
                    "status",
                    &["Active", "Accepted", "Rejected", "Amended", "Invalidated"],
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("inconsistency_records")
                .col(uuid_pk(b, "id"))
                .col(timestamp_now(b, "timestamp"))
                .col(ColumnDef::new("severity").text().not_null())
                .col(ColumnDef::new("type").text().not_null())
                .col(ColumnDef::new("description").text().not_null())
                .col(ColumnDef::new("suggested_resolution").text().null())
                .col(
                    ColumnDef::new("status")
                        .text()
                        .not_null()
                        .default("Pending"),
                )
                .col(uuid("recommendation_id").null())
                .check(check_in(
                    "inconsistency_records",
                    "severity",
                    &["Critical", "Major", "Minor"],
                ))
                .check(check_in(
                    "inconsistency_records",
                    "type",
                    &["DocToDoc", "DocToCode", "DesignDecisionViolation"],
                ))
                .check(check_in(
                    "inconsistency_records",
                    "status",
                    &["Pending", "InRecommendation", "Resolved"],
                ))
                .foreign_key(&mut fk(
                    "inconsistency_records",
                    "recommendation_id",
                    "recommendations",
                    "id",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("inconsistency_document_map")
                .col(uuid("inconsistency_id").not_null())
                .col(ColumnDef::new("document_id").integer().not_null())
                .primary_key(Index::create().col("inconsistency_id").col("document_id"))
                .foreign_key(&mut fk(
                    "inconsistency_document_map",
                    "inconsistency_id",
                    "inconsistency_records",
                    "id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "inconsistency_document_map",
                    "document_id",
                    "document_references",
                    "id",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("recommendation_document_map")
                .col(uuid("recommendation_id").not_null())
                .col(ColumnDef::new("document_id").integer().not_null())
                .primary_key(Index::create().col("recommendation_id").col("document_id"))
                .foreign_key(&mut fk(
                    "recommendation_document_map",
                    "recommendation_id",
                    "recommendations",
                    "id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "recommendation_document_map",
                    "document_id",
                    "document_references",
                    "id",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("developer_decisions")
                .col(identity_pk("id"))
                .col(uuid("recommendation_id").not_null())
                .col(timestamp_now(b, "timestamp"))
                .col(ColumnDef::new("decision").text().not_null())
                .col(ColumnDef::new("comments").text().null())
                .col(timestamp("implementation_timestamp").null())
                .check(check_in(
                    "developer_decisions",
                    "decision",
                    &["Accept", "Reject", "Amend"],
                ))
                .foreign_key(&mut fk(
                    "developer_decisions",
                    "recommendation_id",
                    "recommendations",
                    "id",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("file_metadata")
                .col(identity_pk("id"))
                .col(ColumnDef::new("path").text().not_null())
                .col(ColumnDef::new("language").text().null())
                .col(timestamp("last_modified").not_null())
                .col(ColumnDef::new("size").integer().not_null())
                .col(ColumnDef::new("md5_digest").text().null())
                .col(ColumnDef::new("functions").json().null())
                .col(ColumnDef::new("classes").json().null())
                .col(ColumnDef::new("header_sections").json().null())
                .take(),
        )
        .await?;

        create_indexes(
            manager,
            [
                index(
                    "ix_document_references_path",
                    "document_references",
                    &["path"],
                )
                .unique()
                .take(),
                index(
                    "ix_document_dependencies_target_id",
                    "document_dependencies",
                    &["target_id"],
                ),
                index(
                    "ix_recommendations_creation_timestamp",
                    "recommendations",
                    &["creation_timestamp"],
                ),
                index(
                    "ix_inconsistency_records_timestamp",
                    "inconsistency_records",
                    &["timestamp"],
                ),
                index(
                    "ix_inconsistency_records_recommendation_id",
                    "inconsistency_records",
                    &["recommendation_id"],
                ),
                index(
                    "ix_inconsistency_document_map_document_id",
                    "inconsistency_document_map",
                    &["document_id"],
                ),
                index(
                    "ix_recommendation_document_map_document_id",
                    "recommendation_document_map",
                    &["document_id"],
                ),
                index(
                    "ix_developer_decisions_recommendation_id",
                    "developer_decisions",
                    &["recommendation_id"],
                ),
                index(
                    "ix_developer_decisions_timestamp",
                    "developer_decisions",
                    &["timestamp"],
                ),
                index("ix_file_metadata_path", "file_metadata", &["path"])
                    .unique()
                    .take(),
            ],
        )
        .await?;

        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        drop_tables(manager, TABLES).await
    }
}
