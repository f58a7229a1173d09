//! Hand-written behaviour of the docsync entities (kept out of the generated-style files).

use super::{
    developer_decisions, document_dependencies, document_references, file_metadata,
    inconsistency_document_map, inconsistency_records, recommendation_document_map,
    recommendations,
};

crate::timestamped! {
    inconsistency_records::ActiveModel { insert: [timestamp] }
    recommendations::ActiveModel { insert: [creation_timestamp] }
    developer_decisions::ActiveModel { insert: [timestamp] }
}

impl sea_orm::ActiveModelBehavior for document_references::ActiveModel {}
impl sea_orm::ActiveModelBehavior for document_dependencies::ActiveModel {}
impl sea_orm::ActiveModelBehavior for inconsistency_document_map::ActiveModel {}
impl sea_orm::ActiveModelBehavior for recommendation_document_map::ActiveModel {}
impl sea_orm::ActiveModelBehavior for file_metadata::ActiveModel {}
