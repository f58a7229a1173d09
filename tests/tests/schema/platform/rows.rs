//! Minimal valid rows of each table, and helpers that insert them.

use sea_orm::DbErr;
use tests::{Row, TestDb, v};
use uuid::Uuid;

pub(super) fn short(id: Uuid) -> String {
    id.simple().to_string()[..12].to_owned()
}

pub(super) fn user_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("user_id", db.uuid(id)),
        ("username", v(format!("user-{}", short(id)))),
        ("email", v(format!("{}@example.com", short(id)))),
    ]
}

pub(super) fn project_row(db: &TestDb, id: Uuid, owner: Uuid) -> Row {
    vec![
        ("project_id", db.uuid(id)),
        ("name", v("Project")),
        ("slug", v(format!("project-{}", short(id)))),
        ("owner_id", db.uuid(owner)),
    ]
}

pub(super) fn agent_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("agent_id", db.uuid(id)),
        ("name", v(format!("agent-{}", short(id)))),
        ("agent_type", v("reviewer")),
        ("model_provider", v("anthropic")),
        ("model_name", v("claude")),
    ]
}

pub(super) fn task_row(db: &TestDb, id: Uuid, project: Uuid) -> Row {
    vec![
        ("task_id", db.uuid(id)),
        ("project_id", db.uuid(project)),
        ("title", v("Fix the build")),
    ]
}

pub(super) fn evidence_row(db: &TestDb, id: Uuid, project: Uuid) -> Row {
    vec![
        ("evidence_id", db.uuid(id)),
        ("project_id", db.uuid(project)),
        ("source_type", v("test_result")),
        ("title", v("CI run")),
    ]
}

pub(super) fn execution_row(db: &TestDb, id: Uuid, agent: Uuid) -> Row {
    vec![("execution_id", db.uuid(id)), ("agent_id", db.uuid(agent))]
}

pub(super) fn audit_row(db: &TestDb, id: Uuid) -> Row {
    vec![("log_id", db.uuid(id)), ("event_type", v("task_created"))]
}

pub(super) fn comment_row(db: &TestDb, id: Uuid, task: Uuid) -> Row {
    vec![
        ("comment_id", db.uuid(id)),
        ("task_id", db.uuid(task)),
        ("content", v("LGTM")),
    ]
}

pub(super) fn attachment_row(db: &TestDb, id: Uuid, task: Uuid) -> Row {
    vec![
        ("attachment_id", db.uuid(id)),
        ("task_id", db.uuid(task)),
        ("file_name", v("report.txt")),
        ("storage_path", v("s3://bucket/report.txt")),
    ]
}

pub(super) fn activity_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("activity_id", db.uuid(id)),
        ("activity_type", v("task_opened")),
        ("title", v("Task opened")),
    ]
}

pub(super) async fn add(db: &TestDb, what: &str, table: &'static str, row: Row) {
    db.assert_accepted(what, table, row).await;
}

pub(super) async fn new_user(db: &TestDb) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "user", "users", user_row(db, id)).await;
    id
}

pub(super) async fn new_project(db: &TestDb, owner: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "project", "projects", project_row(db, id, owner)).await;
    id
}

pub(super) async fn new_agent(db: &TestDb) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "agent", "agents", agent_row(db, id)).await;
    id
}

pub(super) async fn new_task(db: &TestDb, project: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    add(db, "task", "tasks", task_row(db, id, project)).await;
    id
}

pub(super) async fn new_evidence(db: &TestDb, project: Uuid, task: Option<Uuid>) -> Uuid {
    let id = Uuid::new_v4();
    let mut row = evidence_row(db, id, project);
    if let Some(task) = task {
        row.push(("task_id", db.uuid(task)));
    }
    add(db, "evidence", "evidence", row).await;
    id
}

pub(super) async fn delete(db: &TestDb, table: &str, key: &str, id: Uuid) -> Result<u64, DbErr> {
    db.raw(&format!("DELETE FROM \"{table}\" WHERE \"{key}\" = '{id}'"))
        .await
}
