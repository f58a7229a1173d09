//! Seed 002 (docsync, Documentation-Based Programming): the schema designed from the seed's
//! SQLAlchemy models (every table, field, key and `index=True` index named the SQLAlchemy way),
//! the database itself refusing rows that break its CHECKs, UNIQUEs, NOT NULLs and foreign keys,
//! every ON DELETE behaviour, and the entities (relations included) on both backends.

use chrono::Duration;
use entity::DbUuid;
use entity::behavior::now;
use entity::docsync::sea_orm_active_enums::{
    Decision, DocumentType, InconsistencyStatus, InconsistencyType, RecommendationStatus, Severity,
};
use entity::docsync::{
    developer_decisions, document_dependencies, document_references, file_metadata,
    inconsistency_document_map, inconsistency_records, recommendation_document_map,
    recommendations,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{IntoActiveModel, QueryOrder, Statement};
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::spec::{OnDelete, TableSpec};
use tests::{Backend, TestDb, db_tests, json, v};
use uuid::Uuid;

/// Seed 002's models, table by table.
///
/// NOT NULL where the seed's model cannot mean anything without the value: keys, paths, kinds
/// (`Enum` columns), descriptions and titles, the indexed timestamps, and the `last_modified` /
/// `size` pair change detection compares. Everything else is nullable, as SQLAlchemy leaves it.
pub fn spec() -> Vec<TableSpec> {
    vec![
        // class DocumentReference
        TableSpec::new("document_references")
            .not_null(&["id", "path", "type", "last_modified", "size"])
            .nullable(&["md5_digest", "header_sections"])
            .pk(&["id"])
            .unique(&["path"])
            .checks(&["ck_document_references_type"])
            // path = Column(String, index=True, unique=True)
            .unique_index("ix_document_references_path", &["path"]),
        // document_dependencies = Table(...)
        TableSpec::new("document_dependencies")
            .not_null(&["source_id", "target_id"])
            .nullable(&["relation_type", "topic", "scope"])
            .pk(&["source_id", "target_id"])
            .fk("source_id", "document_references", "id", OnDelete::Cascade)
            .fk("target_id", "document_references", "id", OnDelete::Cascade)
            .index("ix_document_dependencies_target_id", &["target_id"]),
        // class InconsistencyRecord
        TableSpec::new("inconsistency_records")
            .not_null(&[
                "id",
                "timestamp",
                "severity",
                "type",
                "description",
                "status",
            ])
            .nullable(&["suggested_resolution", "recommendation_id"])
            .pk(&["id"])
            // Recommendation.inconsistencies = relationship("InconsistencyRecord")
            .fk(
                "recommendation_id",
                "recommendations",
                "id",
                OnDelete::SetNull,
            )
            .checks(&[
                "ck_inconsistency_records_severity",
                "ck_inconsistency_records_type",
                "ck_inconsistency_records_status",
            ])
            .index("ix_inconsistency_records_timestamp", &["timestamp"])
            .index(
                "ix_inconsistency_records_recommendation_id",
                &["recommendation_id"],
            ),
        // class Recommendation
        TableSpec::new("recommendations")
            .not_null(&[
                "id",
                "creation_timestamp",
                "title",
                "suggested_changes",
                "status",
            ])
            .nullable(&["developer_feedback", "last_codebase_change_timestamp"])
            .pk(&["id"])
            .checks(&["ck_recommendations_status"])
            .index(
                "ix_recommendations_creation_timestamp",
                &["creation_timestamp"],
            ),
        // class DeveloperDecision
        TableSpec::new("developer_decisions")
            .not_null(&["id", "recommendation_id", "timestamp", "decision"])
            .nullable(&["comments", "implementation_timestamp"])
            .pk(&["id"])
            .fk(
                "recommendation_id",
                "recommendations",
                "id",
                OnDelete::Cascade,
            )
            .checks(&["ck_developer_decisions_decision"])
            .index("ix_developer_decisions_timestamp", &["timestamp"])
            .index(
                "ix_developer_decisions_recommendation_id",
                &["recommendation_id"],
            ),
        // class FileMetadata
        TableSpec::new("file_metadata")
            .not_null(&["id", "path", "last_modified", "size"])
            .nullable(&[
                "language",
                "md5_digest",
                "functions",
                "classes",
                "header_sections",
            ])
            .pk(&["id"])
            .unique(&["path"])
            .unique_index("ix_file_metadata_path", &["path"]),
        // inconsistency_document_map = Table(...)
        TableSpec::new("inconsistency_document_map")
            .not_null(&["inconsistency_id", "document_id"])
            .pk(&["inconsistency_id", "document_id"])
            .fk(
                "inconsistency_id",
                "inconsistency_records",
                "id",
                OnDelete::Cascade,
            )
            .fk(
                "document_id",
                "document_references",
                "id",
                OnDelete::Cascade,
            )
            .index(
                "ix_inconsistency_document_map_document_id",
                &["document_id"],
            ),
        // recommendation_document_map = Table(...)
        TableSpec::new("recommendation_document_map")
            .not_null(&["recommendation_id", "document_id"])
            .pk(&["recommendation_id", "document_id"])
            .fk(
                "recommendation_id",
                "recommendations",
                "id",
                OnDelete::Cascade,
            )
            .fk(
                "document_id",
                "document_references",
                "id",
                OnDelete::Cascade,
            )
            .index(
                "ix_recommendation_document_map_document_id",
                &["document_id"],
            ),
    ]
}

type Row = Vec<(&'static str, Expr)>;

fn with(mut row: Row, column: &'static str, value: Expr) -> Row {
    row.retain(|(c, _)| *c != column);
    row.push((column, value));
    row
}

fn without(mut row: Row, column: &'static str) -> Row {
    row.retain(|(c, _)| *c != column);
    row
}

fn document_row(id: i32) -> Row {
    vec![
        ("id", v(id)),
        ("path", v(format!("docs/doc-{id}.md"))),
        ("type", v("Markdown")),
        ("last_modified", v(now())),
        ("size", v(1024)),
    ]
}

fn file_row(id: i32) -> Row {
    vec![
        ("id", v(id)),
        ("path", v(format!("src/file_{id}.py"))),
        ("last_modified", v(now())),
        ("size", v(2048)),
    ]
}

fn recommendation_row(db: &TestDb, id: Uuid) -> Row {
    vec![
        ("id", db.uuid(id)),
        ("title", v("Update the README")),
        ("suggested_changes", json(j!([{"file": "README.md"}]))),
    ]
}

fn inconsistency_row(db: &TestDb, id: Uuid) -> Row {
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

fn decision_row(db: &TestDb, id: i32, recommendation: Uuid) -> Row {
    vec![
        ("id", v(id)),
        ("recommendation_id", db.uuid(recommendation)),
        ("decision", v("Accept")),
    ]
}

fn dependency_row(source: i32, target: i32) -> Row {
    vec![("source_id", v(source)), ("target_id", v(target))]
}

fn inconsistency_map_row(db: &TestDb, inconsistency: Uuid, document: i32) -> Row {
    vec![
        ("inconsistency_id", db.uuid(inconsistency)),
        ("document_id", v(document)),
    ]
}

fn recommendation_map_row(db: &TestDb, recommendation: Uuid, document: i32) -> Row {
    vec![
        ("recommendation_id", db.uuid(recommendation)),
        ("document_id", v(document)),
    ]
}

async fn add(db: &TestDb, what: &str, table: &'static str, row: Row) {
    db.assert_accepted(what, table, row).await;
}

/// The text value of `column` in the row of `table` where `key` = `id` (`None`: no row,
/// `Some(None)`: NULL).
async fn cell(
    db: &TestDb,
    table: &str,
    column: &str,
    key: &str,
    id: &str,
) -> Option<Option<String>> {
    db.conn
        .query_one_raw(Statement::from_string(
            db.db_backend(),
            format!(
                "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" WHERE CAST(\"{key}\" AS TEXT) = '{id}'"
            ),
        ))
        .await
        .expect("select a cell")
        .map(|row| row.try_get::<Option<String>>("", "v").expect("text cell"))
}

async fn matches_seed(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let problems = tests::spec::diff(&spec(), &schema, db.backend == Backend::Postgres);
    assert!(
        problems.is_empty(),
        "{:?} schema differs from seed 002:\n{}",
        db.backend,
        problems.join("\n")
    );
}

/// `Integer` ids are integers, `# UUID` ids and the columns referencing them are UUIDs, `JSON`
/// columns are JSON, `DateTime` columns are timestamps.
async fn column_types_follow_seed(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let (uuid_type, json_type, timestamp_type) = match db.backend {
        Backend::Postgres => ("uuid", "json", "timestamp with time zone"),
        Backend::Sqlite => ("uuid", "json", "timestamp"),
    };
    let expected: &[(&str, &[&str], &str)] = &[
        ("document_references", &["id", "size"], "integer"),
        ("document_references", &["header_sections"], json_type),
        ("document_references", &["last_modified"], timestamp_type),
        (
            "document_dependencies",
            &["source_id", "target_id"],
            "integer",
        ),
        (
            "inconsistency_records",
            &["id", "recommendation_id"],
            uuid_type,
        ),
        ("inconsistency_records", &["timestamp"], timestamp_type),
        ("recommendations", &["id"], uuid_type),
        ("recommendations", &["suggested_changes"], json_type),
        (
            "recommendations",
            &["creation_timestamp", "last_codebase_change_timestamp"],
            timestamp_type,
        ),
        ("developer_decisions", &["id"], "integer"),
        ("developer_decisions", &["recommendation_id"], uuid_type),
        (
            "developer_decisions",
            &["timestamp", "implementation_timestamp"],
            timestamp_type,
        ),
        ("file_metadata", &["id", "size"], "integer"),
        (
            "file_metadata",
            &["functions", "classes", "header_sections"],
            json_type,
        ),
        ("file_metadata", &["last_modified"], timestamp_type),
        (
            "inconsistency_document_map",
            &["inconsistency_id"],
            uuid_type,
        ),
        ("inconsistency_document_map", &["document_id"], "integer"),
        (
            "recommendation_document_map",
            &["recommendation_id"],
            uuid_type,
        ),
        ("recommendation_document_map", &["document_id"], "integer"),
    ];
    let mut problems = Vec::new();
    for (table, columns, ty) in expected {
        for column in *columns {
            let found = &schema.tables[*table]
                .column(column)
                .unwrap_or_else(|| panic!("{table}.{column}"))
                .data_type;
            if found != ty {
                problems.push(format!("{table}.{column} is {found}, expected {ty}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{:?}:\n{}",
        db.backend,
        problems.join("\n")
    );
}

/// Integer keys count up on their own; UUID keys, statuses and indexed timestamps default.
async fn defaults_fill_minimal_rows(db: &TestDb) {
    db.raw(&format!(
        "INSERT INTO document_references (path, type, last_modified, size) \
         VALUES ('a.md', 'Markdown', '{0}', 1), ('b.md', 'Code', '{0}', 2)",
        now().to_sqlite_text()
    ))
    .await
    .expect("documents without ids");
    let ids: Vec<i32> = document_references::Entity::find()
        .order_by_asc(document_references::Column::Path)
        .all(&db.conn)
        .await
        .expect("select")
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids[1] > ids[0], "auto-increment ids: {ids:?}");

    db.raw("INSERT INTO recommendations (title, suggested_changes) VALUES ('defaulted', '[]')")
        .await
        .expect("recommendation with database defaults");
    let rec = recommendations::Entity::find()
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(rec.id.0.get_version_num(), 4);
    assert_eq!(rec.status, RecommendationStatus::Active);
    assert!((rec.creation_timestamp - now()).abs() < Duration::seconds(30));

    let id = Uuid::new_v4();
    add(
        db,
        "inconsistency",
        "inconsistency_records",
        inconsistency_row(db, id),
    )
    .await;
    let row = inconsistency_records::Entity::find_by_id(DbUuid(id))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(row.status, InconsistencyStatus::Pending);
    assert_eq!(row.recommendation_id, None);
    assert!((row.timestamp - now()).abs() < Duration::seconds(30));

    add(
        db,
        "decision",
        "developer_decisions",
        without(decision_row(db, 0, rec.id.0), "id"),
    )
    .await;
    let decision = developer_decisions::Entity::find()
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert!(decision.id > 0);
    assert!((decision.timestamp - now()).abs() < Duration::seconds(30));

    // The entities stamp the indexed timestamps themselves when left unset.
    let stamped = recommendations::ActiveModel {
        id: Set(DbUuid::new_v4()),
        title: Set("stamped".to_owned()),
        suggested_changes: Set(j!({})),
        status: Set(RecommendationStatus::Active),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert without creation_timestamp");
    assert!((stamped.creation_timestamp - now()).abs() < Duration::seconds(30));
}

#[allow(clippy::too_many_lines)]
async fn checks_refuse_bad_rows(db: &TestDb) {
    // document_references.type
    db.assert_refused(
        "document_references.type",
        "document_references",
        with(document_row(1), "type", v("Image")),
    )
    .await;
    db.assert_refused(
        "document_references.type is case-sensitive",
        "document_references",
        with(document_row(1), "type", v("markdown")),
    )
    .await;
    for (i, kind) in ["Code", "Markdown", "Header", "Config"]
        .into_iter()
        .enumerate()
    {
        let id = i32::try_from(i).expect("small") + 1;
        add(
            db,
            kind,
            "document_references",
            with(document_row(id), "type", v(kind)),
        )
        .await;
    }

    // recommendations.status
    db.assert_refused(
        "recommendations.status",
        "recommendations",
        with(
            recommendation_row(db, Uuid::new_v4()),
            "status",
            v("Pending"),
        ),
    )
    .await;
    let mut rec = Uuid::nil();
    for status in ["Active", "Accepted", "Rejected", "Amended", "Invalidated"] {
        rec = Uuid::new_v4();
        add(
            db,
            status,
            "recommendations",
            with(recommendation_row(db, rec), "status", v(status)),
        )
        .await;
    }

    // inconsistency_records.severity / type / status
    let inc = |db: &TestDb| inconsistency_row(db, Uuid::new_v4());
    db.assert_refused(
        "inconsistency_records.severity",
        "inconsistency_records",
        with(inc(db), "severity", v("Blocker")),
    )
    .await;
    db.assert_refused(
        "inconsistency_records.type",
        "inconsistency_records",
        with(inc(db), "type", v("CodeToCode")),
    )
    .await;
    db.assert_refused(
        "inconsistency_records.status",
        "inconsistency_records",
        with(inc(db), "status", v("Active")),
    )
    .await;
    for severity in ["Critical", "Major", "Minor"] {
        add(
            db,
            severity,
            "inconsistency_records",
            with(inc(db), "severity", v(severity)),
        )
        .await;
    }
    for kind in ["DocToDoc", "DocToCode", "DesignDecisionViolation"] {
        add(
            db,
            kind,
            "inconsistency_records",
            with(inc(db), "type", v(kind)),
        )
        .await;
    }
    for status in ["Pending", "InRecommendation", "Resolved"] {
        add(
            db,
            status,
            "inconsistency_records",
            with(inc(db), "status", v(status)),
        )
        .await;
    }

    // developer_decisions.decision
    db.assert_refused(
        "developer_decisions.decision",
        "developer_decisions",
        with(decision_row(db, 1, rec), "decision", v("Defer")),
    )
    .await;
    for (i, decision) in ["Accept", "Reject", "Amend"].into_iter().enumerate() {
        let id = i32::try_from(i).expect("small") + 1;
        add(
            db,
            decision,
            "developer_decisions",
            with(decision_row(db, id, rec), "decision", v(decision)),
        )
        .await;
    }
}

async fn not_null_refuses_missing_values(db: &TestDb) {
    for column in ["path", "type", "last_modified", "size"] {
        db.assert_refused(
            &format!("document_references.{column} NULL"),
            "document_references",
            without(document_row(1), column),
        )
        .await;
    }
    add(
        db,
        "document with NULL md5_digest and header_sections",
        "document_references",
        document_row(1),
    )
    .await;
    for column in ["path", "last_modified", "size"] {
        db.assert_refused(
            &format!("file_metadata.{column} NULL"),
            "file_metadata",
            without(file_row(1), column),
        )
        .await;
    }
    add(db, "file with only its keys", "file_metadata", file_row(1)).await;
    for column in ["title", "suggested_changes"] {
        db.assert_refused(
            &format!("recommendations.{column} NULL"),
            "recommendations",
            without(recommendation_row(db, Uuid::new_v4()), column),
        )
        .await;
    }
    db.assert_refused(
        "recommendations.status NULL",
        "recommendations",
        with(
            recommendation_row(db, Uuid::new_v4()),
            "status",
            Expr::value(sea_orm::Value::String(None)),
        ),
    )
    .await;
    let rec = Uuid::new_v4();
    add(
        db,
        "recommendation",
        "recommendations",
        recommendation_row(db, rec),
    )
    .await;
    for column in ["severity", "type", "description"] {
        db.assert_refused(
            &format!("inconsistency_records.{column} NULL"),
            "inconsistency_records",
            without(inconsistency_row(db, Uuid::new_v4()), column),
        )
        .await;
    }
    for column in ["recommendation_id", "decision"] {
        db.assert_refused(
            &format!("developer_decisions.{column} NULL"),
            "developer_decisions",
            without(decision_row(db, 1, rec), column),
        )
        .await;
    }
    db.assert_refused(
        "document_dependencies.relation_type is optional but target_id is not",
        "document_dependencies",
        without(dependency_row(1, 1), "target_id"),
    )
    .await;
}

async fn uniques_refuse_duplicates(db: &TestDb) {
    add(db, "document", "document_references", document_row(1)).await;
    db.assert_refused(
        "document_references.path",
        "document_references",
        with(document_row(2), "path", v("docs/doc-1.md")),
    )
    .await;
    add(
        db,
        "same path in file_metadata is another table",
        "file_metadata",
        with(file_row(1), "path", v("docs/doc-1.md")),
    )
    .await;
    db.assert_refused(
        "file_metadata.path",
        "file_metadata",
        with(file_row(2), "path", v("docs/doc-1.md")),
    )
    .await;
    add(db, "document 2", "document_references", document_row(2)).await;

    add(
        db,
        "dependency",
        "document_dependencies",
        dependency_row(1, 2),
    )
    .await;
    db.assert_refused(
        "document_dependencies (source_id, target_id)",
        "document_dependencies",
        with(dependency_row(1, 2), "topic", v("other")),
    )
    .await;
    add(
        db,
        "the reverse dependency is another edge",
        "document_dependencies",
        dependency_row(2, 1),
    )
    .await;

    let inc = Uuid::new_v4();
    add(
        db,
        "inconsistency",
        "inconsistency_records",
        inconsistency_row(db, inc),
    )
    .await;
    add(
        db,
        "inconsistency map",
        "inconsistency_document_map",
        inconsistency_map_row(db, inc, 1),
    )
    .await;
    db.assert_refused(
        "inconsistency_document_map (inconsistency_id, document_id)",
        "inconsistency_document_map",
        inconsistency_map_row(db, inc, 1),
    )
    .await;

    let rec = Uuid::new_v4();
    add(
        db,
        "recommendation",
        "recommendations",
        recommendation_row(db, rec),
    )
    .await;
    add(
        db,
        "recommendation map",
        "recommendation_document_map",
        recommendation_map_row(db, rec, 1),
    )
    .await;
    db.assert_refused(
        "recommendation_document_map (recommendation_id, document_id)",
        "recommendation_document_map",
        recommendation_map_row(db, rec, 1),
    )
    .await;
}

async fn foreign_keys_refuse_orphans(db: &TestDb) {
    add(db, "document", "document_references", document_row(1)).await;
    let rec = Uuid::new_v4();
    add(
        db,
        "recommendation",
        "recommendations",
        recommendation_row(db, rec),
    )
    .await;
    let inc = Uuid::new_v4();
    add(
        db,
        "inconsistency",
        "inconsistency_records",
        inconsistency_row(db, inc),
    )
    .await;
    let missing = Uuid::new_v4();

    db.assert_refused(
        "document_dependencies.source_id",
        "document_dependencies",
        dependency_row(99, 1),
    )
    .await;
    db.assert_refused(
        "document_dependencies.target_id",
        "document_dependencies",
        dependency_row(1, 99),
    )
    .await;
    add(
        db,
        "a document may depend on itself",
        "document_dependencies",
        dependency_row(1, 1),
    )
    .await;
    db.assert_refused(
        "inconsistency_document_map.inconsistency_id",
        "inconsistency_document_map",
        inconsistency_map_row(db, missing, 1),
    )
    .await;
    db.assert_refused(
        "inconsistency_document_map.document_id",
        "inconsistency_document_map",
        inconsistency_map_row(db, inc, 99),
    )
    .await;
    add(
        db,
        "inconsistency map",
        "inconsistency_document_map",
        inconsistency_map_row(db, inc, 1),
    )
    .await;
    db.assert_refused(
        "recommendation_document_map.recommendation_id",
        "recommendation_document_map",
        recommendation_map_row(db, missing, 1),
    )
    .await;
    db.assert_refused(
        "recommendation_document_map.document_id",
        "recommendation_document_map",
        recommendation_map_row(db, rec, 99),
    )
    .await;
    add(
        db,
        "recommendation map",
        "recommendation_document_map",
        recommendation_map_row(db, rec, 1),
    )
    .await;
    db.assert_refused(
        "developer_decisions.recommendation_id",
        "developer_decisions",
        decision_row(db, 1, missing),
    )
    .await;
    add(
        db,
        "decision",
        "developer_decisions",
        decision_row(db, 1, rec),
    )
    .await;
    db.assert_refused(
        "inconsistency_records.recommendation_id",
        "inconsistency_records",
        with(
            inconsistency_row(db, Uuid::new_v4()),
            "recommendation_id",
            db.uuid(missing),
        ),
    )
    .await;
    add(
        db,
        "inconsistency in a recommendation",
        "inconsistency_records",
        with(
            inconsistency_row(db, Uuid::new_v4()),
            "recommendation_id",
            db.uuid(rec),
        ),
    )
    .await;
}

/// Deleting a document removes its dependency edges in both directions and its map rows, and
/// nothing else.
async fn deleting_a_document_cascades(db: &TestDb) {
    for id in 1..=3 {
        add(db, "document", "document_references", document_row(id)).await;
    }
    add(db, "1 -> 2", "document_dependencies", dependency_row(1, 2)).await;
    add(db, "2 -> 3", "document_dependencies", dependency_row(2, 3)).await;
    add(db, "1 -> 3", "document_dependencies", dependency_row(1, 3)).await;
    let inc = Uuid::new_v4();
    add(
        db,
        "inconsistency",
        "inconsistency_records",
        inconsistency_row(db, inc),
    )
    .await;
    let rec = Uuid::new_v4();
    add(
        db,
        "recommendation",
        "recommendations",
        recommendation_row(db, rec),
    )
    .await;
    for doc in [1, 2] {
        add(
            db,
            "inconsistency map",
            "inconsistency_document_map",
            inconsistency_map_row(db, inc, doc),
        )
        .await;
        add(
            db,
            "recommendation map",
            "recommendation_document_map",
            recommendation_map_row(db, rec, doc),
        )
        .await;
    }

    db.raw("DELETE FROM document_references WHERE id = 2")
        .await
        .expect("delete document 2");
    let edges: Vec<(i32, i32)> = document_dependencies::Entity::find()
        .order_by_asc(document_dependencies::Column::SourceId)
        .all(&db.conn)
        .await
        .expect("edges")
        .into_iter()
        .map(|e| (e.source_id, e.target_id))
        .collect();
    assert_eq!(
        edges,
        vec![(1, 3)],
        "edges from and to the document are gone"
    );
    assert_eq!(db.count("inconsistency_document_map").await, 1);
    assert_eq!(db.count("recommendation_document_map").await, 1);
    assert_eq!(
        db.count("inconsistency_records").await,
        1,
        "inconsistency kept"
    );
    assert_eq!(db.count("recommendations").await, 1, "recommendation kept");
    assert_eq!(db.count("document_references").await, 2);
}

/// The 7-day purge deletes recommendations: their decisions and document links go with them,
/// while the inconsistencies they covered stay, detached (`recommendation_id` NULL).
async fn deleting_a_recommendation(db: &TestDb) {
    add(db, "document", "document_references", document_row(1)).await;
    let old = Uuid::new_v4();
    let kept = Uuid::new_v4();
    add(
        db,
        "old recommendation",
        "recommendations",
        with(
            recommendation_row(db, old),
            "creation_timestamp",
            v(now() - Duration::days(8)),
        ),
    )
    .await;
    add(
        db,
        "recent recommendation",
        "recommendations",
        recommendation_row(db, kept),
    )
    .await;
    add(
        db,
        "decision on old",
        "developer_decisions",
        decision_row(db, 1, old),
    )
    .await;
    add(
        db,
        "decision on kept",
        "developer_decisions",
        decision_row(db, 2, kept),
    )
    .await;
    for rec in [old, kept] {
        add(
            db,
            "recommendation map",
            "recommendation_document_map",
            recommendation_map_row(db, rec, 1),
        )
        .await;
    }
    let inc = Uuid::new_v4();
    add(
        db,
        "inconsistency covered by the old recommendation",
        "inconsistency_records",
        with(
            with(
                inconsistency_row(db, inc),
                "recommendation_id",
                db.uuid(old),
            ),
            "status",
            v("InRecommendation"),
        ),
    )
    .await;

    // The purge, as the repository will run it.
    let purged = recommendations::Entity::delete_many()
        .filter(recommendations::Column::CreationTimestamp.lt(now() - Duration::days(7)))
        .exec(&db.conn)
        .await
        .expect("7-day purge");
    assert_eq!(purged.rows_affected, 1);

    assert_eq!(
        cell(db, "developer_decisions", "id", "id", "1").await,
        None,
        "the decision cascades with its recommendation"
    );
    assert!(
        cell(db, "developer_decisions", "id", "id", "2")
            .await
            .is_some()
    );
    assert_eq!(db.count("recommendation_document_map").await, 1);
    assert_eq!(
        cell(
            db,
            "inconsistency_records",
            "recommendation_id",
            "id",
            &inc.to_string()
        )
        .await,
        Some(None),
        "the inconsistency stays, with recommendation_id set to NULL"
    );
    assert_eq!(db.count("document_references").await, 1);
}

/// Deleting an inconsistency removes its document links only.
async fn deleting_an_inconsistency_cascades(db: &TestDb) {
    add(db, "document", "document_references", document_row(1)).await;
    let inc = Uuid::new_v4();
    add(
        db,
        "inconsistency",
        "inconsistency_records",
        inconsistency_row(db, inc),
    )
    .await;
    add(
        db,
        "inconsistency map",
        "inconsistency_document_map",
        inconsistency_map_row(db, inc, 1),
    )
    .await;
    inconsistency_records::Entity::delete_by_id(DbUuid(inc))
        .exec(&db.conn)
        .await
        .expect("delete inconsistency");
    assert_eq!(db.count("inconsistency_document_map").await, 0);
    assert_eq!(db.count("document_references").await, 1);
}

#[allow(clippy::too_many_lines)]
async fn entities_round_trip(db: &TestDb) {
    let at = now();

    let doc = |id: i32, kind: DocumentType| document_references::Model {
        id,
        path: format!("doc/DESIGN-{id}.md"),
        r#type: kind,
        last_modified: at - Duration::hours(2),
        size: 4096 + id,
        md5_digest: Some("9e107d9d372bb6826bd81d3542a419d6".to_owned()),
        header_sections: Some(j!({"intent": "Explain the design", "design_principles": ["KISS"]})),
    };
    // An id the database assigns comes back from the insert. (On PostgreSQL an explicit id does
    // not advance the identity sequence, so explicit ids below stay clear of assigned ones.)
    let assigned = document_references::ActiveModel {
        id: NotSet,
        path: Set("src/main.py".to_owned()),
        r#type: Set(DocumentType::Code),
        last_modified: Set(at),
        size: Set(10),
        md5_digest: Set(None),
        header_sections: Set(None),
    }
    .insert(&db.conn)
    .await
    .expect("insert with an assigned id");
    assert!(assigned.id > 0);
    let docs = [
        doc(101, DocumentType::Markdown),
        doc(102, DocumentType::Header),
    ];
    for d in &docs {
        let inserted = d
            .clone()
            .into_active_model()
            .reset_all()
            .insert(&db.conn)
            .await
            .expect("insert document_references");
        assert_eq!(&inserted, d);
        let found = document_references::Entity::find_by_id(d.id)
            .one(&db.conn)
            .await
            .expect("select document_references")
            .expect("document_references row");
        assert_eq!(&found, d);
    }

    let dependency = document_dependencies::Model {
        source_id: 101,
        target_id: 102,
        relation_type: Some("references".to_owned()),
        topic: Some("caching".to_owned()),
        scope: Some("module".to_owned()),
    };
    let inserted = dependency
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert document_dependencies");
    assert_eq!(inserted, dependency);
    let found = document_dependencies::Entity::find_by_id((101, 102))
        .one(&db.conn)
        .await
        .expect("select document_dependencies")
        .expect("document_dependencies row");
    assert_eq!(found, dependency);

    let recommendation = recommendations::Model {
        id: DbUuid::new_v4(),
        creation_timestamp: at - Duration::days(1),
        title: "Document the cache TTLs".to_owned(),
        suggested_changes: j!([{"file": "doc/DESIGN-101.md", "section": "Cache", "add": "TTL table"}]),
        status: RecommendationStatus::Amended,
        developer_feedback: Some("Also mention eviction".to_owned()),
        last_codebase_change_timestamp: Some(at - Duration::minutes(5)),
    };
    let inserted = recommendation
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert recommendations");
    assert_eq!(inserted, recommendation, "explicit timestamps are kept");
    let found = recommendations::Entity::find_by_id(recommendation.id)
        .one(&db.conn)
        .await
        .expect("select recommendations")
        .expect("recommendations row");
    assert_eq!(found, recommendation);

    let inconsistency = inconsistency_records::Model {
        id: DbUuid::new_v4(),
        timestamp: at - Duration::hours(1),
        severity: Severity::Critical,
        r#type: InconsistencyType::DesignDecisionViolation,
        description: "The cache bypasses the documented single-flight".to_owned(),
        suggested_resolution: Some("Route reads through get_or_load".to_owned()),
        status: InconsistencyStatus::InRecommendation,
        recommendation_id: Some(recommendation.id),
    };
    let inserted = inconsistency
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert inconsistency_records");
    assert_eq!(inserted, inconsistency);
    let found = inconsistency_records::Entity::find_by_id(inconsistency.id)
        .one(&db.conn)
        .await
        .expect("select inconsistency_records")
        .expect("inconsistency_records row");
    assert_eq!(found, inconsistency);

    let inconsistency_link = inconsistency_document_map::Model {
        inconsistency_id: inconsistency.id,
        document_id: 101,
    };
    let inserted = inconsistency_link
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert inconsistency_document_map");
    assert_eq!(inserted, inconsistency_link);
    let found = inconsistency_document_map::Entity::find_by_id((inconsistency.id, 101))
        .one(&db.conn)
        .await
        .expect("select inconsistency_document_map")
        .expect("inconsistency_document_map row");
    assert_eq!(found, inconsistency_link);

    let recommendation_link = recommendation_document_map::Model {
        recommendation_id: recommendation.id,
        document_id: 102,
    };
    let inserted = recommendation_link
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert recommendation_document_map");
    assert_eq!(inserted, recommendation_link);
    let found = recommendation_document_map::Entity::find()
        .filter(recommendation_document_map::Column::RecommendationId.eq(recommendation.id))
        .filter(recommendation_document_map::Column::DocumentId.eq(102))
        .one(&db.conn)
        .await
        .expect("select recommendation_document_map")
        .expect("recommendation_document_map row");
    assert_eq!(found, recommendation_link);

    let decision = developer_decisions::Model {
        id: 7,
        recommendation_id: recommendation.id,
        timestamp: at - Duration::minutes(30),
        decision: Decision::Amend,
        comments: Some("Accepted with a note on eviction".to_owned()),
        implementation_timestamp: Some(at),
    };
    let inserted = decision
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert developer_decisions");
    assert_eq!(inserted, decision);
    let found = developer_decisions::Entity::find_by_id(7)
        .one(&db.conn)
        .await
        .expect("select developer_decisions")
        .expect("developer_decisions row");
    assert_eq!(found, decision);

    let file = file_metadata::Model {
        id: 3,
        path: "src/cache/manager.py".to_owned(),
        language: Some("python".to_owned()),
        last_modified: at - Duration::seconds(90),
        size: 123_456,
        md5_digest: Some("d41d8cd98f00b204e9800998ecf8427e".to_owned()),
        functions: Some(j!([{"name": "get_or_load", "line": 42}])),
        classes: Some(j!([{"name": "CacheManager", "methods": ["get", "set"]}])),
        header_sections: Some(j!({"intent": "Cache facade", "reference_documentation": []})),
    };
    let inserted = file
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert file_metadata");
    assert_eq!(inserted, file);
    let found = file_metadata::Entity::find_by_id(3)
        .one(&db.conn)
        .await
        .expect("select file_metadata")
        .expect("file_metadata row");
    assert_eq!(found, file);
}

/// The relations the seed declares work from the entities: dependencies both ways
/// (`DocumentReference.dependencies`), the many-to-many `affected_documents`, and
/// `Recommendation.inconsistencies`.
async fn relations_follow_seed(db: &TestDb) {
    for id in 1..=3 {
        add(db, "document", "document_references", document_row(id)).await;
    }
    add(db, "1 -> 2", "document_dependencies", dependency_row(1, 2)).await;
    add(db, "1 -> 3", "document_dependencies", dependency_row(1, 3)).await;
    add(db, "3 -> 2", "document_dependencies", dependency_row(3, 2)).await;
    let rec = Uuid::new_v4();
    add(
        db,
        "recommendation",
        "recommendations",
        recommendation_row(db, rec),
    )
    .await;
    let inc = Uuid::new_v4();
    add(
        db,
        "inconsistency",
        "inconsistency_records",
        with(
            inconsistency_row(db, inc),
            "recommendation_id",
            db.uuid(rec),
        ),
    )
    .await;
    add(
        db,
        "other inconsistency",
        "inconsistency_records",
        inconsistency_row(db, Uuid::new_v4()),
    )
    .await;
    for doc in [2, 3] {
        add(
            db,
            "inconsistency map",
            "inconsistency_document_map",
            inconsistency_map_row(db, inc, doc),
        )
        .await;
    }
    add(
        db,
        "recommendation map",
        "recommendation_document_map",
        recommendation_map_row(db, rec, 1),
    )
    .await;
    add(
        db,
        "decision",
        "developer_decisions",
        decision_row(db, 1, rec),
    )
    .await;

    let docs = document_references::Entity::load()
        .with(document_dependencies::Entity)
        .with(document_dependencies::Entity::REVERSE)
        .order_by_asc(document_references::Column::Id)
        .all(&db.conn)
        .await
        .expect("load documents with dependencies");
    let ids = |list: &HasMany<document_references::Entity>| {
        assert!(list.is_loaded());
        let mut ids: Vec<i32> = (0..list.len()).map(|i| list[i].id).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(&docs[0].dependencies), vec![2, 3]);
    assert!(docs[0].dependents.is_empty());
    assert!(docs[1].dependencies.is_empty());
    assert_eq!(ids(&docs[1].dependents), vec![1, 3]);
    assert_eq!(ids(&docs[2].dependencies), vec![2]);
    assert_eq!(ids(&docs[2].dependents), vec![1]);

    let incons = inconsistency_records::Entity::find_by_id(DbUuid(inc))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    let mut affected: Vec<i32> = incons
        .find_related(document_references::Entity)
        .all(&db.conn)
        .await
        .expect("affected documents")
        .into_iter()
        .map(|d| d.id)
        .collect();
    affected.sort_unstable();
    assert_eq!(affected, vec![2, 3]);

    let recommendation = recommendations::Entity::find_by_id(DbUuid(rec))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    let covered = recommendation
        .find_related(inconsistency_records::Entity)
        .all(&db.conn)
        .await
        .expect("inconsistencies");
    assert_eq!(covered.len(), 1);
    assert_eq!(covered[0].id, DbUuid(inc));
    let documents = recommendation
        .find_related(document_references::Entity)
        .all(&db.conn)
        .await
        .expect("affected documents");
    assert_eq!(documents.iter().map(|d| d.id).collect::<Vec<_>>(), vec![1]);
    let decisions = recommendation
        .find_related(developer_decisions::Entity)
        .all(&db.conn)
        .await
        .expect("decisions");
    assert_eq!(decisions.len(), 1);
}

db_tests!(
    matches_seed,
    column_types_follow_seed,
    defaults_fill_minimal_rows,
    checks_refuse_bad_rows,
    not_null_refuses_missing_values,
    uniques_refuse_duplicates,
    foreign_keys_refuse_orphans,
    deleting_a_document_cascades,
    deleting_a_recommendation,
    deleting_an_inconsistency_cascades,
    entities_round_trip,
    relations_follow_seed,
);
