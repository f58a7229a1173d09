//! Hand-written behaviour of the chat entities (kept out of the generated-style files).
//!
//! The seed's timestamps are nullable (`TIMESTAMP DEFAULT CURRENT_TIMESTAMP`), so the shared
//! `timestamped!` macro (for `NOT NULL` columns) does not fit; these impls apply the same rules
//! to `Option` columns: a timestamp left unset on insert gets [`crate::behavior::now`] (an
//! explicit `Set(None)` stays NULL), and `document_chunk.updated_at` moves on every save unless
//! the caller set it.

use super::{conversation, document_chunk, rate_limit};

use crate::behavior::{
    stamp_nullable_on_insert as stamp_on_insert, stamp_nullable_on_save as stamp_on_save,
};

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for conversation::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        stamp_on_insert(&mut self.created_at, crate::behavior::now(), insert);
        Ok(self)
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl sea_orm::ActiveModelBehavior for document_chunk::ActiveModel {
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
impl sea_orm::ActiveModelBehavior for rate_limit::ActiveModel {
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, sea_orm::DbErr>
    where
        C: sea_orm::ConnectionTrait,
    {
        // The seed's model defaults both to "now" on insert; the counter and the window are
        // then moved explicitly by the rate limiter, never implicitly on save.
        let at = crate::behavior::now();
        stamp_on_insert(&mut self.last_request, at, insert);
        stamp_on_insert(&mut self.reset_time, at, insert);
        Ok(self)
    }
}
