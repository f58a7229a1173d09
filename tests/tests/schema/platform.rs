//! Seed 004 (platform, `packages/db` of an AI-first software engineering platform): the schema
//! has every field and index the seed names (with the types the seed asks for: UUID keys, JSONB,
//! GIN on PostgreSQL), the database itself refuses rows that break the CHECKs, UNIQUEs and
//! foreign keys, every ON DELETE does what the design says, `audit_logs` is append-only on both
//! backends, and the entities round-trip on both backends.

use chrono::Duration;
use entity::DbUuid;
use entity::behavior::now;
use entity::platform::sea_orm_active_enums::{
    EvidenceSourceType, ExecutionStatus, ProjectStatus, TaskPriority, TaskStatus, TaskType,
    UserRole,
};
use entity::platform::{
    activity_feed, agent_executions, agents, audit_logs, evidence, projects, task_attachments,
    task_comments, tasks, users,
};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, IntoActiveModel, Statement,
    TransactionTrait,
};
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::spec::{OnDelete, TableSpec};
use tests::{Backend, TestDb, db_tests, json, v};

/// Seed 004's field and index lists, table by table, with the design decisions the seed leaves
/// open (see the migration): the indexes the seed lists on a primary-key column are the primary
/// key itself; those on a unique column are UNIQUE indexes under the seed's name; an index named
/// after its column covers each foreign key the seed does not list.
#[allow(clippy::too_many_lines)]
pub fn spec() -> Vec<TableSpec> {
    vec![
        // username, email: unique; role: admin, manager, user, service; github_*; metadata,
        // preferences JSONB. Indexes: username, email, github_username, is_active, created_at.
        TableSpec::new("users")
            .not_null(&[
                "user_id",
                "username",
                "email",
                "role",
                "is_active",
                "metadata",
                "preferences",
                "created_at",
                "updated_at",
            ])
            .nullable(&[
                "display_name",
                "password_hash",
                "github_username",
                "github_user_id",
                "github_access_token_encrypted",
                "github_token_expires_at",
                "last_login_at",
                "deleted_at",
            ])
            .pk(&["user_id"])
            .unique(&["username"])
            .unique(&["email"])
            .unique(&["github_user_id"])
            .checks(&["ck_users_role"])
            .unique_index("idx_users_username", &["username"])
            .unique_index("idx_users_email", &["email"])
            .index("idx_users_github_username", &["github_username"])
            .unique_index("idx_users_github_user_id", &["github_user_id"])
            .index("idx_users_is_active", &["is_active"])
            .index("idx_users_created_at", &["created_at"]),
        // slug, repository_url, owner_id -> users, technology_stack JSONB, pr_merge_rate,
        // test_coverage_percent. Indexes: project_id, slug, owner_id, repository_url, status.
        TableSpec::new("projects")
            .not_null(&[
                "project_id",
                "name",
                "slug",
                "default_branch",
                "owner_id",
                "status",
                "is_public",
                "technology_stack",
                "metadata",
                "created_at",
                "updated_at",
            ])
            .nullable(&[
                "description",
                "repository_url",
                "pr_merge_rate",
                "test_coverage_percent",
                "last_activity_at",
                "archived_at",
            ])
            .pk(&["project_id"])
            .unique(&["slug"])
            .fk("owner_id", "users", "user_id", OnDelete::Restrict)
            .checks(&[
                "ck_projects_status",
                "ck_projects_pr_merge_rate",
                "ck_projects_test_coverage_percent",
            ])
            .unique_index("idx_projects_slug", &["slug"])
            .index("idx_projects_owner_id", &["owner_id"])
            .index("idx_projects_repository_url", &["repository_url"])
            .index("idx_projects_status", &["status"]),
        // name, agent_type (name unique); model_provider, model_name; capabilities JSONB;
        // success_rate, avg_execution_time_ms; is_active, is_experimental.
        // Indexes: agent_id, name, type, is_active, model_provider, tags (GIN).
        TableSpec::new("agents")
            .not_null(&[
                "agent_id",
                "name",
                "agent_type",
                "model_provider",
                "model_name",
                "capabilities",
                "configuration",
                "success_rate",
                "avg_execution_time_ms",
                "total_executions",
                "is_active",
                "is_experimental",
                "version",
                "tags",
                "metadata",
                "created_at",
                "updated_at",
            ])
            .nullable(&[
                "display_name",
                "description",
                "last_used_at",
                "deprecated_at",
            ])
            .pk(&["agent_id"])
            .unique(&["name"])
            .checks(&[
                "ck_agents_success_rate",
                "ck_agents_avg_execution_time_ms",
                "ck_agents_total_executions",
            ])
            .unique_index("idx_agents_name", &["name"])
            .index("idx_agents_agent_type", &["agent_type"])
            .index("idx_agents_is_active", &["is_active"])
            .index("idx_agents_model_provider", &["model_provider"])
            .gin_index("idx_agents_tags", &["tags"]),
        // project_id -> projects; github_issue_number, github_pr_number; type, status, priority;
        // assigned_to_user_id, assigned_to_agent_id; ai_analysis, ai_suggestions JSONB; labels
        // (GIN). Indexes: task_id, project_id, status, priority, type, assigned_to_user,
        // assigned_to_agent, github_issue, github_pr.
        TableSpec::new("tasks")
            .not_null(&[
                "task_id",
                "project_id",
                "title",
                "type",
                "status",
                "priority",
                "ai_analysis",
                "ai_suggestions",
                "labels",
                "metadata",
                "created_at",
                "updated_at",
            ])
            .nullable(&[
                "github_issue_number",
                "github_pr_number",
                "github_url",
                "description",
                "assigned_to_user_id",
                "assigned_to_agent_id",
                "started_at",
                "completed_at",
                "due_at",
            ])
            .pk(&["task_id"])
            .fk("project_id", "projects", "project_id", OnDelete::Cascade)
            .fk("assigned_to_user_id", "users", "user_id", OnDelete::SetNull)
            .fk(
                "assigned_to_agent_id",
                "agents",
                "agent_id",
                OnDelete::SetNull,
            )
            .checks(&[
                "ck_tasks_type",
                "ck_tasks_status",
                "ck_tasks_priority",
                "ck_tasks_github_issue_number",
                "ck_tasks_github_pr_number",
            ])
            .index("idx_tasks_project_id", &["project_id"])
            .index("idx_tasks_status", &["status"])
            .index("idx_tasks_priority", &["priority"])
            .index("idx_tasks_type", &["type"])
            .index("idx_tasks_assigned_to_user_id", &["assigned_to_user_id"])
            .index("idx_tasks_assigned_to_agent_id", &["assigned_to_agent_id"])
            .index("idx_tasks_github_issue_number", &["github_issue_number"])
            .index("idx_tasks_github_pr_number", &["github_pr_number"])
            .gin_index("idx_tasks_labels", &["labels"]),
        // task_id, project_id FKs; source_type; credibility_score 0.0-1.0; is_verified;
        // related_evidence, contradicting_evidence JSONB. Indexes: evidence_id, task_id,
        // project_id, source_type, credibility_score, is_verified, tags (GIN).
        TableSpec::new("evidence")
            .not_null(&[
                "evidence_id",
                "project_id",
                "source_type",
                "title",
                "raw_data",
                "credibility_score",
                "is_verified",
                "related_evidence",
                "contradicting_evidence",
                "tags",
                "metadata",
                "created_at",
                "updated_at",
            ])
            .nullable(&[
                "task_id",
                "source_name",
                "source_url",
                "content",
                "verified_at",
                "expires_at",
            ])
            .pk(&["evidence_id"])
            .fk("task_id", "tasks", "task_id", OnDelete::SetNull)
            .fk("project_id", "projects", "project_id", OnDelete::Cascade)
            .checks(&["ck_evidence_source_type", "ck_evidence_credibility_score"])
            .index("idx_evidence_task_id", &["task_id"])
            .index("idx_evidence_project_id", &["project_id"])
            .index("idx_evidence_source_type", &["source_type"])
            .index("idx_evidence_credibility_score", &["credibility_score"])
            .index("idx_evidence_is_verified", &["is_verified"])
            .gin_index("idx_evidence_tags", &["tags"]),
        // agent_id -> agents; task_id, project_id; input_tokens, output_tokens, cost_usd;
        // status: pending, running, success, failure, timeout; result JSONB; evidence_id.
        // Indexes: execution_id, agent_id, task_id, project_id, status, created_at.
        TableSpec::new("agent_executions")
            .not_null(&[
                "execution_id",
                "agent_id",
                "status",
                "input_tokens",
                "output_tokens",
                "cost_usd",
                "created_at",
            ])
            .nullable(&[
                "task_id",
                "project_id",
                "evidence_id",
                "execution_time_ms",
                "result",
                "error_message",
                "started_at",
                "completed_at",
            ])
            .pk(&["execution_id"])
            .fk("agent_id", "agents", "agent_id", OnDelete::Restrict)
            .fk("task_id", "tasks", "task_id", OnDelete::SetNull)
            .fk("project_id", "projects", "project_id", OnDelete::SetNull)
            .fk("evidence_id", "evidence", "evidence_id", OnDelete::SetNull)
            .checks(&[
                "ck_agent_executions_status",
                "ck_agent_executions_input_tokens",
                "ck_agent_executions_output_tokens",
                "ck_agent_executions_cost_usd",
                "ck_agent_executions_execution_time_ms",
            ])
            .index("idx_agent_executions_agent_id", &["agent_id"])
            .index("idx_agent_executions_task_id", &["task_id"])
            .index("idx_agent_executions_project_id", &["project_id"])
            .index("idx_agent_executions_status", &["status"])
            .index("idx_agent_executions_created_at", &["created_at"])
            .index("idx_agent_executions_evidence_id", &["evidence_id"]),
        // user_id, agent_id (actors: no foreign keys, the log is immutable); event_type;
        // resource_type, resource_id; old_values, new_values JSONB; ip_address, user_agent;
        // is_immutable. Indexes: log_id, user_id, agent_id, event_type, resource_type,
        // resource_id, created_at.
        TableSpec::new("audit_logs")
            .not_null(&[
                "log_id",
                "event_type",
                "metadata",
                "is_immutable",
                "created_at",
            ])
            .nullable(&[
                "user_id",
                "agent_id",
                "resource_type",
                "resource_id",
                "old_values",
                "new_values",
                "ip_address",
                "user_agent",
            ])
            .pk(&["log_id"])
            .checks(&["ck_audit_logs_is_immutable"])
            .index("idx_audit_logs_user_id", &["user_id"])
            .index("idx_audit_logs_agent_id", &["agent_id"])
            .index("idx_audit_logs_event_type", &["event_type"])
            .index("idx_audit_logs_resource_type", &["resource_type"])
            .index("idx_audit_logs_resource_id", &["resource_id"])
            .index("idx_audit_logs_created_at", &["created_at"]),
        // task_id -> tasks; author_id, agent_id; github_comment_id; is_ai_generated;
        // ai_metadata JSONB. Indexes: comment_id, task_id, author_id, created_at.
        TableSpec::new("task_comments")
            .not_null(&[
                "comment_id",
                "task_id",
                "content",
                "is_ai_generated",
                "ai_metadata",
                "created_at",
                "updated_at",
            ])
            .nullable(&["author_id", "agent_id", "github_comment_id"])
            .pk(&["comment_id"])
            .unique(&["github_comment_id"])
            .fk("task_id", "tasks", "task_id", OnDelete::Cascade)
            .fk("author_id", "users", "user_id", OnDelete::SetNull)
            .fk("agent_id", "agents", "agent_id", OnDelete::SetNull)
            .index("idx_task_comments_task_id", &["task_id"])
            .index("idx_task_comments_author_id", &["author_id"])
            .index("idx_task_comments_created_at", &["created_at"])
            .index("idx_task_comments_agent_id", &["agent_id"]),
        // task_id -> tasks; storage_path; is_evidence; evidence_id -> evidence.
        // Indexes: attachment_id, task_id, is_evidence.
        TableSpec::new("task_attachments")
            .not_null(&[
                "attachment_id",
                "task_id",
                "file_name",
                "storage_path",
                "is_evidence",
                "metadata",
                "created_at",
            ])
            .nullable(&["content_type", "file_size_bytes", "evidence_id"])
            .pk(&["attachment_id"])
            .fk("task_id", "tasks", "task_id", OnDelete::Cascade)
            .fk("evidence_id", "evidence", "evidence_id", OnDelete::SetNull)
            .checks(&[
                "ck_task_attachments_file_size_bytes",
                "ck_task_attachments_evidence_id",
            ])
            .index("idx_task_attachments_task_id", &["task_id"])
            .index("idx_task_attachments_is_evidence", &["is_evidence"])
            .index("idx_task_attachments_evidence_id", &["evidence_id"]),
        // project_id, task_id (context); user_id, agent_id (actor); activity_type; is_public.
        // Indexes: activity_id, project_id, task_id, user_id, created_at, is_public.
        TableSpec::new("activity_feed")
            .not_null(&[
                "activity_id",
                "activity_type",
                "title",
                "metadata",
                "is_public",
                "created_at",
            ])
            .nullable(&[
                "project_id",
                "task_id",
                "user_id",
                "agent_id",
                "description",
            ])
            .pk(&["activity_id"])
            .fk("project_id", "projects", "project_id", OnDelete::Cascade)
            .fk("task_id", "tasks", "task_id", OnDelete::Cascade)
            .fk("user_id", "users", "user_id", OnDelete::SetNull)
            .fk("agent_id", "agents", "agent_id", OnDelete::SetNull)
            .index("idx_activity_feed_project_id", &["project_id"])
            .index("idx_activity_feed_task_id", &["task_id"])
            .index("idx_activity_feed_user_id", &["user_id"])
            .index("idx_activity_feed_created_at", &["created_at"])
            .index("idx_activity_feed_is_public", &["is_public"])
            .index("idx_activity_feed_agent_id", &["agent_id"]),
    ]
}

/// Columns the seed calls JSONB (and those designed as JSON).
const JSONB_COLUMNS: &[(&str, &[&str])] = &[
    ("users", &["metadata", "preferences"]),
    ("projects", &["technology_stack", "metadata"]),
    (
        "agents",
        &["capabilities", "configuration", "tags", "metadata"],
    ),
    (
        "tasks",
        &["ai_analysis", "ai_suggestions", "labels", "metadata"],
    ),
    (
        "evidence",
        &[
            "raw_data",
            "related_evidence",
            "contradicting_evidence",
            "tags",
            "metadata",
        ],
    ),
    ("agent_executions", &["result"]),
    ("audit_logs", &["old_values", "new_values", "metadata"]),
    ("task_comments", &["ai_metadata"]),
    ("task_attachments", &["metadata"]),
    ("activity_feed", &["metadata"]),
];

type Row = Vec<(&'static str, Expr)>;

fn with(mut row: Row, column: &'static str, value: Expr) -> Row {
    row.retain(|(c, _)| *c != column);
    row.push((column, value));
    row
}

fn short(id: Uuid) -> String {
    id.simple().to_string()[..12].to_owned()
}

fn user_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("user_id", db.uuid(id)),
        ("username", v(format!("user-{}", short(id)))),
        ("email", v(format!("{}@example.com", short(id)))),
    ]
}

fn project_row(db: &TestDb, id: Uuid, owner: Uuid) -> Row {
    vec![
        ("project_id", db.uuid(id)),
        ("name", v("Project")),
        ("slug", v(format!("project-{}", short(id)))),
        ("owner_id", db.uuid(owner)),
    ]
}

fn agent_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("agent_id", db.uuid(id)),
        ("name", v(format!("agent-{}", short(id)))),
        ("agent_type", v("reviewer")),
        ("model_provider", v("anthropic")),
        ("model_name", v("claude")),
    ]
}

fn task_row(db: &TestDb, id: Uuid, project: Uuid) -> Row {
    vec![
        ("task_id", db.uuid(id)),
        ("project_id", db.uuid(project)),
        ("title", v("Fix the build")),
    ]
}

fn evidence_row(db: &TestDb, id: Uuid, project: Uuid) -> Row {
    vec![
        ("evidence_id", db.uuid(id)),
        ("project_id", db.uuid(project)),
        ("source_type", v("test_result")),
        ("title", v("CI run")),
    ]
}

fn execution_row(db: &TestDb, id: Uuid, agent: Uuid) -> Row {
    vec![("execution_id", db.uuid(id)), ("agent_id", db.uuid(agent))]
}

fn audit_row(db: &TestDb, id: Uuid) -> Row {
    vec![("log_id", db.uuid(id)), ("event_type", v("task_created"))]
}

fn comment_row(db: &TestDb, id: Uuid, task: Uuid) -> Row {
    vec![
        ("comment_id", db.uuid(id)),
        ("task_id", db.uuid(task)),
        ("content", v("LGTM")),
    ]
}

fn attachment_row(db: &TestDb, id: Uuid, task: Uuid) -> Row {
    vec![
        ("attachment_id", db.uuid(id)),
        ("task_id", db.uuid(task)),
        ("file_name", v("report.txt")),
        ("storage_path", v("s3://bucket/report.txt")),
    ]
}

fn activity_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("activity_id", db.uuid(id)),
        ("activity_type", v("task_opened")),
        ("title", v("Task opened")),
    ]
}

async fn add(db: &TestDb, what: &str, table: &'static str, row: Row) {
    db.assert_accepted(what, table, row).await;
}

async fn new_user(db: &TestDb) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "user", "users", user_row(db, id)).await;
    id
}

async fn new_project(db: &TestDb, owner: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "project", "projects", project_row(db, id, owner)).await;
    id
}

async fn new_agent(db: &TestDb) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "agent", "agents", agent_row(db, id)).await;
    id
}

async fn new_task(db: &TestDb, project: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "task", "tasks", task_row(db, id, project)).await;
    id
}

async fn new_evidence(db: &TestDb, project: Uuid, task: Option<Uuid>) -> Uuid {
    let id = Uuid::new_v4();
    let mut row = evidence_row(db, id, project);
    if let Some(task) = task {
        row.push(("task_id", db.uuid(task)));
    }
    add(db, "evidence", "evidence", row).await;
    id
}

/// The text value of `column` in the row of `table` whose `key` is `id`: `None` when there is
/// no such row, `Some(None)` when the value is NULL.
async fn cell(
    db: &TestDb,
    table: &str,
    column: &str,
    key: &str,
    id: Uuid,
) -> Option<Option<String>> {
    db.conn
        .query_one_raw(Statement::from_string(
            db.db_backend(),
            format!(
                "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" WHERE \"{key}\" = '{id}'"
            ),
        ))
        .await
        .expect("select a cell")
        .map(|row| row.try_get::<Option<String>>("", "v").expect("text cell"))
}

async fn delete(db: &TestDb, table: &str, key: &str, id: Uuid) -> Result<u64, DbErr> {
    db.raw(&format!("DELETE FROM \"{table}\" WHERE \"{key}\" = '{id}'"))
        .await
}

async fn matches_seed(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let problems = tests::spec::diff(&spec(), &schema, db.backend == Backend::Postgres);
    assert!(
        problems.is_empty(),
        "{:?} schema differs from seed 004:\n{}",
        db.backend,
        problems.join("\n")
    );
}

async fn column_types_follow_seed(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let (uuid_type, jsonb_type) = match db.backend {
        Backend::Postgres => ("uuid", "jsonb"),
        Backend::Sqlite => ("uuid", "json"),
    };
    let mut problems = Vec::new();
    for spec in spec() {
        let table = &schema.tables[spec.name];
        // Every key and every foreign key is a UUID.
        let mut uuid_columns: Vec<&str> = spec.pk.clone();
        uuid_columns.extend(spec.fks.iter().map(|f| f.column));
        if spec.name == "audit_logs" {
            uuid_columns.extend(["user_id", "agent_id"]);
        }
        for column in uuid_columns {
            let found = &table.column(column).expect("column").data_type;
            if found != uuid_type {
                problems.push(format!("{}.{column} is {found}", spec.name));
            }
        }
        let pk = table.column(spec.pk[0]).expect("pk");
        let default = pk.default.clone().unwrap_or_default();
        if db.backend == Backend::Postgres && !default.contains("gen_random_uuid()") {
            problems.push(format!("{} key defaults to {default:?}", spec.name));
        }
    }
    for (table, columns) in JSONB_COLUMNS {
        for column in *columns {
            let found = &schema.tables[*table]
                .column(column)
                .expect("json column")
                .data_type;
            if found != jsonb_type {
                problems.push(format!("{table}.{column} is {found}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{:?}: {}",
        db.backend,
        problems.join("\n")
    );
}

async fn defaults_fill_minimal_rows(db: &TestDb) {
    let owner = new_user(db).await;
    // A row without its key gets a version-4 UUID from the database.
    db.raw(
        "INSERT INTO agents (name, agent_type, model_provider, model_name) \
            VALUES ('defaulted', 'tester', 'openai', 'gpt')",
    )
    .await
    .expect("agent with database defaults");
    let agent = agents::Entity::find()
        .filter(agents::Column::Name.eq("defaulted"))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(agent.agent_id.0.get_version_num(), 4);
    assert_eq!(agent.tags, j!([]));
    assert_eq!(agent.capabilities, j!({}));
    assert!(agent.is_active && !agent.is_experimental);
    assert!((agent.created_at - now()).abs() < Duration::seconds(30));

    let project = new_project(db, owner).await;
    let row = projects::Entity::find_by_id(DbUuid(project))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(row.status, ProjectStatus::Active);
    assert_eq!(row.technology_stack, j!([]));
    let task = new_task(db, project).await;
    let row = tasks::Entity::find_by_id(DbUuid(task))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(
        (row.r#type, row.status, row.priority),
        (TaskType::Task, TaskStatus::Open, TaskPriority::Medium)
    );
    let user = users::Entity::find_by_id(DbUuid(owner))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(user.role, UserRole::User);
    let log = Uuid::new_v4();
    add(db, "audit row", "audit_logs", audit_row(db, log)).await;
    let row = audit_logs::Entity::find_by_id(DbUuid(log))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert!(row.is_immutable, "is_immutable defaults to true");
    let execution = Uuid::new_v4();
    add(
        db,
        "execution",
        "agent_executions",
        execution_row(db, execution, agent.agent_id.0),
    )
    .await;
    let row = agent_executions::Entity::find_by_id(DbUuid(execution))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(row.status, ExecutionStatus::Pending);
    assert_eq!((row.input_tokens, row.output_tokens), (0, 0));
}

#[allow(clippy::too_many_lines)]
async fn checks_refuse_bad_rows(db: &TestDb) {
    // users.role
    let u = |db: &TestDb| user_row(db, Uuid::new_v4());
    db.assert_refused("users.role", "users", with(u(db), "role", v("root")))
        .await;
    for role in ["admin", "manager", "user", "service"] {
        db.assert_accepted("users.role", "users", with(u(db), "role", v(role)))
            .await;
    }

    // projects.status, pr_merge_rate 0..1, test_coverage_percent 0..100
    let owner = new_user(db).await;
    let p = |db: &TestDb| project_row(db, Uuid::new_v4(), owner);
    db.assert_refused(
        "projects.status",
        "projects",
        with(p(db), "status", v("deleted")),
    )
    .await;
    for status in ["active", "paused", "archived"] {
        db.assert_accepted(
            "projects.status",
            "projects",
            with(p(db), "status", v(status)),
        )
        .await;
    }
    for (column, low, high) in [
        ("pr_merge_rate", 0.0, 1.0),
        ("test_coverage_percent", 0.0, 100.0),
    ] {
        db.assert_refused(column, "projects", with(p(db), column, v(low - 0.01)))
            .await;
        db.assert_refused(column, "projects", with(p(db), column, v(high + 0.01)))
            .await;
        db.assert_accepted(column, "projects", with(p(db), column, v(low)))
            .await;
        db.assert_accepted(column, "projects", with(p(db), column, v(high)))
            .await;
    }

    // agents.success_rate 0..1, avg_execution_time_ms >= 0, total_executions >= 0
    let a = |db: &TestDb| agent_row(db, Uuid::new_v4());
    db.assert_refused(
        "agents.success_rate > 1",
        "agents",
        with(a(db), "success_rate", v(1.01)),
    )
    .await;
    db.assert_refused(
        "agents.success_rate < 0",
        "agents",
        with(a(db), "success_rate", v(-0.01)),
    )
    .await;
    db.assert_accepted(
        "agents.success_rate = 1",
        "agents",
        with(a(db), "success_rate", v(1.0)),
    )
    .await;
    db.assert_refused(
        "agents.avg_execution_time_ms < 0",
        "agents",
        with(a(db), "avg_execution_time_ms", v(-1)),
    )
    .await;
    db.assert_refused(
        "agents.total_executions < 0",
        "agents",
        with(a(db), "total_executions", v(-1_i64)),
    )
    .await;
    db.assert_accepted(
        "agents counters = 0",
        "agents",
        with(
            with(a(db), "avg_execution_time_ms", v(0)),
            "total_executions",
            v(0_i64),
        ),
    )
    .await;

    // tasks.type, status, priority, GitHub numbers > 0
    let project = new_project(db, owner).await;
    let t = |db: &TestDb| task_row(db, Uuid::new_v4(), project);
    for (column, bad, good) in [
        (
            "type",
            "epic",
            &[
                "bug",
                "feature",
                "refactor",
                "test",
                "documentation",
                "task",
                "chore",
            ][..],
        ),
        (
            "status",
            "done",
            &[
                "open",
                "in_progress",
                "in_review",
                "blocked",
                "closed",
                "draft",
            ][..],
        ),
        (
            "priority",
            "urgent",
            &["critical", "high", "medium", "low"][..],
        ),
    ] {
        db.assert_refused(column, "tasks", with(t(db), column, v(bad)))
            .await;
        for value in good {
            db.assert_accepted(column, "tasks", with(t(db), column, v(*value)))
                .await;
        }
    }
    for column in ["github_issue_number", "github_pr_number"] {
        db.assert_refused(column, "tasks", with(t(db), column, v(0)))
            .await;
        db.assert_accepted(column, "tasks", with(t(db), column, v(1)))
            .await;
    }

    // evidence.source_type, credibility_score 0..1
    let e = |db: &TestDb| evidence_row(db, Uuid::new_v4(), project);
    db.assert_refused(
        "evidence.source_type",
        "evidence",
        with(e(db), "source_type", v("rumour")),
    )
    .await;
    for source in [
        "code_analysis",
        "test_result",
        "ai_output",
        "human_review",
        "documentation",
        "security_scan",
        "metrics",
        "external",
    ] {
        db.assert_accepted(
            "evidence.source_type",
            "evidence",
            with(e(db), "source_type", v(source)),
        )
        .await;
    }
    db.assert_refused(
        "credibility_score > 1",
        "evidence",
        with(e(db), "credibility_score", v(1.001)),
    )
    .await;
    db.assert_refused(
        "credibility_score < 0",
        "evidence",
        with(e(db), "credibility_score", v(-0.001)),
    )
    .await;
    for score in [0.0, 1.0] {
        db.assert_accepted(
            "credibility_score bound",
            "evidence",
            with(e(db), "credibility_score", v(score)),
        )
        .await;
    }

    // agent_executions.status, tokens, cost, duration
    let agent = new_agent(db).await;
    let x = |db: &TestDb| execution_row(db, Uuid::new_v4(), agent);
    db.assert_refused(
        "agent_executions.status",
        "agent_executions",
        with(x(db), "status", v("cancelled")),
    )
    .await;
    for status in ["pending", "running", "success", "failure", "timeout"] {
        db.assert_accepted(
            "agent_executions.status",
            "agent_executions",
            with(x(db), "status", v(status)),
        )
        .await;
    }
    for column in ["input_tokens", "output_tokens", "execution_time_ms"] {
        db.assert_refused(column, "agent_executions", with(x(db), column, v(-1)))
            .await;
        db.assert_accepted(column, "agent_executions", with(x(db), column, v(0)))
            .await;
    }
    db.assert_refused(
        "cost_usd < 0",
        "agent_executions",
        with(x(db), "cost_usd", v(-0.0001)),
    )
    .await;
    db.assert_accepted(
        "cost_usd = 0",
        "agent_executions",
        with(x(db), "cost_usd", v(0.0)),
    )
    .await;

    // audit_logs.is_immutable
    db.assert_refused(
        "audit_logs.is_immutable = false",
        "audit_logs",
        with(audit_row(db, Uuid::new_v4()), "is_immutable", v(false)),
    )
    .await;
    db.assert_accepted(
        "audit_logs.is_immutable = true",
        "audit_logs",
        with(audit_row(db, Uuid::new_v4()), "is_immutable", v(true)),
    )
    .await;

    // task_attachments.file_size_bytes >= 0; an evidence link implies is_evidence
    let task = new_task(db, project).await;
    let evidence = new_evidence(db, project, Some(task)).await;
    let at = |db: &TestDb| attachment_row(db, Uuid::new_v4(), task);
    db.assert_refused(
        "file_size_bytes < 0",
        "task_attachments",
        with(at(db), "file_size_bytes", v(-1_i64)),
    )
    .await;
    db.assert_accepted(
        "file_size_bytes = 0",
        "task_attachments",
        with(at(db), "file_size_bytes", v(0_i64)),
    )
    .await;
    db.assert_refused(
        "evidence_id without is_evidence",
        "task_attachments",
        with(at(db), "evidence_id", db.uuid(evidence)),
    )
    .await;
    db.assert_accepted(
        "evidence_id with is_evidence",
        "task_attachments",
        with(
            with(at(db), "evidence_id", db.uuid(evidence)),
            "is_evidence",
            v(true),
        ),
    )
    .await;
    db.assert_accepted(
        "is_evidence without a link yet",
        "task_attachments",
        with(at(db), "is_evidence", v(true)),
    )
    .await;
}

async fn uniques_refuse_duplicates(db: &TestDb) {
    let first = Uuid::new_v4();
    add(
        db,
        "user",
        "users",
        with(user_row(db, first), "github_user_id", v(42_i64)),
    )
    .await;
    let taken = user_row(db, first);
    db.assert_refused(
        "duplicate username",
        "users",
        with(user_row(db, Uuid::new_v4()), "username", taken[1].1.clone()),
    )
    .await;
    db.assert_refused(
        "duplicate email",
        "users",
        with(user_row(db, Uuid::new_v4()), "email", taken[2].1.clone()),
    )
    .await;
    db.assert_refused(
        "duplicate github_user_id",
        "users",
        with(user_row(db, Uuid::new_v4()), "github_user_id", v(42_i64)),
    )
    .await;
    db.assert_accepted(
        "another GitHub account",
        "users",
        with(user_row(db, Uuid::new_v4()), "github_user_id", v(43_i64)),
    )
    .await;

    let project = new_project(db, first).await;
    db.assert_refused(
        "duplicate slug",
        "projects",
        with(
            project_row(db, Uuid::new_v4(), first),
            "slug",
            v(format!("project-{}", short(project))),
        ),
    )
    .await;

    let agent = new_agent(db).await;
    db.assert_refused(
        "duplicate agent name (same type)",
        "agents",
        with(
            agent_row(db, Uuid::new_v4()),
            "name",
            v(format!("agent-{}", short(agent))),
        ),
    )
    .await;
    db.assert_refused(
        "duplicate agent name (other type): the name alone identifies an agent",
        "agents",
        with(
            with(
                agent_row(db, Uuid::new_v4()),
                "name",
                v(format!("agent-{}", short(agent))),
            ),
            "agent_type",
            v("tester"),
        ),
    )
    .await;

    let task = new_task(db, project).await;
    add(
        db,
        "comment",
        "task_comments",
        with(
            comment_row(db, Uuid::new_v4(), task),
            "github_comment_id",
            v(7_i64),
        ),
    )
    .await;
    db.assert_refused(
        "duplicate github_comment_id",
        "task_comments",
        with(
            comment_row(db, Uuid::new_v4(), task),
            "github_comment_id",
            v(7_i64),
        ),
    )
    .await;
    // Many comments without a GitHub id.
    for _ in 0..2 {
        add(
            db,
            "local comment",
            "task_comments",
            comment_row(db, Uuid::new_v4(), task),
        )
        .await;
    }
}

async fn foreign_keys_refuse_orphans(db: &TestDb) {
    let nobody = Uuid::new_v4();
    let user = new_user(db).await;
    let project = new_project(db, user).await;
    let task = new_task(db, project).await;
    let agent = new_agent(db).await;
    let orphans: Vec<(&str, &'static str, Row)> = vec![
        (
            "projects.owner_id",
            "projects",
            project_row(db, Uuid::new_v4(), nobody),
        ),
        (
            "tasks.project_id",
            "tasks",
            task_row(db, Uuid::new_v4(), nobody),
        ),
        (
            "tasks.assigned_to_user_id",
            "tasks",
            with(
                task_row(db, Uuid::new_v4(), project),
                "assigned_to_user_id",
                db.uuid(nobody),
            ),
        ),
        (
            "tasks.assigned_to_agent_id",
            "tasks",
            with(
                task_row(db, Uuid::new_v4(), project),
                "assigned_to_agent_id",
                db.uuid(nobody),
            ),
        ),
        (
            "evidence.project_id",
            "evidence",
            evidence_row(db, Uuid::new_v4(), nobody),
        ),
        (
            "evidence.task_id",
            "evidence",
            with(
                evidence_row(db, Uuid::new_v4(), project),
                "task_id",
                db.uuid(nobody),
            ),
        ),
        (
            "agent_executions.agent_id",
            "agent_executions",
            execution_row(db, Uuid::new_v4(), nobody),
        ),
        (
            "agent_executions.task_id",
            "agent_executions",
            with(
                execution_row(db, Uuid::new_v4(), agent),
                "task_id",
                db.uuid(nobody),
            ),
        ),
        (
            "agent_executions.project_id",
            "agent_executions",
            with(
                execution_row(db, Uuid::new_v4(), agent),
                "project_id",
                db.uuid(nobody),
            ),
        ),
        (
            "agent_executions.evidence_id",
            "agent_executions",
            with(
                execution_row(db, Uuid::new_v4(), agent),
                "evidence_id",
                db.uuid(nobody),
            ),
        ),
        (
            "task_comments.task_id",
            "task_comments",
            comment_row(db, Uuid::new_v4(), nobody),
        ),
        (
            "task_comments.author_id",
            "task_comments",
            with(
                comment_row(db, Uuid::new_v4(), task),
                "author_id",
                db.uuid(nobody),
            ),
        ),
        (
            "task_comments.agent_id",
            "task_comments",
            with(
                comment_row(db, Uuid::new_v4(), task),
                "agent_id",
                db.uuid(nobody),
            ),
        ),
        (
            "task_attachments.task_id",
            "task_attachments",
            attachment_row(db, Uuid::new_v4(), nobody),
        ),
        (
            "task_attachments.evidence_id",
            "task_attachments",
            with(
                with(
                    attachment_row(db, Uuid::new_v4(), task),
                    "is_evidence",
                    v(true),
                ),
                "evidence_id",
                db.uuid(nobody),
            ),
        ),
        (
            "activity_feed.project_id",
            "activity_feed",
            with(
                activity_row(db, Uuid::new_v4()),
                "project_id",
                db.uuid(nobody),
            ),
        ),
        (
            "activity_feed.task_id",
            "activity_feed",
            with(activity_row(db, Uuid::new_v4()), "task_id", db.uuid(nobody)),
        ),
        (
            "activity_feed.user_id",
            "activity_feed",
            with(activity_row(db, Uuid::new_v4()), "user_id", db.uuid(nobody)),
        ),
        (
            "activity_feed.agent_id",
            "activity_feed",
            with(
                activity_row(db, Uuid::new_v4()),
                "agent_id",
                db.uuid(nobody),
            ),
        ),
    ];
    for (what, table, row) in orphans {
        db.assert_refused(what, table, row).await;
    }
    // audit_logs has no foreign keys: actors that no longer exist (or never did) are kept.
    add(
        db,
        "audit row naming unknown actors",
        "audit_logs",
        with(
            with(audit_row(db, Uuid::new_v4()), "user_id", db.uuid(nobody)),
            "agent_id",
            db.uuid(nobody),
        ),
    )
    .await;
}

/// Deleting a project: its tasks, evidence and feed entries go (CASCADE, also through the
/// tasks), its comments and attachments go with the tasks, and agent executions stay with
/// task_id and project_id NULL.
async fn deleting_a_project_cascades(db: &TestDb) {
    let owner = new_user(db).await;
    let project = new_project(db, owner).await;
    let task = new_task(db, project).await;
    let evidence = new_evidence(db, project, Some(task)).await;
    let agent = new_agent(db).await;
    let execution = Uuid::new_v4();
    add(
        db,
        "execution",
        "agent_executions",
        with(
            with(
                execution_row(db, execution, agent),
                "task_id",
                db.uuid(task),
            ),
            "project_id",
            db.uuid(project),
        ),
    )
    .await;
    add(
        db,
        "comment",
        "task_comments",
        comment_row(db, Uuid::new_v4(), task),
    )
    .await;
    add(
        db,
        "attachment",
        "task_attachments",
        attachment_row(db, Uuid::new_v4(), task),
    )
    .await;
    for (column, id) in [("project_id", project), ("task_id", task)] {
        add(
            db,
            "activity",
            "activity_feed",
            with(activity_row(db, Uuid::new_v4()), column, db.uuid(id)),
        )
        .await;
    }

    delete(db, "projects", "project_id", project)
        .await
        .expect("delete project");
    assert_eq!(db.count("tasks").await, 0, "tasks.project_id CASCADE");
    assert_eq!(
        cell(db, "evidence", "evidence_id", "evidence_id", evidence).await,
        None,
        "evidence.project_id CASCADE"
    );
    assert_eq!(db.count("task_comments").await, 0, "through the task");
    assert_eq!(db.count("task_attachments").await, 0, "through the task");
    assert_eq!(
        db.count("activity_feed").await,
        0,
        "activity_feed.project_id and task_id CASCADE"
    );
    assert_eq!(
        cell(db, "agent_executions", "task_id", "execution_id", execution).await,
        Some(None),
        "agent_executions.task_id SET NULL"
    );
    assert_eq!(
        cell(
            db,
            "agent_executions",
            "project_id",
            "execution_id",
            execution
        )
        .await,
        Some(None),
        "agent_executions.project_id SET NULL"
    );
}

/// Deleting a task: evidence stays (task_id NULL), executions stay (task_id NULL), comments,
/// attachments and feed entries of the task go.
async fn deleting_a_task(db: &TestDb) {
    let owner = new_user(db).await;
    let project = new_project(db, owner).await;
    let task = new_task(db, project).await;
    let evidence = new_evidence(db, project, Some(task)).await;
    let agent = new_agent(db).await;
    let execution = Uuid::new_v4();
    add(
        db,
        "execution",
        "agent_executions",
        with(
            execution_row(db, execution, agent),
            "task_id",
            db.uuid(task),
        ),
    )
    .await;
    let comment = Uuid::new_v4();
    add(
        db,
        "comment",
        "task_comments",
        comment_row(db, comment, task),
    )
    .await;
    let attachment = Uuid::new_v4();
    add(
        db,
        "attachment",
        "task_attachments",
        attachment_row(db, attachment, task),
    )
    .await;
    let activity = Uuid::new_v4();
    add(
        db,
        "activity",
        "activity_feed",
        with(activity_row(db, activity), "task_id", db.uuid(task)),
    )
    .await;

    delete(db, "tasks", "task_id", task)
        .await
        .expect("delete task");
    assert_eq!(
        cell(db, "evidence", "task_id", "evidence_id", evidence).await,
        Some(None),
        "evidence.task_id SET NULL"
    );
    assert_eq!(
        cell(db, "agent_executions", "task_id", "execution_id", execution).await,
        Some(None),
        "agent_executions.task_id SET NULL"
    );
    assert_eq!(
        cell(db, "task_comments", "comment_id", "comment_id", comment).await,
        None,
        "task_comments.task_id CASCADE"
    );
    assert_eq!(
        cell(
            db,
            "task_attachments",
            "attachment_id",
            "attachment_id",
            attachment
        )
        .await,
        None,
        "task_attachments.task_id CASCADE"
    );
    assert_eq!(
        cell(db, "activity_feed", "activity_id", "activity_id", activity).await,
        None,
        "activity_feed.task_id CASCADE"
    );
}

/// Deleting evidence: executions and attachments stay, unlinked.
async fn deleting_evidence(db: &TestDb) {
    let owner = new_user(db).await;
    let project = new_project(db, owner).await;
    let task = new_task(db, project).await;
    let evidence = new_evidence(db, project, Some(task)).await;
    let agent = new_agent(db).await;
    let execution = Uuid::new_v4();
    add(
        db,
        "execution",
        "agent_executions",
        with(
            execution_row(db, execution, agent),
            "evidence_id",
            db.uuid(evidence),
        ),
    )
    .await;
    let attachment = Uuid::new_v4();
    add(
        db,
        "attachment",
        "task_attachments",
        with(
            with(attachment_row(db, attachment, task), "is_evidence", v(true)),
            "evidence_id",
            db.uuid(evidence),
        ),
    )
    .await;
    delete(db, "evidence", "evidence_id", evidence)
        .await
        .expect("delete evidence");
    assert_eq!(
        cell(
            db,
            "agent_executions",
            "evidence_id",
            "execution_id",
            execution
        )
        .await,
        Some(None),
        "agent_executions.evidence_id SET NULL"
    );
    assert_eq!(
        cell(
            db,
            "task_attachments",
            "evidence_id",
            "attachment_id",
            attachment
        )
        .await,
        Some(None),
        "task_attachments.evidence_id SET NULL"
    );
}

/// Deleting a user: refused while the user owns a project (RESTRICT); otherwise assignments,
/// comment authorship and feed actorship become NULL, and audit rows naming the user stay as
/// they are.
async fn deleting_a_user(db: &TestDb) {
    let owner = new_user(db).await;
    let project = new_project(db, owner).await;
    assert!(
        delete(db, "users", "user_id", owner).await.is_err(),
        "projects.owner_id RESTRICT: an owner cannot be deleted"
    );
    assert!(
        cell(db, "users", "user_id", "user_id", owner)
            .await
            .is_some()
    );

    let user = new_user(db).await;
    let task = Uuid::new_v4();
    add(
        db,
        "task",
        "tasks",
        with(
            task_row(db, task, project),
            "assigned_to_user_id",
            db.uuid(user),
        ),
    )
    .await;
    let comment = Uuid::new_v4();
    add(
        db,
        "comment",
        "task_comments",
        with(comment_row(db, comment, task), "author_id", db.uuid(user)),
    )
    .await;
    let activity = Uuid::new_v4();
    add(
        db,
        "activity",
        "activity_feed",
        with(activity_row(db, activity), "user_id", db.uuid(user)),
    )
    .await;
    let log = Uuid::new_v4();
    add(
        db,
        "audit",
        "audit_logs",
        with(audit_row(db, log), "user_id", db.uuid(user)),
    )
    .await;

    delete(db, "users", "user_id", user)
        .await
        .expect("a user who owns nothing can be deleted, audit rows or not");
    assert_eq!(
        cell(db, "tasks", "assigned_to_user_id", "task_id", task).await,
        Some(None),
        "tasks.assigned_to_user_id SET NULL"
    );
    assert_eq!(
        cell(db, "task_comments", "author_id", "comment_id", comment).await,
        Some(None),
        "task_comments.author_id SET NULL"
    );
    assert_eq!(
        cell(db, "activity_feed", "user_id", "activity_id", activity).await,
        Some(None),
        "activity_feed.user_id SET NULL"
    );
    assert_eq!(
        cell(db, "audit_logs", "user_id", "log_id", log).await,
        Some(Some(user.to_string())),
        "audit_logs keeps the actor"
    );
}

/// Deleting an agent: refused while it has executions (RESTRICT); otherwise assignments,
/// comments and feed entries lose the agent, and audit rows keep it.
async fn deleting_an_agent(db: &TestDb) {
    let owner = new_user(db).await;
    let project = new_project(db, owner).await;
    let busy = new_agent(db).await;
    add(
        db,
        "execution",
        "agent_executions",
        execution_row(db, Uuid::new_v4(), busy),
    )
    .await;
    assert!(
        delete(db, "agents", "agent_id", busy).await.is_err(),
        "agent_executions.agent_id RESTRICT"
    );
    assert!(
        cell(db, "agents", "agent_id", "agent_id", busy)
            .await
            .is_some()
    );

    let agent = new_agent(db).await;
    let task = Uuid::new_v4();
    add(
        db,
        "task",
        "tasks",
        with(
            task_row(db, task, project),
            "assigned_to_agent_id",
            db.uuid(agent),
        ),
    )
    .await;
    let comment = Uuid::new_v4();
    add(
        db,
        "comment",
        "task_comments",
        with(
            with(comment_row(db, comment, task), "agent_id", db.uuid(agent)),
            "is_ai_generated",
            v(true),
        ),
    )
    .await;
    let activity = Uuid::new_v4();
    add(
        db,
        "activity",
        "activity_feed",
        with(activity_row(db, activity), "agent_id", db.uuid(agent)),
    )
    .await;
    let log = Uuid::new_v4();
    add(
        db,
        "audit",
        "audit_logs",
        with(audit_row(db, log), "agent_id", db.uuid(agent)),
    )
    .await;

    delete(db, "agents", "agent_id", agent)
        .await
        .expect("an agent without executions can be deleted");
    assert_eq!(
        cell(db, "tasks", "assigned_to_agent_id", "task_id", task).await,
        Some(None),
        "tasks.assigned_to_agent_id SET NULL"
    );
    assert_eq!(
        cell(db, "task_comments", "agent_id", "comment_id", comment).await,
        Some(None),
        "task_comments.agent_id SET NULL"
    );
    assert_eq!(
        cell(db, "activity_feed", "agent_id", "activity_id", activity).await,
        Some(None),
        "activity_feed.agent_id SET NULL"
    );
    assert_eq!(
        cell(db, "audit_logs", "agent_id", "log_id", log).await,
        Some(Some(agent.to_string())),
        "audit_logs keeps the actor"
    );
}

async fn audit_logs_are_append_only(db: &TestDb) {
    let at = now();
    let row = audit_logs::Model {
        log_id: DbUuid::new_v4(),
        user_id: Some(DbUuid::new_v4()),
        agent_id: Some(DbUuid::new_v4()),
        event_type: "task_created".to_owned(),
        resource_type: Some("task".to_owned()),
        resource_id: Some("1234".to_owned()),
        old_values: Some(j!({})),
        new_values: Some(j!({"title": "Fix the build"})),
        ip_address: Some("203.0.113.7".to_owned()),
        user_agent: Some("curl/8".to_owned()),
        metadata: j!({"request_id": "r-1"}),
        is_immutable: true,
        created_at: at,
    };
    row.clone()
        .into_active_model()
        .insert(&db.conn)
        .await
        .expect("inserting is allowed");
    let id = row.log_id.0;

    let attempts = [
        format!("UPDATE audit_logs SET event_type = 'task_deleted' WHERE log_id = '{id}'"),
        format!("UPDATE audit_logs SET is_immutable = false WHERE log_id = '{id}'"),
        "UPDATE audit_logs SET resource_id = NULL".to_owned(),
        format!("DELETE FROM audit_logs WHERE log_id = '{id}'"),
        "DELETE FROM audit_logs".to_owned(),
    ];
    for sql in &attempts {
        let err = db
            .raw(sql)
            .await
            .expect_err(&format!("{:?} must refuse: {sql}", db.backend));
        assert!(
            err.to_string().contains("audit_logs is append-only"),
            "{:?}: {sql}: {err}",
            db.backend
        );
    }
    if db.backend == Backend::Postgres {
        let err = db
            .raw("TRUNCATE audit_logs")
            .await
            .expect_err("TRUNCATE must be refused");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    // Through the entities as well.
    let mut changed = row.clone().into_active_model();
    changed.event_type = Set("task_deleted".to_owned());
    assert!(changed.update(&db.conn).await.is_err(), "entity update");
    assert!(
        audit_logs::Entity::delete_by_id(row.log_id)
            .exec(&db.conn)
            .await
            .is_err(),
        "entity delete"
    );

    assert_eq!(db.count("audit_logs").await, 1);
    let found = audit_logs::Entity::find_by_id(row.log_id)
        .one(&db.conn)
        .await
        .expect("select")
        .expect("the row is still there");
    assert_eq!(found, row, "and unchanged");
    // Appending keeps working after the refusals.
    add(
        db,
        "another audit row",
        "audit_logs",
        audit_row(db, Uuid::new_v4()),
    )
    .await;
    assert_eq!(db.count("audit_logs").await, 2);
}

async fn gin_indexes_serve_jsonb_containment(db: &TestDb) {
    if db.backend != Backend::Postgres {
        return;
    }
    let agent = Uuid::new_v4();
    add(
        db,
        "tagged agent",
        "agents",
        with(agent_row(db, agent), "tags", json(j!(["rust", "review"]))),
    )
    .await;
    // With sequential scans off (inside one transaction, so on one connection), the planner
    // answers `@>` from the GIN index.
    let txn = db.conn.begin().await.expect("begin");
    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .expect("set");
    let plan: Vec<String> = txn
        .query_all_raw(Statement::from_string(
            db.db_backend(),
            "EXPLAIN SELECT agent_id FROM agents WHERE tags @> '[\"rust\"]'::jsonb",
        ))
        .await
        .expect("explain")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("plan line"))
        .collect();
    txn.rollback().await.expect("rollback");
    assert!(
        plan.iter().any(|l| l.contains("idx_agents_tags")),
        "plan: {plan:#?}"
    );
    let found = agents::Entity::find()
        .filter(Expr::cust("tags @> '[\"rust\"]'::jsonb"))
        .all(&db.conn)
        .await
        .expect("containment query");
    assert_eq!(found.len(), 1);
}

#[allow(clippy::too_many_lines)]
async fn entities_round_trip(db: &TestDb) {
    let at = now();
    let later = at + Duration::hours(1);

    let user = users::Model {
        user_id: DbUuid::new_v4(),
        username: "ada".to_owned(),
        email: "ada@example.com".to_owned(),
        display_name: Some("Ada Lovelace".to_owned()),
        password_hash: Some("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA".to_owned()),
        role: UserRole::Admin,
        is_active: true,
        github_username: Some("ada".to_owned()),
        github_user_id: Some(9_007_199_254_740_993),
        github_access_token_encrypted: Some("ciphertext".to_owned()),
        github_token_expires_at: Some(later),
        metadata: j!({"team": "core"}),
        preferences: j!({"theme": "dark", "notifications": {"email": false}}),
        created_at: at,
        updated_at: at,
        last_login_at: Some(at),
        deleted_at: Some(later),
    };
    let project = projects::Model {
        project_id: DbUuid::new_v4(),
        name: "Engine".to_owned(),
        slug: "engine".to_owned(),
        description: Some("The analytical engine".to_owned()),
        repository_url: Some("https://github.com/example/engine".to_owned()),
        default_branch: "trunk".to_owned(),
        owner_id: user.user_id,
        status: ProjectStatus::Paused,
        is_public: true,
        technology_stack: j!(["rust", "postgresql"]),
        metadata: j!({"tier": 1}),
        pr_merge_rate: Some(0.875),
        test_coverage_percent: Some(92.5),
        created_at: at,
        updated_at: at,
        last_activity_at: Some(at),
        archived_at: Some(later),
    };
    let agent = agents::Model {
        agent_id: DbUuid::new_v4(),
        name: "code-reviewer".to_owned(),
        display_name: Some("Code Reviewer".to_owned()),
        description: Some("Reviews pull requests".to_owned()),
        agent_type: "reviewer".to_owned(),
        model_provider: "anthropic".to_owned(),
        model_name: "claude-sonnet".to_owned(),
        capabilities: j!({"languages": ["rust"], "max_files": 50}),
        configuration: j!({"temperature": 0.2}),
        success_rate: 0.93,
        avg_execution_time_ms: 12_345,
        total_executions: 5_000_000_000,
        is_active: true,
        is_experimental: true,
        version: "2.1.0".to_owned(),
        tags: j!(["review", "rust"]),
        metadata: j!({"owner": "platform"}),
        last_used_at: Some(at),
        created_at: at,
        updated_at: at,
        deprecated_at: Some(later),
    };
    let task = tasks::Model {
        task_id: DbUuid::new_v4(),
        project_id: project.project_id,
        github_issue_number: Some(42),
        github_pr_number: Some(43),
        github_url: Some("https://github.com/example/engine/pull/43".to_owned()),
        title: "Speed up the mill".to_owned(),
        description: Some("Profile and optimise".to_owned()),
        r#type: TaskType::Refactor,
        status: TaskStatus::InReview,
        priority: TaskPriority::High,
        assigned_to_user_id: Some(user.user_id),
        assigned_to_agent_id: Some(agent.agent_id),
        ai_analysis: j!({"complexity": 5}),
        ai_suggestions: j!([{"kind": "split", "confidence": 0.7}]),
        labels: j!(["performance"]),
        metadata: j!({}),
        created_at: at,
        updated_at: at,
        started_at: Some(at),
        completed_at: Some(later),
        due_at: Some(later),
    };
    let evidence = evidence::Model {
        evidence_id: DbUuid::new_v4(),
        task_id: Some(task.task_id),
        project_id: project.project_id,
        source_type: EvidenceSourceType::TestResult,
        source_name: Some("cargo test".to_owned()),
        source_url: Some("https://ci.example.com/runs/1".to_owned()),
        title: "All tests pass".to_owned(),
        content: Some("412 passed".to_owned()),
        raw_data: j!({"passed": 412, "failed": 0}),
        credibility_score: 0.95,
        is_verified: true,
        verified_at: Some(at),
        related_evidence: j!([DbUuid::new_v4().to_string()]),
        contradicting_evidence: j!([]),
        tags: j!(["ci"]),
        metadata: j!({"runner": "linux"}),
        created_at: at,
        updated_at: at,
        expires_at: Some(later),
    };
    let execution = agent_executions::Model {
        execution_id: DbUuid::new_v4(),
        agent_id: agent.agent_id,
        task_id: Some(task.task_id),
        project_id: Some(project.project_id),
        evidence_id: Some(evidence.evidence_id),
        status: ExecutionStatus::Success,
        input_tokens: 1_200,
        output_tokens: 340,
        cost_usd: 0.012_345,
        execution_time_ms: Some(8_000),
        result: Some(j!({"verdict": "approve"})),
        error_message: Some("none".to_owned()),
        started_at: Some(at),
        completed_at: Some(later),
        created_at: at,
    };
    let log = audit_logs::Model {
        log_id: DbUuid::new_v4(),
        user_id: Some(user.user_id),
        agent_id: Some(agent.agent_id),
        event_type: "task_created".to_owned(),
        resource_type: Some("task".to_owned()),
        resource_id: Some(task.task_id.to_string()),
        old_values: Some(j!({})),
        new_values: Some(j!({"status": "open"})),
        ip_address: Some("2001:db8::1".to_owned()),
        user_agent: Some("platform/1.0".to_owned()),
        metadata: j!({"request_id": "abc"}),
        is_immutable: true,
        created_at: at,
    };
    let comment = task_comments::Model {
        comment_id: DbUuid::new_v4(),
        task_id: task.task_id,
        author_id: Some(user.user_id),
        agent_id: Some(agent.agent_id),
        content: "Looks good".to_owned(),
        github_comment_id: Some(1_234_567_890_123),
        is_ai_generated: true,
        ai_metadata: j!({"model": "claude", "tokens": 120}),
        created_at: at,
        updated_at: later,
    };
    let attachment = task_attachments::Model {
        attachment_id: DbUuid::new_v4(),
        task_id: task.task_id,
        file_name: "coverage.html".to_owned(),
        content_type: Some("text/html".to_owned()),
        file_size_bytes: Some(5_000_000_000),
        storage_path: "s3://artifacts/coverage.html".to_owned(),
        is_evidence: true,
        evidence_id: Some(evidence.evidence_id),
        metadata: j!({"sha256": "00ff"}),
        created_at: at,
    };
    let activity = activity_feed::Model {
        activity_id: DbUuid::new_v4(),
        project_id: Some(project.project_id),
        task_id: Some(task.task_id),
        user_id: Some(user.user_id),
        agent_id: Some(agent.agent_id),
        activity_type: "pr_reviewed".to_owned(),
        title: "Code Reviewer approved #43".to_owned(),
        description: Some("No issues found".to_owned()),
        metadata: j!({"pr": 43}),
        is_public: true,
        created_at: at,
    };

    macro_rules! round_trip {
        ($module:ident, $model:expr, $key:ident) => {{
            let model = $model.clone();
            // Every field Set, so that the timestamp behaviour keeps what the model says.
            let inserted = model
                .clone()
                .into_active_model()
                .reset_all()
                .insert(&db.conn)
                .await
                .unwrap_or_else(|e| {
                    panic!("{:?}: insert {}: {e}", db.backend, stringify!($module))
                });
            assert_eq!(
                inserted,
                model,
                "{:?}: {} RETURNING",
                db.backend,
                stringify!($module)
            );
            let found = $module::Entity::find_by_id(model.$key)
                .one(&db.conn)
                .await
                .expect("select")
                .expect("row");
            assert_eq!(found, model, "{:?}: {}", db.backend, stringify!($module));
        }};
    }
    round_trip!(users, user, user_id);
    round_trip!(projects, project, project_id);
    round_trip!(agents, agent, agent_id);
    round_trip!(tasks, task, task_id);
    round_trip!(evidence, evidence, evidence_id);
    round_trip!(agent_executions, execution, execution_id);
    round_trip!(audit_logs, log, log_id);
    round_trip!(task_comments, comment, comment_id);
    round_trip!(task_attachments, attachment, attachment_id);
    round_trip!(activity_feed, activity, activity_id);

    // Filters on enum, UUID and boolean columns bind correctly on both backends.
    let open = tasks::Entity::find()
        .filter(tasks::Column::Status.eq(TaskStatus::InReview))
        .filter(tasks::Column::AssignedToAgentId.eq(agent.agent_id))
        .filter(tasks::Column::Type.eq(TaskType::Refactor))
        .all(&db.conn)
        .await
        .expect("filter tasks");
    assert_eq!(open.len(), 1);

    // The timestamp behaviour stamps rows whose timestamps are left unset.
    let stamped = activity_feed::ActiveModel {
        activity_id: Set(DbUuid::new_v4()),
        activity_type: Set("note".to_owned()),
        title: Set("Stamped".to_owned()),
        metadata: Set(j!({})),
        is_public: Set(false),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert with behaviour");
    assert!((stamped.created_at - now()).abs() < Duration::seconds(30));
}

db_tests!(
    matches_seed,
    column_types_follow_seed,
    defaults_fill_minimal_rows,
    checks_refuse_bad_rows,
    uniques_refuse_duplicates,
    foreign_keys_refuse_orphans,
    deleting_a_project_cascades,
    deleting_a_task,
    deleting_evidence,
    deleting_a_user,
    deleting_an_agent,
    audit_logs_are_append_only,
    gin_indexes_serve_jsonb_containment,
    entities_round_trip,
);
