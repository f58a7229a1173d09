//! Every ON DELETE of the design: what goes with a deleted row and what stays, detached.

use chrono::Duration;
use entity::DbUuid;
use entity::behavior::now;
use entity::docsync::{document_dependencies, inconsistency_records, recommendations};
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use tests::{TestDb, db_tests, v, with};
use uuid::Uuid;

use super::rows::*;

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
        db.cell("developer_decisions", "id", "id", "1").await,
        None,
        "the decision cascades with its recommendation"
    );
    assert!(
        db.cell("developer_decisions", "id", "id", "2")
            .await
            .is_some()
    );
    assert_eq!(db.count("recommendation_document_map").await, 1);
    assert_eq!(
        db.cell(
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

db_tests!(
    deleting_a_document_cascades,
    deleting_a_recommendation,
    deleting_an_inconsistency_cascades,
);
