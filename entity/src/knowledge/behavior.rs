//! Hand-written behaviour of the knowledge entities (kept out of the generated-style files).

use super::{
    content_metadata, feedback_events, schema_versions, search_cache, source_metadata,
    system_config, technology_mappings, usage_signals,
};

crate::timestamped! {
    content_metadata::ActiveModel { insert: [created_at], save: [updated_at] }
    source_metadata::ActiveModel { insert: [created_at], save: [updated_at] }
    technology_mappings::ActiveModel { insert: [created_at], save: [updated_at] }
    system_config::ActiveModel { insert: [], save: [updated_at] }
    feedback_events::ActiveModel { insert: [created_at] }
    usage_signals::ActiveModel { insert: [created_at] }
    search_cache::ActiveModel { insert: [created_at] }
    schema_versions::ActiveModel { insert: [applied_at] }
}
