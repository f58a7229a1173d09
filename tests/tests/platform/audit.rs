//! `AuditRepository` (append and query only), the database's refusal to change audit rows, and
//! a change whose audit row fails: rolled back, never published.

use std::sync::Arc;

use chrono::Duration;
use repository::platform::{
    AuditContext, AuditFilter, AuditRepository, NewAuditLog, NewTask, TaskRepository, TaskStatus,
    TaskStore, TaskType,
};
use repository::{DbBackend, Error, Page, UuidText};
use serde_json::json;
use tests::{TestDb, db_tests, now};

use super::{Collecting, audit, id, project, publisher, task, user};

async fn append_and_query(db: &TestDb) {
    let repo = audit(db);
    let alice = UuidText::new_v4();
    let bot = UuidText::new_v4();
    let start = now() - Duration::seconds(1);
    let mut pushed = NewAuditLog::new(
        AuditContext::user(alice).with_request("203.0.113.9", "git/2.45"),
        "code_pushed",
    )
    .on("repository", "example/web");
    pushed.new_values = Some(json!({"sha": "abc123"}));
    pushed.metadata = Some(json!({"branch": "main"}));
    let a = repo.append(pushed).await.expect("append");
    let b = repo
        .append(
            NewAuditLog::new(AuditContext::agent(bot), "pr_opened").on("repository", "example/web"),
        )
        .await
        .expect("append");
    let c = repo
        .append(
            NewAuditLog::new(AuditContext::user(alice), "pr_merged")
                .on("repository", "example/api"),
        )
        .await
        .expect("append");
    assert_eq!(repo.get(id(a.log_id)).await.expect("get"), a);
    assert_eq!(a.user_id, Some(alice.into()));
    assert_eq!(a.ip_address.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        a.new_values.clone().expect("new").into_inner(),
        json!({"sha": "abc123"})
    );
    assert_eq!(b.agent_id, Some(bot.into()));
    assert_eq!(b.user_id, None);

    let ids = |rows: Vec<repository::platform::AuditLog>| {
        rows.into_iter().map(|r| r.log_id).collect::<Vec<_>>()
    };
    let q = |f: AuditFilter| async { ids(repo.query(f, Page::first(10)).await.expect("query")) };
    assert_eq!(
        q(AuditFilter::default()).await,
        [c.log_id, b.log_id, a.log_id]
    );
    assert_eq!(
        q(AuditFilter {
            oldest_first: true,
            ..AuditFilter::default()
        })
        .await,
        [a.log_id, b.log_id, c.log_id]
    );
    assert_eq!(
        q(AuditFilter {
            user_id: Some(alice),
            ..AuditFilter::default()
        })
        .await,
        [c.log_id, a.log_id]
    );
    assert_eq!(
        q(AuditFilter {
            agent_id: Some(bot),
            ..AuditFilter::default()
        })
        .await,
        [b.log_id]
    );
    assert_eq!(
        q(AuditFilter {
            event_type: Some("pr_merged".into()),
            ..AuditFilter::default()
        })
        .await,
        [c.log_id]
    );
    assert_eq!(
        q(AuditFilter {
            resource_type: Some("repository".into()),
            resource_id: Some("example/web".into()),
            ..AuditFilter::default()
        })
        .await,
        [b.log_id, a.log_id]
    );
    assert_eq!(
        q(AuditFilter {
            from: Some(start),
            before: Some(now() + Duration::seconds(1)),
            ..AuditFilter::default()
        })
        .await
        .len(),
        3
    );
    assert!(
        q(AuditFilter {
            before: Some(start),
            ..AuditFilter::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        ids(repo
            .query(AuditFilter::default(), Page::nth(1, 2))
            .await
            .expect("page")),
        [a.log_id]
    );
    assert_eq!(
        repo.count(AuditFilter {
            user_id: Some(alice),
            ..AuditFilter::default()
        })
        .await
        .expect("count"),
        2
    );

    for (bad, field) in [
        (
            NewAuditLog::new(AuditContext::system(), "Code Pushed"),
            "event_type",
        ),
        (
            NewAuditLog {
                old_values: Some(json!([1])),
                ..NewAuditLog::new(AuditContext::system(), "x")
            },
            "old_values",
        ),
        (
            NewAuditLog::new(AuditContext::system().with_request("nope", "ua"), "x"),
            "ip_address",
        ),
    ] {
        let err = repo.append(bad).await.expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    let err = repo
        .query(
            AuditFilter {
                from: Some(now()),
                before: Some(start),
                ..AuditFilter::default()
            },
            Page::first(1),
        )
        .await
        .expect_err("range");
    assert!(matches!(err, Error::Validation { .. }));
}

async fn the_database_refuses_to_change_audit_rows(db: &TestDb) {
    let row = audit(db)
        .append(NewAuditLog::new(
            AuditContext::system(),
            "something_happened",
        ))
        .await
        .expect("append");
    for sql in [
        "UPDATE audit_logs SET event_type = 'rewritten'",
        "DELETE FROM audit_logs",
    ] {
        let err = db.raw(sql).await.expect_err(sql);
        assert!(
            err.to_string().contains("audit_logs is append-only"),
            "{sql}: {err}"
        );
    }
    assert_eq!(
        audit(db).get(id(row.log_id)).await.expect("still there"),
        row
    );
}

/// A trigger that refuses the audit rows of `event_type`, as a failing audit insert.
async fn refuse_audit_event(db: &TestDb, event_type: &str) {
    match db.db_backend() {
        DbBackend::Postgres => {
            db.raw(&format!(
                "CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.event_type = '{event_type}' THEN RAISE EXCEPTION 'audit refused for test'; END IF; \
                 RETURN NEW; END $$"
            ))
            .await
            .expect("function");
            db.raw("CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()")
                .await
                .expect("trigger");
        }
        _ => {
            db.raw(&format!(
                "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_logs \
                 WHEN NEW.event_type = '{event_type}' BEGIN SELECT RAISE(ABORT, 'audit refused for test'); END"
            ))
            .await
            .expect("trigger");
        }
    }
}

async fn a_change_whose_audit_fails_does_not_happen(db: &TestDb) {
    let owner = user(db, "owner").await;
    let proj = project(db, &owner, "p", true, &[]).await;
    let t = task(db, &proj, "one").await;
    let collecting = Arc::new(Collecting::default());
    let repo = TaskStore::new(db.conn.clone()).with_publisher(publisher(&collecting));
    refuse_audit_event(db, "task_status_changed").await;
    let (tasks_before, activity_before, audit_before) = (
        db.count("tasks").await,
        db.count("activity_feed").await,
        db.count("audit_logs").await,
    );

    let err = repo
        .set_status(
            id(t.task_id),
            TaskStatus::Closed,
            AuditContext::user(id(owner.user_id)),
        )
        .await
        .expect_err("audit refused");
    assert!(err.to_string().contains("audit refused for test"), "{err}");
    // The status did not change, no activity was written, nothing was published.
    assert_eq!(repo.get(id(t.task_id)).await.expect("task"), t);
    assert_eq!(db.count("activity_feed").await, activity_before);
    assert_eq!(db.count("audit_logs").await, audit_before);
    assert!(collecting.taken().is_empty());

    // Other events still go through (and publish after their commit).
    let created = repo
        .create(
            NewTask::new(id(proj.project_id), "two", TaskType::Task),
            AuditContext::system(),
        )
        .await
        .expect("create");
    assert_eq!(db.count("tasks").await, tasks_before + 1);
    assert_eq!(collecting.taken().len(), 1);
    assert!(
        collecting.taken()[0]
            .1
            .contains(&created.task_id.to_string())
    );
}

db_tests!(
    append_and_query,
    the_database_refuses_to_change_audit_rows,
    a_change_whose_audit_fails_does_not_happen,
);
