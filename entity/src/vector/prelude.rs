//! Every entity of the vector store under its type name.

pub use super::vector_collections::Entity as VectorCollections;
pub use super::vector_records::Entity as VectorRecords;
