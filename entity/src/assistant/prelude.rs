//! Every entity of the assistant system under its type name.

pub use super::document_metadata::Entity as DocumentMetadata;
pub use super::performance_metrics::Entity as PerformanceMetrics;
pub use super::query_history::Entity as QueryHistory;
pub use super::schema_cache::Entity as SchemaCache;
pub use super::system_logs::Entity as SystemLogs;
pub use super::user_sessions::Entity as UserSessions;
