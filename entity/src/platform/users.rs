//! `users`: human accounts and service accounts, with GitHub OAuth/SSO links (seed 004).

use crate::{DbDateTime, DbJson, DbUuid};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::sea_orm_active_enums::UserRole;

/// A row of `users`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: DbUuid,
    #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
    pub username: String,
    #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
    pub email: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub display_name: Option<String>,
    /// A password hash (never the password); `None` for SSO-only and service accounts.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub password_hash: Option<String>,
    pub role: UserRole,
    pub is_active: bool,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub github_username: Option<String>,
    /// GitHub's numeric account id (stable across renames), one platform user per account.
    #[sea_orm(unique)]
    pub github_user_id: Option<i64>,
    /// The OAuth access token, encrypted by the application before it is stored.
    #[sea_orm(column_type = "Text")]
    pub github_access_token_encrypted: Option<String>,
    pub github_token_expires_at: Option<DbDateTime>,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: DbJson,
    #[sea_orm(column_type = "JsonBinary")]
    pub preferences: DbJson,
    pub created_at: DbDateTime,
    pub updated_at: DbDateTime,
    pub last_login_at: Option<DbDateTime>,
    /// Soft deletion: set instead of deleting a user who owns projects.
    pub deleted_at: Option<DbDateTime>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub projects: HasMany<super::projects::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub tasks: HasMany<super::tasks::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub task_comments: HasMany<super::task_comments::Entity>,
    #[sea_orm(has_many)]
    #[serde(skip)]
    pub activity_feed: HasMany<super::activity_feed::Entity>,
}
