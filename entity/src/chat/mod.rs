//! The chat system (seed 001, DocRag): chat conversations and their feedback, processed
//! document chunks (deduplicated by content hash, linked to vector-store ids) and per-IP rate
//! limits. The seed declares no foreign keys: sessions and vector-store documents live outside
//! the database.

pub mod behavior;
pub mod conversation;
pub mod document_chunk;
pub mod prelude;
pub mod rate_limit;
pub mod sea_orm_active_enums;
