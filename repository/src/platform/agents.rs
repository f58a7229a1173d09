//! Agents (`agents`): the AI agent registry, by name, type, provider and activity; tag
//! containment; capabilities as JSON. Performance figures (`total_executions`, `success_rate`,
//! `avg_execution_time_ms`, `last_used_at`) are maintained by
//! [`super::ExecutionRepository::finish`], never set here.

use async_trait::async_trait;
use entity::DbUuid;
use entity::platform::agents::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::audit::{AuditContext, insert_audited, update_audited};
use super::{json, platform_store};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "agent";
}

/// An agent to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAgent {
    /// Unique name: 1 to 255 characters of `a-z`, `0-9`, `-` and `_`.
    pub name: String,
    /// Shown name.
    pub display_name: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// Its type (`planner`, `coder`, …), 1 to 100 characters.
    pub agent_type: String,
    /// The LLM provider (`anthropic`, `openai`, …), 1 to 100 characters.
    pub model_provider: String,
    /// The model, 1 to 255 characters.
    pub model_name: String,
    /// What it can do (a JSON object).
    pub capabilities: JsonValue,
    /// Its configuration (a JSON object).
    pub configuration: JsonValue,
    /// Not yet for production use.
    pub is_experimental: bool,
    /// Its version (`1.0.0` when `None`).
    pub version: Option<String>,
    /// Tags (`["core"]`).
    pub tags: Vec<String>,
}

impl NewAgent {
    /// An agent with empty capabilities, configuration and tags.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        agent_type: impl Into<String>,
        model_provider: impl Into<String>,
        model_name: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            display_name: None,
            description: None,
            agent_type: agent_type.into(),
            model_provider: model_provider.into(),
            model_name: model_name.into(),
            capabilities: serde_json::json!({}),
            configuration: serde_json::json!({}),
            is_experimental: false,
            version: None,
            tags: Vec::new(),
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("name", &self.name, 255)?;
        if !self
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
        {
            return Err(Error::validation(
                "name",
                "must hold only a-z, 0-9, '-' and '_'",
                format!("{:?}", self.name),
            ));
        }
        validate::opt_text("display_name", self.display_name.as_deref(), 255)?;
        validate::opt_text("description", self.description.as_deref(), 100_000)?;
        validate::text("agent_type", &self.agent_type, 100)?;
        validate::text("model_provider", &self.model_provider, 100)?;
        validate::text("model_name", &self.model_name, 255)?;
        json::object("capabilities", self.capabilities.clone())?;
        json::object("configuration", self.configuration.clone())?;
        validate::opt_text("version", self.version.as_deref(), 50)?;
        json::string_array("tags", &self.tags)?;
        Ok(())
    }
}

/// The AI agent registry.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AgentRepository: Send + Sync {
    /// Register an agent (active, no executions yet); audited as `agent_created`.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for a taken name; [`Error::Db`].
    async fn create(&self, new: NewAgent, ctx: AuditContext) -> Result<Model>;

    /// The agent with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, agent_id: UuidText) -> Result<Model>;

    /// The agent with this name.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn by_name(&self, name: String) -> Result<Model>;

    /// Agents of this type, by name.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn by_type(&self, agent_type: String) -> Result<Vec<Model>>;

    /// Agents of this model provider, by name.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn by_provider(&self, model_provider: String) -> Result<Vec<Model>>;

    /// A page of active agents, by name.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn list_active(&self, page: Page) -> Result<Vec<Model>>;

    /// A page of agents holding every one of `tags`, by name.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or tag; [`Error::Db`].
    async fn with_tags(&self, tags: Vec<String>, page: Page) -> Result<Vec<Model>>;

    /// Replace the capabilities (a JSON object); audited as `agent_capabilities_changed`.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::NotFound`]; [`Error::Db`].
    async fn set_capabilities(
        &self,
        agent_id: UuidText,
        capabilities: JsonValue,
        ctx: AuditContext,
    ) -> Result<Model>;

    /// Activate or deactivate (`deprecated_at` set when deactivated, cleared when activated);
    /// audited as `agent_activated` / `agent_deactivated`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn set_active(
        &self,
        agent_id: UuidText,
        active: bool,
        ctx: AuditContext,
    ) -> Result<Model>;
}

platform_store! {
    /// [`AgentRepository`] on SeaORM.
    pub struct AgentStore;
}

impl<C: Db> AgentStore<C> {
    async fn by_column(&self, column: Column, value: String) -> Result<Vec<Model>> {
        Ok(Entity::find()
            .filter(column.eq(value))
            .order_by_asc(Column::Name)
            .all(&self.db)
            .await?)
    }

    async fn update(
        &self,
        agent_id: UuidText,
        event_type: &'static str,
        ctx: &AuditContext,
        stmt: sea_orm::UpdateMany<Entity>,
    ) -> Result<Model> {
        let txn = begin_write(&self.db).await?;
        let stmt = stmt.col_expr(Column::UpdatedAt, Expr::value(entity::behavior::now()));
        let (_, after) = update_audited(&txn, ctx, event_type, agent_id.into(), stmt).await?;
        txn.commit().await?;
        Ok(after)
    }
}

#[async_trait]
impl<C: Db> AgentRepository for AgentStore<C> {
    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn create(&self, new: NewAgent, ctx: AuditContext) -> Result<Model> {
        new.validate()?;
        ctx.validate()?;
        let now = entity::behavior::now();
        let model = Model {
            agent_id: DbUuid::new_v4(),
            name: new.name,
            display_name: new.display_name,
            description: new.description,
            agent_type: new.agent_type,
            model_provider: new.model_provider,
            model_name: new.model_name,
            capabilities: new.capabilities.into(),
            configuration: new.configuration.into(),
            success_rate: 0.0,
            avg_execution_time_ms: 0,
            total_executions: 0,
            is_active: true,
            is_experimental: new.is_experimental,
            version: new.version.unwrap_or_else(|| "1.0.0".to_owned()),
            tags: json::string_array("tags", &new.tags)?.into(),
            metadata: serde_json::json!({}).into(),
            last_used_at: None,
            created_at: now,
            updated_at: now,
            deprecated_at: None,
        };
        let txn = begin_write(&self.db).await?;
        insert_audited::<Entity, ActiveModel, _>(
            &txn,
            &ctx,
            "agent_created",
            model.agent_id,
            &model,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn get(&self, agent_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, DbUuid::from(agent_id)).await
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn by_name(&self, name: String) -> Result<Model> {
        Entity::find()
            .filter(Column::Name.eq(name.as_str()))
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(name))
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn by_type(&self, agent_type: String) -> Result<Vec<Model>> {
        self.by_column(Column::AgentType, agent_type).await
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn by_provider(&self, model_provider: String) -> Result<Vec<Model>> {
        self.by_column(Column::ModelProvider, model_provider).await
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn list_active(&self, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::IsActive.eq(true))
            .order_by_asc(Column::Name)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn with_tags(&self, tags: Vec<String>, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        json::string_array("tags", &tags)?;
        let backend = self.db.get_database_backend();
        Ok(Entity::find()
            .filter(json::contains_all(backend, "agents", "tags", &tags))
            .order_by_asc(Column::Name)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn set_capabilities(
        &self,
        agent_id: UuidText,
        capabilities: JsonValue,
        ctx: AuditContext,
    ) -> Result<Model> {
        let capabilities = json::object("capabilities", capabilities)?;
        ctx.validate()?;
        let stmt = Entity::update_many().col_expr(
            Column::Capabilities,
            Expr::value(entity::DbJson::from(capabilities)),
        );
        self.update(agent_id, "agent_capabilities_changed", &ctx, stmt)
            .await
    }

    #[instrument(skip_all, fields(db.table = "agents"))]
    async fn set_active(
        &self,
        agent_id: UuidText,
        active: bool,
        ctx: AuditContext,
    ) -> Result<Model> {
        ctx.validate()?;
        let deprecated_at = (!active).then(entity::behavior::now);
        let stmt = Entity::update_many()
            .col_expr(Column::IsActive, Expr::value(active))
            .col_expr(Column::DeprecatedAt, Expr::value(deprecated_at));
        let event = if active {
            "agent_activated"
        } else {
            "agent_deactivated"
        };
        self.update(agent_id, event, &ctx, stmt).await
    }
}
