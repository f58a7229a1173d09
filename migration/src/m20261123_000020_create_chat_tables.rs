//! The chat system (seed 001, DocRag), exactly as the seed's DDL writes it: three tables with no
//! foreign keys (sessions and vector-store documents are managed outside the database), the
//! "Database Constraints" CHECKs under the seed's names, and every index of the "Indexes",
//! "Performance Indexes" and "Partial Indexes" sections under the seed's names.
//!
//! Where this differs from the seed's text, and why:
//! - The seed adds its CHECKs with `ALTER TABLE ... ADD CONSTRAINT`; SQLite cannot add a
//!   constraint to an existing table, so they are declared inside `CREATE TABLE`, keeping their
//!   names and expressions.
//! - `idx_rate_limit_active ... WHERE reset_time > NOW()` cannot be built: PostgreSQL refuses it
//!   ("functions in index predicate must be marked IMMUTABLE", for `NOW()` and
//!   `CURRENT_TIMESTAMP` alike) and SQLite has no `NOW()`, refuses `CURRENT_TIMESTAMP`
//!   ("non-deterministic functions prohibited in partial index WHERE clauses") and, given
//!   `datetime('now')`, creates the index but then fails every write ("non-deterministic use of
//!   datetime() in an index"). A predicate is evaluated when a row is written, never again, so
//!   "active" could not stay true anyway. It is built as a plain index under the same name on
//!   `(ip_address, request_count, reset_time)`: the seed's columns in the seed's order, followed by
//!   the predicate's column, so that "active limits of this address" (`reset_time > now`, with
//!   `now` bound by the application) is answered from the index alone.
//! - `SERIAL` is written as `serial` on PostgreSQL and `INTEGER PRIMARY KEY AUTOINCREMENT` on
//!   SQLite (see [`serial_pk`]).
//! - `TIMESTAMP` columns use the project's timestamp type (`timestamptz` on PostgreSQL, RFC 3339
//!   text on SQLite, see `common`), keeping the seed's nullability and `CURRENT_TIMESTAMP` default.

use sea_orm_migration::prelude::*;

use crate::common::{
    create_indexes, create_table, drop_tables, forget_version, index, record_version, serial_pk,
    timestamp_now_null,
};

/// Creates the three chat tables and their indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create chat tables: conversation, document_chunk, rate_limit";

/// For `down` (no foreign keys between them).
const TABLES: &[&str] = &["rate_limit", "document_chunk", "conversation"];

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
                .table("conversation")
                .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                .col(ColumnDef::new("session_id").string_len(36).not_null())
                .col(ColumnDef::new("user_query").text().not_null())
                .col(ColumnDef::new("ai_response").text().not_null())
                .col(ColumnDef::new("sources").text().null())
                .col(ColumnDef::new("response_time").double().null())
                .col(timestamp_now_null(b, "created_at"))
                .col(ColumnDef::new("feedback").integer().null())
                .check((
                    "check_positive_response_time",
                    Expr::col("response_time")
                        .is_null()
                        .or(Expr::col("response_time").gte(0)),
                ))
                .check((
                    "check_valid_feedback",
                    Expr::col("feedback")
                        .is_null()
                        .or(Expr::col("feedback").is_in([-1, 1])),
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("document_chunk")
                .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                .col(ColumnDef::new("source_url").string_len(500).not_null())
                .col(ColumnDef::new("title").string_len(200).null())
                .col(ColumnDef::new("content").text().not_null())
                .col(ColumnDef::new("chunk_index").integer().not_null())
                .col(ColumnDef::new("doc_type").string_len(50).null())
                .col(ColumnDef::new("version").string_len(20).null())
                .col(ColumnDef::new("embedding_id").string_len(100).null())
                .col(ColumnDef::new("content_hash").string_len(64).null())
                .col(timestamp_now_null(b, "created_at"))
                .col(timestamp_now_null(b, "updated_at"))
                .check((
                    "check_chunk_index_non_negative",
                    Expr::col("chunk_index").gte(0),
                ))
                // As the seed writes it: a NULL doc_type passes (NULL IN (...) is not false).
                .check((
                    "check_valid_doc_type",
                    Expr::col("doc_type").is_in(["react", "python", "fastapi"]),
                ))
                .take(),
        )
        .await?;

        create_table(
            manager,
            Table::create()
                .table("rate_limit")
                .col(serial_pk(b, "id"))
                .col(
                    ColumnDef::new("ip_address")
                        .string_len(45)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new("request_count").integer().null().default(0))
                .col(timestamp_now_null(b, "last_request"))
                .col(timestamp_now_null(b, "reset_time"))
                .take(),
        )
        .await?;

        create_indexes(
            manager,
            [
                // Indexes
                index(
                    "idx_conversation_session_id",
                    "conversation",
                    &["session_id"],
                ),
                index(
                    "idx_conversation_created_at",
                    "conversation",
                    &["created_at"],
                ),
                Index::create()
                    .name("idx_conversation_feedback")
                    .table("conversation")
                    .col("feedback")
                    .and_where(Expr::col("feedback").is_not_null())
                    .take(),
                index(
                    "idx_document_chunk_source_url",
                    "document_chunk",
                    &["source_url"],
                ),
                index(
                    "idx_document_chunk_content_hash",
                    "document_chunk",
                    &["content_hash"],
                ),
                index(
                    "idx_document_chunk_doc_type",
                    "document_chunk",
                    &["doc_type"],
                ),
                index(
                    "idx_document_chunk_embedding_id",
                    "document_chunk",
                    &["embedding_id"],
                ),
                index(
                    "idx_document_chunk_unique_content",
                    "document_chunk",
                    &["content_hash"],
                )
                .unique()
                .take(),
                index("idx_rate_limit_ip_address", "rate_limit", &["ip_address"])
                    .unique()
                    .take(),
                index("idx_rate_limit_reset_time", "rate_limit", &["reset_time"]),
                // Performance Indexes
                Index::create()
                    .name("idx_conversation_session_created")
                    .table("conversation")
                    .col("session_id")
                    .col(("created_at", IndexOrder::Desc))
                    .take(),
                index(
                    "idx_document_chunk_type_url",
                    "document_chunk",
                    &["doc_type", "source_url"],
                ),
                index(
                    "idx_rate_limit_ip_reset",
                    "rate_limit",
                    &["ip_address", "reset_time"],
                ),
                // Partial Indexes
                Index::create()
                    .name("idx_conversation_feedback_only")
                    .table("conversation")
                    .col("feedback")
                    .col("created_at")
                    .and_where(Expr::col("feedback").is_not_null())
                    .take(),
                // The seed's `WHERE reset_time > NOW()` cannot be built on either backend (see
                // the module documentation): a plain index under the same name, with the
                // predicate's column appended so the application's `reset_time > $now` is
                // answered from the index.
                index(
                    "idx_rate_limit_active",
                    "rate_limit",
                    &["ip_address", "request_count", "reset_time"],
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
