//! Hand-written behaviour of the assistant entities (kept out of the generated-style files).
//!
//! The seed's own tables have nullable timestamps (`TIMESTAMP DEFAULT NOW()`), which the shared
//! `timestamped!` macro (for `NOT NULL` columns) does not fit; the impls here apply the same
//! rules to `Option` columns: a timestamp left unset on insert gets [`crate::behavior::now`] (an
//! explicit `Set(None)` stays NULL), and `updated_at` moves on every save unless the caller set
//! it. The designed tables (`user_sessions`, `system_logs`) have `NOT NULL` timestamps.

use sea_orm::ActiveValue;

use super::{
    document_metadata, performance_metrics, query_history, schema_cache, system_logs, user_sessions,
};

use crate::behavior::{
    stamp_nullable_on_insert as stamp_on_insert, stamp_nullable_on_save as stamp_on_save,
};

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for query_history::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        let at = crate::behavior::now();
        stamp_on_insert(&mut self.created_at, at, insert);
        stamp_on_save(&mut self.updated_at, at);
        Ok(self)
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for document_metadata::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        let at = crate::behavior::now();
        stamp_on_insert(&mut self.upload_date, at, insert);
        stamp_on_insert(&mut self.created_at, at, insert);
        stamp_on_save(&mut self.updated_at, at);
        Ok(self)
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for schema_cache::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        let at = crate::behavior::now();
        stamp_on_insert(&mut self.discovered_at, at, insert);
        stamp_on_insert(&mut self.created_at, at, insert);
        Ok(self)
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for performance_metrics::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        stamp_on_insert(&mut self.recorded_at, crate::behavior::now(), insert);
        Ok(self)
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for user_sessions::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        // A new session is active from its creation; later activity is recorded explicitly
        // (revoking or soft-deleting a session is not activity).
        if insert {
            let at = crate::behavior::now();
            for column in [&mut self.created_at, &mut self.last_activity_at] {
                if column.is_not_set() {
                    *column = ActiveValue::Set(at);
                }
            }
        }
        Ok(self)
    }
}

crate::timestamped!(created:
    system_logs::ActiveModel => created_at,
);
