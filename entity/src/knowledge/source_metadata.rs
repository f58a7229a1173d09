//! `source_metadata`: reliability and performance of content sources (PRD-010).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::{RateLimitStatus, SourceType};

/// A row of `source_metadata`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "source_metadata")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_id: String,
    pub source_type: SourceType,
    pub source_url: String,
    pub technology: String,
    pub reliability_score: f64,
    pub avg_processing_time_ms: i32,
    pub total_documents_processed: i32,
    pub last_successful_fetch: Option<DbDateTime>,
    pub last_failed_fetch: Option<DbDateTime>,
    pub consecutive_failures: i32,
    pub rate_limit_status: Option<RateLimitStatus>,
    pub rate_limit_reset_at: Option<DbDateTime>,
    pub avg_content_quality: Option<f64>,
    pub is_active: bool,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
}
