//! `usage_signals`: implicit user interactions with content (PRD-011).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::SignalType;

/// A row of `usage_signals`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "usage_signals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub signal_id: String,
    pub content_id: String,
    pub signal_type: SignalType,
    /// click = 1, dwell_time = seconds, scroll_depth = percentage.
    pub signal_value: f64,
    pub search_query: Option<String>,
    pub result_position: Option<i32>,
    pub user_session_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
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
