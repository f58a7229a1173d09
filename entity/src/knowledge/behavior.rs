//! Hand-written behaviour of the knowledge entities (kept out of the generated-style files).

use super::{
    content_metadata, feedback_events, schema_versions, search_cache, source_metadata,
    system_config, technology_mappings, usage_signals,
};

crate::timestamped!(created_updated:
    content_metadata::ActiveModel => created_at, updated_at;
    source_metadata::ActiveModel => created_at, updated_at;
    technology_mappings::ActiveModel => created_at, updated_at;
);

crate::timestamped!(created:
    feedback_events::ActiveModel => created_at,
    usage_signals::ActiveModel => created_at,
    search_cache::ActiveModel => created_at,
    schema_versions::ActiveModel => applied_at,
);

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for system_config::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        if !matches!(self.updated_at, sea_orm::ActiveValue::Set(_)) {
            self.updated_at = sea_orm::ActiveValue::Set(crate::behavior::now());
        }
        Ok(self)
    }
}
