//! The activity feed (`activity_feed`): short public summaries of significant events for the
//! UI, written by the platform repositories in the transaction of the event, and handed to an
//! [`ActivityPublisher`] on `activity:{project_id}` after that transaction commits.
//!
//! An entry is public when its project is public: the feed lists public entries only.

use std::sync::Arc;

use async_trait::async_trait;
use entity::DbUuid;
use entity::platform::activity_feed::{ActiveModel, Column, Entity, Model};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::Result;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;

impl Table for Entity {
    const ROW: &'static str = "activity";
}

/// Where activity-feed entries go after their transaction commits (a Redis or in-process
/// pub/sub channel). Implementations log their own failures: publishing never fails a write
/// that has already committed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ActivityPublisher: Send + Sync {
    /// Publish `payload` (an entry as JSON) on `channel` (`activity:{project_id}`).
    async fn publish(&self, channel: &str, payload: &str);
}

/// Activity entries on the cache's pub/sub: Redis (Redis Cluster included) or, on the embedded
/// default, in process. A failure is logged, never returned: the change has committed.
#[async_trait]
impl ActivityPublisher for cache::CacheManager {
    async fn publish(&self, channel: &str, payload: &str) {
        if let Err(err) = cache::CacheManager::publish(self, channel, payload.to_owned()).await {
            tracing::warn!(error = %err, "publishing an activity entry failed");
        }
    }
}

/// The channel a project's activity is published on: `activity:{project_id}`.
#[must_use]
pub fn activity_channel(project_id: &DbUuid) -> String {
    format!("activity:{project_id}")
}

/// Whose feed to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum ActivityScope {
    /// A project's feed.
    Project(UuidText),
    /// A task's feed.
    Task(UuidText),
    /// What a user did.
    User(UuidText),
}

/// Reading the public activity feed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ActivityRepository: Send + Sync {
    /// A page of the public entries of `scope`, newest first (ties by id).
    ///
    /// # Errors
    /// [`crate::Error::Validation`] for a bad page; [`crate::Error::Db`].
    async fn list_public(&self, scope: ActivityScope, page: Page) -> Result<Vec<Model>>;
}

crate::store! {
    /// [`ActivityRepository`] on SeaORM.
    pub struct ActivityStore;
}

#[async_trait]
impl<C: Db> ActivityRepository for ActivityStore<C> {
    #[instrument(skip_all, fields(db.table = "activity_feed"))]
    async fn list_public(&self, scope: ActivityScope, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        let condition = match scope {
            ActivityScope::Project(id) => Column::ProjectId.eq(DbUuid::from(id)),
            ActivityScope::Task(id) => Column::TaskId.eq(DbUuid::from(id)),
            ActivityScope::User(id) => Column::UserId.eq(DbUuid::from(id)),
        };
        Ok(Entity::find()
            .filter(condition)
            .filter(Column::IsPublic.eq(true))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::ActivityId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }
}

/// An entry to append with a change (internal to the platform repositories).
pub(crate) struct NewActivity {
    pub project_id: DbUuid,
    pub task_id: Option<DbUuid>,
    pub activity_type: &'static str,
    pub title: String,
    pub metadata: JsonValue,
}

/// Append `new` on `txn`, by the actor of `ctx`, public when its project is.
pub(crate) async fn append<C: ConnectionTrait>(
    txn: &C,
    ctx: &super::AuditContext,
    new: NewActivity,
) -> Result<Model> {
    let is_public = entity::platform::projects::Entity::find_by_id(new.project_id)
        .one(txn)
        .await?
        .is_some_and(|p| p.is_public);
    let (user_id, agent_id) = match ctx.actor {
        super::Actor::User(id) => (Some(id.into()), None),
        super::Actor::Agent(id) => (None, Some(id.into())),
        super::Actor::System => (None, None),
    };
    let mut title = new.title;
    if title.chars().count() > 500 {
        title = title.chars().take(497).collect::<String>() + "...";
    }
    let model = Model {
        activity_id: DbUuid::new_v4(),
        project_id: Some(new.project_id),
        task_id: new.task_id,
        user_id,
        agent_id,
        activity_type: new.activity_type.to_owned(),
        title,
        description: None,
        metadata: new.metadata.into(),
        is_public,
        created_at: entity::behavior::now(),
    };
    Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(model)
}

/// Hand committed entries to `publisher` (call only after the commit).
pub(crate) async fn publish(publisher: Option<&Arc<dyn ActivityPublisher>>, entries: &[Model]) {
    let Some(publisher) = publisher else {
        return;
    };
    for entry in entries {
        let Some(project_id) = entry.project_id else {
            continue;
        };
        match serde_json::to_string(entry) {
            Ok(payload) => {
                publisher
                    .publish(&activity_channel(&project_id), &payload)
                    .await
            }
            Err(err) => {
                tracing::warn!(error = %err, "activity entry not serialisable; not published")
            }
        }
    }
}
