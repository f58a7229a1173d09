//! Value sets constrained by CHECKs in the assistant schema (seed 003).
//!
//! The seed's own DDL has no CHECK (`query_history.query_type` and
//! `document_metadata.processing_status` are free `VARCHAR(20)` columns whose values the seed
//! never lists), so the only set here belongs to a table designed from the seed's text.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `system_logs.level`: the standard logging levels of the seed's (Python) application, stored
/// as their upper-case names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Diagnostic detail for developers.
    #[sea_orm(string_value = "DEBUG")]
    Debug,
    /// Normal operation.
    #[sea_orm(string_value = "INFO")]
    Info,
    /// Something unexpected that the application handled.
    #[sea_orm(string_value = "WARNING")]
    Warning,
    /// An operation failed.
    #[sea_orm(string_value = "ERROR")]
    Error,
    /// The application (or a dependency it cannot run without) is failing.
    #[sea_orm(string_value = "CRITICAL")]
    Critical,
}
