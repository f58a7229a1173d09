//! `search_cache`: cached search queries and their results (PRD-009).

use crate::{DbDateTime, DbJson};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `search_cache`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "search_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub query_hash: String,
    pub original_query: String,
    pub search_results: DbJson,
    pub technology_hint: Option<String>,
    pub workspace_slugs: Option<DbJson>,
    pub result_count: i32,
    pub execution_time_ms: i32,
    pub cache_hit: bool,
    pub created_at: DbDateTime,
    pub expires_at: DbDateTime,
    pub access_count: i32,
    pub last_accessed_at: DbDateTime,
}
