//! `search_cache`: cached search queries and their results (PRD-009).

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
    pub search_results: Json,
    pub technology_hint: Option<String>,
    pub workspace_slugs: Option<Json>,
    pub result_count: i32,
    pub execution_time_ms: i32,
    pub cache_hit: bool,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub access_count: i32,
    pub last_accessed_at: DateTimeUtc,
}
