//! `file_metadata`: per-file metadata for change detection, and what was extracted from it.

use crate::{DbDateTime, DbJson};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `file_metadata`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "file_metadata")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub path: String,
    pub language: Option<String>,
    pub last_modified: DbDateTime,
    /// Size in bytes.
    pub size: i64,
    pub md5_digest: Option<String>,
    /// Extracted functions as JSON.
    pub functions: Option<DbJson>,
    /// Extracted classes as JSON.
    pub classes: Option<DbJson>,
    /// Extracted header sections as JSON.
    pub header_sections: Option<DbJson>,
}
