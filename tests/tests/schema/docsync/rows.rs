//! Minimal valid rows of each table, and a helper that inserts them.

use entity::behavior::now;
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::{Row, TestDb, json, v};
use uuid::Uuid;

pub(super) fn document_row(id: i32) -> Row {
    vec![
        ("id", v(id)),
        ("path", v(format!("docs/doc-{id}.md"))),
        ("type", v("Markdown")),
        ("last_modified", v(now())),
        ("size", v(1024)),
    ]
}

pub(super) fn file_row(id: i32) -> Row {
    vec![
        ("id", v(id)),
        ("path", v(format!("src/file_{id}.py"))),
        ("last_modified", v(now())),
        ("size", v(2048)),
    ]
}

pub(super) fn recommendation_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("id", db.uuid(id)),
        ("title", v("Update the README")),
        ("suggested_changes", json(j!([{"file": "README.md"}]))),
    ]
}

pub(super) fn inconsistency_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("id", db.uuid(id)),
        ("severity", v("Major")),
        ("type", v("DocToCode")),
        (
            "description",
            v("The README names a function that no longer exists"),
        ),
    ]
}

pub(super) fn decision_row(db: &TestDb, id: i32, recommendation: Uuid) -> Row {
    vec![
        ("id", v(id)),
        ("recommendation_id", db.uuid(recommendation)),
        ("decision", v("Accept")),
    ]
}

pub(super) fn dependency_row(source: i32, target: i32) -> Row {
    vec![("source_id", v(source)), ("target_id", v(target))]
}

pub(super) fn inconsistency_map_row(db: &TestDb, inconsistency: Uuid, document: i32) -> Row {
    vec![
        ("inconsistency_id", db.uuid(inconsistency)),
        ("document_id", v(document)),
    ]
}

pub(super) fn recommendation_map_row(db: &TestDb, recommendation: Uuid, document: i32) -> Row {
    vec![
        ("recommendation_id", db.uuid(recommendation)),
        ("document_id", v(document)),
    ]
}

pub(super) async fn add(db: &TestDb, what: &str, table: &'static str, row: Row) {
    db.assert_accepted(what, table, row).await;
}
