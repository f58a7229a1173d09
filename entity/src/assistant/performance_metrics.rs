//! `performance_metrics`: named measurements, optionally of one query of `query_history`
//! (seed 003).

use crate::{DbDateTime, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `performance_metrics`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "performance_metrics")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    /// The measured query, if any (`REFERENCES query_history(id)`, no ON DELETE: a query with
    /// metrics cannot be deleted before its metrics).
    pub query_id: Option<DbUuid>,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub metric_name: String,
    pub metric_value: f64,
    pub recorded_at: Option<DbDateTime>,
    #[sea_orm(belongs_to, from = "query_id", to = "id", on_delete = "NoAction")]
    #[serde(skip)]
    pub query: BelongsTo<Option<super::query_history::Entity>>,
}
