//! `content_metadata`: the catalog of ingested content (PRD-008, PRD-010).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::ProcessingStatus;

/// A row of `content_metadata`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_metadata")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub content_id: String,
    pub title: String,
    pub source_url: String,
    pub technology: String,
    #[sea_orm(unique)]
    pub content_hash: String,
    pub word_count: i32,
    pub heading_count: i32,
    pub code_block_count: i32,
    pub chunk_count: i32,
    pub quality_score: f64,
    pub freshness_score: f64,
    pub processing_status: ProcessingStatus,
    pub anythingllm_workspace: Option<String>,
    pub anythingllm_document_id: Option<String>,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
    pub last_accessed_at: Option<DbDateTime>,
    pub access_count: i32,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub feedback_events: HasMany<super::feedback_events::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub usage_signals: HasMany<super::usage_signals::Entity>,
}
