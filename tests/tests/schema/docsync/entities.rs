//! The entities of seed 002 round-trip on both backends, and the relations the seed declares work.

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
use sea_orm::{IntoActiveModel, QueryOrder};
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::{TestDb, db_tests, with};
use uuid::Uuid;

use super::rows::*;

#[allow(clippy::too_many_lines)]
async fn entities_round_trip(db: &TestDb) {
    let at = now();

    let doc = |id: i32, kind: DocumentType| document_references::Model {
        id,
        path: format!("doc/DESIGN-{id}.md"),
        r#type: kind,
        last_modified: at - Duration::hours(2),
        size: 4096 + i64::from(id),
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

db_tests!(entities_round_trip, relations_follow_seed);
