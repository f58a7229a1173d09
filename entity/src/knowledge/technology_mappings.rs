//! `technology_mappings`: technologies mapped to authoritative sources (PRD-006, PRD-010).

use crate::{DbDateTime, DbJson};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::MappingSourceType;

/// A row of `technology_mappings`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "technology_mappings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub mapping_id: String,
    pub technology: String,
    pub source_type: MappingSourceType,
    /// GitHub owner or organisation.
    pub owner: Option<String>,
    /// GitHub repository name.
    pub repo: Option<String>,
    /// Path to the documentation within the repository.
    pub docs_path: String,
    /// File patterns to search for, a JSON array of globs.
    pub file_patterns: DbJson,
    /// Base URL for web sources.
    pub base_url: Option<String>,
    /// Higher number = higher priority.
    pub priority: i32,
    pub is_official: bool,
    pub last_updated: Option<DbDateTime>,
    pub update_frequency_hours: i32,
    pub is_active: bool,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
}
