//! Tasks (`tasks`): issues, pull requests and tasks of a project; creation, assignment to a
//! user and/or an agent (the schema allows both at once), status moves, and listings by project,
//! status, priority, type, assignee, GitHub number and label containment, newest or priority
//! first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::platform::tasks::{ActiveModel, Column, Entity, Model};
use entity::{DbDateTime, DbUuid};
use sea_orm::sea_query::{Expr, Order, SimpleExpr};
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::activity::{self, NewActivity};
use super::audit::{
    AuditContext, Change, insert_audited, read_for_update, update_audited, write_change,
};
use super::projects::status_text;
use super::{TaskPriority, TaskStatus, TaskType, json, platform_store};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{HttpUrl, UuidText};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "task";
}

/// A task to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTask {
    /// The project.
    pub project_id: UuidText,
    /// 1 to 500 characters.
    pub title: String,
    /// What to do.
    pub description: Option<String>,
    /// Its type.
    pub task_type: TaskType,
    /// Its priority.
    pub priority: TaskPriority,
    /// `Open` or `Draft` (a task starts in one of these).
    pub status: TaskStatus,
    /// The GitHub issue number (> 0).
    pub github_issue_number: Option<i32>,
    /// The GitHub pull-request number (> 0).
    pub github_pr_number: Option<i32>,
    /// Its GitHub page.
    pub github_url: Option<HttpUrl>,
    /// Labels (`["bug", "ui"]`).
    pub labels: Vec<String>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Anything else (a JSON object).
    pub metadata: Option<JsonValue>,
}

impl NewTask {
    /// An open, medium-priority task of `project_id`.
    #[must_use]
    pub fn new(project_id: UuidText, title: impl Into<String>, task_type: TaskType) -> Self {
        Self {
            project_id,
            title: title.into(),
            description: None,
            task_type,
            priority: TaskPriority::Medium,
            status: TaskStatus::Open,
            github_issue_number: None,
            github_pr_number: None,
            github_url: None,
            labels: Vec::new(),
            due_at: None,
            metadata: None,
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("title", &self.title, 500)?;
        validate::opt_text("description", self.description.as_deref(), 1_000_000)?;
        if !matches!(self.status, TaskStatus::Open | TaskStatus::Draft) {
            return Err(Error::validation(
                "status",
                "a new task must be open or draft",
                status_text(self.status),
            ));
        }
        check_github_number("github_issue_number", self.github_issue_number)?;
        check_github_number("github_pr_number", self.github_pr_number)?;
        if let Some(url) = &self.github_url {
            validate::text("github_url", url.as_str(), 500)?;
        }
        json::string_array("labels", &self.labels)?;
        if let Some(m) = &self.metadata {
            json::object("metadata", m.clone())?;
        }
        Ok(())
    }
}

fn check_github_number(field: &str, n: Option<i32>) -> Result<()> {
    match n {
        Some(n) if n <= 0 => Err(Error::validation(field, "must be greater than 0", n)),
        _ => Ok(()),
    }
}

/// Which tasks to list; every field set narrows the result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskFilter {
    /// Of this project.
    pub project_id: Option<UuidText>,
    /// With this status.
    pub status: Option<TaskStatus>,
    /// With this priority.
    pub priority: Option<TaskPriority>,
    /// Of this type.
    pub task_type: Option<TaskType>,
    /// Assigned to this user.
    pub assigned_user_id: Option<UuidText>,
    /// Assigned to this agent.
    pub assigned_agent_id: Option<UuidText>,
    /// Holding every one of these labels.
    pub labels: Vec<String>,
}

/// The order of a task listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Critical, high, medium, low; newest first within a priority.
    Priority,
}

/// Tasks.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TaskRepository: Send + Sync {
    /// Create a task; audited as `task_created`, with an activity entry.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for an unknown project; [`Error::Db`].
    async fn create(&self, new: NewTask, ctx: AuditContext) -> Result<Model>;

    /// The task with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, task_id: UuidText) -> Result<Model>;

    /// Assign the task to `user_id` and/or `agent_id` (`None` unassigns that side); audited as
    /// `task_assigned`, with an activity entry.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] for an unknown user or agent; [`Error::Db`].
    async fn assign(
        &self,
        task_id: UuidText,
        user_id: Option<UuidText>,
        agent_id: Option<UuidText>,
        ctx: AuditContext,
    ) -> Result<Model>;

    /// Move the task to `status`: `started_at` is set the first time it goes in progress,
    /// `completed_at` when it is closed (cleared when reopened). Audited as
    /// `task_status_changed`, with an activity entry when the status changes.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn set_status(
        &self,
        task_id: UuidText,
        status: TaskStatus,
        ctx: AuditContext,
    ) -> Result<Model>;

    /// Delete the task (its comments and attachments go with it); audited as `task_deleted`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn delete(&self, task_id: UuidText, ctx: AuditContext) -> Result<()>;

    /// A page of the tasks `filter` selects, in `order` (ties by id).
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or label; [`Error::Db`].
    async fn list(&self, filter: TaskFilter, order: TaskOrder, page: Page) -> Result<Vec<Model>>;

    /// The project's task for GitHub issue `number`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a number of 0 or less; [`Error::NotFound`]; [`Error::Db`].
    async fn by_github_issue(&self, project_id: UuidText, number: i32) -> Result<Model>;

    /// The project's task for GitHub pull request `number`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a number of 0 or less; [`Error::NotFound`]; [`Error::Db`].
    async fn by_github_pr(&self, project_id: UuidText, number: i32) -> Result<Model>;
}

platform_store! {
    /// [`TaskRepository`] on SeaORM.
    pub struct TaskStore;
}

impl<C: Db> TaskStore<C> {
    async fn by_github(
        &self,
        field: &str,
        column: Column,
        project_id: UuidText,
        number: i32,
    ) -> Result<Model> {
        check_github_number(field, Some(number))?;
        Entity::find()
            .filter(Column::ProjectId.eq(DbUuid::from(project_id)))
            .filter(column.eq(number))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::TaskId)
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(format!("{project_id} #{number}")))
    }
}

#[async_trait]
impl<C: Db> TaskRepository for TaskStore<C> {
    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn create(&self, new: NewTask, ctx: AuditContext) -> Result<Model> {
        new.validate()?;
        ctx.validate()?;
        let now = entity::behavior::now();
        let model = Model {
            task_id: DbUuid::new_v4(),
            project_id: new.project_id.into(),
            github_issue_number: new.github_issue_number,
            github_pr_number: new.github_pr_number,
            github_url: new.github_url.map(HttpUrl::into_string),
            title: new.title,
            description: new.description,
            r#type: new.task_type,
            status: new.status,
            priority: new.priority,
            assigned_to_user_id: None,
            assigned_to_agent_id: None,
            ai_analysis: serde_json::json!({}).into(),
            ai_suggestions: serde_json::json!([]).into(),
            labels: json::string_array("labels", &new.labels)?.into(),
            metadata: new.metadata.unwrap_or_else(|| serde_json::json!({})).into(),
            created_at: now,
            updated_at: now,
            started_at: None,
            completed_at: None,
            due_at: new.due_at.map(DbDateTime::from),
        };
        let txn = begin_write(&self.db).await?;
        insert_audited::<Entity, ActiveModel, _>(&txn, &ctx, "task_created", model.task_id, &model)
            .await?;
        let entry = activity::append(
            &txn,
            &ctx,
            NewActivity {
                project_id: model.project_id,
                task_id: Some(model.task_id),
                activity_type: "task_created",
                title: format!("Task created: {}", model.title),
                metadata: serde_json::json!({ "type": model.r#type, "priority": model.priority }),
            },
        )
        .await?;
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &[entry]).await;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn get(&self, task_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, DbUuid::from(task_id)).await
    }

    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn assign(
        &self,
        task_id: UuidText,
        user_id: Option<UuidText>,
        agent_id: Option<UuidText>,
        ctx: AuditContext,
    ) -> Result<Model> {
        ctx.validate()?;
        let txn = begin_write(&self.db).await?;
        let stmt = Entity::update_many()
            .col_expr(
                Column::AssignedToUserId,
                Column::AssignedToUserId.save_as(Expr::value(user_id.map(DbUuid::from))),
            )
            .col_expr(
                Column::AssignedToAgentId,
                Column::AssignedToAgentId.save_as(Expr::value(agent_id.map(DbUuid::from))),
            )
            .col_expr(Column::UpdatedAt, Expr::value(entity::behavior::now()));
        let (_, after) = update_audited(&txn, &ctx, "task_assigned", task_id.into(), stmt).await?;
        let entry = activity::append(
            &txn,
            &ctx,
            NewActivity {
                project_id: after.project_id,
                task_id: Some(after.task_id),
                activity_type: "task_assigned",
                title: format!("Task assigned: {}", after.title),
                metadata: serde_json::json!({
                    "assigned_to_user_id": after.assigned_to_user_id,
                    "assigned_to_agent_id": after.assigned_to_agent_id,
                }),
            },
        )
        .await?;
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &[entry]).await;
        Ok(after)
    }

    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn set_status(
        &self,
        task_id: UuidText,
        status: TaskStatus,
        ctx: AuditContext,
    ) -> Result<Model> {
        ctx.validate()?;
        let now = entity::behavior::now();
        let txn = begin_write(&self.db).await?;
        let current = read_for_update::<Entity, _, _>(&txn, DbUuid::from(task_id)).await?;
        let started_at = match (status, current.started_at) {
            (TaskStatus::InProgress, None) => Some(now),
            (_, started) => started,
        };
        let completed_at = match status {
            TaskStatus::Closed => current.completed_at.or(Some(now)),
            _ => None,
        };
        let stmt = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status))
            .col_expr(Column::StartedAt, Expr::value(started_at))
            .col_expr(Column::CompletedAt, Expr::value(completed_at))
            .col_expr(Column::UpdatedAt, Expr::value(now));
        let (before, after) =
            update_audited(&txn, &ctx, "task_status_changed", task_id.into(), stmt).await?;
        let mut entries = Vec::new();
        if before.status != after.status {
            entries.push(
                activity::append(
                    &txn,
                    &ctx,
                    NewActivity {
                        project_id: after.project_id,
                        task_id: Some(after.task_id),
                        activity_type: "task_status_changed",
                        title: format!("{} moved to {}", after.title, status_text(after.status)),
                        metadata: serde_json::json!({ "from": before.status, "to": after.status }),
                    },
                )
                .await?,
            );
        }
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &entries).await;
        Ok(after)
    }

    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn delete(&self, task_id: UuidText, ctx: AuditContext) -> Result<()> {
        ctx.validate()?;
        let key = DbUuid::from(task_id);
        let txn = begin_write(&self.db).await?;
        let before = read_for_update::<Entity, _, _>(&txn, key).await?;
        store::delete_one::<Entity, _, _>(&txn, key).await?;
        write_change(
            &txn,
            &ctx,
            Change::deleted("task_deleted", Entity::ROW, key, &before),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn list(&self, filter: TaskFilter, order: TaskOrder, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        json::string_array("labels", &filter.labels)?;
        let backend = self.db.get_database_backend();
        let mut select = Entity::find().filter(json::contains_all(
            backend,
            "tasks",
            "labels",
            &filter.labels,
        ));
        if let Some(id) = filter.project_id {
            select = select.filter(Column::ProjectId.eq(DbUuid::from(id)));
        }
        if let Some(s) = filter.status {
            select = select.filter(Column::Status.eq(s));
        }
        if let Some(p) = filter.priority {
            select = select.filter(Column::Priority.eq(p));
        }
        if let Some(t) = filter.task_type {
            select = select.filter(Column::Type.eq(t));
        }
        if let Some(id) = filter.assigned_user_id {
            select = select.filter(Column::AssignedToUserId.eq(DbUuid::from(id)));
        }
        if let Some(id) = filter.assigned_agent_id {
            select = select.filter(Column::AssignedToAgentId.eq(DbUuid::from(id)));
        }
        if order == TaskOrder::Priority {
            let rank: SimpleExpr = Expr::case(Column::Priority.eq(TaskPriority::Critical), 0)
                .case(Column::Priority.eq(TaskPriority::High), 1)
                .case(Column::Priority.eq(TaskPriority::Medium), 2)
                .finally(3)
                .into();
            select = select.order_by(rank, Order::Asc);
        }
        Ok(select
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::TaskId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn by_github_issue(&self, project_id: UuidText, number: i32) -> Result<Model> {
        self.by_github(
            "github_issue_number",
            Column::GithubIssueNumber,
            project_id,
            number,
        )
        .await
    }

    #[instrument(skip_all, fields(db.table = "tasks"))]
    async fn by_github_pr(&self, project_id: UuidText, number: i32) -> Result<Model> {
        self.by_github(
            "github_pr_number",
            Column::GithubPrNumber,
            project_id,
            number,
        )
        .await
    }
}
