//! The docsync system (seed 002, Documentation-Based Programming): document references and their
//! dependencies, file metadata for change detection, inconsistencies, recommendations and the
//! developer's decisions.

pub mod behavior;
pub mod developer_decisions;
pub mod document_dependencies;
pub mod document_references;
pub mod file_metadata;
pub mod inconsistency_document_map;
pub mod inconsistency_records;
pub mod prelude;
pub mod recommendation_document_map;
pub mod recommendations;
pub mod sea_orm_active_enums;
