//! `agent_executions`: one row per agent run, with tokens, cost, duration and result
//! (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::ExecutionStatus;

/// A row of `agent_executions`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agent_executions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub execution_id: DbUuid,
    pub agent_id: DbUuid,
    pub task_id: Option<DbUuid>,
    pub project_id: Option<DbUuid>,
    /// Supporting evidence produced by or for this run.
    pub evidence_id: Option<DbUuid>,
    pub status: ExecutionStatus,
    pub input_tokens: i32,
    pub output_tokens: i32,
    /// Cost in US dollars (double precision; non-negative).
    pub cost_usd: f64,
    pub execution_time_ms: Option<i32>,
    /// The execution's output.
    #[sea_orm(column_type = "JsonBinary")]
    pub result: Option<DbJson>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
    pub started_at: Option<DbDateTime>,
    pub completed_at: Option<DbDateTime>,
    pub created_at: DbDateTime,
    #[sea_orm(belongs_to, from = "agent_id", to = "agent_id", on_delete = "Restrict")]
    #[serde(skip)]
    pub agent: BelongsTo<super::agents::Entity>,
    #[sea_orm(belongs_to, from = "task_id", to = "task_id", on_delete = "SetNull")]
    #[serde(skip)]
    pub task: BelongsTo<Option<super::tasks::Entity>>,
    #[sea_orm(
        belongs_to,
        from = "project_id",
        to = "project_id",
        on_delete = "SetNull"
    )]
    #[serde(skip)]
    pub project: BelongsTo<Option<super::projects::Entity>>,
    #[sea_orm(
        belongs_to,
        from = "evidence_id",
        to = "evidence_id",
        on_delete = "SetNull"
    )]
    #[serde(skip)]
    pub evidence: BelongsTo<Option<super::evidence::Entity>>,
}
