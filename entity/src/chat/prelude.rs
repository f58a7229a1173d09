//! Every entity of the chat system under its type name.

pub use super::conversation::Entity as Conversation;
pub use super::document_chunk::Entity as DocumentChunk;
pub use super::rate_limit::Entity as RateLimit;
