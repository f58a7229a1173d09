//! The tables, keys, CHECKs, indexes, column types and defaults designed from seed 002's models,
//! against the live schema.

use tests::column_types::{ColumnDefault as D, ColumnType as T, DefaultDeviation, TableTypes};
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

/// Every column of seed 002's models with its type and DEFAULT: `Integer, primary_key=True` is
/// an integer key the database numbers, `Integer` an integer, `String` (and `Enum`, CHECKed) is
/// `TEXT`, `String` marked `# UUID` and the columns referencing one are UUIDs, `JSON` is `JSON`,
/// `DateTime` is a timestamp. No column of the models has a `default=`. One deliberate type
/// deviation: the two `size` columns are 64-bit (`BIGINT` on PostgreSQL, see
/// `m20261201_000040_widen_docsync_sizes`), so that change detection records files over 2 GiB.
const TYPES: &[TableTypes] = &[
    (
        "document_references",
        &[
            ("id", T::IntegerPk, D::None),
            ("path", T::Text, D::None),
            ("type", T::Text, D::None),
            ("last_modified", T::Timestamp, D::None),
            // Deliberate deviation: the seed's `Integer` is BIGINT (m20261201_000040), so that
            // sizes of files over 2 GiB fit on PostgreSQL (SQLite's INTEGER is 64-bit already).
            ("size", T::BigInt, D::None),
            ("md5_digest", T::Text, D::None),
            ("header_sections", T::Json, D::None),
        ],
    ),
    (
        "document_dependencies",
        &[
            ("source_id", T::Integer, D::None),
            ("target_id", T::Integer, D::None),
            ("relation_type", T::Text, D::None),
            ("topic", T::Text, D::None),
            ("scope", T::Text, D::None),
        ],
    ),
    (
        "inconsistency_records",
        &[
            ("id", T::Uuid, D::None),
            ("timestamp", T::Timestamp, D::None),
            ("severity", T::Text, D::None),
            ("type", T::Text, D::None),
            ("description", T::Text, D::None),
            ("suggested_resolution", T::Text, D::None),
            ("status", T::Text, D::None),
            // Recommendation.inconsistencies = relationship("InconsistencyRecord")
            ("recommendation_id", T::Uuid, D::None),
        ],
    ),
    (
        "recommendations",
        &[
            ("id", T::Uuid, D::None),
            ("creation_timestamp", T::Timestamp, D::None),
            ("title", T::Text, D::None),
            ("suggested_changes", T::Json, D::None),
            ("status", T::Text, D::None),
            ("developer_feedback", T::Text, D::None),
            ("last_codebase_change_timestamp", T::Timestamp, D::None),
        ],
    ),
    (
        "developer_decisions",
        &[
            ("id", T::IntegerPk, D::None),
            ("recommendation_id", T::Uuid, D::None),
            ("timestamp", T::Timestamp, D::None),
            ("decision", T::Text, D::None),
            ("comments", T::Text, D::None),
            ("implementation_timestamp", T::Timestamp, D::None),
        ],
    ),
    (
        "file_metadata",
        &[
            ("id", T::IntegerPk, D::None),
            ("path", T::Text, D::None),
            ("language", T::Text, D::None),
            ("last_modified", T::Timestamp, D::None),
            // Deliberate deviation, as document_references.size.
            ("size", T::BigInt, D::None),
            ("md5_digest", T::Text, D::None),
            ("functions", T::Json, D::None),
            ("classes", T::Json, D::None),
            ("header_sections", T::Json, D::None),
        ],
    ),
    (
        "inconsistency_document_map",
        &[
            ("inconsistency_id", T::Uuid, D::None),
            ("document_id", T::Integer, D::None),
        ],
    ),
    (
        "recommendation_document_map",
        &[
            ("recommendation_id", T::Uuid, D::None),
            ("document_id", T::Integer, D::None),
        ],
    ),
];

/// Defaults the schema has where the seed's models have none.
const DEFAULT_DEVIATIONS: &[DefaultDeviation] = &[
    (
        "recommendations",
        "id",
        D::UuidV4,
        "a UUID key the database can make, like every UUID key of seeds 003 and 004; a \
         client that sends its own id is unaffected",
    ),
    (
        "inconsistency_records",
        "id",
        D::UuidV4,
        "as recommendations.id",
    ),
    (
        "recommendations",
        "creation_timestamp",
        D::Now,
        "the indexed timestamps are NOT NULL and default to now (the migration's design)",
    ),
    (
        "inconsistency_records",
        "timestamp",
        D::Now,
        "as recommendations.creation_timestamp",
    ),
    (
        "developer_decisions",
        "timestamp",
        D::Now,
        "as recommendations.creation_timestamp",
    ),
    (
        "recommendations",
        "status",
        D::Text("Active"),
        "NOT NULL Enum: a new recommendation starts in the first state of its lifecycle",
    ),
    (
        "inconsistency_records",
        "status",
        D::Text("Pending"),
        "NOT NULL Enum: a new inconsistency starts Pending, the state the purge returns it to",
    ),
];

async fn column_types_match_seed(db: &TestDb) {
    tests::column_types::assert_match(db, "seed 002", TYPES, DEFAULT_DEVIATIONS).await;
}

db_tests!(matches_seed, column_types_match_seed);
