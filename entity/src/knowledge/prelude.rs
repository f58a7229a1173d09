//! Every entity of the knowledge system under its type name.

pub use super::content_metadata::Entity as ContentMetadata;
pub use super::feedback_events::Entity as FeedbackEvents;
pub use super::schema_versions::Entity as SchemaVersions;
pub use super::search_cache::Entity as SearchCache;
pub use super::source_metadata::Entity as SourceMetadata;
pub use super::system_config::Entity as SystemConfig;
pub use super::technology_mappings::Entity as TechnologyMappings;
pub use super::usage_signals::Entity as UsageSignals;
