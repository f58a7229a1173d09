//! `feedback_events`: explicit user feedback on content (PRD-011).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::FeedbackType;

/// A row of `feedback_events`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "feedback_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: String,
    pub content_id: String,
    pub feedback_type: FeedbackType,
    pub rating: Option<i32>,
    pub comment: Option<String>,
    pub user_session_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub search_query: Option<String>,
    pub result_position: Option<i32>,
    pub created_at: DbDateTime,
    #[sea_orm(
        belongs_to,
        from = "content_id",
        to = "content_id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub content: BelongsTo<super::content_metadata::Entity>,
}
