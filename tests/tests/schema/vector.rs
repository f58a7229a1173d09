//! The embedded vector store's tables (issue 10): the schema is as designed (columns, types,
//! keys, the CHECKs, the cascade from a collection to its records, the sequence index), the
//! database refuses rows that break it, and the entities round-trip on both backends.

use entity::DbUuid;
use entity::vector::sea_orm_active_enums::VectorDistance;
use entity::vector::{vector_collections, vector_records};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveModelTrait, QueryOrder};
use tests::column_types::{ColumnDefault, ColumnType, TableTypes};
use tests::spec::{OnDelete, TableSpec};
use tests::{Backend, TestDb, db_tests, v, with};

/// The design of `m20261201_000020_create_vector_tables`.
pub fn spec() -> Vec<TableSpec> {
    vec![
        TableSpec::new("vector_collections")
            .not_null(&[
                "name",
                "uid",
                "dimension",
                "distance",
                "metadata",
                "seq",
                "purged_seq",
                "created_at",
            ])
            .pk(&["name"])
            .checks(&[
                "ck_vector_collections_dimension",
                "ck_vector_collections_distance",
            ]),
        TableSpec::new("vector_records")
            .not_null(&["collection", "id", "embedding", "metadata", "seq"])
            .nullable(&["document"])
            .pk(&["collection", "id"])
            .fk(
                "collection",
                "vector_collections",
                "name",
                OnDelete::Cascade,
            )
            .index("idx_vector_records_collection_seq", &["collection", "seq"]),
    ]
}

const TYPES: &[TableTypes] = &[
    (
        "vector_collections",
        &[
            ("name", ColumnType::Varchar(512), ColumnDefault::None),
            ("uid", ColumnType::Uuid, ColumnDefault::None),
            ("dimension", ColumnType::Integer, ColumnDefault::None),
            ("distance", ColumnType::Text, ColumnDefault::None),
            ("metadata", ColumnType::Json, ColumnDefault::Json("{}")),
            ("seq", ColumnType::BigInt, ColumnDefault::Int(0)),
            ("purged_seq", ColumnType::BigInt, ColumnDefault::Int(0)),
            ("created_at", ColumnType::Timestamp, ColumnDefault::Now),
        ],
    ),
    (
        "vector_records",
        &[
            ("collection", ColumnType::Varchar(512), ColumnDefault::None),
            ("id", ColumnType::Varchar(512), ColumnDefault::None),
            ("embedding", ColumnType::Blob, ColumnDefault::None),
            ("document", ColumnType::Text, ColumnDefault::None),
            ("metadata", ColumnType::Json, ColumnDefault::Json("{}")),
            ("seq", ColumnType::BigInt, ColumnDefault::None),
        ],
    ),
];

async fn matches_design(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let problems = tests::spec::diff(&spec(), &schema, db.backend == Backend::Postgres);
    assert!(
        problems.is_empty(),
        "{:?} vector tables differ from their design:\n{}",
        db.backend,
        problems.join("\n")
    );
    tests::column_types::assert_match(db, "the vector design", TYPES, &[]).await;
}

/// A valid collection row (a UUID literal cast for PostgreSQL).
fn collection_row(db: &TestDb, name: &str) -> tests::Row {
    vec![
        ("name", v(name)),
        ("uid", db.uuid(uuid::Uuid::new_v4())),
        ("dimension", v(3)),
        ("distance", v("cosine")),
    ]
}

fn record_row(collection: &str, id: &str) -> tests::Row {
    vec![
        ("collection", v(collection)),
        ("id", v(id)),
        ("embedding", v(vec![0_u8; 12])),
        ("seq", v(1_i64)),
    ]
}

async fn checks_and_keys_refuse_bad_rows(db: &TestDb) {
    let ok = collection_row(db, "docs");
    db.assert_accepted("a collection", "vector_collections", ok)
        .await;
    for (what, column, value) in [
        ("dimension 0", "dimension", v(0)),
        ("distance dot", "distance", v("dot")),
        ("distance Cosine", "distance", v("Cosine")),
    ] {
        let row = collection_row(db, "other");
        db.assert_refused(what, "vector_collections", with(row, column, value))
            .await;
    }
    let again = collection_row(db, "docs");
    db.assert_refused(
        "a second collection named docs",
        "vector_collections",
        again,
    )
    .await;

    db.assert_accepted("a record", "vector_records", record_row("docs", "r1"))
        .await;
    db.assert_refused(
        "the same id twice",
        "vector_records",
        record_row("docs", "r1"),
    )
    .await;
    db.assert_refused(
        "a record of no collection",
        "vector_records",
        record_row("nowhere", "r1"),
    )
    .await;
    let other = collection_row(db, "other");
    db.assert_accepted("another collection", "vector_collections", other)
        .await;
    db.assert_accepted(
        "the same id in another collection",
        "vector_records",
        record_row("other", "r1"),
    )
    .await;

    // Deleting a collection deletes its records, and only its records.
    db.raw("DELETE FROM vector_collections WHERE name = 'docs'")
        .await
        .expect("delete collection");
    assert_eq!(db.count("vector_records").await, 1);
}

async fn entities_round_trip(db: &TestDb) {
    let collection = vector_collections::ActiveModel {
        name: Set("employee_documents".to_owned()),
        uid: Set(DbUuid::new_v4()),
        dimension: Set(2),
        distance: Set(VectorDistance::InnerProduct),
        metadata: Set(serde_json::json!({"system": "assistant", "version": 2}).into()),
        seq: Set(7),
        purged_seq: Set(3),
        created_at: NotSet,
    }
    .insert(&db.conn)
    .await
    .expect("insert collection");
    assert_eq!(collection.distance, VectorDistance::InnerProduct);
    assert_eq!(collection.metadata["version"], 2);
    let embedding: Vec<u8> = [0.5_f32, -1.25]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    for (id, document) in [("b", None), ("a", Some("text".to_owned()))] {
        vector_records::ActiveModel {
            collection: Set("employee_documents".to_owned()),
            id: Set(id.to_owned()),
            embedding: Set(embedding.clone()),
            document: Set(document),
            metadata: Set(serde_json::json!({"page": 1.5}).into()),
            seq: Set(7),
        }
        .insert(&db.conn)
        .await
        .expect("insert record");
    }
    let records = vector_records::Entity::find()
        .order_by_asc(vector_records::Column::Id)
        .all(&db.conn)
        .await
        .expect("records");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].id, "a");
    assert_eq!(records[0].embedding, embedding, "bytes kept exactly");
    assert_eq!(records[0].document.as_deref(), Some("text"));
    assert_eq!(records[1].metadata["page"], 1.5);
    let read = vector_collections::Entity::find_by_id("employee_documents")
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(read, collection);
}

db_tests!(
    matches_design,
    checks_and_keys_refuse_bad_rows,
    entities_round_trip
);
