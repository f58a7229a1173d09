//! The assistant system (seed 003, "Section 2: Database Layer Implementation").
//!
//! `query_history`, `document_metadata`, `schema_cache` and `performance_metrics` are exactly as
//! the seed's DDL writes them, with every index of its "Indexes for Performance" under the seed's
//! names. In particular, as written:
//! - timestamps are `TIMESTAMP DEFAULT NOW()`, so nullable (only `schema_cache.expires_at` is
//!   `NOT NULL`), and `cache_hit BOOLEAN DEFAULT FALSE` and `processing_status VARCHAR(20)
//!   DEFAULT 'pending'` are nullable too;
//! - `query_type` and `processing_status` have no CHECK: the seed lists no values for them;
//! - `query_history.user_session_id` and `document_metadata.user_session_id` are plain `UUID`
//!   columns with no foreign key (the seed declares none, so a row may name a session that
//!   `user_sessions` does not hold, e.g. one kept only in the Redis session store);
//! - `performance_metrics.query_id REFERENCES query_history(id)` has no ON DELETE, so NO ACTION:
//!   a query that has metrics cannot be deleted before them.
//!
//! `user_sessions` and `system_logs` are only named by the seed ("session management",
//! "application logging"); they are designed here from its "key features" (timestamps on every
//! record, soft delete where needed, JSON fields, indexes for the queries that will run):
//! - `user_sessions` stores a SHA-256 of the session token (like the seed's own
//!   `connection_string_hash`), never the token; `expires_at` is required, `is_active` marks
//!   logout or revocation, `deleted_at` is the soft delete, and the clean-up queries (expired,
//!   inactive, idle, soft-deleted since) each have an index;
//! - `system_logs.level` is CHECKed against the standard level names; `user_session_id`
//!   references `user_sessions(id)` ON DELETE SET NULL, so that purging a session (the hard
//!   delete that follows its soft delete) keeps its log records as an audit trail;
//! - timestamps of these two tables are `NOT NULL DEFAULT now`: every record has them.

use sea_orm_migration::prelude::*;

use crate::common::{
    check_in, create_indexes, create_table, drop_tables, fk, forget_version, index, record_version,
    timestamp, timestamp_now, timestamp_now_null, uuid, uuid_pk,
};

/// Creates the six assistant tables and their indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create assistant tables: query_history, document_metadata, \
     schema_cache, performance_metrics, user_sessions, system_logs";

/// Children first, for `down`.
const TABLES: &[&str] = &[
    "system_logs",
    "user_sessions",
    "performance_metrics",
    "query_history",
    "document_metadata",
    "schema_cache",
];

/// `system_logs.level`: the standard logging level names.
const LOG_LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

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
                .table("query_history")
                .col(uuid_pk(b, "id"))
                .col(ColumnDef::new("query_text").text().not_null())
                .col(ColumnDef::new("query_type").string_len(20).not_null())
                .col(ColumnDef::new("response_time").double().not_null())
                .col(ColumnDef::new("cache_hit").boolean().null().default(false))
                .col(uuid("user_session_id").null())
                .col(timestamp_now_null(b, "created_at"))
                .col(timestamp_now_null(b, "updated_at"))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("document_metadata")
                .col(uuid_pk(b, "id"))
                .col(ColumnDef::new("filename").string_len(255).not_null())
                .col(ColumnDef::new("file_type").string_len(50).not_null())
                .col(ColumnDef::new("file_size").big_integer().not_null())
                .col(timestamp_now_null(b, "upload_date"))
                .col(
                    ColumnDef::new("processing_status")
                        .string_len(20)
                        .null()
                        .default("pending"),
                )
                .col(
                    ColumnDef::new("chroma_id")
                        .string_len(255)
                        .null()
                        .unique_key(),
                )
                .col(uuid("user_session_id").null())
                .col(timestamp_now_null(b, "created_at"))
                .col(timestamp_now_null(b, "updated_at"))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("schema_cache")
                .col(uuid_pk(b, "id"))
                .col(
                    ColumnDef::new("connection_string_hash")
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new("schema_data").json_binary().not_null())
                .col(timestamp_now_null(b, "discovered_at"))
                .col(timestamp("expires_at").not_null())
                .col(timestamp_now_null(b, "created_at"))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("performance_metrics")
                .col(uuid_pk(b, "id"))
                .col(uuid("query_id").null())
                .col(ColumnDef::new("metric_name").string_len(50).not_null())
                .col(ColumnDef::new("metric_value").double().not_null())
                .col(timestamp_now_null(b, "recorded_at"))
                .foreign_key(&mut fk(
                    "performance_metrics",
                    "query_id",
                    "query_history",
                    "id",
                    ForeignKeyAction::NoAction,
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("user_sessions")
                .col(uuid_pk(b, "id"))
                .col(
                    ColumnDef::new("session_token_hash")
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("user_identifier").string_len(255).null())
                .col(ColumnDef::new("ip_address").string_len(45).null())
                .col(ColumnDef::new("user_agent").text().null())
                .col(
                    ColumnDef::new("session_data")
                        .json_binary()
                        .not_null()
                        .default("{}"),
                )
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "last_activity_at"))
                .col(timestamp("expires_at").not_null())
                .col(
                    ColumnDef::new("is_active")
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(timestamp("deleted_at").null())
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("system_logs")
                .col(uuid_pk(b, "id"))
                .col(ColumnDef::new("level").string_len(10).not_null())
                .col(ColumnDef::new("logger").string_len(255).not_null())
                .col(ColumnDef::new("message").text().not_null())
                .col(ColumnDef::new("context").json_binary().null())
                .col(ColumnDef::new("exception").text().null())
                .col(uuid("user_session_id").null())
                .col(ColumnDef::new("request_id").string_len(64).null())
                .col(timestamp_now(b, "created_at"))
                .check(check_in("system_logs", "level", LOG_LEVELS))
                .foreign_key(&mut fk(
                    "system_logs",
                    "user_session_id",
                    "user_sessions",
                    "id",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;

        create_indexes(
            manager,
            [
                // The seed's "Indexes for Performance", as written.
                index(
                    "idx_query_history_created_at",
                    "query_history",
                    &["created_at"],
                ),
                index(
                    "idx_query_history_query_type",
                    "query_history",
                    &["query_type"],
                ),
                index(
                    "idx_query_history_user_session",
                    "query_history",
                    &["user_session_id"],
                ),
                index(
                    "idx_document_metadata_file_type",
                    "document_metadata",
                    &["file_type"],
                ),
                index(
                    "idx_document_metadata_processing_status",
                    "document_metadata",
                    &["processing_status"],
                ),
                index(
                    "idx_document_metadata_user_session",
                    "document_metadata",
                    &["user_session_id"],
                ),
                index(
                    "idx_schema_cache_connection_hash",
                    "schema_cache",
                    &["connection_string_hash"],
                ),
                index(
                    "idx_schema_cache_expires_at",
                    "schema_cache",
                    &["expires_at"],
                ),
                index(
                    "idx_performance_metrics_query_id",
                    "performance_metrics",
                    &["query_id"],
                ),
                index(
                    "idx_performance_metrics_metric_name",
                    "performance_metrics",
                    &["metric_name"],
                ),
                index(
                    "idx_performance_metrics_recorded_at",
                    "performance_metrics",
                    &["recorded_at"],
                ),
                // Designed: the queries of session clean-up and look-up.
                index(
                    "idx_user_sessions_expires_at",
                    "user_sessions",
                    &["expires_at"],
                ),
                index(
                    "idx_user_sessions_is_active",
                    "user_sessions",
                    &["is_active"],
                ),
                index(
                    "idx_user_sessions_last_activity_at",
                    "user_sessions",
                    &["last_activity_at"],
                ),
                index(
                    "idx_user_sessions_user_identifier",
                    "user_sessions",
                    &["user_identifier"],
                ),
                // Only soft-deleted rows, for the purge that follows a soft delete.
                Index::create()
                    .name("idx_user_sessions_deleted_at")
                    .table("user_sessions")
                    .col("deleted_at")
                    .and_where(Expr::col("deleted_at").is_not_null())
                    .take(),
                // Designed: filtering logs by level, time, session (the FK) and request.
                index("idx_system_logs_level", "system_logs", &["level"]),
                index("idx_system_logs_created_at", "system_logs", &["created_at"]),
                index(
                    "idx_system_logs_user_session_id",
                    "system_logs",
                    &["user_session_id"],
                ),
                index("idx_system_logs_request_id", "system_logs", &["request_id"]),
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
