//! Per-IP rate limits in the database (`rate_limit`, seed 001's `check_rate_limit`): a window of
//! one minute per address and a limit per window.
//!
//! - An address seen for the first time gets a row (count 1, window ending a minute later).
//! - A window that has ended starts again (count 1, a new end).
//! - At the limit the request is refused and not counted (the seed's code; DESIGN.md).
//! - Otherwise the count goes up by one and `last_request` moves.
//!
//! All of it is one statement, `INSERT … ON CONFLICT (ip_address) DO UPDATE SET … WHERE
//! <window ended or under the limit> RETURNING …`, atomic on both backends: a refused request
//! updates no row and returns none. Concurrent requests from one address are counted exactly.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use entity::DbDateTime;
use entity::chat::rate_limit::{Column, Entity, Model};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::store::{Db, Table};

impl Table for Entity {
    const ROW: &'static str = "rate limit";
}

/// The seed's `RATE_LIMIT_PER_MINUTE`: the limit `chat.rate_limit_per_minute` defaults to.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 60;

/// How long a window lasts: one minute.
pub const WINDOW: Duration = Duration::minutes(1);

/// What [`RateLimitRepository::check`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateDecision {
    /// Whether the request may go ahead (it was counted).
    pub allowed: bool,
    /// Requests left in the current window after this one.
    pub remaining: u32,
    /// When the current window ends and the count starts again.
    pub reset_time: DateTime<Utc>,
}

/// Per-IP request counting.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RateLimitRepository: Send + Sync {
    /// Count a request from `ip` now against `limit` requests per minute.
    ///
    /// # Errors
    /// [`Error::Validation`] for a limit of 0; [`Error::Db`].
    async fn check(&self, ip: IpAddr, limit: u32) -> Result<RateDecision> {
        self.check_at(ip, limit, Utc::now()).await
    }

    /// [`RateLimitRepository::check`] at the time `now` (for replays and tests).
    ///
    /// # Errors
    /// [`Error::Validation`] for a limit of 0; [`Error::Db`].
    async fn check_at(&self, ip: IpAddr, limit: u32, now: DateTime<Utc>) -> Result<RateDecision>;

    /// The row of `ip`, if it has one.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn get(&self, ip: IpAddr) -> Result<Option<Model>>;

    /// Delete the rows whose window ended before `now` (they would start again anyway);
    /// returns how many.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64>;

    /// How many rows there are.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn count(&self) -> Result<u64>;
}

crate::store! {
    /// [`RateLimitRepository`] on SeaORM.
    pub struct RateLimitStore;
}

#[async_trait]
impl<C: Db> RateLimitRepository for RateLimitStore<C> {
    #[instrument(skip_all, fields(db.table = "rate_limit"))]
    async fn check_at(&self, ip: IpAddr, limit: u32, now: DateTime<Utc>) -> Result<RateDecision> {
        if limit == 0 {
            return Err(Error::validation("limit", "must be at least 1", limit));
        }
        let ip = ip.to_string();
        let now = DbDateTime::from(now);
        let reset = DbDateTime::from(now.into_inner() + WINDOW);
        let existing = |c: Column| Expr::col((Entity, c));
        let ended = existing(Column::ResetTime)
            .is_null()
            .or(existing(Column::ResetTime).lte(now));
        let count = Expr::expr(Expr::col((Entity, Column::RequestCount)).if_null(0));
        let stmt = Query::insert()
            .into_table(Entity)
            .columns([
                Column::IpAddress,
                Column::RequestCount,
                Column::LastRequest,
                Column::ResetTime,
            ])
            .values_panic([ip.clone().into(), 1.into(), now.into(), reset.into()])
            .on_conflict(
                OnConflict::column(Column::IpAddress)
                    .values([
                        (
                            Column::RequestCount,
                            Expr::case(ended.clone(), 1)
                                .finally(count.clone().add(1))
                                .into(),
                        ),
                        (Column::LastRequest, Expr::val(now)),
                        (
                            Column::ResetTime,
                            Expr::case(ended.clone(), reset)
                                .finally(existing(Column::ResetTime))
                                .into(),
                        ),
                    ])
                    // At the limit (and inside the window) nothing is updated, nothing returned.
                    .action_and_where(ended.or(count.lt(i64::from(limit))))
                    .to_owned(),
            )
            .returning(Query::returning().columns([Column::RequestCount, Column::ResetTime]))
            .to_owned();
        let backend = self.db.get_database_backend();
        let row = self.db.query_one_raw(backend.build(&stmt)).await?;
        if let Some(row) = row {
            let counted: Option<i32> = row.try_get("", "request_count")?;
            let reset_time: Option<DbDateTime> = row.try_get("", "reset_time")?;
            let counted = u32::try_from(counted.unwrap_or(1)).unwrap_or(0);
            return Ok(RateDecision {
                allowed: true,
                remaining: limit.saturating_sub(counted),
                reset_time: reset_time.unwrap_or(reset).into_inner(),
            });
        }
        let reset_time = self
            .get_by_text(&ip)
            .await?
            .and_then(|r| r.reset_time)
            .unwrap_or(reset);
        Ok(RateDecision {
            allowed: false,
            remaining: 0,
            reset_time: reset_time.into_inner(),
        })
    }

    #[instrument(skip_all, fields(db.table = "rate_limit"))]
    async fn get(&self, ip: IpAddr) -> Result<Option<Model>> {
        self.get_by_text(&ip.to_string()).await
    }

    #[instrument(skip_all, fields(db.table = "rate_limit", db.rows))]
    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let deleted = Entity::delete_many()
            .filter(Column::ResetTime.lt(DbDateTime::from(now)))
            .exec(&self.db)
            .await?
            .rows_affected;
        tracing::Span::current().record("db.rows", deleted);
        Ok(deleted)
    }

    #[instrument(skip_all, fields(db.table = "rate_limit"))]
    async fn count(&self) -> Result<u64> {
        Ok(Entity::find().count(&self.db).await?)
    }
}

impl<C: Db> RateLimitStore<C> {
    async fn get_by_text(&self, ip: &str) -> Result<Option<Model>> {
        Ok(Entity::find()
            .filter(Column::IpAddress.eq(ip))
            .one(&self.db)
            .await?)
    }
}
