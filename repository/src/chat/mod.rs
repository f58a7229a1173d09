//! Repositories of the chat system (seed 001, DocRag): conversations and their feedback,
//! document chunks deduplicated by content hash and linked to vector-store ids, per-IP rate
//! limits in the database, and the maintenance jobs that keep the tables small.
//!
//! Everything the repositories take or return is named here: the repositories, their inputs and
//! reports, the rows they return (aliases of the `entity` models: [`Conversation`],
//! [`Chunk`], [`RateLimitRow`]) and the value sets of the schema ([`Feedback`], [`DocType`]).

pub mod chunks;
pub mod conversations;
pub mod hash;
pub mod maintenance;
pub mod rate_limits;
pub mod stats;

pub use entity::chat::sea_orm_active_enums::{DocType, Feedback};

/// A row of `document_chunk`: what [`ChunkRepository`] returns.
pub type Chunk = entity::chat::document_chunk::Model;
/// A row of `rate_limit`: what [`RateLimitRepository::get`] returns.
pub type RateLimitRow = entity::chat::rate_limit::Model;
/// A row of `conversation`: what [`ConversationRepository`] returns.
pub type Conversation = entity::chat::conversation::Model;

#[cfg(any(test, feature = "mock"))]
pub use chunks::MockChunkRepository;
pub use chunks::{
    ChunkBatch, ChunkRepository, ChunkStore, EmbeddedChunk, NewChunk, StoredChunk,
    delete_source_with_vectors, store_with_embeddings, store_with_embeddings_atomic,
};
#[cfg(any(test, feature = "mock"))]
pub use conversations::MockConversationRepository;
pub use conversations::{
    ConversationRepository, ConversationStore, DEFAULT_HISTORY_PAGE, NewConversation, SessionCount,
    parse_sources, sources_json, sources_of,
};
pub use hash::{content_hash, content_hash_input};
pub use maintenance::{OrphanReport, delete_orphaned_chunks};
#[cfg(any(test, feature = "mock"))]
pub use rate_limits::MockRateLimitRepository;
pub use rate_limits::{
    DEFAULT_RATE_LIMIT_PER_MINUTE, RateDecision, RateLimitRepository, RateLimitStore,
};
pub use stats::{CHAT_TABLES, ColumnStats, PlannerStats, TableStats, chat_table_stats};
