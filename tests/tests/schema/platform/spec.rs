//! The tables, keys, CHECKs, indexes, column types and defaults of seed 004, against the live
//! schema.

use entity::platform::agents;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::column_types::{ColumnDefault as D, ColumnType as T, TableTypes};
use tests::spec::{OnDelete, TableSpec};
use tests::{Backend, TestDb, db_tests, json, pg_tests, with};
use uuid::Uuid;

use super::rows::{add, agent_row};

/// Seed 004's field and index lists, table by table, with the design decisions the seed leaves
/// open (see the migration): the indexes the seed lists on a primary-key column are the primary
/// key itself; those on a unique column are UNIQUE indexes under the seed's name; an index named
/// after its column covers each foreign key the seed does not list.
#[allow(clippy::too_many_lines)]
pub(super) fn spec() -> Vec<TableSpec> {
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

/// Every column with its type and DEFAULT. Seed 004 writes no DDL: it names fields and asks for
/// UUID keys defaulting to `gen_random_uuid()` ("Key Design Decisions" 1), JSONB for the JSON
/// fields, a 0.0-1.0 `credibility_score`, flags (`is_*`), counts and costs. The lengths, the
/// other types and every other default are the design the platform tables were released with
/// (JSON objects default to `{}` and arrays to `[]`, flags and counters to their resting value,
/// enumerations to their first state, `created_at`/`updated_at` to now), written out here so
/// that changing the design means changing this list.
const TYPES: &[TableTypes] = &[
    (
        "users",
        &[
            ("user_id", T::Uuid, D::UuidV4),
            ("username", T::Varchar(255), D::None),
            ("email", T::Varchar(255), D::None),
            ("display_name", T::Varchar(255), D::None),
            ("password_hash", T::Varchar(255), D::None),
            ("role", T::Text, D::Text("user")),
            ("is_active", T::Bool, D::Bool(true)),
            ("github_username", T::Varchar(255), D::None),
            ("github_user_id", T::BigInt, D::None),
            ("github_access_token_encrypted", T::Text, D::None),
            ("github_token_expires_at", T::Timestamp, D::None),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("preferences", T::Jsonb, D::Json("{}")),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
            ("last_login_at", T::Timestamp, D::None),
            ("deleted_at", T::Timestamp, D::None),
        ],
    ),
    (
        "projects",
        &[
            ("project_id", T::Uuid, D::UuidV4),
            ("name", T::Varchar(255), D::None),
            ("slug", T::Varchar(255), D::None),
            ("description", T::Text, D::None),
            ("repository_url", T::Varchar(500), D::None),
            ("default_branch", T::Varchar(255), D::Text("main")),
            ("owner_id", T::Uuid, D::None),
            ("status", T::Text, D::Text("active")),
            ("is_public", T::Bool, D::Bool(false)),
            ("technology_stack", T::Jsonb, D::Json("[]")),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("pr_merge_rate", T::Float, D::None),
            ("test_coverage_percent", T::Float, D::None),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
            ("last_activity_at", T::Timestamp, D::None),
            ("archived_at", T::Timestamp, D::None),
        ],
    ),
    (
        "agents",
        &[
            ("agent_id", T::Uuid, D::UuidV4),
            ("name", T::Varchar(255), D::None),
            ("display_name", T::Varchar(255), D::None),
            ("description", T::Text, D::None),
            ("agent_type", T::Varchar(100), D::None),
            ("model_provider", T::Varchar(100), D::None),
            ("model_name", T::Varchar(255), D::None),
            ("capabilities", T::Jsonb, D::Json("{}")),
            ("configuration", T::Jsonb, D::Json("{}")),
            ("success_rate", T::Float, D::Real(0.0)),
            ("avg_execution_time_ms", T::Integer, D::Int(0)),
            ("total_executions", T::BigInt, D::Int(0)),
            ("is_active", T::Bool, D::Bool(true)),
            ("is_experimental", T::Bool, D::Bool(false)),
            ("version", T::Varchar(50), D::Text("1.0.0")),
            ("tags", T::Jsonb, D::Json("[]")),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("last_used_at", T::Timestamp, D::None),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
            ("deprecated_at", T::Timestamp, D::None),
        ],
    ),
    (
        "tasks",
        &[
            ("task_id", T::Uuid, D::UuidV4),
            ("project_id", T::Uuid, D::None),
            ("github_issue_number", T::Integer, D::None),
            ("github_pr_number", T::Integer, D::None),
            ("github_url", T::Varchar(500), D::None),
            ("title", T::Varchar(500), D::None),
            ("description", T::Text, D::None),
            ("type", T::Text, D::Text("task")),
            ("status", T::Text, D::Text("open")),
            ("priority", T::Text, D::Text("medium")),
            ("assigned_to_user_id", T::Uuid, D::None),
            ("assigned_to_agent_id", T::Uuid, D::None),
            ("ai_analysis", T::Jsonb, D::Json("{}")),
            ("ai_suggestions", T::Jsonb, D::Json("[]")),
            ("labels", T::Jsonb, D::Json("[]")),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
            ("started_at", T::Timestamp, D::None),
            ("completed_at", T::Timestamp, D::None),
            ("due_at", T::Timestamp, D::None),
        ],
    ),
    (
        "evidence",
        &[
            ("evidence_id", T::Uuid, D::UuidV4),
            ("task_id", T::Uuid, D::None),
            ("project_id", T::Uuid, D::None),
            ("source_type", T::Text, D::None),
            ("source_name", T::Varchar(255), D::None),
            ("source_url", T::Text, D::None),
            ("title", T::Varchar(500), D::None),
            ("content", T::Text, D::None),
            ("raw_data", T::Jsonb, D::Json("{}")),
            // The middle of the seed's 0.0-1.0 until the evidence is assessed.
            ("credibility_score", T::Float, D::Real(0.5)),
            ("is_verified", T::Bool, D::Bool(false)),
            ("verified_at", T::Timestamp, D::None),
            ("related_evidence", T::Jsonb, D::Json("[]")),
            ("contradicting_evidence", T::Jsonb, D::Json("[]")),
            ("tags", T::Jsonb, D::Json("[]")),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
            ("expires_at", T::Timestamp, D::None),
        ],
    ),
    (
        "agent_executions",
        &[
            ("execution_id", T::Uuid, D::UuidV4),
            ("agent_id", T::Uuid, D::None),
            ("task_id", T::Uuid, D::None),
            ("project_id", T::Uuid, D::None),
            ("evidence_id", T::Uuid, D::None),
            ("status", T::Text, D::Text("pending")),
            ("input_tokens", T::Integer, D::Int(0)),
            ("output_tokens", T::Integer, D::Int(0)),
            ("cost_usd", T::Float, D::Real(0.0)),
            ("execution_time_ms", T::Integer, D::None),
            ("result", T::Jsonb, D::None),
            ("error_message", T::Text, D::None),
            ("started_at", T::Timestamp, D::None),
            ("completed_at", T::Timestamp, D::None),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "audit_logs",
        &[
            ("log_id", T::Uuid, D::UuidV4),
            ("user_id", T::Uuid, D::None),
            ("agent_id", T::Uuid, D::None),
            ("event_type", T::Varchar(100), D::None),
            ("resource_type", T::Varchar(100), D::None),
            ("resource_id", T::Varchar(255), D::None),
            ("old_values", T::Jsonb, D::None),
            ("new_values", T::Jsonb, D::None),
            ("ip_address", T::Varchar(45), D::None),
            ("user_agent", T::Text, D::None),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("is_immutable", T::Bool, D::Bool(true)),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "task_comments",
        &[
            ("comment_id", T::Uuid, D::UuidV4),
            ("task_id", T::Uuid, D::None),
            ("author_id", T::Uuid, D::None),
            ("agent_id", T::Uuid, D::None),
            ("content", T::Text, D::None),
            ("github_comment_id", T::BigInt, D::None),
            ("is_ai_generated", T::Bool, D::Bool(false)),
            ("ai_metadata", T::Jsonb, D::Json("{}")),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "task_attachments",
        &[
            ("attachment_id", T::Uuid, D::UuidV4),
            ("task_id", T::Uuid, D::None),
            ("file_name", T::Varchar(500), D::None),
            ("content_type", T::Varchar(255), D::None),
            ("file_size_bytes", T::BigInt, D::None),
            ("storage_path", T::Text, D::None),
            ("is_evidence", T::Bool, D::Bool(false)),
            ("evidence_id", T::Uuid, D::None),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "activity_feed",
        &[
            ("activity_id", T::Uuid, D::UuidV4),
            ("project_id", T::Uuid, D::None),
            ("task_id", T::Uuid, D::None),
            ("user_id", T::Uuid, D::None),
            ("agent_id", T::Uuid, D::None),
            ("activity_type", T::Varchar(100), D::None),
            ("title", T::Varchar(500), D::None),
            ("description", T::Text, D::None),
            ("metadata", T::Jsonb, D::Json("{}")),
            ("is_public", T::Bool, D::Bool(false)),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
];

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

async fn column_types_match_design(db: &TestDb) {
    tests::column_types::assert_match(db, "seed 004 and its design", TYPES, &[]).await;
}

/// PostgreSQL answers JSONB containment from the seed's GIN index.
async fn gin_indexes_serve_jsonb_containment(db: &TestDb) {
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

db_tests!(matches_seed, column_types_match_design);
pg_tests!(gin_indexes_serve_jsonb_containment);
