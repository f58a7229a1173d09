//! `task_comments`: comments on tasks and pull requests by users or agents (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `task_comments`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "task_comments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub comment_id: DbUuid,
    pub task_id: DbUuid,
    /// The human author (`None` for agent comments, or once the user is deleted).
    pub author_id: Option<DbUuid>,
    /// The authoring agent (`None` for human comments, or once the agent is deleted).
    pub agent_id: Option<DbUuid>,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// GitHub's id of the mirrored comment (unique: one row per GitHub comment).
    #[sea_orm(unique)]
    pub github_comment_id: Option<i64>,
    pub is_ai_generated: bool,
    /// Generation context (model, prompt, tokens, …).
    #[sea_orm(column_type = "JsonBinary")]
    pub ai_metadata: DbJson,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
    #[sea_orm(belongs_to, from = "task_id", to = "task_id", on_delete = "Cascade")]
    #[serde(skip)]
    pub task: BelongsTo<super::tasks::Entity>,
    #[sea_orm(belongs_to, from = "author_id", to = "user_id", on_delete = "SetNull")]
    #[serde(skip)]
    pub author: BelongsTo<Option<super::users::Entity>>,
    #[sea_orm(belongs_to, from = "agent_id", to = "agent_id", on_delete = "SetNull")]
    #[serde(skip)]
    pub agent: BelongsTo<Option<super::agents::Entity>>,
}
