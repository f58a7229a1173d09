//! `task_attachments`: files attached to tasks, optionally registered as evidence (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `task_attachments`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "task_attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub attachment_id: DbUuid,
    pub task_id: DbUuid,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub file_name: String,
    /// MIME type.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub content_type: Option<String>,
    pub file_size_bytes: Option<i64>,
    /// Object storage reference (bucket key or URL).
    #[sea_orm(column_type = "Text")]
    pub storage_path: String,
    /// Whether the file is evidence; required when `evidence_id` is set.
    pub is_evidence: bool,
    pub evidence_id: Option<DbUuid>,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    pub created_at: DbDateTime,
    #[sea_orm(belongs_to, from = "task_id", to = "task_id", on_delete = "Cascade")]
    #[serde(skip)]
    pub task: BelongsTo<super::tasks::Entity>,
    #[sea_orm(
        belongs_to,
        from = "evidence_id",
        to = "evidence_id",
        on_delete = "SetNull"
    )]
    #[serde(skip)]
    pub evidence: BelongsTo<Option<super::evidence::Entity>>,
}
