//! User sessions (`user_sessions`, seed 003 "session management"): created from a bearer token
//! of which only the SHA-256 is stored, touched on activity, revoked, soft-deleted, and purged
//! by the retention job. Lookups see only live sessions: active, unexpired, not deleted.
//!
//! Tokens are secrets: they are hashed as soon as they arrive, never stored, logged or shown
//! (`NewSession`'s `Debug` hides it).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use entity::assistant::user_sessions::{ActiveModel, Column, Entity, Model};
use entity::{DbDateTime, DbJson, DbUuid};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JsonValue, QueryFilter, QuerySelect, TransactionSession,
};
use sha2::{Digest, Sha256};
use tracing::instrument;

use super::check_chunk;
use crate::error::{Error, Result};
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "session";
}

/// `user_identifier VARCHAR(255)`.
pub const MAX_USER_IDENTIFIER_LEN: usize = 255;
/// Longest user agent kept, in characters.
pub const MAX_USER_AGENT_LEN: usize = 4_096;
/// Shortest token accepted, in characters (a bearer token must be hard to guess).
pub const MIN_TOKEN_LEN: usize = 16;
/// Longest token accepted, in characters.
pub const MAX_TOKEN_LEN: usize = 4_096;
/// Longest session lifetime: 90 days.
pub const MAX_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

/// The SHA-256 (64 lowercase hex digits) a token is stored and looked up as.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_token(token: &str) -> Result<()> {
    let len = token.chars().count();
    if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&len) || token.trim() != token {
        return Err(Error::validation(
            "token",
            format!(
                "must be {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} characters with no surrounding white space"
            ),
            "a token (not shown)",
        ));
    }
    Ok(())
}

fn check_ttl(ttl: Duration) -> Result<TimeDelta> {
    if ttl.is_zero() || ttl > MAX_TTL {
        return Err(Error::validation(
            "ttl",
            format!("must be between 1 s and {} s", MAX_TTL.as_secs()),
            format!("{} s", ttl.as_secs_f64()),
        ));
    }
    TimeDelta::from_std(ttl).map_err(|_| Error::validation("ttl", "is too large", ""))
}

/// A session to create.
#[derive(Clone, PartialEq)]
pub struct NewSession {
    /// The bearer token (16 to 4,096 characters); only its SHA-256 is stored.
    pub token: String,
    /// Who the session belongs to (at most 255 characters), `None` for anonymous.
    pub user_identifier: Option<String>,
    /// The client's IPv4 or IPv6 address.
    pub ip_address: Option<IpAddr>,
    /// The client's user agent (at most 4,096 characters).
    pub user_agent: Option<String>,
    /// Free-form session state: a JSON object.
    pub session_data: JsonValue,
    /// How long the session lives from now (1 s to 90 days).
    pub ttl: Duration,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &"(not shown)")
            .field("user_identifier", &self.user_identifier)
            .field("ip_address", &self.ip_address)
            .field("user_agent", &self.user_agent)
            .field("session_data", &self.session_data)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl NewSession {
    /// An anonymous session of `token` living `ttl`, with empty data.
    #[must_use]
    pub fn new(token: impl Into<String>, ttl: Duration) -> Self {
        Self {
            token: token.into(),
            user_identifier: None,
            ip_address: None,
            user_agent: None,
            session_data: JsonValue::Object(serde_json::Map::new()),
            ttl,
        }
    }

    /// The same session, of `user`.
    #[must_use]
    pub fn for_user(mut self, user: impl Into<String>) -> Self {
        self.user_identifier = Some(user.into());
        self
    }

    /// The same session, from `ip` with `user_agent`.
    #[must_use]
    pub fn from_client(mut self, ip: IpAddr, user_agent: impl Into<String>) -> Self {
        self.ip_address = Some(ip);
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The same session, with `data`.
    #[must_use]
    pub fn with_data(mut self, data: JsonValue) -> Self {
        self.session_data = data;
        self
    }

    /// The columns' rules: token length, identifier and agent lengths, data an object, TTL.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault (never showing the token).
    pub fn validate(&self) -> Result<()> {
        check_token(&self.token)?;
        validate::opt_text(
            "user_identifier",
            self.user_identifier.as_deref(),
            MAX_USER_IDENTIFIER_LEN,
        )?;
        validate::opt_text("user_agent", self.user_agent.as_deref(), MAX_USER_AGENT_LEN)?;
        if !self.session_data.is_object() {
            return Err(Error::validation(
                "session_data",
                "must be a JSON object",
                "another JSON value",
            ));
        }
        check_ttl(self.ttl).map(drop)
    }
}

/// User sessions.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserSessionRepository: Send + Sync {
    /// Create a session (active, created and last active now); returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] when the token is already in use;
    /// [`Error::Db`].
    async fn create(&self, new: NewSession) -> Result<Model>;

    /// The live session of `token`, if any.
    ///
    /// # Errors
    /// [`Error::Validation`] for a malformed token; [`Error::Db`].
    async fn find_by_token(&self, token: String) -> Result<Option<Model>>;

    /// The live session with this id, if any.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn get(&self, id: UuidText) -> Result<Option<Model>>;

    /// Record activity on a live session (`last_activity_at` = now) and, with `extend`, make it
    /// expire that long from now. Returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad `extend`; [`Error::NotFound`] when no live session has
    /// the id; [`Error::Db`].
    async fn touch(&self, id: UuidText, extend: Option<Duration>) -> Result<Model>;

    /// Revoke a session (logout): it is no longer live. Revoking is not activity.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn revoke(&self, id: UuidText) -> Result<()>;

    /// Soft-delete a session (`deleted_at` = now, unless already deleted).
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn soft_delete(&self, id: UuidText) -> Result<()>;

    /// Purge (hard-delete) sessions idle since before `cutoff` (revoked sessions included:
    /// revoking is not activity), deleted before it, or expired before it; `chunk` rows per
    /// transaction. Their log records stay, detached (`ON DELETE SET NULL`). Returns how many.
    ///
    /// # Errors
    /// [`Error::Validation`] for a chunk of 0 or above 10,000; [`Error::Db`].
    async fn purge(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<u64>;
}

crate::store! {
    /// [`UserSessionRepository`] on SeaORM.
    pub struct UserSessionStore;
}

/// Live: active, not deleted, not expired at `now`.
fn live(now: DbDateTime) -> Condition {
    Condition::all()
        .add(Column::IsActive.eq(true))
        .add(Column::DeletedAt.is_null())
        .add(Column::ExpiresAt.gt(now))
}

#[async_trait]
impl<C: Db> UserSessionRepository for UserSessionStore<C> {
    #[instrument(skip_all, fields(db.table = "user_sessions"))]
    async fn create(&self, new: NewSession) -> Result<Model> {
        new.validate()?;
        let ttl = check_ttl(new.ttl)?;
        let at = entity::behavior::now();
        let model = Model {
            id: DbUuid::new_v4(),
            session_token_hash: token_hash(&new.token),
            user_identifier: new.user_identifier,
            ip_address: new.ip_address.map(|ip| ip.to_string()),
            user_agent: new.user_agent,
            session_data: DbJson::from(new.session_data),
            created_at: at,
            last_activity_at: at,
            expires_at: at + ttl,
            is_active: true,
            deleted_at: None,
        };
        Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .exec_without_returning(&self.db)
            .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "user_sessions"))]
    async fn find_by_token(&self, token: String) -> Result<Option<Model>> {
        check_token(&token)?;
        Ok(Entity::find()
            .filter(Column::SessionTokenHash.eq(token_hash(&token)))
            .filter(live(entity::behavior::now()))
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "user_sessions"))]
    async fn get(&self, id: UuidText) -> Result<Option<Model>> {
        Ok(Entity::find_by_id(DbUuid::from(id))
            .filter(live(entity::behavior::now()))
            .one(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "user_sessions"))]
    async fn touch(&self, id: UuidText, extend: Option<Duration>) -> Result<Model> {
        let extend = extend.map(check_ttl).transpose()?;
        let at = entity::behavior::now();
        let mut update = Entity::update_many()
            .col_expr(Column::LastActivityAt, Expr::value(at))
            .filter(live(at));
        if let Some(extend) = extend {
            update = update.col_expr(Column::ExpiresAt, Expr::value(at + extend));
        }
        store::update_one_returning(&self.db, DbUuid::from(id), update).await
    }

    #[instrument(skip_all, fields(db.table = "user_sessions"))]
    async fn revoke(&self, id: UuidText) -> Result<()> {
        let update = Entity::update_many().col_expr(Column::IsActive, Expr::value(false));
        store::update_one::<Entity, _, _>(&self.db, DbUuid::from(id), update).await
    }

    #[instrument(skip_all, fields(db.table = "user_sessions"))]
    async fn soft_delete(&self, id: UuidText) -> Result<()> {
        let update = Entity::update_many().col_expr(
            Column::DeletedAt,
            Expr::from(Func::coalesce([
                Expr::col(Column::DeletedAt),
                Expr::value(entity::behavior::now()),
            ])),
        );
        store::update_one::<Entity, _, _>(&self.db, DbUuid::from(id), update).await
    }

    #[instrument(skip_all, fields(db.table = "user_sessions", db.rows))]
    async fn purge(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<u64> {
        let limit = check_chunk(chunk)?;
        let cutoff = DbDateTime::from(cutoff);
        let stale = Condition::any()
            .add(Column::LastActivityAt.lt(cutoff))
            .add(Column::DeletedAt.lt(cutoff))
            .add(Column::ExpiresAt.lt(cutoff));
        let mut deleted = 0;
        loop {
            let txn = crate::begin_write(&self.db).await?;
            let ids: Vec<DbUuid> = Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(stale.clone())
                .limit(limit)
                .into_tuple()
                .all(&txn)
                .await?;
            let found = ids.len() as u64;
            if found > 0 {
                deleted += Entity::delete_many()
                    .filter(Column::Id.is_in(ids))
                    .exec(&txn)
                    .await?
                    .rows_affected;
            }
            txn.commit().await?;
            if found < limit {
                break;
            }
        }
        tracing::Span::current().record("db.rows", deleted);
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hashed_and_never_shown() {
        let new = NewSession::new("a-very-secret-bearer-token", Duration::from_secs(60));
        new.validate().expect("valid");
        assert!(!format!("{new:?}").contains("secret"));
        assert_eq!(token_hash("abc").len(), 64);
        let err = NewSession::new("short", Duration::from_secs(60))
            .validate()
            .expect_err("short");
        assert!(!err.to_string().contains("short"), "{err}");
        let err = new
            .clone()
            .with_data(serde_json::json!([1]))
            .validate()
            .expect_err("array");
        assert!(matches!(&err, Error::Validation { field, .. } if field == "session_data"));
        let err = NewSession::new("a-very-secret-bearer-token", Duration::ZERO)
            .validate()
            .expect_err("ttl");
        assert!(matches!(&err, Error::Validation { field, .. } if field == "ttl"));
    }
}
