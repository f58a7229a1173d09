//! `recommendations`: suggested documentation or code changes awaiting the developer's decision.

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::RecommendationStatus;

/// A row of `recommendations`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "recommendations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    /// When it was generated; the 7-day purge keys on it.
    pub creation_timestamp: DbDateTime,
    pub title: String,
    /// The structured changes it suggests.
    pub suggested_changes: DbJson,
    pub status: RecommendationStatus,
    pub developer_feedback: Option<String>,
    /// The last codebase change seen when it was (re)validated.
    pub last_codebase_change_timestamp: Option<DbDateTime>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub inconsistencies: HasMany<super::inconsistency_records::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub developer_decisions: HasMany<super::developer_decisions::Entity>,
    #[sea_orm(has_many, via = "recommendation_document_map")]
    #[serde(skip)]
    pub affected_documents: HasMany<super::document_references::Entity>,
}
