//! `document_metadata`: uploaded documents, their processing status and their id in the vector
//! store (seed 003).

use crate::{DbDateTime, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `document_metadata`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "document_metadata")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub filename: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub file_type: String,
    /// Size in bytes (`BIGINT`).
    pub file_size: i64,
    pub upload_date: Option<DbDateTime>,
    /// `VARCHAR(20) DEFAULT 'pending'`: free text, nullable, as the seed writes it.
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub processing_status: Option<String>,
    /// The document's id in the ChromaDB collections (unique when set).
    #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
    pub chroma_id: Option<String>,
    /// The uploading session (the seed declares no foreign key: none is enforced).
    pub user_session_id: Option<DbUuid>,
    pub created_at: Option<DbDateTime>,
    pub updated_at: Option<DbDateTime>,
}
