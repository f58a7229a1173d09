//! Hand-written behaviour of the chat entities (kept out of the generated-style files).
//!
//! The seed's timestamps are nullable (`TIMESTAMP DEFAULT CURRENT_TIMESTAMP`): a timestamp left
//! unset on insert gets "now" (an explicit `Set(None)` stays NULL). `document_chunk.updated_at`
//! moves on every save unless the caller set it; the rate limiter moves `last_request` and
//! `reset_time` explicitly, never implicitly on save.

use super::{conversation, document_chunk, rate_limit};

crate::timestamped! {
    conversation::ActiveModel { insert: [created_at] }
    document_chunk::ActiveModel { insert: [created_at], save: [updated_at] }
    rate_limit::ActiveModel { insert: [last_request, reset_time] }
}
