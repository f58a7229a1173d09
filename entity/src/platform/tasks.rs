//! `tasks`: issues, pull requests and tasks of a project, assigned to a user or an agent
//! (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::{TaskPriority, TaskStatus, TaskType};

/// A row of `tasks`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub task_id: DbUuid,
    pub project_id: DbUuid,
    pub github_issue_number: Option<i32>,
    pub github_pr_number: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub github_url: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub r#type: TaskType,
    pub status: TaskStatus,
    pub priority: TaskPriority,
    pub assigned_to_user_id: Option<DbUuid>,
    pub assigned_to_agent_id: Option<DbUuid>,
    /// AI analysis of the task (a JSON object).
    #[sea_orm(column_type = "JsonBinary")]
    pub ai_analysis: DbJson,
    /// AI suggestions (a JSON array).
    #[sea_orm(column_type = "JsonBinary")]
    pub ai_suggestions: DbJson,
    /// A JSON array of label strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub labels: DbJson,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
    pub started_at: Option<DbDateTime>,
    pub completed_at: Option<DbDateTime>,
    pub due_at: Option<DbDateTime>,
    #[sea_orm(
        belongs_to,
        from = "project_id",
        to = "project_id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub project: BelongsTo<super::projects::Entity>,
    #[sea_orm(
        belongs_to,
        from = "assigned_to_user_id",
        to = "user_id",
        on_delete = "SetNull"
    )]
    #[serde(skip)]
    pub assigned_to_user: BelongsTo<Option<super::users::Entity>>,
    #[sea_orm(
        belongs_to,
        from = "assigned_to_agent_id",
        to = "agent_id",
        on_delete = "SetNull"
    )]
    #[serde(skip)]
    pub assigned_to_agent: BelongsTo<Option<super::agents::Entity>>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub evidence: HasMany<super::evidence::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub agent_executions: HasMany<super::agent_executions::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub task_comments: HasMany<super::task_comments::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub task_attachments: HasMany<super::task_attachments::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub activity_feed: HasMany<super::activity_feed::Entity>,
}
