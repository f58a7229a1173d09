//! `vector_collections`: one row per collection of the embedded vector store.

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::VectorDistance;

/// A row of `vector_collections`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "vector_collections")]
pub struct Model {
    /// Chroma's naming rules, checked by the repository (`COLLATE "C"` on PostgreSQL).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(512))"
    )]
    pub name: String,
    /// New on every creation: tells a re-created collection from the one deleted before it.
    pub uid: DbUuid,
    /// Components per embedding (CHECK `ck_vector_collections_dimension`: >= 1).
    pub dimension: i32,
    #[sea_orm(column_type = "Text")]
    pub distance: VectorDistance,
    pub metadata: DbJson,
    /// The last write's sequence number (moved by every write, in its transaction).
    pub seq: i64,
    /// The sequence number of the last delete of records.
    pub purged_seq: i64,
    pub created_at: DbDateTime,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub records: HasMany<super::vector_records::Entity>,
}
