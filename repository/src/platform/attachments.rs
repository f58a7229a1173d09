//! Task attachments (`task_attachments`): files stored elsewhere (`storage_path`), listed by
//! task, and linked to evidence. The database's rule (an evidence link implies `is_evidence`)
//! is checked here before any SQL.

use async_trait::async_trait;
use entity::DbUuid;
use entity::platform::task_attachments::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, JsonValue, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::activity::{self, NewActivity};
use super::audit::{AuditContext, insert_audited, update_audited};
use super::{json, platform_store};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "attachment";
}

/// An attachment to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAttachment {
    /// The task.
    pub task_id: UuidText,
    /// The file's name, 1 to 500 characters.
    pub file_name: String,
    /// Its MIME type.
    pub content_type: Option<String>,
    /// Its size in bytes (≥ 0).
    pub file_size_bytes: Option<i64>,
    /// Where the object store keeps it.
    pub storage_path: String,
    /// Whether it is evidence.
    pub is_evidence: bool,
    /// The evidence record it backs (requires `is_evidence`).
    pub evidence_id: Option<UuidText>,
    /// Anything else (a JSON object).
    pub metadata: Option<JsonValue>,
}

impl NewAttachment {
    /// A plain (non-evidence) attachment.
    #[must_use]
    pub fn new(
        task_id: UuidText,
        file_name: impl Into<String>,
        storage_path: impl Into<String>,
    ) -> Self {
        Self {
            task_id,
            file_name: file_name.into(),
            content_type: None,
            file_size_bytes: None,
            storage_path: storage_path.into(),
            is_evidence: false,
            evidence_id: None,
            metadata: None,
        }
    }

    /// Check every field, and the schema's rule that an evidence link implies `is_evidence`.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("file_name", &self.file_name, 500)?;
        validate::opt_text("content_type", self.content_type.as_deref(), 255)?;
        if let Some(size) = self.file_size_bytes
            && size < 0
        {
            return Err(Error::validation(
                "file_size_bytes",
                "must be 0 or more",
                size,
            ));
        }
        validate::text("storage_path", &self.storage_path, 10_000)?;
        if self.evidence_id.is_some() && !self.is_evidence {
            return Err(Error::validation(
                "evidence_id",
                "requires is_evidence (ck_task_attachments_evidence_id)",
                "is_evidence = false",
            ));
        }
        if let Some(m) = &self.metadata {
            json::object("metadata", m.clone())?;
        }
        Ok(())
    }
}

/// Task attachments.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AttachmentRepository: Send + Sync {
    /// Add an attachment; audited as `attachment_added`, with an activity entry.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::Conflict`] for an unknown task or evidence;
    /// [`Error::Db`].
    async fn add(&self, new: NewAttachment, ctx: AuditContext) -> Result<Model>;

    /// The attachment with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, attachment_id: UuidText) -> Result<Model>;

    /// A page of a task's attachments, oldest first.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn by_task(&self, task_id: UuidText, page: Page) -> Result<Vec<Model>>;

    /// Make the attachment evidence backing `evidence_id` (`is_evidence` set with the link);
    /// audited as `attachment_linked_to_evidence`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] for unknown evidence; [`Error::Db`].
    async fn link_evidence(
        &self,
        attachment_id: UuidText,
        evidence_id: UuidText,
        ctx: AuditContext,
    ) -> Result<Model>;
}

platform_store! {
    /// [`AttachmentRepository`] on SeaORM.
    pub struct AttachmentStore;
}

#[async_trait]
impl<C: Db> AttachmentRepository for AttachmentStore<C> {
    #[instrument(skip_all, fields(db.table = "task_attachments"))]
    async fn add(&self, new: NewAttachment, ctx: AuditContext) -> Result<Model> {
        new.validate()?;
        ctx.validate()?;
        let model = Model {
            attachment_id: DbUuid::new_v4(),
            task_id: new.task_id.into(),
            file_name: new.file_name,
            content_type: new.content_type,
            file_size_bytes: new.file_size_bytes,
            storage_path: new.storage_path,
            is_evidence: new.is_evidence,
            evidence_id: new.evidence_id.map(DbUuid::from),
            metadata: new.metadata.unwrap_or_else(|| serde_json::json!({})).into(),
            created_at: entity::behavior::now(),
        };
        let txn = begin_write(&self.db).await?;
        insert_audited::<Entity, ActiveModel, _>(
            &txn,
            &ctx,
            "attachment_added",
            model.attachment_id,
            &model,
        )
        .await?;
        let task = store::get::<entity::platform::tasks::Entity, _, _>(&txn, model.task_id).await?;
        let entry = activity::append(
            &txn,
            &ctx,
            NewActivity {
                project_id: task.project_id,
                task_id: Some(task.task_id),
                activity_type: "attachment_added",
                title: format!("{} attached to {}", model.file_name, task.title),
                metadata: serde_json::json!({ "attachment_id": model.attachment_id }),
            },
        )
        .await?;
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &[entry]).await;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "task_attachments"))]
    async fn get(&self, attachment_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, DbUuid::from(attachment_id)).await
    }

    #[instrument(skip_all, fields(db.table = "task_attachments"))]
    async fn by_task(&self, task_id: UuidText, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::TaskId.eq(DbUuid::from(task_id)))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::AttachmentId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "task_attachments"))]
    async fn link_evidence(
        &self,
        attachment_id: UuidText,
        evidence_id: UuidText,
        ctx: AuditContext,
    ) -> Result<Model> {
        ctx.validate()?;
        let txn = begin_write(&self.db).await?;
        let stmt = Entity::update_many()
            .col_expr(Column::IsEvidence, Expr::value(true))
            .col_expr(
                Column::EvidenceId,
                Column::EvidenceId.save_as(Expr::value(DbUuid::from(evidence_id))),
            );
        let (_, after) = update_audited(
            &txn,
            &ctx,
            "attachment_linked_to_evidence",
            attachment_id.into(),
            stmt,
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }
}
