//! Repositories of the knowledge system (seed 000, PRD-002).
//!
//! Everything the repositories take or return is named here: the repositories, their inputs and
//! reports, the rows they return (aliases of the `entity` models: [`Content`], [`Source`], …),
//! and the value sets of the schema ([`ProcessingStatus`], [`SourceType`], …).

pub mod content;
pub mod documents;
pub mod feedback;
pub mod mappings;
pub mod search_cache;
pub mod sources;
pub mod system_config;

pub use entity::knowledge::sea_orm_active_enums::{
    FeedbackType, MappingSourceType, ProcessingStatus, RateLimitStatus, SignalType, SourceType,
};

/// A row of `content_metadata`: what [`ContentRepository`] returns.
pub type Content = entity::knowledge::content_metadata::Model;
/// A row of `source_metadata`: what [`SourceRepository`] returns.
pub type Source = entity::knowledge::source_metadata::Model;
/// A row of `technology_mappings`: what [`MappingRepository`] returns.
pub type Mapping = entity::knowledge::technology_mappings::Model;
/// A row of `search_cache`: what [`SearchCacheRepository`] returns.
pub type CachedSearch = entity::knowledge::search_cache::Model;
/// A row of `feedback_events`: what [`FeedbackRepository::record_feedback`] returns.
pub type FeedbackEvent = entity::knowledge::feedback_events::Model;
/// A row of `usage_signals`: what [`FeedbackRepository::record_signal`] returns.
pub type UsageSignal = entity::knowledge::usage_signals::Model;

#[cfg(any(test, feature = "mock"))]
pub use content::MockContentRepository;
pub use content::{
    ContentFilter, ContentOrder, ContentRepository, ContentStore, NewContent, transition_allowed,
};
pub use documents::{DocumentChunk, DocumentMetadata, MODEL_VERSION, ProcessedDocument};
#[cfg(any(test, feature = "mock"))]
pub use feedback::MockFeedbackRepository;
pub use feedback::{
    ContentAggregates, FeedbackRepository, FeedbackStore, Interaction, NewFeedback, NewSignal,
    Origin, SignalTotals, parse_feedback_type, parse_signal_type,
};
#[cfg(any(test, feature = "mock"))]
pub use mappings::MockMappingRepository;
pub use mappings::TECHNOLOGIES;
pub use mappings::{
    MappingRepository, MappingStore, NewMapping, SeedReport, UpsertOutcome, reference_mappings,
};
#[cfg(any(test, feature = "mock"))]
pub use search_cache::MockSearchCacheRepository;
pub use search_cache::{
    CacheStats, CleanupReport, DEFAULT_CLEANUP_CHUNK, NewSearchCache, SearchCacheRepository,
    SearchCacheStore,
};
#[cfg(any(test, feature = "mock"))]
pub use sources::MockSourceRepository;
pub use sources::{FetchSuccess, NewSource, RateLimitState, SourceRepository, SourceStore};
#[cfg(any(test, feature = "mock"))]
pub use system_config::MockSystemConfigRepository;
pub use system_config::{
    ConfigEntry, NewConfigEntry, SystemConfigRepository, SystemConfigStore, get_typed, set_typed,
};
