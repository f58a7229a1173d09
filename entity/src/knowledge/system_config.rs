//! `system_config`: runtime configuration as typed JSON values.

use crate::{DbDateTime, DbJson};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `system_config`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "system_config")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: DbJson,
    pub schema_version: String,
    pub updated_at: DbDateTime,
    pub updated_by: String,
}
