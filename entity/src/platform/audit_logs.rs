//! `audit_logs`: the immutable event trail (append-only: the database refuses UPDATE, DELETE
//! and, on PostgreSQL, TRUNCATE) (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `audit_logs`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub log_id: DbUuid,
    /// The acting user, as it was (no foreign key: the log outlives its actors).
    pub user_id: Option<DbUuid>,
    /// The acting agent, as it was (no foreign key: the log outlives its actors).
    pub agent_id: Option<DbUuid>,
    /// What happened (`task_created`, `code_pushed`, …): an open set.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub event_type: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub resource_type: Option<String>,
    /// The affected resource's id, as text (not every resource has a UUID).
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub resource_id: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub old_values: Option<DbJson>,
    #[sea_orm(column_type = "JsonBinary")]
    pub new_values: Option<DbJson>,
    /// IPv4 or IPv6, as text.
    #[sea_orm(column_type = "String(StringLen::N(45))")]
    pub ip_address: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub user_agent: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    /// Always `true` (CHECK `ck_audit_logs_is_immutable`).
    pub is_immutable: bool,
    pub created_at: DbDateTime,
}
