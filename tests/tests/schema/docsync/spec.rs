//! The tables, keys, CHECKs, indexes and column types designed from seed 002's models, against
//! the live schema.

use tests::spec::{OnDelete, TableSpec};
use tests::{Backend, TestDb, db_tests};

/// Seed 002's models, table by table.
///
/// NOT NULL where the seed's model cannot mean anything without the value: keys, paths, kinds
/// (`Enum` columns), descriptions and titles, the indexed timestamps, and the `last_modified` /
/// `size` pair change detection compares. Everything else is nullable, as SQLAlchemy leaves it.
pub(super) fn spec() -> Vec<TableSpec> {
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

db_tests!(matches_seed, column_types_follow_seed);
