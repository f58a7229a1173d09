//! `activity_feed`: high-level activity summaries for the UI (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `activity_feed`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "activity_feed")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity_id: DbUuid,
    pub project_id: Option<DbUuid>,
    pub task_id: Option<DbUuid>,
    pub user_id: Option<DbUuid>,
    pub agent_id: Option<DbUuid>,
    /// Category of activity (`task_opened`, `pr_merged`, …): an open set.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub activity_type: String,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    pub is_public: bool,
    pub created_at: DbDateTime,
    #[sea_orm(
        belongs_to,
        from = "project_id",
        to = "project_id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub project: BelongsTo<Option<super::projects::Entity>>,
    #[sea_orm(belongs_to, from = "task_id", to = "task_id", on_delete = "Cascade")]
    #[serde(skip)]
    pub task: BelongsTo<Option<super::tasks::Entity>>,
    #[sea_orm(belongs_to, from = "user_id", to = "user_id", on_delete = "SetNull")]
    #[serde(skip)]
    pub user: BelongsTo<Option<super::users::Entity>>,
    #[sea_orm(belongs_to, from = "agent_id", to = "agent_id", on_delete = "SetNull")]
    #[serde(skip)]
    pub agent: BelongsTo<Option<super::agents::Entity>>,
}
