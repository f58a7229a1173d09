//! `ContentRepository` on a real database.

use entity::knowledge::sea_orm_active_enums::ProcessingStatus;
use repository::knowledge::content::transition_allowed;
use repository::knowledge::{ContentFilter, ContentOrder, ContentRepository, ContentStore};
use repository::{Error, Page};
use sea_orm::{ConnectionTrait, DatabaseExecutor, TransactionTrait};
use tests::{TestDb, db_tests};

use super::{doc, url};

fn store(db: &TestDb) -> ContentStore<sea_orm::DatabaseConnection> {
    ContentStore::new(db.conn.clone())
}

async fn create_get_and_dedup(db: &TestDb) {
    let repo = store(db);
    let created = repo.create(doc(1, "rust", 0.9)).await.expect("create");
    assert_eq!(created.processing_status, ProcessingStatus::Pending);
    assert_eq!(created.access_count, 0);
    assert_eq!(repo.get("c00000001").await.expect("get"), created);
    assert_eq!(
        repo.find_by_hash(&created.content_hash)
            .await
            .expect("by hash"),
        Some(created.clone())
    );
    assert_eq!(
        repo.find_by_hash(&format!("{:064x}", 999))
            .await
            .expect("none"),
        None
    );

    // The same hash again, under any id: the existing row, never a second one.
    let mut again = doc(1, "rust", 0.1);
    again.content_id = "another-id".into();
    let (existing, created_now) = repo.ingest(again).await.expect("ingest duplicate");
    assert!(!created_now);
    assert_eq!(existing, created);
    let (fresh, created_now) = repo.ingest(doc(2, "rust", 0.5)).await.expect("ingest new");
    assert!(created_now);
    assert_eq!(fresh.content_id, "c00000002");
    assert_eq!(
        repo.count(ContentFilter::default()).await.expect("count"),
        2
    );

    // create (not ingest) refuses both a duplicate id and a duplicate hash.
    assert!(matches!(
        repo.create(doc(1, "rust", 0.9)).await,
        Err(Error::Conflict(_))
    ));
    let mut same_hash = doc(3, "rust", 0.9);
    same_hash.content_hash = created.content_hash.parse().expect("stored hash");
    assert!(matches!(
        repo.create(same_hash).await,
        Err(Error::Conflict(_))
    ));

    assert!(matches!(
        repo.get("missing").await,
        Err(Error::NotFound { .. })
    ));
}

async fn concurrent_ingest_of_one_document_creates_one_row(db: &TestDb) {
    let mut tasks = Vec::new();
    for k in 0..8 {
        let repo = store(db);
        tasks.push(tokio::spawn(async move {
            let mut d = doc(7, "go", 0.5);
            d.content_id = format!("racer-{k}");
            repo.ingest(d).await
        }));
    }
    let mut created = 0;
    for t in tasks {
        let (_, was_created) = t.await.expect("join").expect("ingest");
        created += usize::from(was_created);
    }
    assert_eq!(created, 1);
    assert_eq!(db.count("content_metadata").await, 1);
}

async fn validation_names_field_rule_and_value(db: &TestDb) {
    let repo = store(db);
    type Breaker = Box<dyn Fn(&mut repository::knowledge::NewContent)>;
    let cases: Vec<(&str, Breaker)> = vec![
        ("content_id", Box::new(|d| d.content_id = " ".into())),
        ("title", Box::new(|d| d.title = String::new())),
        ("technology", Box::new(|d| d.technology = String::new())),
        ("word_count", Box::new(|d| d.word_count = -1)),
        ("heading_count", Box::new(|d| d.heading_count = -1)),
        ("code_block_count", Box::new(|d| d.code_block_count = -1)),
        ("chunk_count", Box::new(|d| d.chunk_count = -1)),
        ("quality_score", Box::new(|d| d.quality_score = 1.01)),
        ("quality_score", Box::new(|d| d.quality_score = f64::NAN)),
        ("freshness_score", Box::new(|d| d.freshness_score = -0.5)),
    ];
    for (field, break_it) in cases {
        let mut d = doc(1, "rust", 0.5);
        break_it(&mut d);
        match repo.create(d).await {
            Err(Error::Validation { field: f, rule, .. }) => {
                assert_eq!(f, field);
                assert!(!rule.is_empty());
            }
            other => panic!("{field}: expected a Validation error, got {other:?}"),
        }
    }
    assert_eq!(db.count("content_metadata").await, 0, "nothing was written");
    // Bounds are inclusive.
    let mut edge = doc(2, "rust", 1.0);
    edge.freshness_score = 0.0;
    repo.create(edge).await.expect("0.0 and 1.0 are allowed");

    // The URL and the hash cannot even be made invalid: they are refused where they are parsed,
    // also from JSON.
    let mut json = serde_json::to_value(doc(3, "rust", 0.5)).expect("json");
    json["source_url"] = "not a url".into();
    let err = serde_json::from_value::<repository::knowledge::NewContent>(json.clone())
        .expect_err("bad URL");
    assert!(err.to_string().contains("http(s) URL"), "{err}");
    json["source_url"] = "https://docs.example.org/x".into();
    json["content_hash"] = "XYZ".into();
    let err =
        serde_json::from_value::<repository::knowledge::NewContent>(json).expect_err("bad hash");
    assert!(err.to_string().contains("SHA-256"), "{err}");
}

/// The constructor gives the seed's column defaults to everything it does not take.
async fn new_content_has_the_seed_defaults(db: &TestDb) {
    use repository::ContentHash;
    use repository::knowledge::NewContent;
    let repo = store(db);
    let new = NewContent::new(
        "d1",
        "Defaults",
        url("https://docs.example.org/d1"),
        "rust",
        ContentHash::digest("d1"),
    );
    let row = repo.create(new).await.expect("create");
    assert_eq!(
        (
            row.word_count,
            row.heading_count,
            row.code_block_count,
            row.chunk_count
        ),
        (0, 0, 0, 0)
    );
    assert!(row.quality_score.abs() < f64::EPSILON);
    assert!((row.freshness_score - 1.0).abs() < f64::EPSILON);
    assert_eq!(row.processing_status, ProcessingStatus::Pending);
    assert_eq!(row.anythingllm_workspace, None);
    assert_eq!(row.anythingllm_document_id, None);
    // The same row inserted by the seed's DDL defaults alone reads back the same.
    db.conn
        .execute_unprepared(
            "INSERT INTO content_metadata (content_id, title, source_url, technology, content_hash) \
             VALUES ('d2', 'Defaults', 'https://docs.example.org/d1', 'rust', 'h2')",
        )
        .await
        .expect("insert by DDL defaults");
    // (Compared without the timestamps: their defaults are the database's own clock.)
    use entity::knowledge::content_metadata::{Column, Entity};
    use sea_orm::{EntityTrait, QuerySelect};
    let defaults = |id: &'static str| {
        Entity::find_by_id(id)
            .select_only()
            .columns([
                Column::WordCount,
                Column::HeadingCount,
                Column::CodeBlockCount,
                Column::ChunkCount,
                Column::AccessCount,
            ])
            .column(Column::QualityScore)
            .column(Column::FreshnessScore)
            .column(Column::ProcessingStatus)
            .into_tuple::<(i32, i32, i32, i32, i32, f64, f64, ProcessingStatus)>()
            .one(&db.conn)
    };
    assert_eq!(
        defaults("d2").await.expect("by DDL"),
        defaults("d1").await.expect("by constructor")
    );
}

async fn list_filters_orders_and_pages(db: &TestDb) {
    let repo = store(db);
    for i in 0..30u32 {
        let tech = if i % 3 == 0 { "python" } else { "rust" };
        repo.create(doc(i, tech, f64::from(i) / 30.0))
            .await
            .expect("create");
    }
    let rust = ContentFilter {
        technology: Some("rust".into()),
        ..ContentFilter::default()
    };
    assert_eq!(repo.count(rust.clone()).await.expect("count"), 20);

    // Quality threshold, best first, paged without overlap.
    let good = ContentFilter {
        min_quality: Some(0.5),
        ..rust.clone()
    };
    let all_good = repo
        .list(good.clone(), ContentOrder::QualityDesc, Page::first(100))
        .await
        .expect("list");
    assert!(
        all_good
            .iter()
            .all(|c| c.quality_score >= 0.5 && c.technology == "rust")
    );
    assert!(
        all_good
            .windows(2)
            .all(|w| w[0].quality_score >= w[1].quality_score)
    );
    let p0 = repo
        .list(good.clone(), ContentOrder::QualityDesc, Page::nth(0, 4))
        .await
        .expect("page 0");
    let p1 = repo
        .list(good.clone(), ContentOrder::QualityDesc, Page::nth(1, 4))
        .await
        .expect("page 1");
    assert_eq!(p0.len(), 4);
    assert_eq!(
        [p0, p1].concat(),
        all_good[..8.min(all_good.len())].to_vec()
    );
    let beyond = repo
        .list(
            good,
            ContentOrder::QualityDesc,
            Page {
                limit: 10,
                offset: 1000,
            },
        )
        .await
        .expect("beyond");
    assert!(beyond.is_empty());

    // Status filter.
    repo.update_status("c00000001", ProcessingStatus::Processing)
        .await
        .expect("to processing");
    let processing = ContentFilter {
        status: Some(ProcessingStatus::Processing),
        ..ContentFilter::default()
    };
    let rows = repo
        .list(processing, ContentOrder::CreatedAsc, Page::default())
        .await
        .expect("by status");
    assert_eq!(
        rows.iter()
            .map(|r| r.content_id.as_str())
            .collect::<Vec<_>>(),
        ["c00000001"]
    );

    // Page bounds are validated.
    for bad in [
        Page {
            limit: 0,
            offset: 0,
        },
        Page {
            limit: 1001,
            offset: 0,
        },
    ] {
        assert!(matches!(
            repo.list(ContentFilter::default(), ContentOrder::CreatedDesc, bad).await,
            Err(Error::Validation { field, .. }) if field == "limit"
        ));
    }
    assert!(matches!(
        repo.count(ContentFilter { min_quality: Some(2.0), ..ContentFilter::default() }).await,
        Err(Error::Validation { field, .. }) if field == "min_quality"
    ));
    // An empty result is not an error.
    let none = ContentFilter {
        technology: Some("cobol".into()),
        ..ContentFilter::default()
    };
    assert!(
        repo.list(none, ContentOrder::AccessCountDesc, Page::default())
            .await
            .expect("empty")
            .is_empty()
    );
}

async fn status_transitions(db: &TestDb) {
    use ProcessingStatus::{Completed, Failed, Flagged, Pending, Processing};
    let repo = store(db);
    repo.create(doc(1, "rust", 0.5)).await.expect("create");
    let steps = [
        Processing, Completed, Flagged, Pending, Processing, Failed, Pending,
    ];
    for to in steps {
        let model = repo
            .update_status("c00000001", to)
            .await
            .unwrap_or_else(|e| panic!("to {to:?}: {e}"));
        assert_eq!(model.processing_status, to);
    }
    // pending -> completed skips processing: refused, and the row is unchanged.
    match repo.update_status("c00000001", Completed).await {
        Err(Error::Validation { field, rule, .. }) => {
            assert_eq!(field, "processing_status");
            assert!(
                rule.contains("pending") && rule.contains("completed"),
                "{rule}"
            );
        }
        other => panic!("expected an invalid transition, got {other:?}"),
    }
    assert_eq!(
        repo.get("c00000001").await.expect("get").processing_status,
        Pending
    );
    assert!(!transition_allowed(Pending, Pending));
    assert!(matches!(
        repo.update_status("missing", Processing).await,
        Err(Error::NotFound { .. })
    ));
}

async fn access_counting(db: &TestDb) {
    let repo = store(db);
    repo.create(doc(1, "rust", 0.5)).await.expect("create");
    let before = tests::now();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let repo = store(db);
        tasks.push(tokio::spawn(async move {
            repo.record_access("c00000001").await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("access");
    }
    let row = repo.get("c00000001").await.expect("get");
    assert_eq!(row.access_count, 20, "no lost updates");
    assert!(row.last_accessed_at.is_some_and(|at| at >= before));
    assert!(matches!(
        repo.record_access("missing").await,
        Err(Error::NotFound { .. })
    ));
    let top = repo
        .list(
            ContentFilter::default(),
            ContentOrder::LastAccessedDesc,
            Page::first(1),
        )
        .await
        .expect("list");
    assert_eq!(top[0].content_id, "c00000001");
}

async fn delete_cascades(db: &TestDb) {
    let repo = store(db);
    repo.create(doc(1, "rust", 0.5)).await.expect("create");
    db.raw("INSERT INTO feedback_events (event_id, content_id, feedback_type) VALUES ('f1', 'c00000001', 'helpful')")
        .await
        .expect("feedback");
    db.raw("INSERT INTO usage_signals (signal_id, content_id, signal_type) VALUES ('s1', 'c00000001', 'click')")
        .await
        .expect("signal");
    repo.delete("c00000001").await.expect("delete");
    assert_eq!(db.count("feedback_events").await, 0);
    assert_eq!(db.count("usage_signals").await, 0);
    assert!(matches!(
        repo.delete("c00000001").await,
        Err(Error::NotFound { .. })
    ));
}

async fn joins_a_unit_of_work(db: &TestDb) {
    let txn = db.conn.begin().await.expect("begin");
    {
        let repo = ContentStore::new(DatabaseExecutor::from(&txn));
        repo.create(doc(1, "rust", 0.5))
            .await
            .expect("create in txn");
        repo.create(doc(2, "rust", 0.5))
            .await
            .expect("create in txn");
    }
    txn.rollback().await.expect("rollback");
    assert_eq!(
        db.count("content_metadata").await,
        0,
        "rolled back with the unit of work"
    );
}

async fn stores_processed_documents_in_one_transaction(db: &TestDb) {
    use repository::knowledge::ProcessedDocument;
    let repo = store(db);
    let doc = ProcessedDocument::new(
        "doc-1",
        "Ownership",
        "# Ownership\n\nText.\n\n```rust\nfn main() {}\n```\n",
        url("https://doc.rust-lang.org/book/ch04-01.html"),
        "rust",
        0.75,
        &["chunk one", "chunk two", "chunk three"],
    );
    let row = repo.store_processed(&doc).await.expect("store");
    assert_eq!(row.content_id, "doc-1");
    assert_eq!(row.chunk_count, 3);
    assert_eq!(row.heading_count, 1);
    assert_eq!(row.code_block_count, 1);
    assert_eq!(row.word_count, doc.metadata.word_count);
    assert_eq!(row.content_hash, doc.metadata.content_hash);
    assert_eq!(row.processing_status, ProcessingStatus::Completed);
    assert_eq!(repo.get("doc-1").await.expect("get"), row);

    // Re-processing the same id updates the row in place.
    let mut v2 = doc.clone();
    v2.chunks.pop();
    for c in &mut v2.chunks {
        c.total_chunks = 2;
    }
    v2.quality_score = 0.9;
    let row2 = repo.store_processed(&v2).await.expect("restore");
    assert_eq!(row2.chunk_count, 2);
    assert_eq!(row2.created_at, row.created_at);
    assert_eq!(db.count("content_metadata").await, 1);

    // The same content under another id is a conflict; an incompatible version is refused.
    let mut dup = doc.clone();
    dup.id = "doc-2".into();
    for c in &mut dup.chunks {
        c.parent_document_id = "doc-2".into();
    }
    assert!(matches!(
        repo.store_processed(&dup).await,
        Err(Error::Conflict(_))
    ));
    let mut future = doc;
    future.model_version = "2.0.0".into();
    assert!(matches!(
        repo.store_processed(&future).await,
        Err(Error::Validation { field, .. }) if field == "model_version"
    ));
    assert_eq!(
        db.count("content_metadata").await,
        1,
        "nothing half-written"
    );
}

async fn bulk_create_is_all_or_nothing_and_chunked(db: &TestDb) {
    let repo = store(db);
    // More rows than one statement can bind on either backend (18 columns x 4,000 > 65,535).
    let docs: Vec<_> = (0..4000u32).map(|i| doc(i, "rust", 0.5)).collect();
    assert_eq!(repo.create_many(docs).await.expect("bulk"), 4000);
    assert_eq!(db.count("content_metadata").await, 4000);
    assert_eq!(repo.create_many(Vec::new()).await.expect("empty"), 0);

    // One duplicate anywhere: nothing of the batch is kept.
    let mut batch: Vec<_> = (5000..7000u32).map(|i| doc(i, "go", 0.5)).collect();
    batch.push(doc(1, "rust", 0.5));
    assert!(matches!(
        repo.create_many(batch).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(db.count("content_metadata").await, 4000);

    // One invalid row: refused before any SQL, naming its position.
    let mut bad: Vec<_> = (8000..8003u32).map(|i| doc(i, "go", 0.5)).collect();
    bad[2].quality_score = 7.0;
    match repo.create_many(bad).await {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "docs[2].quality_score"),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The quality-ordered listing of one technology (the hot query of `dal bench`) is served in
/// order by `idx_content_metadata_technology_quality`, so its cost does not grow with the table.
async fn quality_listing_reads_the_composite_index(db: &TestDb) {
    let repo = store(db);
    let techs = ["rust", "go", "python", "react"];
    let docs: Vec<_> = (0..2000u32)
        .map(|i| {
            doc(
                i,
                techs[i as usize % 4],
                f64::from((i * 7919) % 1001) / 1000.0,
            )
        })
        .collect();
    repo.create_many(docs).await.expect("bulk");
    db.manager.analyze().await.expect("analyze");

    let page = repo
        .list(
            ContentFilter {
                technology: Some("go".to_owned()),
                min_quality: Some(0.5),
                ..ContentFilter::default()
            },
            ContentOrder::QualityDesc,
            Page::first(20),
        )
        .await
        .expect("list");
    assert_eq!(page.len(), 20);
    assert!(
        page.iter()
            .all(|m| m.technology == "go" && m.quality_score >= 0.5)
    );
    assert!(
        page.windows(2)
            .all(|w| (w[0].quality_score, &w[1].content_id)
                >= (w[1].quality_score, &w[0].content_id)),
        "best first, ties by content_id"
    );

    let select = "SELECT * FROM content_metadata WHERE technology = 'go' AND quality_score >= 0.5 \
                  ORDER BY quality_score DESC, content_id ASC LIMIT 20";
    let plan: Vec<String> = match db.backend {
        tests::Backend::Sqlite => db
            .conn
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {select}"),
            ))
            .await
            .expect("plan")
            .iter()
            .map(|r| r.try_get_by::<String, _>("detail").expect("detail"))
            .collect(),
        tests::Backend::Postgres => db
            .conn
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT indexdef FROM pg_indexes \
                 WHERE indexname = 'idx_content_metadata_technology_quality'",
            ))
            .await
            .expect("indexdef")
            .iter()
            .map(|r| r.try_get_by::<String, _>("indexdef").expect("indexdef"))
            .collect(),
    };
    let plan = plan.join(" | ");
    match db.backend {
        tests::Backend::Sqlite => {
            assert!(
                plan.contains("idx_content_metadata_technology_quality"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "no sort step: {plan}");
        }
        tests::Backend::Postgres => assert!(
            plan.contains("(technology, quality_score DESC, content_id)"),
            "{plan}"
        ),
    }
}

db_tests!(
    new_content_has_the_seed_defaults,
    quality_listing_reads_the_composite_index,
    bulk_create_is_all_or_nothing_and_chunked,
    stores_processed_documents_in_one_transaction,
    create_get_and_dedup,
    concurrent_ingest_of_one_document_creates_one_row,
    validation_names_field_rule_and_value,
    list_filters_orders_and_pages,
    status_transitions,
    access_counting,
    delete_cascades,
    joins_a_unit_of_work,
);
