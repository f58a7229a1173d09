//! `document_chunk`: a processed chunk of a documentation page, tracked for deduplication
//! (`content_hash`) and linked to its vector-store document (`embedding_id`) (seed 001).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::DocType;

/// A row of `document_chunk`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "document_chunk")]
pub struct Model {
    /// A UUID in text form, `VARCHAR(36)` (the seed does not declare it `UUID`).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(36))"
    )]
    pub id: String,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub source_url: String,
    #[sea_orm(column_type = "String(StringLen::N(200))")]
    pub title: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Position of the chunk in its page (CHECK `check_chunk_index_non_negative`: >= 0).
    pub chunk_index: i32,
    /// `VARCHAR(50)` restricted by CHECK `check_valid_doc_type`.
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub doc_type: Option<DocType>,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub version: Option<String>,
    /// The vector-store (ChromaDB) document id.
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub embedding_id: Option<String>,
    /// SHA-256 (hex) of the normalised content, unique (`idx_document_chunk_unique_content`).
    #[sea_orm(column_type = "String(StringLen::N(64))", unique)]
    pub content_hash: Option<String>,
    pub created_at: Option<DbDateTime>,
    /// Moved on every save (see `behavior.rs`), like the seed's `onupdate`.
    pub updated_at: Option<DbDateTime>,
}
