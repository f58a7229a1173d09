//! `agents`: the AI agent registry, with model configuration, capabilities and performance
//! (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `agents`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agent_id: DbUuid,
    /// The agent's unique name, e.g. `code-reviewer`.
    #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub display_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// What the agent does (`orchestrator`, `reviewer`, `tester`, …): an open set.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub agent_type: String,
    /// LLM provider (`anthropic`, `openai`, `local`, …).
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub model_provider: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub model_name: String,
    /// What the agent can do.
    #[sea_orm(column_type = "JsonBinary")]
    pub capabilities: DbJson,
    /// Model parameters (temperature, max tokens, tools, …).
    #[sea_orm(column_type = "JsonBinary")]
    pub configuration: DbJson,
    /// Successful executions / finished executions, 0..=1.
    pub success_rate: f64,
    pub avg_execution_time_ms: i32,
    pub total_executions: i64,
    pub is_active: bool,
    pub is_experimental: bool,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub version: String,
    /// A JSON array of strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: DbJson,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    pub last_used_at: Option<DbDateTime>,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
    pub deprecated_at: Option<DbDateTime>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub tasks: HasMany<super::tasks::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub agent_executions: HasMany<super::agent_executions::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub task_comments: HasMany<super::task_comments::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub activity_feed: HasMany<super::activity_feed::Entity>,
}
