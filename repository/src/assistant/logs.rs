//! System logs (`system_logs`, seed 003 "application logging"): structured log records
//! appended one at a time or in batches (what the logging sink of `app` writes), filtered by
//! level, time, session and request id, paged newest first, and deleted in chunks after the
//! retention window.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::assistant::sea_orm_active_enums::LogLevel;
use entity::assistant::system_logs::{ActiveModel, Column, Entity, Model};
use entity::{DbDateTime, DbJson, DbUuid};
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{TimeWindow, check_chunk, insert_chunked};
use crate::error::{Error, Result};
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "log record";
}

/// `logger VARCHAR(255)`.
pub const MAX_LOGGER_LEN: usize = 255;
/// `request_id VARCHAR(64)`.
pub const MAX_REQUEST_ID_LEN: usize = 64;
/// Longest message (and exception) kept, in characters.
pub const MAX_MESSAGE_LEN: usize = 100_000;
/// Most records one [`SystemLogRepository::append_many`] call takes.
pub const MAX_BATCH: usize = 100_000;
/// Bound values per row of `system_logs`.
const COLUMNS: usize = 9;

/// The levels from `level` up (`Warning` → warning, error, critical).
#[must_use]
pub fn levels_from(level: LogLevel) -> Vec<LogLevel> {
    const ORDER: [LogLevel; 5] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
    ];
    ORDER.into_iter().skip_while(|l| *l != level).collect()
}

/// One log record to append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLog {
    /// Its level.
    pub level: LogLevel,
    /// The logger (usually the module path): 1 to 255 characters.
    pub logger: String,
    /// The message (at most 100,000 characters; may be empty).
    pub message: String,
    /// Structured fields: a JSON object.
    pub context: Option<JsonValue>,
    /// Formatted exception and traceback (at most 100,000 characters).
    pub exception: Option<String>,
    /// The session it was logged for (must exist in `user_sessions`).
    pub user_session_id: Option<UuidText>,
    /// The request it belongs to (1 to 64 characters).
    pub request_id: Option<String>,
    /// When it happened; now when `None`.
    pub created_at: Option<DateTime<Utc>>,
}

impl NewLog {
    /// A record of `level` from `logger`, with no context, happening now.
    #[must_use]
    pub fn new(level: LogLevel, logger: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            level,
            logger: logger.into(),
            message: message.into(),
            context: None,
            exception: None,
            user_session_id: None,
            request_id: None,
            created_at: None,
        }
    }

    /// The same record, with structured fields.
    #[must_use]
    pub fn with_context(mut self, context: JsonValue) -> Self {
        self.context = Some(context);
        self
    }

    /// The same record, of `session`.
    #[must_use]
    pub const fn with_session(mut self, session: UuidText) -> Self {
        self.user_session_id = Some(session);
        self
    }

    /// The same record, of request `request_id`.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// The same record, happening `at`.
    #[must_use]
    pub const fn at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = Some(at);
        self
    }

    /// The columns' rules.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("logger", &self.logger, MAX_LOGGER_LEN)?;
        let len = self.message.chars().count();
        if len > MAX_MESSAGE_LEN {
            return Err(Error::validation(
                "message",
                format!("must be at most {MAX_MESSAGE_LEN} characters"),
                format!("{len} characters"),
            ));
        }
        validate::opt_text("exception", self.exception.as_deref(), MAX_MESSAGE_LEN)?;
        validate::opt_text("request_id", self.request_id.as_deref(), MAX_REQUEST_ID_LEN)?;
        if self.context.as_ref().is_some_and(|c| !c.is_object()) {
            return Err(Error::validation(
                "context",
                "must be a JSON object",
                "another JSON value",
            ));
        }
        Ok(())
    }

    fn into_model(self, now: DbDateTime) -> Model {
        Model {
            id: DbUuid::new_v4(),
            level: self.level,
            logger: self.logger,
            message: self.message,
            context: self.context.map(DbJson::from),
            exception: self.exception,
            user_session_id: self.user_session_id.map(DbUuid::from),
            request_id: self.request_id,
            // At the precision every backend stores, so that a record reads back equal.
            created_at: self
                .created_at
                .map_or(now, |at| DbDateTime::from(at).trunc_micros()),
        }
    }
}

/// `DbDateTime` truncated to microseconds.
trait TruncMicros {
    fn trunc_micros(self) -> Self;
}

impl TruncMicros for DbDateTime {
    fn trunc_micros(self) -> Self {
        use chrono::SubsecRound;
        Self(self.0.trunc_subsecs(6))
    }
}

/// Which records a listing returns: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogFilter {
    /// Of one of these levels (any level when empty).
    pub levels: Vec<LogLevel>,
    /// Created in this window.
    pub window: Option<TimeWindow>,
    /// Of this session.
    pub session: Option<UuidText>,
    /// Of this request.
    pub request_id: Option<String>,
}

impl LogFilter {
    /// Records of `level` or above.
    #[must_use]
    pub fn at_least(level: LogLevel) -> Self {
        Self {
            levels: levels_from(level),
            ..Self::default()
        }
    }
}

/// System logs.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SystemLogRepository: Send + Sync {
    /// Append one record; returns the row.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for a session that does not exist;
    /// [`Error::Db`].
    async fn append(&self, new: NewLog) -> Result<Model>;

    /// Append many records in one transaction (chunked under the bind limits): all or none.
    /// Returns how many were written.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the bad item (`logs[3].logger`) before any SQL;
    /// [`Error::Conflict`]; [`Error::Db`].
    async fn append_many(&self, news: Vec<NewLog>) -> Result<u64>;

    /// A page of the records `filter` selects, newest first (ties by id).
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page, window or request id; [`Error::Db`].
    async fn list(&self, filter: LogFilter, page: Page) -> Result<Vec<Model>>;

    /// Delete records created before `cutoff`, `chunk` rows per transaction; returns how many.
    ///
    /// # Errors
    /// [`Error::Validation`] for a chunk of 0 or above 10,000; [`Error::Db`].
    async fn delete_older_than(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<u64>;
}

crate::store! {
    /// [`SystemLogRepository`] on SeaORM.
    pub struct SystemLogStore;
}

#[async_trait]
impl<C: Db> SystemLogRepository for SystemLogStore<C> {
    #[instrument(skip_all, fields(db.table = "system_logs"))]
    async fn append(&self, new: NewLog) -> Result<Model> {
        new.validate()?;
        let model = new.into_model(entity::behavior::now());
        Entity::insert(store::insertable::<_, ActiveModel>(model.clone()))
            .exec_without_returning(&self.db)
            .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "system_logs", db.rows = news.len()))]
    async fn append_many(&self, news: Vec<NewLog>) -> Result<u64> {
        if news.len() > MAX_BATCH {
            return Err(Error::validation(
                "logs",
                format!("must hold at most {MAX_BATCH} records"),
                news.len(),
            ));
        }
        store::validate_batch("logs", &news, NewLog::validate)?;
        if news.is_empty() {
            return Ok(0);
        }
        let now = entity::behavior::now();
        let rows: Vec<ActiveModel> = news
            .into_iter()
            .map(|n| store::insertable(n.into_model(now)))
            .collect();
        let total = rows.len() as u64;
        let txn = crate::begin_write(&self.db).await?;
        insert_chunked::<Entity, _, _>(&txn, rows, COLUMNS).await?;
        txn.commit().await?;
        Ok(total)
    }

    #[instrument(skip_all, fields(db.table = "system_logs"))]
    async fn list(&self, filter: LogFilter, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        let mut find = Entity::find();
        if !filter.levels.is_empty() {
            find = find.filter(Column::Level.is_in(filter.levels));
        }
        if let Some(window) = filter.window {
            window.validate()?;
            find = find
                .filter(Column::CreatedAt.gte(DbDateTime::from(window.from)))
                .filter(Column::CreatedAt.lt(DbDateTime::from(window.to)));
        }
        if let Some(session) = filter.session {
            find = find.filter(Column::UserSessionId.eq(DbUuid::from(session)));
        }
        if let Some(request_id) = filter.request_id {
            validate::text("request_id", &request_id, MAX_REQUEST_ID_LEN)?;
            find = find.filter(Column::RequestId.eq(request_id));
        }
        Ok(find
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "system_logs", db.rows))]
    async fn delete_older_than(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<u64> {
        let limit = check_chunk(chunk)?;
        let cutoff = DbDateTime::from(cutoff);
        let deleted = store::delete_chunked::<Entity, _>(
            &self.db,
            Column::Id,
            sea_orm::Condition::all().add(Column::CreatedAt.lt(cutoff)),
            limit,
        )
        .await?;
        tracing::Span::current().record("db.rows", deleted);
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_rules() {
        assert_eq!(
            levels_from(LogLevel::Warning),
            vec![LogLevel::Warning, LogLevel::Error, LogLevel::Critical]
        );
        NewLog::new(LogLevel::Info, "app", "")
            .validate()
            .expect("empty message is fine");
        for (bad, field) in [
            (NewLog::new(LogLevel::Info, "", "m"), "logger"),
            (
                NewLog::new(LogLevel::Info, "a", "m").with_request_id("r".repeat(65)),
                "request_id",
            ),
            (
                NewLog::new(LogLevel::Info, "a", "m").with_context(serde_json::json!(1)),
                "context",
            ),
        ] {
            let err = bad.validate().expect_err(field);
            assert!(
                matches!(&err, Error::Validation { field: f, .. } if f == field),
                "{err}"
            );
        }
    }
}
