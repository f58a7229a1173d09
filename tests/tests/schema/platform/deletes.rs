//! Every ON DELETE of seed 004's design: what goes with a deleted row, what stays unlinked, and
//! what the database refuses to delete.

use tests::{TestDb, db_tests, v, with};
use uuid::Uuid;

use super::rows::*;

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
        db.cell("evidence", "evidence_id", "evidence_id", evidence)
            .await,
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
        db.cell("agent_executions", "task_id", "execution_id", execution)
            .await,
        Some(None),
        "agent_executions.task_id SET NULL"
    );
    assert_eq!(
        db.cell("agent_executions", "project_id", "execution_id", execution)
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
        db.cell("evidence", "task_id", "evidence_id", evidence)
            .await,
        Some(None),
        "evidence.task_id SET NULL"
    );
    assert_eq!(
        db.cell("agent_executions", "task_id", "execution_id", execution)
            .await,
        Some(None),
        "agent_executions.task_id SET NULL"
    );
    assert_eq!(
        db.cell("task_comments", "comment_id", "comment_id", comment)
            .await,
        None,
        "task_comments.task_id CASCADE"
    );
    assert_eq!(
        db.cell(
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
        db.cell("activity_feed", "activity_id", "activity_id", activity)
            .await,
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
        db.cell("agent_executions", "evidence_id", "execution_id", execution)
            .await,
        Some(None),
        "agent_executions.evidence_id SET NULL"
    );
    assert_eq!(
        db.cell(
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
        db.cell("users", "user_id", "user_id", owner)
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
        db.cell("tasks", "assigned_to_user_id", "task_id", task)
            .await,
        Some(None),
        "tasks.assigned_to_user_id SET NULL"
    );
    assert_eq!(
        db.cell("task_comments", "author_id", "comment_id", comment)
            .await,
        Some(None),
        "task_comments.author_id SET NULL"
    );
    assert_eq!(
        db.cell("activity_feed", "user_id", "activity_id", activity)
            .await,
        Some(None),
        "activity_feed.user_id SET NULL"
    );
    assert_eq!(
        db.cell("audit_logs", "user_id", "log_id", log).await,
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
        db.cell("agents", "agent_id", "agent_id", busy)
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
        db.cell("tasks", "assigned_to_agent_id", "task_id", task)
            .await,
        Some(None),
        "tasks.assigned_to_agent_id SET NULL"
    );
    assert_eq!(
        db.cell("task_comments", "agent_id", "comment_id", comment)
            .await,
        Some(None),
        "task_comments.agent_id SET NULL"
    );
    assert_eq!(
        db.cell("activity_feed", "agent_id", "activity_id", activity)
            .await,
        Some(None),
        "activity_feed.agent_id SET NULL"
    );
    assert_eq!(
        db.cell("audit_logs", "agent_id", "log_id", log).await,
        Some(Some(agent.to_string())),
        "audit_logs keeps the actor"
    );
}

db_tests!(
    deleting_a_project_cascades,
    deleting_a_task,
    deleting_evidence,
    deleting_a_user,
    deleting_an_agent,
);
