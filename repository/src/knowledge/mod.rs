//! Repositories of the knowledge system (seed 000, PRD-002).

pub mod content;
pub mod documents;
pub mod feedback;
pub mod mappings;
pub mod search_cache;
pub mod sources;
pub mod system_config;

#[cfg(any(test, feature = "mock"))]
pub use content::MockContentRepository;
pub use content::{ContentFilter, ContentOrder, ContentRepository, ContentStore, NewContent};
pub use documents::{DocumentChunk, DocumentMetadata, MODEL_VERSION, ProcessedDocument};
#[cfg(any(test, feature = "mock"))]
pub use feedback::MockFeedbackRepository;
pub use feedback::{
    ContentAggregates, FeedbackRepository, FeedbackStore, Interaction, NewFeedback, NewSignal,
    SignalTotals,
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
pub use sources::{NewSource, RateLimitState, SourceRepository, SourceStore};
#[cfg(any(test, feature = "mock"))]
pub use system_config::MockSystemConfigRepository;
pub use system_config::{
    ConfigEntry, SystemConfigRepository, SystemConfigStore, get_typed, set_typed,
};
