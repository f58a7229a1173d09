//! The audit trail (`audit_logs`): who changed what, from where, with the changed fields' old
//! and new values.
//!
//! The database refuses UPDATE and DELETE on `audit_logs` (triggers, and `CHECK (is_immutable)`),
//! so [`AuditRepository`] only appends and queries. The platform repositories write their rows
//! through one internal helper ([`write_change`]) inside the transaction of the change itself:
//! if the audit insert fails, the change is rolled back with it.
//!
//! Old and new values are JSON objects of the changed fields only: a create has no old values
//! and every field as new; a delete has every field as old and no new values; an update has,
//! on each side, the fields whose values differ. `updated_at` is left out (it changes with every
//! update and the log's own `created_at` says when), and secrets (`password_hash`,
//! `github_access_token_encrypted`) appear as `"[redacted]"`.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::DbDateTime;
use entity::platform::audit_logs::{ActiveModel, Column, Entity, Model};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, JsonValue, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::page::Page;
use crate::store::{self, Db, Key, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "audit log";
}

/// The longest `user_agent` accepted, in characters.
pub const MAX_USER_AGENT_LEN: usize = 1_000;
/// What a secret field's old or new value is shown as.
pub const REDACTED: &str = "[redacted]";
/// Fields whose values never appear in the audit trail.
const SECRET_FIELDS: &[&str] = &["password_hash", "github_access_token_encrypted"];
/// Fields never compared: `updated_at` moves with every update.
const UNAUDITED_FIELDS: &[&str] = &["updated_at"];

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Actor {
    /// A user (`audit_logs.user_id`).
    User(UuidText),
    /// An agent (`audit_logs.agent_id`).
    Agent(UuidText),
    /// The platform itself (seed data, maintenance): neither column is set.
    #[default]
    System,
}

/// Who acted, and the request context when the caller has one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditContext {
    /// Who made the change.
    pub actor: Actor,
    /// The client's IP address (v4 or v6), when known.
    pub ip_address: Option<String>,
    /// The client's user agent, when known.
    pub user_agent: Option<String>,
}

impl AuditContext {
    /// A change made by a user.
    #[must_use]
    pub fn user(id: UuidText) -> Self {
        Self {
            actor: Actor::User(id),
            ..Self::default()
        }
    }

    /// A change made by an agent.
    #[must_use]
    pub fn agent(id: UuidText) -> Self {
        Self {
            actor: Actor::Agent(id),
            ..Self::default()
        }
    }

    /// A change made by the platform itself.
    #[must_use]
    pub fn system() -> Self {
        Self::default()
    }

    /// The same context, with the request's IP address and user agent.
    #[must_use]
    pub fn with_request(
        mut self,
        ip_address: impl Into<String>,
        user_agent: impl Into<String>,
    ) -> Self {
        self.ip_address = Some(ip_address.into());
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Check the request context: the IP address parses (it is stored in its canonical form),
    /// the user agent is not empty and at most [`MAX_USER_AGENT_LEN`] characters.
    ///
    /// # Errors
    /// [`Error::Validation`] naming `ip_address` or `user_agent`.
    pub fn validate(&self) -> Result<()> {
        self.canonical_ip().map(drop)?;
        validate::opt_text("user_agent", self.user_agent.as_deref(), MAX_USER_AGENT_LEN)
    }

    fn canonical_ip(&self) -> Result<Option<String>> {
        self.ip_address
            .as_deref()
            .map(|ip| {
                ip.trim()
                    .parse::<IpAddr>()
                    .map(|ip| ip.to_string())
                    .map_err(|_| {
                        Error::validation(
                            "ip_address",
                            "must be an IPv4 or IPv6 address",
                            format!("{ip:?}"),
                        )
                    })
            })
            .transpose()
    }

    fn user_id(&self) -> Option<entity::DbUuid> {
        match self.actor {
            Actor::User(id) => Some(id.into()),
            _ => None,
        }
    }

    fn agent_id(&self) -> Option<entity::DbUuid> {
        match self.actor {
            Actor::Agent(id) => Some(id.into()),
            _ => None,
        }
    }
}

/// An event to append that did not come from a platform repository (`code_pushed`, …).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewAuditLog {
    /// Who, and from where.
    pub context: AuditContext,
    /// What happened: snake_case, at most 100 characters (`code_pushed`).
    pub event_type: String,
    /// The kind of resource affected, at most 100 characters.
    pub resource_type: Option<String>,
    /// The resource's id, at most 255 characters.
    pub resource_id: Option<String>,
    /// Old values (a JSON object), if any.
    pub old_values: Option<JsonValue>,
    /// New values (a JSON object), if any.
    pub new_values: Option<JsonValue>,
    /// Anything else (a JSON object; `{}` when `None`).
    pub metadata: Option<JsonValue>,
}

impl NewAuditLog {
    /// An event of `event_type` by `context`'s actor.
    #[must_use]
    pub fn new(context: AuditContext, event_type: impl Into<String>) -> Self {
        Self {
            context,
            event_type: event_type.into(),
            ..Self::default()
        }
    }

    /// The same event, about `resource_type` `resource_id`.
    #[must_use]
    pub fn on(mut self, resource_type: impl Into<String>, resource_id: impl Into<String>) -> Self {
        self.resource_type = Some(resource_type.into());
        self.resource_id = Some(resource_id.into());
        self
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        self.context.validate()?;
        check_event_type(&self.event_type)?;
        validate::opt_text("resource_type", self.resource_type.as_deref(), 100)?;
        validate::opt_text("resource_id", self.resource_id.as_deref(), 255)?;
        for (field, value) in [
            ("old_values", &self.old_values),
            ("new_values", &self.new_values),
            ("metadata", &self.metadata),
        ] {
            if value.as_ref().is_some_and(|v| !v.is_object()) {
                return Err(Error::validation(
                    field,
                    "must be a JSON object",
                    "another JSON value",
                ));
            }
        }
        Ok(())
    }
}

/// `event_type`: 1 to 100 characters of `a-z`, `0-9` and `_`.
fn check_event_type(event_type: &str) -> Result<()> {
    validate::text("event_type", event_type, 100)?;
    if !event_type
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(Error::validation(
            "event_type",
            "must be snake_case (a-z, 0-9, _)",
            format!("{event_type:?}"),
        ));
    }
    Ok(())
}

/// Which audit rows to read; every field set narrows the result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Made by this user.
    pub user_id: Option<UuidText>,
    /// Made by this agent.
    pub agent_id: Option<UuidText>,
    /// Of this event type.
    pub event_type: Option<String>,
    /// About this kind of resource.
    pub resource_type: Option<String>,
    /// About this resource id.
    pub resource_id: Option<String>,
    /// Created at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Created before this instant.
    pub before: Option<DateTime<Utc>>,
    /// Oldest first (an export's order) instead of newest first.
    pub oldest_first: bool,
}

impl AuditFilter {
    fn apply(&self, mut select: Select<Entity>) -> Result<Select<Entity>> {
        if let (Some(from), Some(before)) = (self.from, self.before)
            && from > before
        {
            return Err(Error::validation(
                "from",
                "must not be after `before`",
                from,
            ));
        }
        if let Some(id) = self.user_id {
            select = select.filter(Column::UserId.eq(entity::DbUuid::from(id)));
        }
        if let Some(id) = self.agent_id {
            select = select.filter(Column::AgentId.eq(entity::DbUuid::from(id)));
        }
        if let Some(t) = &self.event_type {
            select = select.filter(Column::EventType.eq(t.as_str()));
        }
        if let Some(t) = &self.resource_type {
            select = select.filter(Column::ResourceType.eq(t.as_str()));
        }
        if let Some(id) = &self.resource_id {
            select = select.filter(Column::ResourceId.eq(id.as_str()));
        }
        if let Some(from) = self.from {
            select = select.filter(Column::CreatedAt.gte(DbDateTime::from(from)));
        }
        if let Some(before) = self.before {
            select = select.filter(Column::CreatedAt.lt(DbDateTime::from(before)));
        }
        Ok(select)
    }
}

/// The audit trail: append and query, never update or delete.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AuditRepository: Send + Sync {
    /// Append one event.
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`NewAuditLog::validate`]); [`Error::Db`].
    async fn append(&self, new: NewAuditLog) -> Result<Model>;

    /// The row with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, log_id: UuidText) -> Result<Model>;

    /// A page of the rows `filter` selects, newest first (oldest first when it says so), ties
    /// by id.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or range; [`Error::Db`].
    async fn query(&self, filter: AuditFilter, page: Page) -> Result<Vec<Model>>;

    /// How many rows `filter` selects.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad range; [`Error::Db`].
    async fn count(&self, filter: AuditFilter) -> Result<u64>;
}

crate::store! {
    /// [`AuditRepository`] on SeaORM.
    pub struct AuditStore;
}

#[async_trait]
impl<C: Db> AuditRepository for AuditStore<C> {
    #[instrument(skip_all, fields(db.table = "audit_logs"))]
    async fn append(&self, new: NewAuditLog) -> Result<Model> {
        new.validate()?;
        let ip_address = new.context.canonical_ip()?;
        let model = Model {
            log_id: entity::DbUuid::new_v4(),
            user_id: new.context.user_id(),
            agent_id: new.context.agent_id(),
            event_type: new.event_type,
            resource_type: new.resource_type,
            resource_id: new.resource_id,
            old_values: new.old_values.map(Into::into),
            new_values: new.new_values.map(Into::into),
            ip_address,
            user_agent: new.context.user_agent,
            metadata: new.metadata.unwrap_or_else(empty_object).into(),
            is_immutable: true,
            created_at: entity::behavior::now(),
        };
        insert(&self.db, &model).await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "audit_logs"))]
    async fn get(&self, log_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, entity::DbUuid::from(log_id)).await
    }

    #[instrument(skip_all, fields(db.table = "audit_logs"))]
    async fn query(&self, filter: AuditFilter, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        let select = filter.apply(Entity::find())?;
        let select = if filter.oldest_first {
            select
                .order_by_asc(Column::CreatedAt)
                .order_by_asc(Column::LogId)
        } else {
            select
                .order_by_desc(Column::CreatedAt)
                .order_by_desc(Column::LogId)
        };
        Ok(select
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "audit_logs"))]
    async fn count(&self, filter: AuditFilter) -> Result<u64> {
        Ok(filter.apply(Entity::find())?.count(&self.db).await?)
    }
}

fn empty_object() -> JsonValue {
    JsonValue::Object(serde_json::Map::new())
}

async fn insert<C: ConnectionTrait>(db: &C, model: &Model) -> Result<()> {
    Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// One change for [`write_change`]: the event, the resource, and its row before and after.
pub(crate) struct Change {
    pub event_type: &'static str,
    pub resource_type: &'static str,
    pub resource_id: String,
    pub old_values: Option<JsonValue>,
    pub new_values: Option<JsonValue>,
}

impl Change {
    /// A row created: every field as new.
    pub fn created<M: Serialize>(
        event_type: &'static str,
        resource_type: &'static str,
        id: impl ToString,
        row: &M,
    ) -> Self {
        Self {
            event_type,
            resource_type,
            resource_id: id.to_string(),
            old_values: None,
            new_values: Some(redacted(as_object(row))),
        }
    }

    /// A row updated: the fields that differ, on each side.
    pub fn updated<M: Serialize>(
        event_type: &'static str,
        resource_type: &'static str,
        id: impl ToString,
        before: &M,
        after: &M,
    ) -> Self {
        let (old, new) = changed_fields(&as_object(before), &as_object(after));
        Self {
            event_type,
            resource_type,
            resource_id: id.to_string(),
            old_values: Some(redacted(old)),
            new_values: Some(redacted(new)),
        }
    }

    /// A row deleted: every field as old.
    pub fn deleted<M: Serialize>(
        event_type: &'static str,
        resource_type: &'static str,
        id: impl ToString,
        row: &M,
    ) -> Self {
        Self {
            event_type,
            resource_type,
            resource_id: id.to_string(),
            old_values: Some(redacted(as_object(row))),
            new_values: None,
        }
    }
}

/// A row as a JSON object (a model always serialises to one).
fn as_object<M: Serialize>(row: &M) -> serde_json::Map<String, JsonValue> {
    match serde_json::to_value(row) {
        Ok(JsonValue::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// The fields of `before` and `after` whose values differ: `(old, new)`.
#[must_use]
pub fn changed_fields(
    before: &serde_json::Map<String, JsonValue>,
    after: &serde_json::Map<String, JsonValue>,
) -> (JsonValue, JsonValue) {
    let mut old = serde_json::Map::new();
    let mut new = serde_json::Map::new();
    for (field, value) in after {
        if UNAUDITED_FIELDS.contains(&field.as_str()) {
            continue;
        }
        let previous = before.get(field).unwrap_or(&JsonValue::Null);
        if previous != value {
            old.insert(field.clone(), previous.clone());
            new.insert(field.clone(), value.clone());
        }
    }
    (JsonValue::Object(old), JsonValue::Object(new))
}

fn redacted(values: impl Into<JsonValue>) -> JsonValue {
    let mut values = values.into();
    if let JsonValue::Object(map) = &mut values {
        for field in UNAUDITED_FIELDS {
            map.remove(*field);
        }
        for field in SECRET_FIELDS {
            if let Some(v) = map.get_mut(*field)
                && !v.is_null()
            {
                *v = JsonValue::String(REDACTED.to_owned());
            }
        }
    }
    values
}

/// Append the audit row of `change`, made by `ctx`, on `txn` (the change's own transaction).
/// `ctx` has been validated by the caller before any SQL.
pub(crate) async fn write_change<C: ConnectionTrait>(
    txn: &C,
    ctx: &AuditContext,
    change: Change,
) -> Result<Model> {
    let model = Model {
        log_id: entity::DbUuid::new_v4(),
        user_id: ctx.user_id(),
        agent_id: ctx.agent_id(),
        event_type: change.event_type.to_owned(),
        resource_type: Some(change.resource_type.to_owned()),
        resource_id: Some(change.resource_id),
        old_values: change.old_values.map(Into::into),
        new_values: change.new_values.map(Into::into),
        ip_address: ctx.canonical_ip()?,
        user_agent: ctx.user_agent.clone(),
        metadata: empty_object().into(),
        is_immutable: true,
        created_at: entity::behavior::now(),
    };
    insert(txn, &model).await?;
    Ok(model)
}

/// Insert `row` of `E` inside `txn` and append its audit row (event `event_type`, resource
/// type `E::ROW`, the whole row as the new values). Nothing is committed here.
pub(crate) async fn insert_audited<E, A, C>(
    txn: &C,
    ctx: &AuditContext,
    event_type: &'static str,
    key: impl ToString,
    row: &E::Model,
) -> Result<()>
where
    E: Table,
    E::Model: Serialize + Clone + sea_orm::IntoActiveModel<A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    E::insert(store::insertable::<_, A>(row.clone()))
        .exec_without_returning(txn)
        .await?;
    write_change(txn, ctx, Change::created(event_type, E::ROW, key, row)).await?;
    Ok(())
}

/// Run `update` on the row of `E` with `key` inside `txn` and append its audit row (resource
/// type `E::ROW`, the changed fields): `(before, after)`. Nothing is committed here.
pub(crate) async fn update_audited<E, C>(
    txn: &C,
    ctx: &AuditContext,
    event_type: &'static str,
    key: entity::DbUuid,
    update: sea_orm::UpdateMany<E>,
) -> Result<(E::Model, E::Model)>
where
    E: Table,
    E::Model: Serialize,
    C: ConnectionTrait,
    entity::DbUuid: Into<Key<E>>,
{
    let before = read_for_update::<E, _, _>(txn, key).await?;
    let after = store::update_one_returning::<E, _, _>(txn, key, update).await?;
    write_change(
        txn,
        ctx,
        Change::updated(event_type, E::ROW, key, &before, &after),
    )
    .await?;
    Ok((before, after))
}

/// The row of `E` with `key`, locked against concurrent writers until `txn` ends (`FOR UPDATE`
/// on PostgreSQL; an SQLite write transaction already holds the database's write lock).
pub(crate) async fn read_for_update<E, C, K>(txn: &C, key: K) -> Result<E::Model>
where
    E: Table,
    C: ConnectionTrait,
    K: Into<Key<E>> + Clone + std::fmt::Display,
{
    let mut select = E::find_by_id(key.clone());
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select
        .one(txn)
        .await?
        .ok_or_else(|| store::not_found::<E>(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_kept_and_secrets_are_hidden() {
        let before = json!({"a": 1, "b": "x", "updated_at": "t1", "password_hash": "h1"});
        let after = json!({"a": 1, "b": "y", "updated_at": "t2", "password_hash": "h2"});
        let (old, new) = changed_fields(
            before.as_object().expect("object"),
            after.as_object().expect("object"),
        );
        assert_eq!(redacted(old), json!({"b": "x", "password_hash": REDACTED}));
        assert_eq!(redacted(new), json!({"b": "y", "password_hash": REDACTED}));
    }

    #[test]
    fn request_context_is_checked() {
        let id = UuidText::new_v4();
        AuditContext::user(id)
            .with_request("10.0.0.1", "curl/8")
            .validate()
            .expect("valid");
        assert!(
            AuditContext::user(id)
                .with_request("10.0.0.300", "x")
                .validate()
                .is_err()
        );
        assert!(
            AuditContext::user(id)
                .with_request("::1", " ")
                .validate()
                .is_err()
        );
        assert!(
            NewAuditLog::new(AuditContext::system(), "Code Pushed")
                .validate()
                .is_err()
        );
        assert!(
            NewAuditLog::new(AuditContext::system(), "code_pushed")
                .validate()
                .is_ok()
        );
    }
}
