//! `schema_versions`: every applied migration with its description (seed 000).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `schema_versions`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "schema_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version_id: String,
    pub applied_at: DbDateTime,
    pub description: Option<String>,
    pub migration_script: Option<String>,
}
