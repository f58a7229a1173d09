//! Projects (`projects`): by slug, repository URL, owner and status; technology-stack
//! containment; status and metrics changes.

use async_trait::async_trait;
use entity::DbUuid;
use entity::platform::projects::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::activity::{self, NewActivity};
use super::audit::{AuditContext, insert_audited, update_audited};
use super::{ProjectStatus, json, platform_store};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{HttpUrl, UuidText};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "project";
}

/// A project to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProject {
    /// Shown name, 1 to 255 characters.
    pub name: String,
    /// Unique URL-friendly id: 1 to 255 characters of `a-z`, `0-9` and `-`.
    pub slug: String,
    /// What it is.
    pub description: Option<String>,
    /// The repository (http/https), at most 500 characters.
    pub repository_url: Option<HttpUrl>,
    /// The default branch (`main` when `None`).
    pub default_branch: Option<String>,
    /// The owning user.
    pub owner_id: UuidText,
    /// Whether its activity is public.
    pub is_public: bool,
    /// Technologies used (`["rust", "postgresql"]`).
    pub technology_stack: Vec<String>,
    /// Anything else (a JSON object).
    pub metadata: Option<JsonValue>,
}

impl NewProject {
    /// A private project `name` with `slug`, owned by `owner_id`.
    #[must_use]
    pub fn new(name: impl Into<String>, slug: impl Into<String>, owner_id: UuidText) -> Self {
        Self {
            name: name.into(),
            slug: slug.into(),
            description: None,
            repository_url: None,
            default_branch: None,
            owner_id,
            is_public: false,
            technology_stack: Vec::new(),
            metadata: None,
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("name", &self.name, 255)?;
        check_slug(&self.slug)?;
        validate::opt_text("description", self.description.as_deref(), 100_000)?;
        if let Some(url) = &self.repository_url {
            validate::text("repository_url", url.as_str(), 500)?;
        }
        validate::opt_text("default_branch", self.default_branch.as_deref(), 255)?;
        json::string_array("technology_stack", &self.technology_stack)?;
        if let Some(m) = &self.metadata {
            json::object("metadata", m.clone())?;
        }
        Ok(())
    }
}

fn check_slug(slug: &str) -> Result<()> {
    validate::text("slug", slug, 255)?;
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(Error::validation(
            "slug",
            "must hold only a-z, 0-9 and '-'",
            format!("{slug:?}"),
        ));
    }
    Ok(())
}

/// Projects.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ProjectRepository: Send + Sync {
    /// Create a project (active); audited as `project_created`, with a `project_created`
    /// activity entry.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for a taken slug or an unknown owner;
    /// [`Error::Db`].
    async fn create(&self, new: NewProject, ctx: AuditContext) -> Result<Model>;

    /// The project with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, project_id: UuidText) -> Result<Model>;

    /// The project with this slug.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn by_slug(&self, slug: String) -> Result<Model>;

    /// Projects of this repository URL, oldest first.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn by_repository_url(&self, url: HttpUrl) -> Result<Vec<Model>>;

    /// A page of a user's projects, by slug.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn by_owner(&self, owner_id: UuidText, page: Page) -> Result<Vec<Model>>;

    /// A page of projects with this status, by slug.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn by_status(&self, status: ProjectStatus, page: Page) -> Result<Vec<Model>>;

    /// A page of projects whose technology stack holds every one of `technologies`, by slug.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or value; [`Error::Db`].
    async fn using_technologies(&self, technologies: Vec<String>, page: Page)
    -> Result<Vec<Model>>;

    /// Move a project to `status` (`archived_at` set when archived, cleared otherwise);
    /// audited as `project_status_changed`, with an activity entry.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn set_status(
        &self,
        project_id: UuidText,
        status: ProjectStatus,
        ctx: AuditContext,
    ) -> Result<Model>;

    /// Set the PR merge rate (0–1) and test coverage (0–100); audited as
    /// `project_metrics_updated`.
    ///
    /// # Errors
    /// [`Error::Validation`] for values out of range; [`Error::NotFound`]; [`Error::Db`].
    async fn update_metrics(
        &self,
        project_id: UuidText,
        pr_merge_rate: Option<f64>,
        test_coverage_percent: Option<f64>,
        ctx: AuditContext,
    ) -> Result<Model>;
}

platform_store! {
    /// [`ProjectRepository`] on SeaORM.
    pub struct ProjectStore;
}

#[async_trait]
impl<C: Db> ProjectRepository for ProjectStore<C> {
    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn create(&self, new: NewProject, ctx: AuditContext) -> Result<Model> {
        new.validate()?;
        ctx.validate()?;
        let now = entity::behavior::now();
        let model = Model {
            project_id: DbUuid::new_v4(),
            name: new.name,
            slug: new.slug,
            description: new.description,
            repository_url: new.repository_url.map(|u| u.as_str().to_owned()),
            default_branch: new.default_branch.unwrap_or_else(|| "main".to_owned()),
            owner_id: new.owner_id.into(),
            status: ProjectStatus::Active,
            is_public: new.is_public,
            technology_stack: json::string_array("technology_stack", &new.technology_stack)?.into(),
            metadata: new.metadata.unwrap_or_else(|| serde_json::json!({})).into(),
            pr_merge_rate: None,
            test_coverage_percent: None,
            created_at: now,
            updated_at: now,
            last_activity_at: None,
            archived_at: None,
        };
        let txn = begin_write(&self.db).await?;
        insert_audited::<Entity, ActiveModel, _>(
            &txn,
            &ctx,
            "project_created",
            model.project_id,
            &model,
        )
        .await?;
        let entry = activity::append(
            &txn,
            &ctx,
            NewActivity {
                project_id: model.project_id,
                task_id: None,
                activity_type: "project_created",
                title: format!("Project {} created", model.name),
                metadata: serde_json::json!({ "slug": model.slug }),
            },
        )
        .await?;
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &[entry]).await;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn get(&self, project_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, DbUuid::from(project_id)).await
    }

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn by_slug(&self, slug: String) -> Result<Model> {
        Entity::find()
            .filter(Column::Slug.eq(slug.as_str()))
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(slug))
    }

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn by_repository_url(&self, url: HttpUrl) -> Result<Vec<Model>> {
        Ok(Entity::find()
            .filter(Column::RepositoryUrl.eq(url.as_str()))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::ProjectId)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn by_owner(&self, owner_id: UuidText, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::OwnerId.eq(DbUuid::from(owner_id)))
            .order_by_asc(Column::Slug)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn by_status(&self, status: ProjectStatus, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::Status.eq(status))
            .order_by_asc(Column::Slug)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn using_technologies(
        &self,
        technologies: Vec<String>,
        page: Page,
    ) -> Result<Vec<Model>> {
        let page = page.validate()?;
        json::string_array("technologies", &technologies)?;
        let backend = self.db.get_database_backend();
        Ok(Entity::find()
            .filter(json::contains_all(
                backend,
                "projects",
                "technology_stack",
                &technologies,
            ))
            .order_by_asc(Column::Slug)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn set_status(
        &self,
        project_id: UuidText,
        status: ProjectStatus,
        ctx: AuditContext,
    ) -> Result<Model> {
        ctx.validate()?;
        let now = entity::behavior::now();
        let archived_at = (status == ProjectStatus::Archived).then_some(now);
        let txn = begin_write(&self.db).await?;
        let stmt = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status))
            .col_expr(Column::ArchivedAt, Expr::value(archived_at))
            .col_expr(Column::UpdatedAt, Expr::value(now));
        let (before, after) = update_audited(
            &txn,
            &ctx,
            "project_status_changed",
            project_id.into(),
            stmt,
        )
        .await?;
        let mut entries = Vec::new();
        if before.status != after.status {
            entries.push(
                activity::append(
                    &txn,
                    &ctx,
                    NewActivity {
                        project_id: after.project_id,
                        task_id: None,
                        activity_type: "project_status_changed",
                        title: format!(
                            "Project {} is now {}",
                            after.name,
                            status_text(after.status)
                        ),
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

    #[instrument(skip_all, fields(db.table = "projects"))]
    async fn update_metrics(
        &self,
        project_id: UuidText,
        pr_merge_rate: Option<f64>,
        test_coverage_percent: Option<f64>,
        ctx: AuditContext,
    ) -> Result<Model> {
        if let Some(r) = pr_merge_rate {
            validate::range_f64("pr_merge_rate", r, 0.0, 1.0)?;
        }
        if let Some(c) = test_coverage_percent {
            validate::range_f64("test_coverage_percent", c, 0.0, 100.0)?;
        }
        ctx.validate()?;
        let txn = begin_write(&self.db).await?;
        let stmt = Entity::update_many()
            .col_expr(Column::PrMergeRate, Expr::value(pr_merge_rate))
            .col_expr(
                Column::TestCoveragePercent,
                Expr::value(test_coverage_percent),
            )
            .col_expr(Column::UpdatedAt, Expr::value(entity::behavior::now()));
        let (_, after) = update_audited(
            &txn,
            &ctx,
            "project_metrics_updated",
            project_id.into(),
            stmt,
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }
}

/// A status as stored.
pub(crate) fn status_text<E: sea_orm::ActiveEnum<Value = String>>(status: E) -> String {
    status.to_value()
}
