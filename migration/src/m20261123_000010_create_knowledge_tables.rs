//! The knowledge system (seed 000, PRD-002), exactly as the seed's DDL writes it.

use sea_orm_migration::prelude::*;

use crate::common::{
    check_between, check_in, check_in_or_null, create_indexes, create_table, drop_tables, fk,
    forget_version, index, record_version, timestamp, timestamp_now,
};

/// Creates the seven knowledge tables and their indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create knowledge tables: system_config, search_cache, content_metadata, \
     feedback_events, usage_signals, source_metadata, technology_mappings";

/// Children first, for `down`.
const TABLES: &[&str] = &[
    "usage_signals",
    "feedback_events",
    "technology_mappings",
    "source_metadata",
    "content_metadata",
    "search_cache",
    "system_config",
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
                .table("system_config")
                .col(ColumnDef::new("key").text().not_null().primary_key())
                .col(ColumnDef::new("value").json().not_null())
                .col(
                    ColumnDef::new("schema_version")
                        .text()
                        .not_null()
                        .default("1.0"),
                )
                .col(timestamp_now(b, "updated_at"))
                .col(
                    ColumnDef::new("updated_by")
                        .text()
                        .not_null()
                        .default("system"),
                )
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("search_cache")
                .col(ColumnDef::new("query_hash").text().not_null().primary_key())
                .col(ColumnDef::new("original_query").text().not_null())
                .col(ColumnDef::new("search_results").json().not_null())
                .col(ColumnDef::new("technology_hint").text().null())
                .col(ColumnDef::new("workspace_slugs").json().null())
                .col(
                    ColumnDef::new("result_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("execution_time_ms")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("cache_hit")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(timestamp_now(b, "created_at"))
                .col(timestamp("expires_at").not_null())
                .col(
                    ColumnDef::new("access_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(timestamp_now(b, "last_accessed_at"))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("content_metadata")
                .col(ColumnDef::new("content_id").text().not_null().primary_key())
                .col(ColumnDef::new("title").text().not_null())
                .col(ColumnDef::new("source_url").text().not_null())
                .col(ColumnDef::new("technology").text().not_null())
                .col(
                    ColumnDef::new("content_hash")
                        .text()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("word_count").integer().not_null().default(0))
                .col(
                    ColumnDef::new("heading_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("code_block_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("chunk_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("quality_score")
                        .double()
                        .not_null()
                        .default(0.0),
                )
                .col(
                    ColumnDef::new("freshness_score")
                        .double()
                        .not_null()
                        .default(1.0),
                )
                .col(
                    ColumnDef::new("processing_status")
                        .text()
                        .not_null()
                        .default("pending"),
                )
                .col(ColumnDef::new("anythingllm_workspace").text().null())
                .col(ColumnDef::new("anythingllm_document_id").text().null())
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .col(timestamp("last_accessed_at").null())
                .col(
                    ColumnDef::new("access_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .check(check_between("content_metadata", "quality_score", 0.0, 1.0))
                .check(check_between(
                    "content_metadata",
                    "freshness_score",
                    0.0,
                    1.0,
                ))
                .check(check_in(
                    "content_metadata",
                    "processing_status",
                    &["pending", "processing", "completed", "failed", "flagged"],
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("feedback_events")
                .col(ColumnDef::new("event_id").text().not_null().primary_key())
                .col(ColumnDef::new("content_id").text().not_null())
                .col(ColumnDef::new("feedback_type").text().not_null())
                .col(ColumnDef::new("rating").integer().null())
                .col(ColumnDef::new("comment").text().null())
                .col(ColumnDef::new("user_session_id").text().null())
                .col(ColumnDef::new("ip_address").text().null())
                .col(ColumnDef::new("user_agent").text().null())
                .col(ColumnDef::new("search_query").text().null())
                .col(ColumnDef::new("result_position").integer().null())
                .col(timestamp_now(b, "created_at"))
                .check(check_in(
                    "feedback_events",
                    "feedback_type",
                    &["helpful", "not_helpful", "outdated", "incorrect", "flag"],
                ))
                .check(check_between("feedback_events", "rating", 1, 5))
                .foreign_key(&mut fk(
                    "feedback_events",
                    "content_id",
                    "content_metadata",
                    "content_id",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("usage_signals")
                .col(ColumnDef::new("signal_id").text().not_null().primary_key())
                .col(ColumnDef::new("content_id").text().not_null())
                .col(ColumnDef::new("signal_type").text().not_null())
                .col(
                    ColumnDef::new("signal_value")
                        .double()
                        .not_null()
                        .default(0.0),
                )
                .col(ColumnDef::new("search_query").text().null())
                .col(ColumnDef::new("result_position").integer().null())
                .col(ColumnDef::new("user_session_id").text().null())
                .col(ColumnDef::new("ip_address").text().null())
                .col(ColumnDef::new("user_agent").text().null())
                .col(ColumnDef::new("referrer").text().null())
                .col(timestamp_now(b, "created_at"))
                .check(check_in(
                    "usage_signals",
                    "signal_type",
                    &["click", "dwell_time", "copy", "share", "scroll_depth"],
                ))
                .foreign_key(&mut fk(
                    "usage_signals",
                    "content_id",
                    "content_metadata",
                    "content_id",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("source_metadata")
                .col(ColumnDef::new("source_id").text().not_null().primary_key())
                .col(ColumnDef::new("source_type").text().not_null())
                .col(ColumnDef::new("source_url").text().not_null())
                .col(ColumnDef::new("technology").text().not_null())
                .col(
                    ColumnDef::new("reliability_score")
                        .double()
                        .not_null()
                        .default(1.0),
                )
                .col(
                    ColumnDef::new("avg_processing_time_ms")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("total_documents_processed")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(timestamp("last_successful_fetch").null())
                .col(timestamp("last_failed_fetch").null())
                .col(
                    ColumnDef::new("consecutive_failures")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("rate_limit_status")
                        .text()
                        .null()
                        .default("normal"),
                )
                .col(timestamp("rate_limit_reset_at").null())
                .col(
                    ColumnDef::new("avg_content_quality")
                        .double()
                        .null()
                        .default(0.0),
                )
                .col(
                    ColumnDef::new("is_active")
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .check(check_in(
                    "source_metadata",
                    "source_type",
                    &["github", "web", "api"],
                ))
                .check(check_between(
                    "source_metadata",
                    "reliability_score",
                    0.0,
                    1.0,
                ))
                .check(check_in_or_null(
                    "source_metadata",
                    "rate_limit_status",
                    &["normal", "limited", "exhausted"],
                ))
                .check(check_between(
                    "source_metadata",
                    "avg_content_quality",
                    0.0,
                    1.0,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("technology_mappings")
                .col(ColumnDef::new("mapping_id").text().not_null().primary_key())
                .col(ColumnDef::new("technology").text().not_null())
                .col(ColumnDef::new("source_type").text().not_null())
                .col(ColumnDef::new("owner").text().null())
                .col(ColumnDef::new("repo").text().null())
                .col(
                    ColumnDef::new("docs_path")
                        .text()
                        .not_null()
                        .default("docs"),
                )
                .col(
                    ColumnDef::new("file_patterns")
                        .json()
                        .not_null()
                        .default(r#"["*.md", "*.mdx"]"#),
                )
                .col(ColumnDef::new("base_url").text().null())
                .col(ColumnDef::new("priority").integer().not_null().default(1))
                .col(
                    ColumnDef::new("is_official")
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(timestamp("last_updated").null())
                .col(
                    ColumnDef::new("update_frequency_hours")
                        .integer()
                        .not_null()
                        .default(24),
                )
                .col(
                    ColumnDef::new("is_active")
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .check(check_in(
                    "technology_mappings",
                    "source_type",
                    &["github", "web"],
                ))
                .index(
                    Index::create()
                        .name("uq_technology_mappings_source")
                        .unique()
                        .col("technology")
                        .col("source_type")
                        .col("owner")
                        .col("repo")
                        .col("base_url"),
                )
                .take(),
        )
        .await?;

        create_indexes(
            manager,
            [
                index(
                    "idx_search_cache_expires_at",
                    "search_cache",
                    &["expires_at"],
                ),
                index(
                    "idx_search_cache_technology_hint",
                    "search_cache",
                    &["technology_hint"],
                ),
                index(
                    "idx_search_cache_created_at",
                    "search_cache",
                    &["created_at"],
                ),
                index(
                    "idx_content_metadata_technology",
                    "content_metadata",
                    &["technology"],
                ),
                index(
                    "idx_content_metadata_source_url",
                    "content_metadata",
                    &["source_url"],
                ),
                index(
                    "idx_content_metadata_content_hash",
                    "content_metadata",
                    &["content_hash"],
                ),
                index(
                    "idx_content_metadata_quality_score",
                    "content_metadata",
                    &["quality_score"],
                ),
                index(
                    "idx_content_metadata_processing_status",
                    "content_metadata",
                    &["processing_status"],
                ),
                index(
                    "idx_content_metadata_created_at",
                    "content_metadata",
                    &["created_at"],
                ),
                index(
                    "idx_content_metadata_last_accessed_at",
                    "content_metadata",
                    &["last_accessed_at"],
                ),
                index(
                    "idx_feedback_events_content_id",
                    "feedback_events",
                    &["content_id"],
                ),
                index(
                    "idx_feedback_events_feedback_type",
                    "feedback_events",
                    &["feedback_type"],
                ),
                index(
                    "idx_feedback_events_created_at",
                    "feedback_events",
                    &["created_at"],
                ),
                index(
                    "idx_feedback_events_user_session_id",
                    "feedback_events",
                    &["user_session_id"],
                ),
                index(
                    "idx_usage_signals_content_id",
                    "usage_signals",
                    &["content_id"],
                ),
                index(
                    "idx_usage_signals_signal_type",
                    "usage_signals",
                    &["signal_type"],
                ),
                index(
                    "idx_usage_signals_created_at",
                    "usage_signals",
                    &["created_at"],
                ),
                index(
                    "idx_usage_signals_user_session_id",
                    "usage_signals",
                    &["user_session_id"],
                ),
                index(
                    "idx_source_metadata_source_type",
                    "source_metadata",
                    &["source_type"],
                ),
                index(
                    "idx_source_metadata_technology",
                    "source_metadata",
                    &["technology"],
                ),
                index(
                    "idx_source_metadata_reliability_score",
                    "source_metadata",
                    &["reliability_score"],
                ),
                index(
                    "idx_source_metadata_is_active",
                    "source_metadata",
                    &["is_active"],
                ),
                index(
                    "idx_source_metadata_updated_at",
                    "source_metadata",
                    &["updated_at"],
                ),
                index(
                    "idx_technology_mappings_technology",
                    "technology_mappings",
                    &["technology"],
                ),
                index(
                    "idx_technology_mappings_source_type",
                    "technology_mappings",
                    &["source_type"],
                ),
                index(
                    "idx_technology_mappings_priority",
                    "technology_mappings",
                    &["priority"],
                ),
                index(
                    "idx_technology_mappings_is_active",
                    "technology_mappings",
                    &["is_active"],
                ),
                index(
                    "idx_technology_mappings_is_official",
                    "technology_mappings",
                    &["is_official"],
                ),
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
