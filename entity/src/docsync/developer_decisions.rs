//! `developer_decisions`: the developer's answer to a recommendation.

use crate::{DbDateTime, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::Decision;

/// A row of `developer_decisions`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "developer_decisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub recommendation_id: DbUuid,
    /// When the decision was made; the 7-day purge keys on it.
    pub timestamp: DbDateTime,
    pub decision: Decision,
    pub comments: Option<String>,
    /// When the decided change was implemented, if it has been.
    pub implementation_timestamp: Option<DbDateTime>,
    #[sea_orm(
        belongs_to,
        from = "recommendation_id",
        to = "id",
        on_delete = "Cascade"
    )]
    #[serde(skip)]
    pub recommendation: BelongsTo<super::recommendations::Entity>,
}
