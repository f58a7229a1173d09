//! The embedded vector store (`repository::vector`, issue 10): collections of embeddings with
//! metadata, kept in the project's own database in place of the seeds' ChromaDB.

pub mod behavior;
pub mod prelude;
pub mod sea_orm_active_enums;
pub mod vector_collections;
pub mod vector_records;
