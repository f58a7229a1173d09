//! `audit_logs` is append-only on both backends, through SQL and through the entities.

use entity::DbUuid;
use entity::behavior::now;
use entity::platform::audit_logs;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::{Backend, TestDb, db_tests};
use uuid::Uuid;

use super::rows::{add, audit_row};

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

db_tests!(audit_logs_are_append_only);
