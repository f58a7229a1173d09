//! Evidence (`evidence`): the registry behind every decision, with a credibility score (0–1),
//! verification, filters by credibility range, verification, source type and tags, and the
//! related / contradicting links (JSON arrays of evidence ids) read in both directions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::platform::evidence::{ActiveModel, Column, Entity, Model};
use entity::{DbDateTime, DbUuid};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::activity::{self, NewActivity};
use super::audit::{AuditContext, insert_audited, update_audited};
use super::{EvidenceSourceType, json, platform_store};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{HttpUrl, UuidText};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "evidence";
}

/// Most ids one relation array may hold.
pub const MAX_LINKS: usize = 1_000;

/// An evidence record to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvidence {
    /// The project it belongs to.
    pub project_id: UuidText,
    /// The task it supports, if any.
    pub task_id: Option<UuidText>,
    /// Where it comes from.
    pub source_type: EvidenceSourceType,
    /// The source's name, at most 255 characters.
    pub source_name: Option<String>,
    /// The source's URL.
    pub source_url: Option<HttpUrl>,
    /// 1 to 500 characters.
    pub title: String,
    /// The evidence itself.
    pub content: Option<String>,
    /// Raw data (a JSON object).
    pub raw_data: Option<JsonValue>,
    /// How reliable it is, 0 to 1.
    pub credibility_score: f64,
    /// Evidence it supports.
    pub related_evidence: Vec<UuidText>,
    /// Evidence it contradicts.
    pub contradicting_evidence: Vec<UuidText>,
    /// Tags.
    pub tags: Vec<String>,
    /// When it stops being valid.
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewEvidence {
    /// Evidence of `project_id` with the seed's default credibility (0.5).
    #[must_use]
    pub fn new(
        project_id: UuidText,
        source_type: EvidenceSourceType,
        title: impl Into<String>,
    ) -> Self {
        Self {
            project_id,
            task_id: None,
            source_type,
            source_name: None,
            source_url: None,
            title: title.into(),
            content: None,
            raw_data: None,
            credibility_score: 0.5,
            related_evidence: Vec::new(),
            contradicting_evidence: Vec::new(),
            tags: Vec::new(),
            expires_at: None,
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::opt_text("source_name", self.source_name.as_deref(), 255)?;
        validate::text("title", &self.title, 500)?;
        validate::opt_text("content", self.content.as_deref(), 10_000_000)?;
        if let Some(raw) = &self.raw_data {
            json::object("raw_data", raw.clone())?;
        }
        validate::range_f64("credibility_score", self.credibility_score, 0.0, 1.0)?;
        for (field, ids) in [
            ("related_evidence", &self.related_evidence),
            ("contradicting_evidence", &self.contradicting_evidence),
        ] {
            if ids.len() > MAX_LINKS {
                return Err(Error::validation(
                    field,
                    format!("must hold at most {MAX_LINKS} ids"),
                    ids.len(),
                ));
            }
        }
        json::string_array("tags", &self.tags)?;
        Ok(())
    }
}

fn id_array(ids: &[UuidText]) -> JsonValue {
    let mut out: Vec<JsonValue> = Vec::with_capacity(ids.len());
    for id in ids {
        let v = JsonValue::String(id.to_string());
        if !out.contains(&v) {
            out.push(v);
        }
    }
    JsonValue::Array(out)
}

/// Which evidence to list; every field set narrows the result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EvidenceFilter {
    /// Of this project.
    pub project_id: Option<UuidText>,
    /// Of this task.
    pub task_id: Option<UuidText>,
    /// Credibility at least this.
    pub min_credibility: Option<f64>,
    /// Credibility at most this.
    pub max_credibility: Option<f64>,
    /// Verified (or not).
    pub is_verified: Option<bool>,
    /// From this kind of source.
    pub source_type: Option<EvidenceSourceType>,
    /// Holding every one of these tags.
    pub tags: Vec<String>,
}

/// Which relation of an evidence item to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceLink {
    /// `related_evidence`.
    Related,
    /// `contradicting_evidence`.
    Contradicting,
}

impl EvidenceLink {
    const fn column(self) -> (&'static str, Column) {
        match self {
            Self::Related => ("related_evidence", Column::RelatedEvidence),
            Self::Contradicting => ("contradicting_evidence", Column::ContradictingEvidence),
        }
    }
}

/// The evidence registry.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EvidenceRepository: Send + Sync {
    /// Record evidence (not verified); audited as `evidence_recorded`, with an activity entry.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for an unknown project or task; [`Error::Db`].
    async fn record(&self, new: NewEvidence, ctx: AuditContext) -> Result<Model>;

    /// The evidence with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, evidence_id: UuidText) -> Result<Model>;

    /// Mark it verified now (`is_verified`, `verified_at`); audited as `evidence_verified`,
    /// with an activity entry. Verifying verified evidence keeps its first `verified_at`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn verify(&self, evidence_id: UuidText, ctx: AuditContext) -> Result<Model>;

    /// A page of the evidence `filter` selects, most credible first, then newest.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page, range or tag; [`Error::Db`].
    async fn list(&self, filter: EvidenceFilter, page: Page) -> Result<Vec<Model>>;

    /// The evidence linked to this item by `link`, in both directions: the ids in its own
    /// array, and the items whose array holds its id. By id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn linked(&self, evidence_id: UuidText, link: EvidenceLink) -> Result<Vec<Model>>;
}

platform_store! {
    /// [`EvidenceRepository`] on SeaORM.
    pub struct EvidenceStore;
}

#[async_trait]
impl<C: Db> EvidenceRepository for EvidenceStore<C> {
    #[instrument(skip_all, fields(db.table = "evidence"))]
    async fn record(&self, new: NewEvidence, ctx: AuditContext) -> Result<Model> {
        new.validate()?;
        ctx.validate()?;
        let now = entity::behavior::now();
        let model = Model {
            evidence_id: DbUuid::new_v4(),
            task_id: new.task_id.map(DbUuid::from),
            project_id: new.project_id.into(),
            source_type: new.source_type,
            source_name: new.source_name,
            source_url: new.source_url.map(HttpUrl::into_string),
            title: new.title,
            content: new.content,
            raw_data: new.raw_data.unwrap_or_else(|| serde_json::json!({})).into(),
            credibility_score: new.credibility_score,
            is_verified: false,
            verified_at: None,
            related_evidence: id_array(&new.related_evidence).into(),
            contradicting_evidence: id_array(&new.contradicting_evidence).into(),
            tags: json::string_array("tags", &new.tags)?.into(),
            metadata: serde_json::json!({}).into(),
            created_at: now,
            updated_at: now,
            expires_at: new.expires_at.map(DbDateTime::from),
        };
        let txn = begin_write(&self.db).await?;
        insert_audited::<Entity, ActiveModel, _>(
            &txn,
            &ctx,
            "evidence_recorded",
            model.evidence_id,
            &model,
        )
        .await?;
        let entry = activity::append(
            &txn,
            &ctx,
            NewActivity {
                project_id: model.project_id,
                task_id: model.task_id,
                activity_type: "evidence_recorded",
                title: format!("Evidence recorded: {}", model.title),
                metadata: serde_json::json!({
                    "evidence_id": model.evidence_id,
                    "credibility_score": model.credibility_score,
                }),
            },
        )
        .await?;
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &[entry]).await;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "evidence"))]
    async fn get(&self, evidence_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, DbUuid::from(evidence_id)).await
    }

    #[instrument(skip_all, fields(db.table = "evidence"))]
    async fn verify(&self, evidence_id: UuidText, ctx: AuditContext) -> Result<Model> {
        ctx.validate()?;
        let now = entity::behavior::now();
        let txn = begin_write(&self.db).await?;
        let stmt = Entity::update_many()
            .col_expr(Column::IsVerified, Expr::value(true))
            .col_expr(
                Column::VerifiedAt,
                Expr::col(Column::VerifiedAt).if_null(Expr::value(now)),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now));
        let (before, after) =
            update_audited(&txn, &ctx, "evidence_verified", evidence_id.into(), stmt).await?;
        let mut entries = Vec::new();
        if !before.is_verified {
            entries.push(
                activity::append(
                    &txn,
                    &ctx,
                    NewActivity {
                        project_id: after.project_id,
                        task_id: after.task_id,
                        activity_type: "evidence_verified",
                        title: format!("Evidence verified: {}", after.title),
                        metadata: serde_json::json!({ "evidence_id": after.evidence_id }),
                    },
                )
                .await?,
            );
        }
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &entries).await;
        Ok(after)
    }

    #[instrument(skip_all, fields(db.table = "evidence"))]
    async fn list(&self, filter: EvidenceFilter, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        json::string_array("tags", &filter.tags)?;
        let min = filter.min_credibility.unwrap_or(0.0);
        let max = filter.max_credibility.unwrap_or(1.0);
        validate::range_f64("min_credibility", min, 0.0, 1.0)?;
        validate::range_f64("max_credibility", max, 0.0, 1.0)?;
        if min > max {
            return Err(Error::validation(
                "min_credibility",
                "must not be above max_credibility",
                min,
            ));
        }
        let backend = self.db.get_database_backend();
        let mut select = Entity::find()
            .filter(json::contains_all(
                backend,
                "evidence",
                "tags",
                &filter.tags,
            ))
            .filter(Column::CredibilityScore.between(min, max));
        if let Some(id) = filter.project_id {
            select = select.filter(Column::ProjectId.eq(DbUuid::from(id)));
        }
        if let Some(id) = filter.task_id {
            select = select.filter(Column::TaskId.eq(DbUuid::from(id)));
        }
        if let Some(v) = filter.is_verified {
            select = select.filter(Column::IsVerified.eq(v));
        }
        if let Some(s) = filter.source_type {
            select = select.filter(Column::SourceType.eq(s));
        }
        Ok(select
            .order_by_desc(Column::CredibilityScore)
            .order_by_desc(Column::CreatedAt)
            .order_by_asc(Column::EvidenceId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "evidence"))]
    async fn linked(&self, evidence_id: UuidText, link: EvidenceLink) -> Result<Vec<Model>> {
        let key = DbUuid::from(evidence_id);
        let item = store::get::<Entity, _, _>(&self.db, key).await?;
        let (name, column) = link.column();
        let array = match column {
            Column::RelatedEvidence => &item.related_evidence,
            _ => &item.contradicting_evidence,
        };
        let outgoing: Vec<DbUuid> = array
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let backend = self.db.get_database_backend();
        let mut either =
            Condition::any().add(json::contains(backend, "evidence", name, &key.to_string()));
        // Chunked under the bind limits (at most MAX_LINKS ids are stored by this API).
        for chunk in outgoing.chunks(MAX_LINKS) {
            either = either.add(Column::EvidenceId.is_in(chunk.iter().copied()));
        }
        Ok(Entity::find()
            .filter(either)
            .filter(Column::EvidenceId.ne(key))
            .order_by_asc(Column::EvidenceId)
            .all(&self.db)
            .await?)
    }
}
