//! Users (`users`): humans and service accounts, with a role from the CHECK'd set, GitHub
//! identity, profile, preferences, logins and soft deletion.

use async_trait::async_trait;
use entity::DbUuid;
use entity::platform::users::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::audit::{AuditContext, insert_audited, update_audited};
use super::json;
use super::{UserRole, platform_store};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "user";
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    /// Unique; 1 to 255 characters of letters, digits, `.`, `_` and `-`.
    pub username: String,
    /// Unique; an address with one `@` and a dot in its domain, at most 255 characters.
    pub email: String,
    /// Shown name, at most 255 characters.
    pub display_name: Option<String>,
    /// The role (the schema's CHECK'd set).
    pub role: UserRole,
    /// A password hash computed by the caller (never a password), at most 255 characters.
    pub password_hash: Option<String>,
    /// GitHub login, at most 255 characters.
    pub github_username: Option<String>,
    /// GitHub's numeric user id (> 0).
    pub github_user_id: Option<i64>,
    /// Anything else (a JSON object; `{}` when `None`).
    pub metadata: Option<JsonValue>,
}

impl NewUser {
    /// A user named `username` with `email` and `role`, nothing else set.
    #[must_use]
    pub fn new(username: impl Into<String>, email: impl Into<String>, role: UserRole) -> Self {
        Self {
            username: username.into(),
            email: email.into(),
            display_name: None,
            role,
            password_hash: None,
            github_username: None,
            github_user_id: None,
            metadata: None,
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        check_username(&self.username)?;
        check_email(&self.email)?;
        validate::opt_text("display_name", self.display_name.as_deref(), 255)?;
        validate::opt_text("password_hash", self.password_hash.as_deref(), 255)?;
        validate::opt_text("github_username", self.github_username.as_deref(), 255)?;
        check_github_user_id(self.github_user_id)?;
        if let Some(m) = &self.metadata {
            json::object("metadata", m.clone())?;
        }
        Ok(())
    }
}

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProfileUpdate {
    /// New email (unique).
    pub email: Option<String>,
    /// New shown name.
    pub display_name: Option<String>,
    /// New GitHub login.
    pub github_username: Option<String>,
    /// New GitHub user id (> 0).
    pub github_user_id: Option<i64>,
    /// New role.
    pub role: Option<UserRole>,
    /// New metadata (a JSON object, replacing the old one).
    pub metadata: Option<JsonValue>,
}

impl ProfileUpdate {
    /// Check every field that is set.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        if let Some(e) = &self.email {
            check_email(e)?;
        }
        validate::opt_text("display_name", self.display_name.as_deref(), 255)?;
        validate::opt_text("github_username", self.github_username.as_deref(), 255)?;
        check_github_user_id(self.github_user_id)?;
        if let Some(m) = &self.metadata {
            json::object("metadata", m.clone())?;
        }
        Ok(())
    }
}

fn check_username(username: &str) -> Result<()> {
    validate::text("username", username, 255)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Error::validation(
            "username",
            "must hold only letters, digits, '.', '_' and '-'",
            format!("{username:?}"),
        ));
    }
    Ok(())
}

fn check_email(email: &str) -> Result<()> {
    validate::text("email", email, 255)?;
    let ok = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(char::is_whitespace)
    });
    if !ok {
        return Err(Error::validation(
            "email",
            "must be an email address (local@domain.tld)",
            format!("{email:?}"),
        ));
    }
    Ok(())
}

fn check_github_user_id(id: Option<i64>) -> Result<()> {
    match id {
        Some(n) if n <= 0 => Err(Error::validation(
            "github_user_id",
            "must be greater than 0",
            n,
        )),
        _ => Ok(()),
    }
}

/// Users.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Create a user (active, empty preferences); audited as `user_created`.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for a taken username, email or GitHub id;
    /// [`Error::Db`].
    async fn create(&self, new: NewUser, ctx: AuditContext) -> Result<Model>;

    /// The user with this id (soft-deleted users included).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, user_id: UuidText) -> Result<Model>;

    /// The user with this username.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn by_username(&self, username: String) -> Result<Model>;

    /// The user with this email.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn by_email(&self, email: String) -> Result<Model>;

    /// The (not deleted) user with this GitHub login.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn by_github_username(&self, github_username: String) -> Result<Model>;

    /// A page of active, not deleted users by username.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn list_active(&self, page: Page) -> Result<Vec<Model>>;

    /// Change profile fields; audited as `user_updated` with the changed fields.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::NotFound`]; [`Error::Conflict`]; [`Error::Db`].
    async fn update_profile(
        &self,
        user_id: UuidText,
        update: ProfileUpdate,
        ctx: AuditContext,
    ) -> Result<Model>;

    /// Replace the preferences (a JSON object); audited as `user_preferences_changed`.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::NotFound`]; [`Error::Db`].
    async fn set_preferences(
        &self,
        user_id: UuidText,
        preferences: JsonValue,
        ctx: AuditContext,
    ) -> Result<Model>;

    /// Record a login now; audited as `user_login`.
    ///
    /// # Errors
    /// [`Error::NotFound`] (also for a deleted or inactive user); [`Error::Db`].
    async fn record_login(&self, user_id: UuidText, ctx: AuditContext) -> Result<Model>;

    /// Soft delete: `deleted_at` now, inactive; audited as `user_deleted`.
    ///
    /// # Errors
    /// [`Error::NotFound`] (also when already deleted); [`Error::Db`].
    async fn soft_delete(&self, user_id: UuidText, ctx: AuditContext) -> Result<Model>;
}

platform_store! {
    /// [`UserRepository`] on SeaORM.
    pub struct UserStore;
}

impl<C: Db> UserStore<C> {
    /// Apply `update` to the user under `ctx`, in one transaction with its audit row.
    async fn audited_update(
        &self,
        user_id: UuidText,
        event_type: &'static str,
        ctx: &AuditContext,
        update: impl FnOnce(sea_orm::UpdateMany<Entity>) -> sea_orm::UpdateMany<Entity> + Send,
    ) -> Result<Model> {
        let txn = begin_write(&self.db).await?;
        let stmt = update(
            Entity::update_many().col_expr(Column::UpdatedAt, Expr::value(entity::behavior::now())),
        );
        let (_, after) = update_audited(&txn, ctx, event_type, user_id.into(), stmt).await?;
        txn.commit().await?;
        Ok(after)
    }
}

#[async_trait]
impl<C: Db> UserRepository for UserStore<C> {
    #[instrument(skip_all, fields(db.table = "users"))]
    async fn create(&self, new: NewUser, ctx: AuditContext) -> Result<Model> {
        new.validate()?;
        ctx.validate()?;
        let now = entity::behavior::now();
        let model = Model {
            user_id: DbUuid::new_v4(),
            username: new.username,
            email: new.email,
            display_name: new.display_name,
            password_hash: new.password_hash,
            role: new.role,
            is_active: true,
            github_username: new.github_username,
            github_user_id: new.github_user_id,
            github_access_token_encrypted: None,
            github_token_expires_at: None,
            metadata: new.metadata.unwrap_or_else(|| serde_json::json!({})).into(),
            preferences: serde_json::json!({}).into(),
            created_at: now,
            updated_at: now,
            last_login_at: None,
            deleted_at: None,
        };
        let txn = begin_write(&self.db).await?;
        insert_audited::<Entity, ActiveModel, _>(&txn, &ctx, "user_created", model.user_id, &model)
            .await?;
        txn.commit().await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn get(&self, user_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, DbUuid::from(user_id)).await
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn by_username(&self, username: String) -> Result<Model> {
        Entity::find()
            .filter(Column::Username.eq(username.as_str()))
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(username))
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn by_email(&self, email: String) -> Result<Model> {
        Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(email))
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn by_github_username(&self, github_username: String) -> Result<Model> {
        Entity::find()
            .filter(Column::GithubUsername.eq(github_username.as_str()))
            .filter(Column::DeletedAt.is_null())
            .order_by_asc(Column::CreatedAt)
            .one(&self.db)
            .await?
            .ok_or_else(|| store::not_found::<Entity>(github_username))
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn list_active(&self, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::IsActive.eq(true))
            .filter(Column::DeletedAt.is_null())
            .order_by_asc(Column::Username)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn update_profile(
        &self,
        user_id: UuidText,
        update: ProfileUpdate,
        ctx: AuditContext,
    ) -> Result<Model> {
        update.validate()?;
        ctx.validate()?;
        self.audited_update(user_id, "user_updated", &ctx, move |mut stmt| {
            if let Some(v) = update.email {
                stmt = stmt.col_expr(Column::Email, Expr::value(v));
            }
            if let Some(v) = update.display_name {
                stmt = stmt.col_expr(Column::DisplayName, Expr::value(v));
            }
            if let Some(v) = update.github_username {
                stmt = stmt.col_expr(Column::GithubUsername, Expr::value(v));
            }
            if let Some(v) = update.github_user_id {
                stmt = stmt.col_expr(Column::GithubUserId, Expr::value(v));
            }
            if let Some(v) = update.role {
                stmt = stmt.col_expr(Column::Role, Expr::value(v));
            }
            if let Some(v) = update.metadata {
                stmt = stmt.col_expr(Column::Metadata, Expr::value(entity::DbJson::from(v)));
            }
            stmt
        })
        .await
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn set_preferences(
        &self,
        user_id: UuidText,
        preferences: JsonValue,
        ctx: AuditContext,
    ) -> Result<Model> {
        let preferences = json::object("preferences", preferences)?;
        ctx.validate()?;
        self.audited_update(user_id, "user_preferences_changed", &ctx, move |stmt| {
            stmt.col_expr(
                Column::Preferences,
                Expr::value(entity::DbJson::from(preferences)),
            )
        })
        .await
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn record_login(&self, user_id: UuidText, ctx: AuditContext) -> Result<Model> {
        ctx.validate()?;
        self.audited_update(user_id, "user_login", &ctx, |stmt| {
            stmt.col_expr(Column::LastLoginAt, Expr::value(entity::behavior::now()))
                .filter(Column::IsActive.eq(true))
                .filter(Column::DeletedAt.is_null())
        })
        .await
    }

    #[instrument(skip_all, fields(db.table = "users"))]
    async fn soft_delete(&self, user_id: UuidText, ctx: AuditContext) -> Result<Model> {
        ctx.validate()?;
        let now = entity::behavior::now();
        self.audited_update(user_id, "user_deleted", &ctx, move |stmt| {
            stmt.col_expr(Column::DeletedAt, Expr::value(now))
                .col_expr(Column::IsActive, Expr::value(false))
                .filter(Column::DeletedAt.is_null())
        })
        .await
    }
}
