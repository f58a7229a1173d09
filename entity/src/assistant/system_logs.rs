//! `system_logs`: structured application log records (seed 003 names the table for
//! "application logging"; designed here).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::LogLevel;

/// A row of `system_logs`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "system_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    pub level: LogLevel,
    /// The logger's name (usually the module path).
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub logger: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    /// Structured fields of the record (`JSONB`).
    #[sea_orm(column_type = "JsonBinary")]
    pub context: Option<DbJson>,
    /// Formatted exception and traceback, when the record carries one.
    #[sea_orm(column_type = "Text")]
    pub exception: Option<String>,
    /// The session the record was logged for (set to NULL when that session is purged).
    pub user_session_id: Option<DbUuid>,
    /// Correlates the records of one request.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub request_id: Option<String>,
    pub created_at: DbDateTime,
    #[sea_orm(belongs_to, from = "user_session_id", to = "id", on_delete = "SetNull")]
    #[serde(skip)]
    pub user_session: BelongsTo<Option<super::user_sessions::Entity>>,
}
