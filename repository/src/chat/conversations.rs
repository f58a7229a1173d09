//! Chat exchanges (`conversation`, seed 001): record one, read a session's history, set and list
//! feedback, count per session, and delete old exchanges in short chunks (retention).
//!
//! `sources` is a list of http(s) URLs, stored as a JSON array text (`["https://…","https://…"]`).
//! Rows written by the seed's code hold them pipe-separated (`a | b`); [`parse_sources`] reads
//! both shapes (and the data migration `m20261201_000030` converts old rows).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::DbDateTime;
use entity::chat::conversation::{Column, Entity, Model};
use entity::chat::sea_orm_active_enums::Feedback;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JsonValue, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{HttpUrl, UuidText};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "conversation";
}

/// Longest user query accepted, in characters.
pub const MAX_QUERY_LEN: usize = 100_000;
/// Longest AI response accepted, in characters.
pub const MAX_RESPONSE_LEN: usize = 1_000_000;
/// Most sources one exchange may cite.
pub const MAX_SOURCES: usize = 1_000;
/// The page [`ConversationRepository::history`] returns by default: the seed's `limit(10)`.
pub const DEFAULT_HISTORY_PAGE: Page = Page {
    limit: 10,
    offset: 0,
};
/// Rows deleted per statement by [`ConversationRepository::delete_older_than`] unless told
/// otherwise: short chunks, so that a concurrent SQLite writer waits for one chunk at most.
pub const DEFAULT_DELETE_CHUNK: u64 = 5_000;

/// One exchange to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewConversation {
    /// The application-level session.
    pub session_id: UuidText,
    /// What the user asked (not empty).
    pub user_query: String,
    /// What the assistant answered (not empty).
    pub ai_response: String,
    /// The documents the answer cites.
    pub sources: Vec<HttpUrl>,
    /// How long the answer took, in seconds (finite, zero or more), if measured.
    pub response_time: Option<f64>,
}

impl NewConversation {
    /// An exchange of `session_id` with no sources and no response time.
    #[must_use]
    pub fn new(
        session_id: UuidText,
        user_query: impl Into<String>,
        ai_response: impl Into<String>,
    ) -> Self {
        Self {
            session_id,
            user_query: user_query.into(),
            ai_response: ai_response.into(),
            sources: Vec::new(),
            response_time: None,
        }
    }

    /// The same exchange, citing `sources`.
    #[must_use]
    pub fn with_sources(mut self, sources: Vec<HttpUrl>) -> Self {
        self.sources = sources;
        self
    }

    /// The same exchange, answered in `seconds`.
    #[must_use]
    pub const fn with_response_time(mut self, seconds: f64) -> Self {
        self.response_time = Some(seconds);
        self
    }

    /// The seed's `validate_conversation_data` (the session id is a UUID by type): query and
    /// response not empty, response time a finite number of zero or more.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("user_query", &self.user_query, MAX_QUERY_LEN)?;
        validate::text("ai_response", &self.ai_response, MAX_RESPONSE_LEN)?;
        if self.sources.len() > MAX_SOURCES {
            return Err(Error::validation(
                "sources",
                format!("must hold at most {MAX_SOURCES} URLs"),
                self.sources.len(),
            ));
        }
        if let Some(t) = self.response_time
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(Error::validation(
                "response_time",
                "must be a finite number of 0 or more",
                t,
            ));
        }
        Ok(())
    }

    fn into_model(self) -> Model {
        Model {
            id: UuidText::new_v4().to_string(),
            session_id: self.session_id.to_string(),
            user_query: self.user_query,
            ai_response: self.ai_response,
            sources: Some(sources_json(&self.sources)),
            response_time: self.response_time,
            created_at: Some(entity::behavior::now()),
            feedback: None,
        }
    }
}

/// The JSON array text `sources` are stored as.
#[must_use]
pub fn sources_json(sources: &[HttpUrl]) -> String {
    JsonValue::Array(
        sources
            .iter()
            .map(|u| JsonValue::String(u.to_string()))
            .collect(),
    )
    .to_string()
}

/// The sources stored in a `conversation.sources` text: a JSON array of URLs, or the seed's
/// pipe-separated text (`a | b`, empty parts ignored). NULL or blank text is no sources.
///
/// # Errors
/// [`Error::Validation`] (field `sources`, or `sources[i]` for a bad URL) when the text is
/// neither shape.
pub fn parse_sources(text: Option<&str>) -> Result<Vec<HttpUrl>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    if text.starts_with('[') {
        let items: Vec<String> = serde_json::from_str(text).map_err(|_| {
            Error::validation(
                "sources",
                "must be a JSON array of strings",
                "malformed JSON",
            )
        })?;
        items
            .iter()
            .enumerate()
            .map(|(i, s)| HttpUrl::parse_field(&format!("sources[{i}]"), s.as_str()))
            .collect()
    } else {
        text.split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .enumerate()
            .map(|(i, s)| HttpUrl::parse_field(&format!("sources[{i}]"), s))
            .collect()
    }
}

/// The sources of a stored exchange, in either stored shape (see [`parse_sources`]).
///
/// # Errors
/// [`Error::Validation`] when the stored text is neither shape.
pub fn sources_of(row: &Model) -> Result<Vec<HttpUrl>> {
    parse_sources(row.sources.as_deref())
}

/// How many exchanges a session has, and how many of them carry feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromQueryResult)]
pub struct SessionCount {
    /// The session.
    pub session_id: String,
    /// Its exchanges.
    pub exchanges: i64,
    /// Those with feedback.
    pub with_feedback: i64,
}

/// Chat exchanges.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConversationRepository: Send + Sync {
    /// Record one exchange (a new id, created now, no feedback).
    ///
    /// # Errors
    /// [`Error::Validation`] (see [`NewConversation::validate`]); [`Error::Db`].
    async fn record(&self, new: NewConversation) -> Result<Model>;

    /// The exchange with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, id: &UuidText) -> Result<Model>;

    /// A page of a session's exchanges, newest first (ties by id); the seed's page is
    /// [`DEFAULT_HISTORY_PAGE`].
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn history(&self, session_id: &UuidText, page: Page) -> Result<Vec<Model>>;

    /// Set (or replace) an exchange's feedback and return the row.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn set_feedback(&self, id: &UuidText, feedback: Feedback) -> Result<Model>;

    /// Exchanges with feedback created in `[from, to)`, newest first (the
    /// `idx_conversation_feedback_only` query).
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page or `from > to`; [`Error::Db`].
    async fn with_feedback(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        page: Page,
    ) -> Result<Vec<Model>>;

    /// Exchanges (and those with feedback) per session, by session id.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn counts_per_session(&self, page: Page) -> Result<Vec<SessionCount>>;

    /// How many exchanges there are.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn count(&self) -> Result<u64>;

    /// Delete exchanges created before `cutoff`, `chunk` rows per statement (each its own
    /// short transaction); returns how many were deleted. Rows with no `created_at` are kept.
    ///
    /// # Errors
    /// [`Error::Validation`] for a chunk of 0 or above 100,000; [`Error::Db`].
    async fn delete_older_than(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<u64>;
}

crate::store! {
    /// [`ConversationRepository`] on SeaORM.
    pub struct ConversationStore;
}

fn check_chunk(chunk: u64) -> Result<i64> {
    validate::range_i64(
        "chunk",
        i64::try_from(chunk).unwrap_or(i64::MAX),
        1,
        100_000,
    )?;
    Ok(i64::try_from(chunk).unwrap_or(1))
}

#[async_trait]
impl<C: Db> ConversationRepository for ConversationStore<C> {
    #[instrument(skip_all, fields(db.table = "conversation"))]
    async fn record(&self, new: NewConversation) -> Result<Model> {
        new.validate()?;
        let model = new.into_model();
        Entity::insert(store::insertable::<
            _,
            entity::chat::conversation::ActiveModel,
        >(model.clone()))
        .exec_without_returning(&self.db)
        .await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "conversation"))]
    async fn get(&self, id: &UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, id.to_string()).await
    }

    #[instrument(skip_all, fields(db.table = "conversation"))]
    async fn history(&self, session_id: &UuidText, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::SessionId.eq(session_id.to_string()))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "conversation"))]
    async fn set_feedback(&self, id: &UuidText, feedback: Feedback) -> Result<Model> {
        let update = Entity::update_many().col_expr(Column::Feedback, Expr::value(feedback));
        store::update_one_returning(&self.db, id.to_string(), update).await
    }

    #[instrument(skip_all, fields(db.table = "conversation"))]
    async fn with_feedback(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        page: Page,
    ) -> Result<Vec<Model>> {
        let page = page.validate()?;
        if from > to {
            return Err(Error::validation("from", "must not be after `to`", from));
        }
        Ok(Entity::find()
            .filter(Column::Feedback.is_not_null())
            .filter(Column::CreatedAt.gte(DbDateTime::from(from)))
            .filter(Column::CreatedAt.lt(DbDateTime::from(to)))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "conversation"))]
    async fn counts_per_session(&self, page: Page) -> Result<Vec<SessionCount>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .select_only()
            .column(Column::SessionId)
            .column_as(Column::Id.count(), "exchanges")
            .column_as(Column::Feedback.count(), "with_feedback")
            .group_by(Column::SessionId)
            .order_by_asc(Column::SessionId)
            .limit(page.limit)
            .offset(page.offset)
            .into_model::<SessionCount>()
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "conversation"))]
    async fn count(&self) -> Result<u64> {
        Ok(Entity::find().count(&self.db).await?)
    }

    #[instrument(skip_all, fields(db.table = "conversation", db.rows))]
    async fn delete_older_than(&self, cutoff: DateTime<Utc>, chunk: u64) -> Result<u64> {
        let limit = check_chunk(chunk)?;
        let cutoff = DbDateTime::from(cutoff);
        let mut deleted = 0;
        loop {
            // DELETE … WHERE id IN (SELECT id … LIMIT n): both backends, one short statement.
            let ids = Query::select()
                .column(Column::Id)
                .from(Entity)
                .and_where(Column::CreatedAt.lt(cutoff))
                .limit(u64::try_from(limit).unwrap_or(1))
                .take();
            let res = Entity::delete_many()
                .filter(Column::Id.in_subquery(ids))
                .exec(&self.db)
                .await?;
            deleted += res.rows_affected;
            if res.rows_affected < u64::try_from(limit).unwrap_or(1) {
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

    fn url(s: &str) -> HttpUrl {
        s.parse().expect("url")
    }

    #[test]
    fn sources_read_both_shapes() {
        let both = vec![url("https://a.org/x"), url("https://b.org/y?q=1|2")];
        assert_eq!(
            parse_sources(Some(&sources_json(&both))).expect("json"),
            both
        );
        assert_eq!(
            parse_sources(Some("https://a.org/x | https://b.org/y")).expect("pipes"),
            vec![url("https://a.org/x"), url("https://b.org/y")]
        );
        assert_eq!(parse_sources(None).expect("null"), Vec::<HttpUrl>::new());
        assert_eq!(
            parse_sources(Some(" ")).expect("blank"),
            Vec::<HttpUrl>::new()
        );
        assert_eq!(
            parse_sources(Some("[]")).expect("empty"),
            Vec::<HttpUrl>::new()
        );
        let err = parse_sources(Some("https://a.org | ftp://b.org")).expect_err("ftp");
        assert!(
            matches!(&err, Error::Validation { field, .. } if field == "sources[1]"),
            "{err}"
        );
        assert!(parse_sources(Some("[1, 2]")).is_err());
    }

    #[test]
    fn validation_follows_the_seed() {
        let id = UuidText::new_v4();
        let ok = NewConversation::new(id, "q", "a").with_response_time(0.0);
        ok.validate().expect("valid");
        for (bad, field) in [
            (NewConversation::new(id, " ", "a"), "user_query"),
            (NewConversation::new(id, "q", ""), "ai_response"),
            (ok.clone().with_response_time(-0.1), "response_time"),
            (ok.clone().with_response_time(f64::NAN), "response_time"),
            (
                ok.clone().with_response_time(f64::INFINITY),
                "response_time",
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
