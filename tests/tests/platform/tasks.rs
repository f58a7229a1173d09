//! `TaskRepository`: create, assign, move status, delete, list and look up; each change audited,
//! significant ones in the activity feed.

use std::sync::Arc;

use repository::platform::{
    ActivityRepository, ActivityScope, ActivityStore, AuditContext, NewTask, TaskFilter, TaskOrder,
    TaskPriority, TaskRepository, TaskStatus, TaskStore, TaskType, activity_channel,
};
use repository::{Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests};

use super::{Collecting, agent, audit_of, id, project, publisher, task, tasks, user};

async fn create_assign_and_move(db: &TestDb) {
    let owner = user(db, "owner").await;
    let dev = user(db, "dev").await;
    let coder = agent(db, "coder", "coder", &["core"]).await;
    let proj = project(db, &owner, "web", true, &["rust"]).await;
    let repo = tasks(db);
    let mut new = NewTask::new(id(proj.project_id), "Fix login", TaskType::Bug);
    new.priority = TaskPriority::High;
    new.github_issue_number = Some(7);
    new.labels = vec!["bug".into(), "ui".into()];
    let ctx = AuditContext::user(id(owner.user_id)).with_request("192.0.2.1", "web-ui");
    let t = repo.create(new, ctx.clone()).await.expect("create");
    assert_eq!(t.status, TaskStatus::Open);
    assert_eq!(t.labels, json!(["bug", "ui"]));
    assert_eq!(repo.get(id(t.task_id)).await.expect("get"), t);
    assert_eq!(
        repo.by_github_issue(id(proj.project_id), 7)
            .await
            .expect("by issue"),
        t
    );
    assert!(matches!(
        repo.by_github_issue(id(proj.project_id), 8).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        repo.by_github_pr(id(proj.project_id), 0).await,
        Err(Error::Validation { .. })
    ));

    // Assigned to a user and an agent at once (the schema allows it).
    let assigned = repo
        .assign(
            id(t.task_id),
            Some(id(dev.user_id)),
            Some(id(coder.agent_id)),
            ctx.clone(),
        )
        .await
        .expect("assign");
    assert_eq!(assigned.assigned_to_user_id, Some(dev.user_id));
    assert_eq!(assigned.assigned_to_agent_id, Some(coder.agent_id));

    let started = repo
        .set_status(id(t.task_id), TaskStatus::InProgress, ctx.clone())
        .await
        .expect("start");
    let started_at = started.started_at.expect("started_at");
    assert_eq!(started.completed_at, None);
    let closed = repo
        .set_status(id(t.task_id), TaskStatus::Closed, ctx.clone())
        .await
        .expect("close");
    assert_eq!(closed.started_at, Some(started_at));
    let completed_at = closed.completed_at.expect("completed_at");
    let reopened = repo
        .set_status(id(t.task_id), TaskStatus::Open, ctx.clone())
        .await
        .expect("reopen");
    assert_eq!(reopened.completed_at, None);
    assert_eq!(reopened.started_at, Some(started_at));

    // The audit trail, field by field.
    let rows = audit_of(db, t.task_id).await;
    let events: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(
        events,
        [
            "task_created",
            "task_assigned",
            "task_status_changed",
            "task_status_changed",
            "task_status_changed"
        ]
    );
    for row in &rows {
        assert_eq!(row.user_id, Some(owner.user_id));
        assert_eq!(row.resource_type.as_deref(), Some("task"));
        assert_eq!(row.ip_address.as_deref(), Some("192.0.2.1"));
    }
    let created = rows[0].new_values.clone().expect("new").into_inner();
    assert_eq!(created["title"], json!("Fix login"));
    assert_eq!(created["priority"], json!("high"));
    assert_eq!(created["github_issue_number"], json!(7));
    assert_eq!(
        rows[1].old_values.clone().expect("old").into_inner(),
        json!({"assigned_to_user_id": null, "assigned_to_agent_id": null})
    );
    assert_eq!(
        rows[1].new_values.clone().expect("new").into_inner(),
        json!({"assigned_to_user_id": dev.user_id, "assigned_to_agent_id": coder.agent_id})
    );
    assert_eq!(
        rows[2].new_values.clone().expect("new").into_inner(),
        json!({"status": "in_progress", "started_at": started_at})
    );
    assert_eq!(
        rows[3].new_values.clone().expect("new").into_inner(),
        json!({"status": "closed", "completed_at": completed_at})
    );
    assert_eq!(
        rows[4].old_values.clone().expect("old").into_inner(),
        json!({"status": "closed", "completed_at": completed_at})
    );

    // The public feed of the task: newest first.
    let feed = ActivityStore::new(db.conn.clone())
        .list_public(ActivityScope::Task(id(t.task_id)), Page::first(10))
        .await
        .expect("feed");
    let kinds: Vec<&str> = feed.iter().map(|a| a.activity_type.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "task_status_changed",
            "task_status_changed",
            "task_status_changed",
            "task_assigned",
            "task_created"
        ]
    );
    assert!(
        feed.iter()
            .all(|a| a.user_id == Some(owner.user_id) && a.is_public)
    );

    // Delete: audited with every field as old values; its feed goes with it (CASCADE).
    repo.delete(id(t.task_id), ctx.clone())
        .await
        .expect("delete");
    assert!(matches!(
        repo.get(id(t.task_id)).await,
        Err(Error::NotFound { .. })
    ));
    let row = audit_of(db, t.task_id).await.pop().expect("delete row");
    assert_eq!(row.event_type, "task_deleted");
    assert!(row.new_values.is_none());
    assert_eq!(
        row.old_values.clone().expect("old").into_inner()["title"],
        json!("Fix login")
    );
    assert!(matches!(
        repo.delete(id(t.task_id), ctx).await,
        Err(Error::NotFound { .. })
    ));
}

async fn listings_filter_and_order(db: &TestDb) {
    let owner = user(db, "owner").await;
    let dev = user(db, "dev").await;
    let a = project(db, &owner, "a", false, &[]).await;
    let b = project(db, &owner, "b", false, &[]).await;
    let repo = tasks(db);
    let mut made = Vec::new();
    for (i, (proj, priority, kind, labels)) in [
        (&a, TaskPriority::Low, TaskType::Bug, vec!["ui"]),
        (
            &a,
            TaskPriority::Critical,
            TaskType::Feature,
            vec!["ui", "api"],
        ),
        (&a, TaskPriority::Medium, TaskType::Bug, vec!["api"]),
        (&b, TaskPriority::High, TaskType::Test, vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut new = NewTask::new(id(proj.project_id), format!("t{i}"), kind);
        new.priority = priority;
        new.labels = labels.into_iter().map(String::from).collect();
        new.github_pr_number = Some(100 + i32::try_from(i).expect("small"));
        made.push(
            repo.create(new, AuditContext::system())
                .await
                .expect("create"),
        );
    }
    repo.assign(
        id(made[2].task_id),
        Some(id(dev.user_id)),
        None,
        AuditContext::system(),
    )
    .await
    .expect("assign");
    repo.set_status(
        id(made[1].task_id),
        TaskStatus::Blocked,
        AuditContext::system(),
    )
    .await
    .expect("block");
    let titles =
        |v: Vec<repository::platform::Task>| v.into_iter().map(|t| t.title).collect::<Vec<_>>();
    let of_a = TaskFilter {
        project_id: Some(id(a.project_id)),
        ..TaskFilter::default()
    };
    assert_eq!(
        titles(
            repo.list(of_a.clone(), TaskOrder::Newest, Page::first(10))
                .await
                .expect("newest")
        ),
        ["t2", "t1", "t0"]
    );
    assert_eq!(
        titles(
            repo.list(of_a.clone(), TaskOrder::Priority, Page::first(10))
                .await
                .expect("priority")
        ),
        ["t1", "t2", "t0"]
    );
    assert_eq!(
        titles(
            repo.list(of_a.clone(), TaskOrder::Priority, Page::nth(1, 2))
                .await
                .expect("page 2")
        ),
        ["t0"]
    );
    assert_eq!(
        titles(
            repo.list(TaskFilter::default(), TaskOrder::Priority, Page::first(10))
                .await
                .expect("all")
        ),
        ["t1", "t3", "t2", "t0"]
    );
    for (filter, want) in [
        (
            TaskFilter {
                status: Some(TaskStatus::Blocked),
                ..TaskFilter::default()
            },
            vec!["t1"],
        ),
        (
            TaskFilter {
                priority: Some(TaskPriority::High),
                ..TaskFilter::default()
            },
            vec!["t3"],
        ),
        (
            TaskFilter {
                task_type: Some(TaskType::Bug),
                ..TaskFilter::default()
            },
            vec!["t2", "t0"],
        ),
        (
            TaskFilter {
                assigned_user_id: Some(id(dev.user_id)),
                ..TaskFilter::default()
            },
            vec!["t2"],
        ),
        (
            TaskFilter {
                labels: vec!["ui".into()],
                ..TaskFilter::default()
            },
            vec!["t1", "t0"],
        ),
        (
            TaskFilter {
                labels: vec!["ui".into(), "api".into()],
                ..TaskFilter::default()
            },
            vec!["t1"],
        ),
        (
            TaskFilter {
                labels: vec!["api".into()],
                task_type: Some(TaskType::Bug),
                ..of_a.clone()
            },
            vec!["t2"],
        ),
        (
            TaskFilter {
                labels: vec!["none".into()],
                ..TaskFilter::default()
            },
            vec![],
        ),
    ] {
        assert_eq!(
            titles(
                repo.list(filter.clone(), TaskOrder::Newest, Page::first(10))
                    .await
                    .expect("list")
            ),
            want,
            "{filter:?}"
        );
    }
    assert_eq!(
        repo.by_github_pr(id(b.project_id), 103)
            .await
            .expect("by pr")
            .title,
        "t3"
    );
    assert!(matches!(
        repo.by_github_pr(id(a.project_id), 103).await,
        Err(Error::NotFound { .. })
    ));
    let err = repo
        .list(TaskFilter::default(), TaskOrder::Newest, Page::first(0))
        .await
        .expect_err("page");
    assert!(matches!(err, Error::Validation { .. }));
}

async fn bad_tasks_are_refused_before_sql(db: &TestDb) {
    let owner = user(db, "owner").await;
    let proj = project(db, &owner, "p", false, &[]).await;
    let repo = tasks(db);
    let base = NewTask::new(id(proj.project_id), "ok", TaskType::Task);
    for (new, field) in [
        (
            NewTask {
                title: " ".into(),
                ..base.clone()
            },
            "title",
        ),
        (
            NewTask {
                github_issue_number: Some(0),
                ..base.clone()
            },
            "github_issue_number",
        ),
        (
            NewTask {
                github_pr_number: Some(-3),
                ..base.clone()
            },
            "github_pr_number",
        ),
        (
            NewTask {
                status: TaskStatus::Closed,
                ..base.clone()
            },
            "status",
        ),
        (
            NewTask {
                labels: vec!["".into()],
                ..base.clone()
            },
            "labels[0]",
        ),
    ] {
        let err = repo
            .create(new, AuditContext::system())
            .await
            .expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    // An unknown project: the foreign key refuses it, nothing is audited.
    let before = db.count("audit_logs").await;
    let err = repo
        .create(
            NewTask::new(repository::UuidText::new_v4(), "x", TaskType::Task),
            AuditContext::system(),
        )
        .await
        .expect_err("unknown project");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    assert_eq!(db.count("audit_logs").await, before);
}

async fn activity_is_published_after_commit(db: &TestDb) {
    let owner = user(db, "owner").await;
    let proj = project(db, &owner, "pub", true, &[]).await;
    let private = project(db, &owner, "priv", false, &[]).await;
    let collecting = Arc::new(Collecting::default());
    let repo = TaskStore::new(db.conn.clone()).with_publisher(publisher(&collecting));
    let t = repo
        .create(
            NewTask::new(id(proj.project_id), "one", TaskType::Task),
            AuditContext::user(id(owner.user_id)),
        )
        .await
        .expect("create");
    repo.set_status(
        id(t.task_id),
        TaskStatus::InProgress,
        AuditContext::system(),
    )
    .await
    .expect("move");
    // No change of status: audited, no activity, nothing published.
    repo.set_status(
        id(t.task_id),
        TaskStatus::InProgress,
        AuditContext::system(),
    )
    .await
    .expect("same");
    let hidden = task(db, &private, "hidden").await;
    repo.set_status(
        id(hidden.task_id),
        TaskStatus::Closed,
        AuditContext::system(),
    )
    .await
    .expect("private");

    let published = collecting.taken();
    assert_eq!(published.len(), 3);
    let channel = activity_channel(&proj.project_id);
    assert_eq!(published[0].0, channel);
    assert_eq!(published[1].0, channel);
    assert_eq!(published[2].0, activity_channel(&private.project_id));
    let first: serde_json::Value = serde_json::from_str(&published[0].1).expect("json");
    assert_eq!(first["activity_type"], json!("task_created"));
    assert_eq!(first["task_id"], json!(t.task_id));
    // Each published entry is the committed row.
    let feed = ActivityStore::new(db.conn.clone())
        .list_public(ActivityScope::Project(id(proj.project_id)), Page::first(10))
        .await
        .expect("feed");
    let second: serde_json::Value = serde_json::from_str(&published[1].1).expect("json");
    assert_eq!(serde_json::to_value(&feed[0]).expect("row"), second);
    // The private project's entry exists but is not listed publicly.
    assert!(
        ActivityStore::new(db.conn.clone())
            .list_public(
                ActivityScope::Project(id(private.project_id)),
                Page::first(10)
            )
            .await
            .expect("private feed")
            .is_empty()
    );
    assert_eq!(audit_of(db, t.task_id).await.len(), 3);
}

db_tests!(
    create_assign_and_move,
    listings_filter_and_order,
    bad_tasks_are_refused_before_sql,
    activity_is_published_after_commit,
);

/// The same through the cache's own pub/sub: a subscriber of `activity:{project_id}` receives
/// the committed entry (in process here; Redis in the Redis variant).
async fn activity_reaches_cache_subscribers(db: &TestDb, cache: cache::CacheManager) {
    let owner = user(db, "owner").await;
    let proj = project(db, &owner, "live", true, &[]).await;
    let mut subscription = cache
        .subscribe([activity_channel(&proj.project_id)])
        .await
        .expect("subscribe");
    let repo = TaskStore::new(db.conn.clone()).with_publisher(Arc::new(cache.clone()));
    let t = repo
        .create(
            NewTask::new(id(proj.project_id), "watched", TaskType::Task),
            AuditContext::user(id(owner.user_id)),
        )
        .await
        .expect("create");
    let message = tokio::time::timeout(std::time::Duration::from_secs(5), subscription.recv())
        .await
        .expect("delivered")
        .expect("a message");
    let entry: serde_json::Value = message.json().expect("json");
    assert_eq!(entry["activity_type"], json!("task_created"));
    assert_eq!(entry["task_id"], json!(t.task_id));
}

async fn activity_reaches_in_process_subscribers(db: &TestDb) {
    let cache = cache::CacheManager::connect(cache::CacheConfig::memory())
        .await
        .expect("cache");
    activity_reaches_cache_subscribers(db, cache).await;
}

tests::db_tests!(activity_reaches_in_process_subscribers);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
async fn activity_reaches_redis_subscribers() {
    let db = TestDb::migrated(tests::Backend::Sqlite).await;
    let cache = cache::CacheManager::connect(
        cache::CacheConfig::redis(tests::redis_url()).with_key_prefix(tests::unique_name()),
    )
    .await
    .expect("redis");
    activity_reaches_cache_subscribers(&db, cache).await;
}
