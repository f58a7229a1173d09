//! What the database itself refuses (CHECKs, NOT NULLs, UNIQUEs, foreign keys), and what it
//! fills in.

use chrono::Duration;
use entity::DbUuid;
use entity::behavior::now;
use entity::docsync::sea_orm_active_enums::{InconsistencyStatus, RecommendationStatus};
use entity::docsync::{
    developer_decisions, document_references, inconsistency_records, recommendations,
};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::{TestDb, db_tests, v, with, without};
use uuid::Uuid;

use super::rows::*;
use super::spec::spec;

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

/// Every foreign key of the spec refuses a row whose parent is missing (cases derived from
/// [`spec`]); a document may depend on itself.
async fn foreign_keys_refuse_orphans(db: &TestDb) {
    // One document per call of the row maker below (eight foreign keys), so that composite keys
    // stay new.
    for id in 1..=9 {
        add(db, "document", "document_references", document_row(id)).await;
    }
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
    let mut n = 0;
    tests::spec::assert_foreign_keys_refuse_orphans(db, &spec(), |table| {
        n += 1;
        match table {
            "document_dependencies" => dependency_row(1, n + 1),
            "inconsistency_records" => with(
                inconsistency_row(db, Uuid::new_v4()),
                "recommendation_id",
                db.uuid(rec),
            ),
            "developer_decisions" => decision_row(db, n, rec),
            "inconsistency_document_map" => inconsistency_map_row(db, inc, n),
            "recommendation_document_map" => recommendation_map_row(db, rec, n),
            other => panic!("no row for {other}"),
        }
    })
    .await;
    add(
        db,
        "a document may depend on itself",
        "document_dependencies",
        dependency_row(1, 1),
    )
    .await;
}

db_tests!(
    defaults_fill_minimal_rows,
    checks_refuse_bad_rows,
    not_null_refuses_missing_values,
    uniques_refuse_duplicates,
    foreign_keys_refuse_orphans,
);
