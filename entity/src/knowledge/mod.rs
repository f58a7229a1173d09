//! The knowledge system (seed 000, PRD-002): content catalog, sources, technology mappings,
//! search cache, feedback, usage signals, system config and schema versions.

pub mod behavior;
pub mod content_metadata;
pub mod feedback_events;
pub mod prelude;
pub mod schema_versions;
pub mod sea_orm_active_enums;
pub mod search_cache;
pub mod source_metadata;
pub mod system_config;
pub mod technology_mappings;
pub mod usage_signals;
