//! `document_references`: every tracked document (code, Markdown, headers, config) with the
//! metadata change detection compares.

use crate::{DbDateTime, DbJson};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::DocumentType;

/// A row of `document_references`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "document_references")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub path: String,
    pub r#type: DocumentType,
    pub last_modified: DbDateTime,
    /// Size in bytes.
    pub size: i64,
    /// MD5 of the content, for reliable change detection.
    pub md5_digest: Option<String>,
    /// The document's header sections as JSON.
    pub header_sections: Option<DbJson>,
    /// Documents this one depends on (through `document_dependencies`).
    #[sea_orm(
        self_ref,
        via = "document_dependencies",
        from = "Source",
        to = "Target"
    )]
    #[serde(skip)]
    pub dependencies: HasMany<Entity>,
    /// Documents that depend on this one.
    #[sea_orm(self_ref, via = "document_dependencies", reverse)]
    #[serde(skip)]
    pub dependents: HasMany<Entity>,
    #[sea_orm(has_many, via = "inconsistency_document_map")]
    #[serde(skip)]
    pub inconsistencies: HasMany<super::inconsistency_records::Entity>,
    #[sea_orm(has_many, via = "recommendation_document_map")]
    #[serde(skip)]
    pub recommendations: HasMany<super::recommendations::Entity>,
}
