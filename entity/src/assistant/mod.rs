//! The assistant system (seed 003, "Section 2: Database Layer Implementation" of a document-RAG
//! assistant): query history, uploaded document metadata, schema cache, performance metrics (as
//! the seed's DDL writes them), user sessions and system logs (designed from the seed's text).
//!
//! The seed's ChromaDB collections are a vector store, not tables, and have no entity here.

pub mod behavior;
pub mod document_metadata;
pub mod performance_metrics;
pub mod prelude;
pub mod query_history;
pub mod schema_cache;
pub mod sea_orm_active_enums;
pub mod system_logs;
pub mod user_sessions;
