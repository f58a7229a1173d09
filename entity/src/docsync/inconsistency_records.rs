//! `inconsistency_records`: inconsistencies found between documents, or documents and code.

use crate::{DbDateTime, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::{InconsistencyStatus, InconsistencyType, Severity};

/// A row of `inconsistency_records`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "inconsistency_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    /// When the inconsistency was detected.
    pub timestamp: DbDateTime,
    pub severity: Severity,
    pub r#type: InconsistencyType,
    pub description: String,
    pub suggested_resolution: Option<String>,
    pub status: InconsistencyStatus,
    /// The recommendation that covers it (`Recommendation.inconsistencies`).
    pub recommendation_id: Option<DbUuid>,
    #[sea_orm(
        belongs_to,
        from = "recommendation_id",
        to = "id",
        on_delete = "SetNull"
    )]
    #[serde(skip)]
    pub recommendation: BelongsTo<Option<super::recommendations::Entity>>,
    #[sea_orm(has_many, via = "inconsistency_document_map")]
    #[serde(skip)]
    pub affected_documents: HasMany<super::document_references::Entity>,
}
