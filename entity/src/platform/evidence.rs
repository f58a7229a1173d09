//! `evidence`: the evidence registry behind every decision, with credibility scores and
//! attestation (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::EvidenceSourceType;

/// A row of `evidence`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub evidence_id: DbUuid,
    /// The task the evidence was gathered for; kept (as `None`) when the task is deleted.
    pub task_id: Option<DbUuid>,
    pub project_id: DbUuid,
    pub source_type: EvidenceSourceType,
    /// The tool, model or person that produced it.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub source_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub source_url: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: Option<String>,
    /// The evidence's structured payload.
    #[sea_orm(column_type = "JsonBinary")]
    pub raw_data: DbJson,
    /// How reliable the evidence is, 0.0..=1.0.
    pub credibility_score: f64,
    pub is_verified: bool,
    pub verified_at: Option<DbDateTime>,
    /// A JSON array of `evidence_id`s that support this one.
    #[sea_orm(column_type = "JsonBinary")]
    pub related_evidence: DbJson,
    /// A JSON array of `evidence_id`s that contradict this one.
    #[sea_orm(column_type = "JsonBinary")]
    pub contradicting_evidence: DbJson,
    /// A JSON array of strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: DbJson,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
    pub expires_at: Option<DbDateTime>,
    #[sea_orm(belongs_to, from = "task_id", to = "task_id", on_delete = "SetNull")]
    #[serde(skip)]
    pub task: BelongsTo<Option<super::tasks::Entity>>,
    #[sea_orm(
        belongs_to,
        from = "project_id",
        to = "project_id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub project: BelongsTo<super::projects::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub agent_executions: HasMany<super::agent_executions::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub task_attachments: HasMany<super::task_attachments::Entity>,
}
