//! Agent executions (`agent_executions`): queued (pending), started (running), finished
//! (success, failure or timeout) with result, tokens, cost and duration; token and cost
//! roll-ups per agent, project or day.
//!
//! Finishing an execution recomputes its agent's `total_executions`, `success_rate`,
//! `avg_execution_time_ms` and `last_used_at` from the execution rows, in the finishing
//! transaction, with the agent's row locked first (`FOR UPDATE` on PostgreSQL; SQLite's write
//! transaction holds the database's write lock): concurrent finishes of one agent's executions
//! run one after the other, and each computes from every execution committed before it, so
//! the figures are always exactly those of the rows:
//! - `total_executions`: finished executions (success, failure, timeout);
//! - `success_rate`: successes / finished executions (0 with none);
//! - `avg_execution_time_ms`: the mean `execution_time_ms` of finished executions, rounded
//!   half up to an integer (0 with none);
//! - `last_used_at`: the latest `completed_at`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::platform::agent_executions::{ActiveModel, Column, Entity, Model};
use entity::{DbDateTime, DbUuid};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, JsonValue, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionSession, Value,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::activity::{self, NewActivity};
use super::audit::{AuditContext, Change, insert_audited, read_for_update, write_change};
use super::projects::status_text;
use super::{ExecutionStatus, platform_store};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::UuidText;
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "agent_execution";
}

/// An execution to queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewExecution {
    /// The agent that runs.
    pub agent_id: UuidText,
    /// The task it works on.
    pub task_id: Option<UuidText>,
    /// The project it works for.
    pub project_id: Option<UuidText>,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finish {
    /// `Success`, `Failure` or `Timeout`.
    pub status: ExecutionStatus,
    /// Its output (any JSON).
    pub result: Option<JsonValue>,
    /// What went wrong.
    pub error_message: Option<String>,
    /// Prompt tokens (≥ 0).
    pub input_tokens: i32,
    /// Completion tokens (≥ 0).
    pub output_tokens: i32,
    /// Cost in US dollars (finite, ≥ 0).
    pub cost_usd: f64,
    /// How long it ran, in milliseconds (≥ 0).
    pub execution_time_ms: i32,
    /// Evidence it produced.
    pub evidence_id: Option<UuidText>,
}

impl Finish {
    /// A successful end with `result`.
    #[must_use]
    pub fn success(
        result: JsonValue,
        input_tokens: i32,
        output_tokens: i32,
        cost_usd: f64,
        execution_time_ms: i32,
    ) -> Self {
        Self {
            status: ExecutionStatus::Success,
            result: Some(result),
            error_message: None,
            input_tokens,
            output_tokens,
            cost_usd,
            execution_time_ms,
            evidence_id: None,
        }
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        if !matches!(
            self.status,
            ExecutionStatus::Success | ExecutionStatus::Failure | ExecutionStatus::Timeout
        ) {
            return Err(Error::validation(
                "status",
                "must be success, failure or timeout",
                status_text(self.status),
            ));
        }
        validate::opt_text("error_message", self.error_message.as_deref(), 1_000_000)?;
        validate::non_negative("input_tokens", self.input_tokens.into())?;
        validate::non_negative("output_tokens", self.output_tokens.into())?;
        validate::range_f64("cost_usd", self.cost_usd, 0.0, f64::MAX)?;
        validate::non_negative("execution_time_ms", self.execution_time_ms.into())?;
        Ok(())
    }
}

/// What a roll-up groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollupBy {
    /// The agent (key: its id).
    Agent,
    /// The project (key: its id; executions without one under no key).
    Project,
    /// The UTC day the execution was created (key: `YYYY-MM-DD`).
    Day,
}

/// Token and cost totals of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromQueryResult)]
pub struct UsageRollup {
    /// The agent id, project id or day; `None` for executions without a project.
    pub key: Option<String>,
    /// Executions in the group.
    pub executions: i64,
    /// Their input tokens.
    pub input_tokens: i64,
    /// Their output tokens.
    pub output_tokens: i64,
    /// Their cost in US dollars.
    pub cost_usd: f64,
}

/// Agent executions.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ExecutionRepository: Send + Sync {
    /// Queue an execution (pending); audited as `execution_queued`.
    ///
    /// # Errors
    /// [`Error::Conflict`] for an unknown agent, task or project; [`Error::Db`].
    async fn queue(&self, new: NewExecution, ctx: AuditContext) -> Result<Model>;

    /// Start a pending execution (running, `started_at` now); audited as `execution_started`.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it is not pending; [`Error::Db`].
    async fn start(&self, execution_id: UuidText, ctx: AuditContext) -> Result<Model>;

    /// Finish a pending or running execution and update its agent's figures in the same
    /// transaction; audited as `execution_finished`, with an activity entry when it has a
    /// project.
    ///
    /// # Errors
    /// [`Error::Validation`]; [`Error::NotFound`]; [`Error::Conflict`] when it has already
    /// finished; [`Error::Db`].
    async fn finish(
        &self,
        execution_id: UuidText,
        finish: Finish,
        ctx: AuditContext,
    ) -> Result<Model>;

    /// The execution with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Db`].
    async fn get(&self, execution_id: UuidText) -> Result<Model>;

    /// A page of an agent's executions, newest first.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page; [`Error::Db`].
    async fn by_agent(&self, agent_id: UuidText, page: Page) -> Result<Vec<Model>>;

    /// Token and cost totals of the executions created in `[from, to)`, grouped `by`, by key.
    ///
    /// # Errors
    /// [`Error::Validation`] when `from > to`; [`Error::Db`].
    async fn rollup(
        &self,
        by: RollupBy,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UsageRollup>>;
}

platform_store! {
    /// [`ExecutionRepository`] on SeaORM.
    pub struct ExecutionStore;
}

/// Recompute an agent's figures from its execution rows (see the module docs).
fn agent_stats_statement(backend: DbBackend, agent_id: DbUuid, now: DbDateTime) -> Statement {
    let (real, uuid) = match backend {
        DbBackend::Postgres => ("DOUBLE PRECISION", "CAST($1 AS uuid)"),
        _ => ("REAL", "$1"),
    };
    let finished = "FROM \"agent_executions\" e WHERE e.\"agent_id\" = \"agents\".\"agent_id\" \
                    AND e.\"status\" IN ('success', 'failure', 'timeout')";
    let sql = format!(
        "UPDATE \"agents\" SET \
         \"total_executions\" = (SELECT COUNT(*) {finished}), \
         \"success_rate\" = COALESCE((SELECT CAST(SUM(CASE WHEN e.\"status\" = 'success' THEN 1 ELSE 0 END) AS {real}) \
            / COUNT(*) {finished}), 0), \
         \"avg_execution_time_ms\" = COALESCE((SELECT CAST((SUM(e.\"execution_time_ms\") * 2 + COUNT(e.\"execution_time_ms\")) \
            / (2 * COUNT(e.\"execution_time_ms\")) AS INTEGER) {finished} AND e.\"execution_time_ms\" IS NOT NULL), 0), \
         \"last_used_at\" = (SELECT MAX(e.\"completed_at\") {finished}), \
         \"updated_at\" = $2 \
         WHERE \"agent_id\" = {uuid}"
    );
    Statement::from_sql_and_values(backend, sql, [Value::from(agent_id), Value::from(now)])
}

fn rollup_statement(
    backend: DbBackend,
    by: RollupBy,
    from: DbDateTime,
    to: DbDateTime,
) -> Statement {
    let key = match (backend, by) {
        (DbBackend::Postgres, RollupBy::Agent) => "CAST(\"agent_id\" AS TEXT)",
        (DbBackend::Postgres, RollupBy::Project) => "CAST(\"project_id\" AS TEXT)",
        (DbBackend::Postgres, RollupBy::Day) => {
            "to_char(\"created_at\" AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
        (_, RollupBy::Agent) => "\"agent_id\"",
        (_, RollupBy::Project) => "\"project_id\"",
        (_, RollupBy::Day) => "substr(\"created_at\", 1, 10)",
    };
    let (int, real) = match backend {
        DbBackend::Postgres => ("BIGINT", "DOUBLE PRECISION"),
        _ => ("INTEGER", "REAL"),
    };
    let sql = format!(
        "SELECT {key} AS \"key\", COUNT(*) AS \"executions\", \
         CAST(COALESCE(SUM(\"input_tokens\"), 0) AS {int}) AS \"input_tokens\", \
         CAST(COALESCE(SUM(\"output_tokens\"), 0) AS {int}) AS \"output_tokens\", \
         CAST(COALESCE(SUM(\"cost_usd\"), 0) AS {real}) AS \"cost_usd\" \
         FROM \"agent_executions\" WHERE \"created_at\" >= $1 AND \"created_at\" < $2 \
         GROUP BY 1 ORDER BY 1"
    );
    Statement::from_sql_and_values(backend, sql, [Value::from(from), Value::from(to)])
}

#[async_trait]
impl<C: Db> ExecutionRepository for ExecutionStore<C> {
    #[instrument(skip_all, fields(db.table = "agent_executions"))]
    async fn queue(&self, new: NewExecution, ctx: AuditContext) -> Result<Model> {
        ctx.validate()?;
        let model = Model {
            execution_id: DbUuid::new_v4(),
            agent_id: new.agent_id.into(),
            task_id: new.task_id.map(DbUuid::from),
            project_id: new.project_id.map(DbUuid::from),
            evidence_id: None,
            status: ExecutionStatus::Pending,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0.0,
            execution_time_ms: None,
            result: None,
            error_message: None,
            started_at: None,
            completed_at: None,
            created_at: entity::behavior::now(),
        };
        let txn = begin_write(&self.db).await?;
        insert_audited::<Entity, ActiveModel, _>(
            &txn,
            &ctx,
            "execution_queued",
            model.execution_id,
            &model,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    #[instrument(skip_all, fields(db.table = "agent_executions"))]
    async fn start(&self, execution_id: UuidText, ctx: AuditContext) -> Result<Model> {
        ctx.validate()?;
        let key = DbUuid::from(execution_id);
        let txn = begin_write(&self.db).await?;
        let before = read_for_update::<Entity, _, _>(&txn, key).await?;
        if before.status != ExecutionStatus::Pending {
            return Err(Error::Conflict(format!(
                "agent execution {key} is {}, not pending",
                status_text(before.status)
            )));
        }
        let stmt = Entity::update_many()
            .col_expr(Column::Status, Expr::value(ExecutionStatus::Running))
            .col_expr(Column::StartedAt, Expr::value(entity::behavior::now()));
        let after = store::update_one_returning(&txn, key, stmt).await?;
        write_change(
            &txn,
            &ctx,
            Change::updated("execution_started", Entity::ROW, key, &before, &after),
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    #[instrument(skip_all, fields(db.table = "agent_executions"))]
    async fn finish(
        &self,
        execution_id: UuidText,
        finish: Finish,
        ctx: AuditContext,
    ) -> Result<Model> {
        finish.validate()?;
        ctx.validate()?;
        let key = DbUuid::from(execution_id);
        let now = entity::behavior::now();
        let txn = begin_write(&self.db).await?;
        let before = read_for_update::<Entity, _, _>(&txn, key).await?;
        if !matches!(
            before.status,
            ExecutionStatus::Pending | ExecutionStatus::Running
        ) {
            return Err(Error::Conflict(format!(
                "agent execution {key} has already finished ({})",
                status_text(before.status)
            )));
        }
        // The agent's row first: finishes of one agent's executions queue here.
        read_for_update::<entity::platform::agents::Entity, _, _>(&txn, before.agent_id).await?;
        let mut stmt = Entity::update_many()
            .col_expr(Column::Status, Expr::value(finish.status))
            .col_expr(
                Column::Result,
                Expr::value(finish.result.map(entity::DbJson::from)),
            )
            .col_expr(Column::ErrorMessage, Expr::value(finish.error_message))
            .col_expr(Column::InputTokens, Expr::value(finish.input_tokens))
            .col_expr(Column::OutputTokens, Expr::value(finish.output_tokens))
            .col_expr(Column::CostUsd, Expr::value(finish.cost_usd))
            .col_expr(
                Column::ExecutionTimeMs,
                Expr::value(finish.execution_time_ms),
            )
            .col_expr(
                Column::StartedAt,
                Expr::value(before.started_at.unwrap_or(now)),
            )
            .col_expr(Column::CompletedAt, Expr::value(now));
        if let Some(evidence_id) = finish.evidence_id {
            stmt = stmt.col_expr(
                Column::EvidenceId,
                Column::EvidenceId.save_as(Expr::value(DbUuid::from(evidence_id))),
            );
        }
        let after = store::update_one_returning(&txn, key, stmt).await?;
        txn.execute_raw(agent_stats_statement(
            txn.get_database_backend(),
            after.agent_id,
            now,
        ))
        .await?;
        write_change(
            &txn,
            &ctx,
            Change::updated("execution_finished", Entity::ROW, key, &before, &after),
        )
        .await?;
        let mut entries = Vec::new();
        if let Some(project_id) = after.project_id {
            entries.push(
                activity::append(
                    &txn,
                    &ctx,
                    NewActivity {
                        project_id,
                        task_id: after.task_id,
                        activity_type: "execution_finished",
                        title: format!("Agent execution finished: {}", status_text(after.status)),
                        metadata: serde_json::json!({
                            "execution_id": after.execution_id,
                            "agent_id": after.agent_id,
                            "status": after.status,
                        }),
                    },
                )
                .await?,
            );
        }
        txn.commit().await?;
        activity::publish(self.publisher.as_ref(), &entries).await;
        Ok(after)
    }

    #[instrument(skip_all, fields(db.table = "agent_executions"))]
    async fn get(&self, execution_id: UuidText) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, DbUuid::from(execution_id)).await
    }

    #[instrument(skip_all, fields(db.table = "agent_executions"))]
    async fn by_agent(&self, agent_id: UuidText, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .filter(Column::AgentId.eq(DbUuid::from(agent_id)))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::ExecutionId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "agent_executions"))]
    async fn rollup(
        &self,
        by: RollupBy,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UsageRollup>> {
        if from > to {
            return Err(Error::validation("from", "must not be after `to`", from));
        }
        let stmt = rollup_statement(self.db.get_database_backend(), by, from.into(), to.into());
        Ok(UsageRollup::find_by_statement(stmt).all(&self.db).await?)
    }
}
