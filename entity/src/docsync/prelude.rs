//! Every entity of the docsync system under its type name.

pub use super::developer_decisions::Entity as DeveloperDecisions;
pub use super::document_dependencies::Entity as DocumentDependencies;
pub use super::document_references::Entity as DocumentReferences;
pub use super::file_metadata::Entity as FileMetadata;
pub use super::inconsistency_document_map::Entity as InconsistencyDocumentMap;
pub use super::inconsistency_records::Entity as InconsistencyRecords;
pub use super::recommendation_document_map::Entity as RecommendationDocumentMap;
pub use super::recommendations::Entity as Recommendations;
