//! What the database itself refuses: CHECKs, UNIQUEs and foreign keys; and what it fills in.

use chrono::Duration;
use entity::DbUuid;
use entity::behavior::now;
use entity::platform::sea_orm_active_enums::{
    ExecutionStatus, ProjectStatus, TaskPriority, TaskStatus, TaskType, UserRole,
};
use entity::platform::{agent_executions, agents, audit_logs, projects, tasks, users};
use sea_orm::entity::prelude::*;
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::{TestDb, db_tests, v, with};
use uuid::Uuid;

use super::rows::*;
use super::spec::spec;

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

/// Every foreign key of the spec refuses a row whose parent is missing (cases derived from
/// [`spec`]); `audit_logs` has none, so unknown actors are kept.
async fn foreign_keys_refuse_orphans(db: &TestDb) {
    let user = new_user(db).await;
    let project = new_project(db, user).await;
    let task = new_task(db, project).await;
    let agent = new_agent(db).await;
    let evidence = new_evidence(db, project, Some(task)).await;
    let parents = |row: tests::Row, columns: &[(&'static str, Uuid)]| {
        columns
            .iter()
            .fold(row, |row, (column, id)| with(row, column, db.uuid(*id)))
    };
    tests::spec::assert_foreign_keys_refuse_orphans(db, &spec(), |table| {
        let id = Uuid::new_v4();
        match table {
            "projects" => project_row(db, id, user),
            "tasks" => parents(
                task_row(db, id, project),
                &[
                    ("assigned_to_user_id", user),
                    ("assigned_to_agent_id", agent),
                ],
            ),
            "evidence" => parents(evidence_row(db, id, project), &[("task_id", task)]),
            "agent_executions" => parents(
                execution_row(db, id, agent),
                &[
                    ("task_id", task),
                    ("project_id", project),
                    ("evidence_id", evidence),
                ],
            ),
            "task_comments" => parents(
                comment_row(db, id, task),
                &[("author_id", user), ("agent_id", agent)],
            ),
            "task_attachments" => with(
                parents(attachment_row(db, id, task), &[("evidence_id", evidence)]),
                "is_evidence",
                v(true),
            ),
            "activity_feed" => parents(
                activity_row(db, id),
                &[
                    ("project_id", project),
                    ("task_id", task),
                    ("user_id", user),
                    ("agent_id", agent),
                ],
            ),
            other => panic!("no row for {other}"),
        }
    })
    .await;
    // audit_logs has no foreign keys: actors that no longer exist (or never did) are kept.
    let nobody = Uuid::new_v4();
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

db_tests!(
    defaults_fill_minimal_rows,
    checks_refuse_bad_rows,
    uniques_refuse_duplicates,
    foreign_keys_refuse_orphans,
);
