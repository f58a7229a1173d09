//! `conversation`: one chat exchange (user query and AI answer) of a session, with its sources,
//! timing and optional feedback (seed 001).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::Feedback;

/// A row of `conversation`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "conversation")]
pub struct Model {
    /// A UUID in text form, `VARCHAR(36)` (the seed does not declare it `UUID`).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(36))"
    )]
    pub id: String,
    /// The application-level session (no foreign key: sessions are not stored here).
    #[sea_orm(column_type = "String(StringLen::N(36))")]
    pub session_id: String,
    #[sea_orm(column_type = "Text")]
    pub user_query: String,
    #[sea_orm(column_type = "Text")]
    pub ai_response: String,
    /// The source URLs as a JSON array, stored as text (the seed's `sources TEXT`).
    #[sea_orm(column_type = "Text")]
    pub sources: Option<String>,
    /// Response time in seconds (CHECK `check_positive_response_time`: NULL or >= 0).
    pub response_time: Option<f64>,
    pub created_at: Option<DbDateTime>,
    pub feedback: Option<Feedback>,
}
