//! `schema_cache`: database schemas discovered through a connection, cached until they expire
//! (seed 003).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `schema_cache`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "schema_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    /// A hash of the connection string (64 hex characters for SHA-256), never the string itself.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub connection_string_hash: String,
    /// The discovered schema (`JSONB`).
    #[sea_orm(column_type = "JsonBinary")]
    pub schema_data: DbJson,
    pub discovered_at: Option<DbDateTime>,
    pub expires_at: DbDateTime,
    pub created_at: Option<DbDateTime>,
}
