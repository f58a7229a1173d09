//! `query_history`: every user query with its type, response time and cache outcome (seed 003).

use crate::{DbDateTime, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `query_history`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "query_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DbUuid,
    #[sea_orm(column_type = "Text")]
    pub query_text: String,
    /// Free text of at most 20 characters (the seed lists no values and no CHECK).
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub query_type: String,
    /// Response time (the seed's `FLOAT`; the application records seconds).
    pub response_time: f64,
    /// `BOOLEAN DEFAULT FALSE`, nullable as the seed writes it.
    pub cache_hit: Option<bool>,
    /// The session that asked (the seed declares no foreign key: none is enforced).
    pub user_session_id: Option<DbUuid>,
    pub created_at: Option<DbDateTime>,
    pub updated_at: Option<DbDateTime>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub performance_metrics: HasMany<super::performance_metrics::Entity>,
}
