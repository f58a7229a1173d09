//! `recommendation_document_map`: the documents each recommendation affects.

use crate::DbUuid;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `recommendation_document_map`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "recommendation_document_map")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub recommendation_id: DbUuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub document_id: i32,
    #[sea_orm(
        belongs_to,
        from = "recommendation_id",
        to = "id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub recommendation: BelongsTo<super::recommendations::Entity>,
    #[sea_orm(belongs_to, from = "document_id", to = "id", on_delete = "Cascade")]
    #[serde(skip)]
    pub document: BelongsTo<super::document_references::Entity>,
}
