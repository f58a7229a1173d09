//! `projects`: software projects managed by the platform, with their repository and delivery
//! metrics (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::ProjectStatus;

/// A row of `projects`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: DbUuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    /// URL-friendly identifier.
    #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
    pub slug: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// GitHub/GitLab repository link.
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub repository_url: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub default_branch: String,
    pub owner_id: DbUuid,
    pub status: ProjectStatus,
    pub is_public: bool,
    /// A JSON array of technologies.
    #[sea_orm(column_type = "JsonBinary")]
    pub technology_stack: DbJson,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    /// Merged pull requests / closed pull requests, 0..=1.
    pub pr_merge_rate: Option<f64>,
    /// Line coverage in percent, 0..=100.
    pub test_coverage_percent: Option<f64>,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
    pub last_activity_at: Option<DbDateTime>,
    pub archived_at: Option<DbDateTime>,
    #[sea_orm(belongs_to, from = "owner_id", to = "user_id", on_delete = "Restrict")]
    #[serde(skip)]
    pub owner: BelongsTo<super::users::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub tasks: HasMany<super::tasks::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub evidence: HasMany<super::evidence::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub agent_executions: HasMany<super::agent_executions::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub activity_feed: HasMany<super::activity_feed::Entity>,
}
