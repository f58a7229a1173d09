//! The platform system (seed 004, `packages/db` of an AI-first software engineering platform).
//!
//! The seed gives field lists and index lists, not DDL, so the tables are designed here, keeping
//! every field and every index the seed names:
//! - UUID primary keys `<table singular>_id` (`gen_random_uuid()` / a v4 expression on SQLite);
//! - JSONB for every JSON field, with GIN indexes on PostgreSQL for the JSON arrays the seed
//!   names (`agents.tags`, `evidence.tags`, `tasks.labels`) and a plain index of the same name on
//!   SQLite;
//! - a CHECK for every enumerated value set and for every score, rate, count and cost;
//! - every foreign key indexed, each with a deliberate ON DELETE (see each table);
//! - `audit_logs` append-only: `CHECK (is_immutable)` as the seed writes it, and triggers with
//!   which the database itself refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL).
//!
//! Indexes the seed lists on a primary-key column (`project_id` of `projects`, `agent_id` of
//! `agents`, …) are the primary key's own index: a second index on the same column would only
//! slow writes. Indexes the seed lists on a unique column (`username`, `email`, `slug`, `name`)
//! are created as UNIQUE indexes under the seed's name, so one index both enforces and serves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::common::{
    check_between, check_in, check_min, create_indexes, create_table, drop_tables, fk,
    forget_version, index, raw, record_version, timestamp, timestamp_now, uuid, uuid_pk,
};

/// Creates the ten platform tables, their indexes and the `audit_logs` immutability triggers.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create platform tables: users, projects, agents, tasks, evidence, \
     agent_executions, audit_logs (append-only), task_comments, task_attachments, activity_feed";

/// Children first, for `down`.
const TABLES: &[&str] = &[
    "activity_feed",
    "task_attachments",
    "task_comments",
    "agent_executions",
    "evidence",
    "tasks",
    "agents",
    "projects",
    "users",
    "audit_logs",
];

const USER_ROLES: &[&str] = &["admin", "manager", "user", "service"];
const PROJECT_STATUSES: &[&str] = &["active", "paused", "archived"];
const TASK_TYPES: &[&str] = &[
    "bug",
    "feature",
    "refactor",
    "test",
    "documentation",
    "task",
    "chore",
];
const TASK_STATUSES: &[&str] = &[
    "open",
    "in_progress",
    "in_review",
    "blocked",
    "closed",
    "draft",
];
const TASK_PRIORITIES: &[&str] = &["critical", "high", "medium", "low"];
const EXECUTION_STATUSES: &[&str] = &["pending", "running", "success", "failure", "timeout"];
/// Designed from the seed's "code analysis, test result, AI output, etc.".
const EVIDENCE_SOURCE_TYPES: &[&str] = &[
    "code_analysis",
    "test_result",
    "ai_output",
    "human_review",
    "documentation",
    "security_scan",
    "metrics",
    "external",
];

/// The message every refused change of `audit_logs` carries.
const AUDIT_APPEND_ONLY: &str = "audit_logs is append-only";

/// `name JSONB NOT NULL DEFAULT '<default>'`.
fn jsonb(name: &'static str, default: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .json_binary()
        .not_null()
        .default(default)
        .take()
}

/// `name VARCHAR(len)`, nullable unless made `not_null()`.
fn varchar(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).take()
}

/// `name BOOLEAN NOT NULL DEFAULT value`.
fn flag(name: &'static str, value: bool) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(value)
        .take()
}

/// A GIN index on PostgreSQL (sea-query renders `IndexType::FullText` as `USING GIN` there); on
/// SQLite, which has no GIN, the same statement is a plain index of the same name.
fn gin_index(
    name: &'static str,
    table: &'static str,
    column: &'static str,
) -> IndexCreateStatement {
    let mut stmt = index(name, table, &[column]);
    stmt.index_type(IndexType::FullText);
    stmt
}

/// A UNIQUE index.
fn unique_index(
    name: &'static str,
    table: &'static str,
    column: &'static str,
) -> IndexCreateStatement {
    let mut stmt = index(name, table, &[column]);
    stmt.unique();
    stmt
}

/// The triggers that make `audit_logs` append-only.
async fn create_audit_triggers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            for (name, event) in [
                ("audit_logs_refuse_update", "UPDATE"),
                ("audit_logs_refuse_delete", "DELETE"),
            ] {
                raw(
                    manager,
                    &format!(
                        "CREATE TRIGGER \"{name}\" BEFORE {event} ON \"audit_logs\" \
                         BEGIN SELECT RAISE(ABORT, '{AUDIT_APPEND_ONLY}'); END"
                    ),
                )
                .await?;
            }
        }
        _ => {
            // OR REPLACE: `migrate fresh` drops tables but leaves functions behind.
            raw(
                manager,
                &format!(
                    "CREATE OR REPLACE FUNCTION \"audit_logs_refuse_change\"() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN \
                     RAISE EXCEPTION '{AUDIT_APPEND_ONLY}: % refused', TG_OP \
                     USING ERRCODE = 'integrity_constraint_violation'; \
                     END $$"
                ),
            )
            .await?;
            raw(
                manager,
                "CREATE TRIGGER \"audit_logs_refuse_update_delete\" \
                 BEFORE UPDATE OR DELETE ON \"audit_logs\" \
                 FOR EACH ROW EXECUTE FUNCTION \"audit_logs_refuse_change\"()",
            )
            .await?;
            raw(
                manager,
                "CREATE TRIGGER \"audit_logs_refuse_truncate\" \
                 BEFORE TRUNCATE ON \"audit_logs\" \
                 FOR EACH STATEMENT EXECUTE FUNCTION \"audit_logs_refuse_change\"()",
            )
            .await?;
        }
    }
    Ok(())
}

/// Drop what [`create_audit_triggers`] created (before the table itself).
async fn drop_audit_triggers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            raw(
                manager,
                "DROP TRIGGER IF EXISTS \"audit_logs_refuse_update\"",
            )
            .await?;
            raw(
                manager,
                "DROP TRIGGER IF EXISTS \"audit_logs_refuse_delete\"",
            )
            .await?;
        }
        _ => {
            raw(
                manager,
                "DROP TRIGGER IF EXISTS \"audit_logs_refuse_update_delete\" ON \"audit_logs\"",
            )
            .await?;
            raw(
                manager,
                "DROP TRIGGER IF EXISTS \"audit_logs_refuse_truncate\" ON \"audit_logs\"",
            )
            .await?;
            raw(
                manager,
                "DROP FUNCTION IF EXISTS \"audit_logs_refuse_change\"()",
            )
            .await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    #[allow(clippy::too_many_lines)]
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();

        // users: uniqueness of username and email comes from the UNIQUE indexes below
        // (idx_users_username, idx_users_email), named as the seed lists them.
        create_table(
            manager,
            Table::create()
                .table("users")
                .col(uuid_pk(b, "user_id"))
                .col(varchar("username", 255).not_null())
                .col(varchar("email", 255).not_null())
                .col(varchar("display_name", 255).null())
                .col(varchar("password_hash", 255).null())
                .col(ColumnDef::new("role").text().not_null().default("user"))
                .col(flag("is_active", true))
                .col(varchar("github_username", 255).null())
                .col(ColumnDef::new("github_user_id").big_integer().null())
                .col(
                    ColumnDef::new("github_access_token_encrypted")
                        .text()
                        .null(),
                )
                .col(timestamp("github_token_expires_at").null())
                .col(jsonb("metadata", "{}"))
                .col(jsonb("preferences", "{}"))
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .col(timestamp("last_login_at").null())
                .col(timestamp("deleted_at").null())
                .check(check_in("users", "role", USER_ROLES))
                .take(),
        )
        .await?;

        // projects.owner_id -> users RESTRICT: a user who owns projects cannot be deleted until
        // ownership moves (users are soft-deleted with deleted_at); CASCADE would silently erase
        // whole projects, SET NULL would leave projects without an owner.
        create_table(
            manager,
            Table::create()
                .table("projects")
                .col(uuid_pk(b, "project_id"))
                .col(varchar("name", 255).not_null())
                .col(varchar("slug", 255).not_null())
                .col(ColumnDef::new("description").text().null())
                .col(varchar("repository_url", 500).null())
                .col(varchar("default_branch", 255).not_null().default("main"))
                .col(uuid("owner_id").not_null())
                .col(ColumnDef::new("status").text().not_null().default("active"))
                .col(flag("is_public", false))
                .col(jsonb("technology_stack", "[]"))
                .col(jsonb("metadata", "{}"))
                .col(ColumnDef::new("pr_merge_rate").double().null())
                .col(ColumnDef::new("test_coverage_percent").double().null())
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .col(timestamp("last_activity_at").null())
                .col(timestamp("archived_at").null())
                .check(check_in("projects", "status", PROJECT_STATUSES))
                .check(check_between("projects", "pr_merge_rate", 0.0, 1.0))
                .check(check_between(
                    "projects",
                    "test_coverage_percent",
                    0.0,
                    100.0,
                ))
                .foreign_key(&mut fk(
                    "projects",
                    "owner_id",
                    "users",
                    "user_id",
                    ForeignKeyAction::Restrict,
                ))
                .take(),
        )
        .await?;

        // agents: UNIQUE(name) (idx_agents_name): the name is how agents are addressed, so it
        // must be unambiguous on its own; agent_type is an open set, not CHECKed.
        create_table(
            manager,
            Table::create()
                .table("agents")
                .col(uuid_pk(b, "agent_id"))
                .col(varchar("name", 255).not_null())
                .col(varchar("display_name", 255).null())
                .col(ColumnDef::new("description").text().null())
                .col(varchar("agent_type", 100).not_null())
                .col(varchar("model_provider", 100).not_null())
                .col(varchar("model_name", 255).not_null())
                .col(jsonb("capabilities", "{}"))
                .col(jsonb("configuration", "{}"))
                .col(
                    ColumnDef::new("success_rate")
                        .double()
                        .not_null()
                        .default(0.0),
                )
                .col(
                    ColumnDef::new("avg_execution_time_ms")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("total_executions")
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(flag("is_active", true))
                .col(flag("is_experimental", false))
                .col(varchar("version", 50).not_null().default("1.0.0"))
                .col(jsonb("tags", "[]"))
                .col(jsonb("metadata", "{}"))
                .col(timestamp("last_used_at").null())
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .col(timestamp("deprecated_at").null())
                .check(check_between("agents", "success_rate", 0.0, 1.0))
                .check(check_min("agents", "avg_execution_time_ms", 0))
                .check(check_min("agents", "total_executions", 0))
                .take(),
        )
        .await?;

        // tasks.project_id CASCADE (a task is part of its project); the assignees SET NULL
        // (deleting a user or an agent unassigns its tasks).
        create_table(
            manager,
            Table::create()
                .table("tasks")
                .col(uuid_pk(b, "task_id"))
                .col(uuid("project_id").not_null())
                .col(ColumnDef::new("github_issue_number").integer().null())
                .col(ColumnDef::new("github_pr_number").integer().null())
                .col(varchar("github_url", 500).null())
                .col(varchar("title", 500).not_null())
                .col(ColumnDef::new("description").text().null())
                .col(ColumnDef::new("type").text().not_null().default("task"))
                .col(ColumnDef::new("status").text().not_null().default("open"))
                .col(
                    ColumnDef::new("priority")
                        .text()
                        .not_null()
                        .default("medium"),
                )
                .col(uuid("assigned_to_user_id").null())
                .col(uuid("assigned_to_agent_id").null())
                .col(jsonb("ai_analysis", "{}"))
                .col(jsonb("ai_suggestions", "[]"))
                .col(jsonb("labels", "[]"))
                .col(jsonb("metadata", "{}"))
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .col(timestamp("started_at").null())
                .col(timestamp("completed_at").null())
                .col(timestamp("due_at").null())
                .check(check_in("tasks", "type", TASK_TYPES))
                .check(check_in("tasks", "status", TASK_STATUSES))
                .check(check_in("tasks", "priority", TASK_PRIORITIES))
                .check((
                    "ck_tasks_github_issue_number",
                    Expr::col("github_issue_number").gt(0),
                ))
                .check((
                    "ck_tasks_github_pr_number",
                    Expr::col("github_pr_number").gt(0),
                ))
                .foreign_key(&mut fk(
                    "tasks",
                    "project_id",
                    "projects",
                    "project_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "tasks",
                    "assigned_to_user_id",
                    "users",
                    "user_id",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "tasks",
                    "assigned_to_agent_id",
                    "agents",
                    "agent_id",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;

        // evidence.project_id CASCADE (evidence belongs to its project); evidence.task_id
        // SET NULL (the decision trail outlives a deleted task and stays with the project).
        create_table(
            manager,
            Table::create()
                .table("evidence")
                .col(uuid_pk(b, "evidence_id"))
                .col(uuid("task_id").null())
                .col(uuid("project_id").not_null())
                .col(ColumnDef::new("source_type").text().not_null())
                .col(varchar("source_name", 255).null())
                .col(ColumnDef::new("source_url").text().null())
                .col(varchar("title", 500).not_null())
                .col(ColumnDef::new("content").text().null())
                .col(jsonb("raw_data", "{}"))
                .col(
                    ColumnDef::new("credibility_score")
                        .double()
                        .not_null()
                        .default(0.5),
                )
                .col(flag("is_verified", false))
                .col(timestamp("verified_at").null())
                .col(jsonb("related_evidence", "[]"))
                .col(jsonb("contradicting_evidence", "[]"))
                .col(jsonb("tags", "[]"))
                .col(jsonb("metadata", "{}"))
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .col(timestamp("expires_at").null())
                .check(check_in("evidence", "source_type", EVIDENCE_SOURCE_TYPES))
                .check(check_between("evidence", "credibility_score", 0.0, 1.0))
                .foreign_key(&mut fk(
                    "evidence",
                    "task_id",
                    "tasks",
                    "task_id",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "evidence",
                    "project_id",
                    "projects",
                    "project_id",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;

        // agent_executions are the billing and audit record of agent runs: agent_id RESTRICT
        // (retire an agent with is_active = false; deleting it would erase its cost history);
        // task, project and evidence SET NULL (the run and its cost stay, attributed to the
        // agent, when its context is deleted).
        create_table(
            manager,
            Table::create()
                .table("agent_executions")
                .col(uuid_pk(b, "execution_id"))
                .col(uuid("agent_id").not_null())
                .col(uuid("task_id").null())
                .col(uuid("project_id").null())
                .col(uuid("evidence_id").null())
                .col(
                    ColumnDef::new("status")
                        .text()
                        .not_null()
                        .default("pending"),
                )
                .col(
                    ColumnDef::new("input_tokens")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new("output_tokens")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new("cost_usd").double().not_null().default(0.0))
                .col(ColumnDef::new("execution_time_ms").integer().null())
                .col(ColumnDef::new("result").json_binary().null())
                .col(ColumnDef::new("error_message").text().null())
                .col(timestamp("started_at").null())
                .col(timestamp("completed_at").null())
                .col(timestamp_now(b, "created_at"))
                .check(check_in("agent_executions", "status", EXECUTION_STATUSES))
                .check(check_min("agent_executions", "input_tokens", 0))
                .check(check_min("agent_executions", "output_tokens", 0))
                .check(check_min("agent_executions", "cost_usd", 0))
                .check(check_min("agent_executions", "execution_time_ms", 0))
                .foreign_key(&mut fk(
                    "agent_executions",
                    "agent_id",
                    "agents",
                    "agent_id",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "agent_executions",
                    "task_id",
                    "tasks",
                    "task_id",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "agent_executions",
                    "project_id",
                    "projects",
                    "project_id",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "agent_executions",
                    "evidence_id",
                    "evidence",
                    "evidence_id",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;

        // audit_logs: no foreign keys on purpose. The actors are kept as plain (indexed) UUIDs:
        // a SET NULL or CASCADE key would have to UPDATE or DELETE audit rows, which the
        // triggers refuse (so deleting a user or agent would fail), and rewriting the trail is
        // exactly what an immutable log must not do; a NO ACTION key would forbid ever deleting
        // a user or agent that appears in the log.
        create_table(
            manager,
            Table::create()
                .table("audit_logs")
                .col(uuid_pk(b, "log_id"))
                .col(uuid("user_id").null())
                .col(uuid("agent_id").null())
                .col(varchar("event_type", 100).not_null())
                .col(varchar("resource_type", 100).null())
                .col(varchar("resource_id", 255).null())
                .col(ColumnDef::new("old_values").json_binary().null())
                .col(ColumnDef::new("new_values").json_binary().null())
                .col(varchar("ip_address", 45).null())
                .col(ColumnDef::new("user_agent").text().null())
                .col(jsonb("metadata", "{}"))
                .col(flag("is_immutable", true))
                .col(timestamp_now(b, "created_at"))
                .check(("ck_audit_logs_is_immutable", Expr::col("is_immutable")))
                .take(),
        )
        .await?;
        create_audit_triggers(manager).await?;

        // task_comments.task_id CASCADE (comments are part of their task); author and agent
        // SET NULL (the discussion stays when its author is deleted).
        create_table(
            manager,
            Table::create()
                .table("task_comments")
                .col(uuid_pk(b, "comment_id"))
                .col(uuid("task_id").not_null())
                .col(uuid("author_id").null())
                .col(uuid("agent_id").null())
                .col(ColumnDef::new("content").text().not_null())
                .col(
                    ColumnDef::new("github_comment_id")
                        .big_integer()
                        .null()
                        .unique_key(),
                )
                .col(flag("is_ai_generated", false))
                .col(jsonb("ai_metadata", "{}"))
                .col(timestamp_now(b, "created_at"))
                .col(timestamp_now(b, "updated_at"))
                .foreign_key(&mut fk(
                    "task_comments",
                    "task_id",
                    "tasks",
                    "task_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "task_comments",
                    "author_id",
                    "users",
                    "user_id",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "task_comments",
                    "agent_id",
                    "agents",
                    "agent_id",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;

        // task_attachments.task_id CASCADE; evidence_id SET NULL (the file stays with its task
        // when the evidence record goes). An evidence link implies is_evidence; the reverse is
        // not required, so that SET NULL never breaks the CHECK.
        create_table(
            manager,
            Table::create()
                .table("task_attachments")
                .col(uuid_pk(b, "attachment_id"))
                .col(uuid("task_id").not_null())
                .col(varchar("file_name", 500).not_null())
                .col(varchar("content_type", 255).null())
                .col(ColumnDef::new("file_size_bytes").big_integer().null())
                .col(ColumnDef::new("storage_path").text().not_null())
                .col(flag("is_evidence", false))
                .col(uuid("evidence_id").null())
                .col(jsonb("metadata", "{}"))
                .col(timestamp_now(b, "created_at"))
                .check(check_min("task_attachments", "file_size_bytes", 0))
                .check((
                    "ck_task_attachments_evidence_id",
                    Expr::col("evidence_id")
                        .is_null()
                        .or(Expr::col("is_evidence")),
                ))
                .foreign_key(&mut fk(
                    "task_attachments",
                    "task_id",
                    "tasks",
                    "task_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "task_attachments",
                    "evidence_id",
                    "evidence",
                    "evidence_id",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;

        // activity_feed: project and task CASCADE (a summary of something deleted is noise);
        // user and agent SET NULL (the activity stays, without its actor).
        create_table(
            manager,
            Table::create()
                .table("activity_feed")
                .col(uuid_pk(b, "activity_id"))
                .col(uuid("project_id").null())
                .col(uuid("task_id").null())
                .col(uuid("user_id").null())
                .col(uuid("agent_id").null())
                .col(varchar("activity_type", 100).not_null())
                .col(varchar("title", 500).not_null())
                .col(ColumnDef::new("description").text().null())
                .col(jsonb("metadata", "{}"))
                .col(flag("is_public", false))
                .col(timestamp_now(b, "created_at"))
                .foreign_key(&mut fk(
                    "activity_feed",
                    "project_id",
                    "projects",
                    "project_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "activity_feed",
                    "task_id",
                    "tasks",
                    "task_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "activity_feed",
                    "user_id",
                    "users",
                    "user_id",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "activity_feed",
                    "agent_id",
                    "agents",
                    "agent_id",
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;

        create_indexes(
            manager,
            [
                // users: username, email, github_username, is_active, created_at.
                unique_index("idx_users_username", "users", "username"),
                unique_index("idx_users_email", "users", "email"),
                index("idx_users_github_username", "users", &["github_username"]),
                unique_index("idx_users_github_user_id", "users", "github_user_id"),
                index("idx_users_is_active", "users", &["is_active"]),
                index("idx_users_created_at", "users", &["created_at"]),
                // projects: project_id (the primary key), slug, owner_id, repository_url, status.
                unique_index("idx_projects_slug", "projects", "slug"),
                index("idx_projects_owner_id", "projects", &["owner_id"]),
                index(
                    "idx_projects_repository_url",
                    "projects",
                    &["repository_url"],
                ),
                index("idx_projects_status", "projects", &["status"]),
                // agents: agent_id (the primary key), name, type, is_active, model_provider, tags.
                unique_index("idx_agents_name", "agents", "name"),
                index("idx_agents_agent_type", "agents", &["agent_type"]),
                index("idx_agents_is_active", "agents", &["is_active"]),
                index("idx_agents_model_provider", "agents", &["model_provider"]),
                gin_index("idx_agents_tags", "agents", "tags"),
                // tasks: task_id (the primary key), project_id, status, priority, type,
                // assigned_to_user, assigned_to_agent, github_issue, github_pr; labels (GIN).
                index("idx_tasks_project_id", "tasks", &["project_id"]),
                index("idx_tasks_status", "tasks", &["status"]),
                index("idx_tasks_priority", "tasks", &["priority"]),
                index("idx_tasks_type", "tasks", &["type"]),
                index(
                    "idx_tasks_assigned_to_user_id",
                    "tasks",
                    &["assigned_to_user_id"],
                ),
                index(
                    "idx_tasks_assigned_to_agent_id",
                    "tasks",
                    &["assigned_to_agent_id"],
                ),
                index(
                    "idx_tasks_github_issue_number",
                    "tasks",
                    &["github_issue_number"],
                ),
                index("idx_tasks_github_pr_number", "tasks", &["github_pr_number"]),
                gin_index("idx_tasks_labels", "tasks", "labels"),
                // evidence: evidence_id (the primary key), task_id, project_id, source_type,
                // credibility_score, is_verified, tags (GIN).
                index("idx_evidence_task_id", "evidence", &["task_id"]),
                index("idx_evidence_project_id", "evidence", &["project_id"]),
                index("idx_evidence_source_type", "evidence", &["source_type"]),
                index(
                    "idx_evidence_credibility_score",
                    "evidence",
                    &["credibility_score"],
                ),
                index("idx_evidence_is_verified", "evidence", &["is_verified"]),
                gin_index("idx_evidence_tags", "evidence", "tags"),
                // agent_executions: execution_id (the primary key), agent_id, task_id,
                // project_id, status, created_at; evidence_id (foreign key).
                index(
                    "idx_agent_executions_agent_id",
                    "agent_executions",
                    &["agent_id"],
                ),
                index(
                    "idx_agent_executions_task_id",
                    "agent_executions",
                    &["task_id"],
                ),
                index(
                    "idx_agent_executions_project_id",
                    "agent_executions",
                    &["project_id"],
                ),
                index(
                    "idx_agent_executions_status",
                    "agent_executions",
                    &["status"],
                ),
                index(
                    "idx_agent_executions_created_at",
                    "agent_executions",
                    &["created_at"],
                ),
                index(
                    "idx_agent_executions_evidence_id",
                    "agent_executions",
                    &["evidence_id"],
                ),
                // audit_logs: log_id (the primary key), user_id, agent_id, event_type,
                // resource_type, resource_id, created_at.
                index("idx_audit_logs_user_id", "audit_logs", &["user_id"]),
                index("idx_audit_logs_agent_id", "audit_logs", &["agent_id"]),
                index("idx_audit_logs_event_type", "audit_logs", &["event_type"]),
                index(
                    "idx_audit_logs_resource_type",
                    "audit_logs",
                    &["resource_type"],
                ),
                index("idx_audit_logs_resource_id", "audit_logs", &["resource_id"]),
                index("idx_audit_logs_created_at", "audit_logs", &["created_at"]),
                // task_comments: comment_id (the primary key), task_id, author_id, created_at;
                // agent_id (foreign key).
                index("idx_task_comments_task_id", "task_comments", &["task_id"]),
                index(
                    "idx_task_comments_author_id",
                    "task_comments",
                    &["author_id"],
                ),
                index(
                    "idx_task_comments_created_at",
                    "task_comments",
                    &["created_at"],
                ),
                index("idx_task_comments_agent_id", "task_comments", &["agent_id"]),
                // task_attachments: attachment_id (the primary key), task_id, is_evidence;
                // evidence_id (foreign key).
                index(
                    "idx_task_attachments_task_id",
                    "task_attachments",
                    &["task_id"],
                ),
                index(
                    "idx_task_attachments_is_evidence",
                    "task_attachments",
                    &["is_evidence"],
                ),
                index(
                    "idx_task_attachments_evidence_id",
                    "task_attachments",
                    &["evidence_id"],
                ),
                // activity_feed: activity_id (the primary key), project_id, task_id, user_id,
                // created_at, is_public; agent_id (foreign key).
                index(
                    "idx_activity_feed_project_id",
                    "activity_feed",
                    &["project_id"],
                ),
                index("idx_activity_feed_task_id", "activity_feed", &["task_id"]),
                index("idx_activity_feed_user_id", "activity_feed", &["user_id"]),
                index(
                    "idx_activity_feed_created_at",
                    "activity_feed",
                    &["created_at"],
                ),
                index(
                    "idx_activity_feed_is_public",
                    "activity_feed",
                    &["is_public"],
                ),
                index("idx_activity_feed_agent_id", "activity_feed", &["agent_id"]),
            ],
        )
        .await?;

        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        drop_audit_triggers(manager).await?;
        drop_tables(manager, TABLES).await
    }
}
