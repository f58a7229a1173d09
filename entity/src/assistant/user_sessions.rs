//! `user_sessions`: durable records of user sessions (seed 003 names the table for "session
//! management"; designed here), soft-deleted through `deleted_at`.

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `user_sessions`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_sessions")]
pub struct Model {
    /// The session id (the one `query_history`/`document_metadata.user_session_id` carry).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    /// SHA-256 (64 hex characters) of the bearer token: the token itself is never stored.
    #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
    pub session_token_hash: String,
    /// Who the session belongs to, as the authenticating layer names them (`None` = anonymous).
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub user_identifier: Option<String>,
    /// Client address, IPv4 or IPv6 text (at most 45 characters).
    #[sea_orm(column_type = "String(StringLen::N(45))")]
    pub ip_address: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub user_agent: Option<String>,
    /// Free-form session state (`JSONB`, `{}` by default).
    #[sea_orm(column_type = "JsonBinary")]
    pub session_data: DbJson,
    pub created_at: DbDateTime,
    pub last_activity_at: DbDateTime,
    pub expires_at: DbDateTime,
    /// `false` once logged out or revoked.
    pub is_active: bool,
    /// Soft delete: set instead of deleting the row; purged later.
    pub deleted_at: Option<DbDateTime>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub system_logs: HasMany<super::system_logs::Entity>,
}
