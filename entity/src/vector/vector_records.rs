//! `vector_records`: the records of the embedded vector store's collections.

use crate::DbJson;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `vector_records`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "vector_records")]
pub struct Model {
    /// The collection (`ON DELETE CASCADE`).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(512))"
    )]
    pub collection: String,
    /// The record's id, unique within its collection (`COLLATE "C"` on PostgreSQL).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(512))"
    )]
    pub id: String,
    /// The embedding: `dimension` little-endian `f32`s.
    #[sea_orm(column_type = "Blob")]
    pub embedding: Vec<u8>,
    #[sea_orm(column_type = "Text")]
    pub document: Option<String>,
    pub metadata: DbJson,
    /// The sequence number of the write that last set the row.
    pub seq: i64,
    #[sea_orm(belongs_to, from = "collection", to = "name", on_delete = "Cascade")]
    #[serde(skip)]
    pub vector_collection: BelongsTo<super::vector_collections::Entity>,
}
