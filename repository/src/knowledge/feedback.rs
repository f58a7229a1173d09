//! Feedback on content (PRD-011): explicit feedback events (`feedback_events`), implicit usage
//! signals (`usage_signals`), and their aggregates per content.
//!
//! Signal values (`usage_signals.signal_value`), checked before SQL:
//! - `click`: exactly 1.0 (one click; [`NewSignal::new`] with [`SignalType::Click`] sets it);
//! - `dwell_time`: seconds on the page, 0 to [`MAX_DWELL_SECONDS`];
//! - `scroll_depth`: percentage of the page scrolled, 0 to 100;
//! - `copy`, `share`: any finite value of 0 or more (1.0 by convention: one copy, one share).

use std::collections::HashMap;
use std::net::IpAddr;

use async_trait::async_trait;
use entity::behavior::now;
use entity::knowledge::sea_orm_active_enums::{FeedbackType, SignalType};
use entity::knowledge::{content_metadata, feedback_events, usage_signals};
use sea_orm::sea_query::{CommonTableExpression, Expr, ExprTrait, WithClause};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Iterable, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::bulk::statement_batch;
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db};
use crate::types::UuidText;
use crate::validate;

/// Longest dwell time accepted, in seconds (one day).
pub const MAX_DWELL_SECONDS: f64 = 86_400.0;

/// Longest comment accepted, in characters.
pub const MAX_COMMENT_LEN: usize = 5_000;

/// Longest search query, user agent or referrer accepted, in characters.
pub const MAX_TEXT_LEN: usize = 2_048;

/// Parse a stored feedback type (`helpful`, `not_helpful`, `outdated`, `incorrect`, `flag`).
///
/// # Errors
/// [`Error::Validation`] on `feedback_type`, listing the allowed values.
pub fn parse_feedback_type(value: &str) -> Result<FeedbackType> {
    validate::one_of("feedback_type", value)
}

/// Parse a stored signal type (`click`, `dwell_time`, `copy`, `share`, `scroll_depth`).
///
/// # Errors
/// [`Error::Validation`] on `signal_type`, listing the allowed values.
pub fn parse_signal_type(value: &str) -> Result<SignalType> {
    validate::one_of("signal_type", value)
}

/// Who gave a feedback or a signal, and where: all optional, all empty by default. In JSON its
/// fields sit beside those of the [`NewFeedback`] or [`NewSignal`] that holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The user's session, if known.
    #[serde(default)]
    pub user_session_id: Option<String>,
    /// The client's IP address, if known (stored as text).
    #[serde(default)]
    pub ip_address: Option<IpAddr>,
    /// The client's user agent, if known.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The search that led to the document, if any.
    #[serde(default)]
    pub search_query: Option<String>,
    /// The document's 0-based position in that search's results.
    #[serde(default)]
    pub result_position: Option<i32>,
}

impl Origin {
    /// The result at `position` (0-based) of `search_query`.
    #[must_use]
    pub fn search(search_query: impl Into<String>, position: i32) -> Self {
        Self {
            search_query: Some(search_query.into()),
            result_position: Some(position),
            ..Self::default()
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::opt_text(
            "user_session_id",
            self.user_session_id.as_deref(),
            validate::MAX_KEY_LEN,
        )?;
        validate::opt_text("user_agent", self.user_agent.as_deref(), MAX_TEXT_LEN)?;
        validate::opt_text("search_query", self.search_query.as_deref(), MAX_TEXT_LEN)?;
        if let Some(position) = self.result_position {
            validate::non_negative("result_position", position.into())?;
        }
        Ok(())
    }
}

/// Explicit feedback on one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewFeedback {
    /// The document (`content_metadata.content_id`); it must exist.
    pub content_id: String,
    /// What kind of feedback.
    pub feedback_type: FeedbackType,
    /// A rating from 1 to 5, if given.
    pub rating: Option<i32>,
    /// Free text, if given (at most [`MAX_COMMENT_LEN`] characters).
    pub comment: Option<String>,
    /// Who gave it, and where.
    #[serde(flatten)]
    pub origin: Origin,
}

impl NewFeedback {
    /// Feedback of `feedback_type` on `content_id`, with nothing else.
    #[must_use]
    pub fn new(content_id: impl Into<String>, feedback_type: FeedbackType) -> Self {
        Self {
            content_id: content_id.into(),
            feedback_type,
            rating: None,
            comment: None,
            origin: Origin::default(),
        }
    }

    /// The same feedback with a rating (1 to 5).
    #[must_use]
    pub const fn with_rating(mut self, rating: i32) -> Self {
        self.rating = Some(rating);
        self
    }

    /// The same feedback with a comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The same feedback, given on the result at `position` (0-based) of `search_query`.
    #[must_use]
    pub fn from_search(mut self, search_query: impl Into<String>, position: i32) -> Self {
        self.origin.search_query = Some(search_query.into());
        self.origin.result_position = Some(position);
        self
    }

    /// The same feedback, from `origin`.
    #[must_use]
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// Check every field against the seed's rules.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("content_id", &self.content_id, validate::MAX_KEY_LEN)?;
        if let Some(rating) = self.rating {
            validate::range_i64("rating", rating.into(), 1, 5)?;
        }
        validate::opt_text("comment", self.comment.as_deref(), MAX_COMMENT_LEN)?;
        self.origin.validate()
    }

    fn into_model(self) -> feedback_events::Model {
        let o = self.origin;
        feedback_events::Model {
            event_id: UuidText::new_v4().to_string(),
            content_id: self.content_id,
            feedback_type: self.feedback_type,
            rating: self.rating,
            comment: self.comment,
            user_session_id: o.user_session_id,
            ip_address: o.ip_address.map(|ip| ip.to_string()),
            user_agent: o.user_agent,
            search_query: o.search_query,
            result_position: o.result_position,
            created_at: now(),
        }
    }
}

fn missing_content(content_id: &str) -> Error {
    Error::Conflict(format!("content {content_id:?} does not exist"))
}

/// An implicit usage signal on one document. See the module documentation for the values
/// each type accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSignal {
    /// The document (`content_metadata.content_id`); it must exist.
    pub content_id: String,
    /// What kind of signal.
    pub signal_type: SignalType,
    /// Its value: 1.0 for a click, seconds for dwell time, a percentage for scroll depth.
    pub signal_value: f64,
    /// The referring page, if known.
    pub referrer: Option<String>,
    /// Who gave it, and where.
    #[serde(flatten)]
    pub origin: Origin,
}

impl NewSignal {
    /// A signal of `signal_type` worth `signal_value` on `content_id`, with nothing else.
    /// A click is always worth 1.0, whatever `signal_value` says.
    #[must_use]
    pub fn new(content_id: impl Into<String>, signal_type: SignalType, signal_value: f64) -> Self {
        Self {
            content_id: content_id.into(),
            signal_type,
            signal_value: if signal_type == SignalType::Click {
                1.0
            } else {
                signal_value
            },
            referrer: None,
            origin: Origin::default(),
        }
    }

    /// One click on `content_id`.
    #[must_use]
    pub fn click(content_id: impl Into<String>) -> Self {
        Self::new(content_id, SignalType::Click, 1.0)
    }

    /// The same signal, from `origin`.
    #[must_use]
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// The same signal, with the referring page.
    #[must_use]
    pub fn with_referrer(mut self, referrer: impl Into<String>) -> Self {
        self.referrer = Some(referrer.into());
        self
    }

    /// Check every field; the value's range depends on the type (see the module documentation).
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    #[allow(clippy::float_cmp)] // a click is exactly 1.0
    pub fn validate(&self) -> Result<()> {
        validate::text("content_id", &self.content_id, validate::MAX_KEY_LEN)?;
        let value = self.signal_value;
        match self.signal_type {
            SignalType::Click => {
                if value != 1.0 {
                    return Err(Error::validation(
                        "signal_value",
                        "must be 1 for a click",
                        value,
                    ));
                }
            }
            SignalType::DwellTime => {
                validate::range_f64("signal_value", value, 0.0, MAX_DWELL_SECONDS)?;
            }
            SignalType::ScrollDepth => validate::range_f64("signal_value", value, 0.0, 100.0)?,
            SignalType::Copy | SignalType::Share => {
                validate::range_f64("signal_value", value, 0.0, f64::MAX)?;
            }
        }
        self.origin.validate()?;
        validate::opt_text("referrer", self.referrer.as_deref(), MAX_TEXT_LEN)
    }

    fn into_model(self) -> usage_signals::Model {
        let o = self.origin;
        usage_signals::Model {
            signal_id: UuidText::new_v4().to_string(),
            content_id: self.content_id,
            signal_type: self.signal_type,
            signal_value: self.signal_value,
            search_query: o.search_query,
            result_position: o.result_position,
            user_session_id: o.user_session_id,
            ip_address: o.ip_address.map(|ip| ip.to_string()),
            user_agent: o.user_agent,
            referrer: self.referrer,
            created_at: now(),
        }
    }
}

/// What [`FeedbackRepository::record_interaction`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The feedback event.
    pub feedback: feedback_events::Model,
    /// The usage signal.
    pub signal: usage_signals::Model,
}

/// Count and sum of one signal type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SignalTotals {
    /// Signals recorded.
    pub count: u64,
    /// Sum of their values.
    pub total_value: f64,
}

/// Feedback and usage of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentAggregates {
    /// The document.
    pub content_id: String,
    /// Feedback events per type; every type is present (0 when there is none).
    pub feedback: HashMap<FeedbackType, u64>,
    /// Feedback events that carry a rating.
    pub rating_count: u64,
    /// Mean of those ratings; `None` when there is none.
    pub average_rating: Option<f64>,
    /// Click signals.
    pub clicks: u64,
    /// Sum of the dwell-time signals, in seconds.
    pub total_dwell_seconds: f64,
    /// Signals per type; every type is present (zeros when there is none).
    pub signals: HashMap<SignalType, SignalTotals>,
}

impl ContentAggregates {
    /// Feedback events of `feedback_type`.
    #[must_use]
    pub fn feedback_count(&self, feedback_type: FeedbackType) -> u64 {
        self.feedback.get(&feedback_type).copied().unwrap_or(0)
    }

    /// Totals of `signal_type`.
    #[must_use]
    pub fn signal(&self, signal_type: SignalType) -> SignalTotals {
        self.signals.get(&signal_type).copied().unwrap_or_default()
    }
}

/// Feedback events and usage signals.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait FeedbackRepository: Send + Sync {
    /// Record a feedback event (its `event_id` a new UUID). Returns the row as stored.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input; [`Error::Conflict`] when the document does not exist.
    async fn record_feedback(&self, feedback: NewFeedback) -> Result<feedback_events::Model>;

    /// Record a usage signal (its `signal_id` a new UUID). Returns the row as stored.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input; [`Error::Conflict`] when the document does not exist.
    async fn record_signal(&self, signal: NewSignal) -> Result<usage_signals::Model>;

    /// In one transaction: record the feedback event and the usage signal, and count one access
    /// to the document (`access_count + 1`, `last_accessed_at = now`). No reads, one round trip:
    /// on PostgreSQL a single statement (the inserts as data-modifying CTEs of the update), on
    /// SQLite the three statements in one call inside a `BEGIN IMMEDIATE` transaction.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input or when the two name different documents;
    /// [`Error::Conflict`] when the document does not exist (nothing is written).
    async fn record_interaction(
        &self,
        feedback: NewFeedback,
        signal: NewSignal,
    ) -> Result<Interaction>;

    /// The feedback and usage totals of a document, by two GROUP BY queries.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the document does not exist.
    async fn aggregates(&self, content_id: &str) -> Result<ContentAggregates>;

    /// One page of a document's feedback events, newest first.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page.
    async fn list_feedback(
        &self,
        content_id: &str,
        page: Page,
    ) -> Result<Vec<feedback_events::Model>>;
}

crate::store! {
    /// [`FeedbackRepository`] on SeaORM.
    pub struct FeedbackStore;
}

#[derive(Debug, FromQueryResult)]
struct FeedbackGroup {
    feedback_type: FeedbackType,
    n: i64,
    rating_count: i64,
    rating_sum: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct SignalGroup {
    signal_type: SignalType,
    n: i64,
    total_value: Option<f64>,
}

fn count_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl<C: Db> FeedbackRepository for FeedbackStore<C> {
    #[instrument(skip_all, fields(db.table = "feedback_events"))]
    async fn record_feedback(&self, feedback: NewFeedback) -> Result<feedback_events::Model> {
        feedback.validate()?;
        let model = feedback.into_model();
        feedback_events::Entity::insert(store::insertable::<_, feedback_events::ActiveModel>(
            model.clone(),
        ))
        .exec_without_returning(&self.db)
        .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "usage_signals"))]
    async fn record_signal(&self, signal: NewSignal) -> Result<usage_signals::Model> {
        signal.validate()?;
        let model = signal.into_model();
        usage_signals::Entity::insert(store::insertable::<_, usage_signals::ActiveModel>(
            model.clone(),
        ))
        .exec_without_returning(&self.db)
        .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "feedback_events"))]
    async fn record_interaction(
        &self,
        feedback: NewFeedback,
        signal: NewSignal,
    ) -> Result<Interaction> {
        feedback.validate()?;
        signal.validate()?;
        if signal.content_id != feedback.content_id {
            return Err(Error::validation(
                "content_id",
                "the signal and the feedback must be on the same document",
                format!("{:?}", signal.content_id),
            ));
        }
        let feedback = feedback.into_model();
        let signal = signal.into_model();
        let insert_feedback = feedback_events::Entity::insert(store::insertable::<
            _,
            feedback_events::ActiveModel,
        >(feedback.clone()));
        let insert_signal = usage_signals::Entity::insert(store::insertable::<
            _,
            usage_signals::ActiveModel,
        >(signal.clone()));
        let count_access = content_metadata::Entity::update_many()
            .col_expr(
                content_metadata::Column::AccessCount,
                Expr::col(content_metadata::Column::AccessCount).add(1),
            )
            .col_expr(
                content_metadata::Column::LastAccessedAt,
                Expr::value(Some(feedback.created_at)),
            )
            .filter(content_metadata::Column::ContentId.eq(feedback.content_id.as_str()));
        let backend = self.db.get_database_backend();
        // The inserts fail on the foreign key when the document is missing (Conflict).
        let updated = if backend == DbBackend::Postgres {
            // One statement, so one round trip and its own transaction: the inserts as
            // data-modifying CTEs of the update (`WITH … AS (INSERT …), … AS (INSERT …) UPDATE …`),
            // all under one snapshot, all or nothing.
            let ctes = WithClause::new()
                .cte(
                    CommonTableExpression::new()
                        .query(insert_feedback.into_query())
                        .table_name("new_feedback")
                        .to_owned(),
                )
                .cte(
                    CommonTableExpression::new()
                        .query(insert_signal.into_query())
                        .table_name("new_signal")
                        .to_owned(),
                )
                .to_owned();
            self.db
                .execute(&count_access.into_query().with(ctes))
                .await?
                .rows_affected()
        } else {
            // SQLite: one write transaction, its three statements in one call. Every call is a
            // hand-off to the connection's worker thread, made while the transaction holds the
            // database's write lock; each insert writes its one row, the rest is the update's.
            let batch = statement_batch(&[
                insert_feedback.build(backend),
                insert_signal.build(backend),
                count_access.build(backend),
            ]);
            let txn = begin_write(&self.db).await?;
            let affected = txn.execute_raw(batch).await?.rows_affected();
            if affected < 3 {
                // Dropping the transaction rolls the inserts back.
                return Err(missing_content(&feedback.content_id));
            }
            txn.commit().await?;
            affected - 2
        };
        if updated == 0 {
            return Err(missing_content(&feedback.content_id));
        }
        Ok(Interaction { feedback, signal })
    }

    #[instrument(skip_all, fields(db.table = "feedback_events"))]
    async fn aggregates(&self, content_id: &str) -> Result<ContentAggregates> {
        let exists = content_metadata::Entity::find_by_id(content_id)
            .select_only()
            .column(content_metadata::Column::ContentId)
            .into_tuple::<String>()
            .one(&self.db)
            .await?;
        if exists.is_none() {
            return Err(store::not_found::<content_metadata::Entity>(content_id));
        }

        let feedback_groups: Vec<FeedbackGroup> = feedback_events::Entity::find()
            .select_only()
            .column(feedback_events::Column::FeedbackType)
            .column_as(Expr::col(feedback_events::Column::EventId).count(), "n")
            .column_as(
                Expr::col(feedback_events::Column::Rating).count(),
                "rating_count",
            )
            .column_as(
                Expr::col(feedback_events::Column::Rating).sum(),
                "rating_sum",
            )
            .filter(feedback_events::Column::ContentId.eq(content_id))
            .group_by(feedback_events::Column::FeedbackType)
            .into_model()
            .all(&self.db)
            .await?;

        let signal_groups: Vec<SignalGroup> = usage_signals::Entity::find()
            .select_only()
            .column(usage_signals::Column::SignalType)
            .column_as(Expr::col(usage_signals::Column::SignalId).count(), "n")
            .column_as(
                Expr::col(usage_signals::Column::SignalValue).sum(),
                "total_value",
            )
            .filter(usage_signals::Column::ContentId.eq(content_id))
            .group_by(usage_signals::Column::SignalType)
            .into_model()
            .all(&self.db)
            .await?;

        let mut feedback: HashMap<FeedbackType, u64> =
            FeedbackType::iter().map(|t| (t, 0)).collect();
        let (mut rating_count, mut rating_sum) = (0_u64, 0_i64);
        for g in feedback_groups {
            feedback.insert(g.feedback_type, count_u64(g.n));
            rating_count += count_u64(g.rating_count);
            rating_sum += g.rating_sum.unwrap_or(0);
        }
        let mut signals: HashMap<SignalType, SignalTotals> = SignalType::iter()
            .map(|t| (t, SignalTotals::default()))
            .collect();
        for g in signal_groups {
            signals.insert(
                g.signal_type,
                SignalTotals {
                    count: count_u64(g.n),
                    total_value: g.total_value.unwrap_or(0.0),
                },
            );
        }
        #[allow(clippy::cast_precision_loss)]
        let average_rating = (rating_count > 0).then(|| rating_sum as f64 / rating_count as f64);
        Ok(ContentAggregates {
            content_id: content_id.to_owned(),
            rating_count,
            average_rating,
            clicks: signals[&SignalType::Click].count,
            total_dwell_seconds: signals[&SignalType::DwellTime].total_value,
            feedback,
            signals,
        })
    }

    #[instrument(skip_all, fields(db.table = "feedback_events", db.limit = page.limit, db.offset = page.offset))]
    async fn list_feedback(
        &self,
        content_id: &str,
        page: Page,
    ) -> Result<Vec<feedback_events::Model>> {
        let page = page.validate()?;
        Ok(feedback_events::Entity::find()
            .filter(feedback_events::Column::ContentId.eq(content_id))
            .order_by_desc(feedback_events::Column::CreatedAt)
            .order_by_asc(feedback_events::Column::EventId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }
}
