//! The development data: loaded once, and a second run leaves every platform table as it was.

use repository::platform::{
    AgentRepository, PLATFORM_TABLES, ProjectRepository, TaskFilter, TaskOrder, TaskRepository,
    UserRepository, load_dev_data,
};
use repository::{JsonValue, Page};
use tests::{TestDb, db_tests};

use super::{agents, id, projects, tasks, users};

/// Every row of every platform table, as JSON, in primary-key order.
async fn dump(db: &TestDb) -> Vec<(String, Vec<JsonValue>)> {
    let mut out = Vec::new();
    for table in PLATFORM_TABLES {
        let rows = db
            .manager
            .fetch_all(&format!("SELECT * FROM \"{table}\" ORDER BY 1"), vec![])
            .await
            .expect("dump");
        out.push(((*table).to_owned(), rows));
    }
    out
}

async fn dev_data_is_idempotent(db: &TestDb) {
    let first = load_dev_data(&db.conn).await.expect("first load");
    assert_eq!(first.unchanged, 0);
    assert_eq!(first.inserted, 3 + 5 + 2 + 5);
    let after_first = dump(db).await;
    let second = load_dev_data(&db.conn).await.expect("second load");
    assert_eq!(second.inserted, 0);
    assert_eq!(second.unchanged, first.inserted);
    assert_eq!(dump(db).await, after_first);

    let admin = users(db).by_username("admin".into()).await.expect("admin");
    assert_eq!(admin.role, repository::platform::UserRole::Admin);
    users(db)
        .by_username("manager".into())
        .await
        .expect("manager");
    assert_eq!(
        users(db)
            .by_username("platform-bot".into())
            .await
            .expect("service")
            .role,
        repository::platform::UserRole::Service
    );
    for name in ["planner", "coder", "reviewer", "tester", "documenter"] {
        let a = agents(db).by_name(name.into()).await.expect(name);
        assert!(
            a.capabilities["skills"]
                .as_array()
                .is_some_and(|s| !s.is_empty()),
            "{name}"
        );
    }
    let web = projects(db)
        .by_slug("sample-web-app".into())
        .await
        .expect("web");
    let listed = tasks(db)
        .list(
            TaskFilter {
                project_id: Some(id(web.project_id)),
                ..TaskFilter::default()
            },
            TaskOrder::Priority,
            Page::first(10),
        )
        .await
        .expect("tasks");
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].github_issue_number, Some(2));
    // Every created row was audited, once.
    assert_eq!(db.count("audit_logs").await, 15);
}

db_tests!(dev_data_is_idempotent);
