//! Hand-written behaviour of the assistant entities (kept out of the generated-style files).
//!
//! The seed's own tables have nullable timestamps (`TIMESTAMP DEFAULT NOW()`): a timestamp left
//! unset on insert gets "now" (an explicit `Set(None)` stays NULL), and `updated_at` moves on
//! every save unless the caller set it. A new user session is active from its creation; later
//! activity is recorded explicitly (revoking or soft-deleting a session is not activity).

use super::{
    document_metadata, performance_metrics, query_history, schema_cache, system_logs, user_sessions,
};

crate::timestamped! {
    query_history::ActiveModel { insert: [created_at], save: [updated_at] }
    document_metadata::ActiveModel { insert: [upload_date, created_at], save: [updated_at] }
    schema_cache::ActiveModel { insert: [discovered_at, created_at] }
    performance_metrics::ActiveModel { insert: [recorded_at] }
    user_sessions::ActiveModel { insert: [created_at, last_activity_at] }
    system_logs::ActiveModel { insert: [created_at] }
}
