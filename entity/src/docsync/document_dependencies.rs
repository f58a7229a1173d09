//! `document_dependencies`: directed dependencies between documents (source depends on target).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `document_dependencies`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "document_dependencies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_id: i32,
    pub relation_type: Option<String>,
    pub topic: Option<String>,
    pub scope: Option<String>,
    #[sea_orm(
        belongs_to,
        relation_enum = "Source",
        from = "source_id",
        to = "id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub source: BelongsTo<super::document_references::Entity>,
    #[sea_orm(
        belongs_to,
        relation_enum = "Target",
        from = "target_id",
        to = "id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub target: BelongsTo<super::document_references::Entity>,
}
