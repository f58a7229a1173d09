//! Seed 003 (assistant, "Section 2"): the four tables the seed writes as DDL match it exactly
//! (columns, types and lengths, NULL-ability, keys, the one foreign key, the UNIQUE, every index
//! of "Indexes for Performance" by name); the two tables the seed only names (`user_sessions`,
//! `system_logs`) match their design; the database refuses rows that break the constraints; the
//! defaults are the seed's; and the entities round-trip on both backends.

use chrono::Duration;
use entity::DbUuid;
use entity::assistant::sea_orm_active_enums::LogLevel;
use entity::assistant::{
    document_metadata, performance_metrics, query_history, schema_cache, system_logs, user_sessions,
};
use entity::behavior::now;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use tests::column_types::{ColumnDefault as D, ColumnType as T, TableTypes};
use tests::spec::{OnDelete, TableSpec};
use tests::{Backend, TestDb, db_tests, json, v, with, without};

/// Seed 003's DDL and "Indexes for Performance", table by table, then the designed
/// `user_sessions` and `system_logs`.
pub fn spec() -> Vec<TableSpec> {
    vec![
        TableSpec::new("query_history")
            .not_null(&["id", "query_text", "query_type", "response_time"])
            .nullable(&["cache_hit", "user_session_id", "created_at", "updated_at"])
            .pk(&["id"])
            .index("idx_query_history_created_at", &["created_at"])
            .index("idx_query_history_query_type", &["query_type"])
            .index("idx_query_history_user_session", &["user_session_id"]),
        TableSpec::new("document_metadata")
            .not_null(&["id", "filename", "file_type", "file_size"])
            .nullable(&[
                "upload_date",
                "processing_status",
                "chroma_id",
                "user_session_id",
                "created_at",
                "updated_at",
            ])
            .pk(&["id"])
            .unique(&["chroma_id"])
            .index("idx_document_metadata_file_type", &["file_type"])
            .index(
                "idx_document_metadata_processing_status",
                &["processing_status"],
            )
            .index("idx_document_metadata_user_session", &["user_session_id"]),
        TableSpec::new("schema_cache")
            .not_null(&["id", "connection_string_hash", "schema_data", "expires_at"])
            .nullable(&["discovered_at", "created_at"])
            .pk(&["id"])
            .index(
                "idx_schema_cache_connection_hash",
                &["connection_string_hash"],
            )
            .index("idx_schema_cache_expires_at", &["expires_at"]),
        TableSpec::new("performance_metrics")
            .not_null(&["id", "metric_name", "metric_value"])
            .nullable(&["query_id", "recorded_at"])
            .pk(&["id"])
            .fk("query_id", "query_history", "id", OnDelete::NoAction)
            .index("idx_performance_metrics_query_id", &["query_id"])
            .index("idx_performance_metrics_metric_name", &["metric_name"])
            .index("idx_performance_metrics_recorded_at", &["recorded_at"]),
        // Designed: the seed names the table for "session management".
        TableSpec::new("user_sessions")
            .not_null(&[
                "id",
                "session_token_hash",
                "session_data",
                "created_at",
                "last_activity_at",
                "expires_at",
                "is_active",
            ])
            .nullable(&["user_identifier", "ip_address", "user_agent", "deleted_at"])
            .pk(&["id"])
            .unique(&["session_token_hash"])
            .index("idx_user_sessions_expires_at", &["expires_at"])
            .index("idx_user_sessions_is_active", &["is_active"])
            .index("idx_user_sessions_last_activity_at", &["last_activity_at"])
            .index("idx_user_sessions_user_identifier", &["user_identifier"])
            .partial_index("idx_user_sessions_deleted_at", &["deleted_at"]),
        // Designed: the seed names the table for "application logging".
        TableSpec::new("system_logs")
            .not_null(&["id", "level", "logger", "message", "created_at"])
            .nullable(&["context", "exception", "user_session_id", "request_id"])
            .pk(&["id"])
            .fk("user_session_id", "user_sessions", "id", OnDelete::SetNull)
            .checks(&["ck_system_logs_level"])
            .index("idx_system_logs_level", &["level"])
            .index("idx_system_logs_created_at", &["created_at"])
            .index("idx_system_logs_user_session_id", &["user_session_id"])
            .index("idx_system_logs_request_id", &["request_id"]),
    ]
}

/// Every column with its type and DEFAULT: as the seed's DDL writes them for its four tables, as
/// designed for the two it only names (`user_sessions`, `system_logs`: timestamps `NOT NULL
/// DEFAULT now`, an empty JSON object for the session data, sessions active when created).
const TYPES: &[TableTypes] = &[
    (
        "query_history",
        &[
            ("id", T::Uuid, D::UuidV4),
            ("query_text", T::Text, D::None),
            ("query_type", T::Varchar(20), D::None),
            ("response_time", T::Float, D::None),
            ("cache_hit", T::Bool, D::Bool(false)),
            ("user_session_id", T::Uuid, D::None),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "document_metadata",
        &[
            ("id", T::Uuid, D::UuidV4),
            ("filename", T::Varchar(255), D::None),
            ("file_type", T::Varchar(50), D::None),
            ("file_size", T::BigInt, D::None),
            ("upload_date", T::Timestamp, D::Now),
            ("processing_status", T::Varchar(20), D::Text("pending")),
            ("chroma_id", T::Varchar(255), D::None),
            ("user_session_id", T::Uuid, D::None),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "schema_cache",
        &[
            ("id", T::Uuid, D::UuidV4),
            ("connection_string_hash", T::Varchar(64), D::None),
            ("schema_data", T::Jsonb, D::None),
            ("discovered_at", T::Timestamp, D::Now),
            ("expires_at", T::Timestamp, D::None),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "performance_metrics",
        &[
            ("id", T::Uuid, D::UuidV4),
            ("query_id", T::Uuid, D::None),
            ("metric_name", T::Varchar(50), D::None),
            ("metric_value", T::Float, D::None),
            ("recorded_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "user_sessions",
        &[
            ("id", T::Uuid, D::UuidV4),
            ("session_token_hash", T::Varchar(64), D::None),
            ("user_identifier", T::Varchar(255), D::None),
            ("ip_address", T::Varchar(45), D::None),
            ("user_agent", T::Text, D::None),
            ("session_data", T::Jsonb, D::Json("{}")),
            ("created_at", T::Timestamp, D::Now),
            ("last_activity_at", T::Timestamp, D::Now),
            ("expires_at", T::Timestamp, D::None),
            ("is_active", T::Bool, D::Bool(true)),
            ("deleted_at", T::Timestamp, D::None),
        ],
    ),
    (
        "system_logs",
        &[
            ("id", T::Uuid, D::UuidV4),
            ("level", T::Varchar(10), D::None),
            ("logger", T::Varchar(255), D::None),
            ("message", T::Text, D::None),
            ("context", T::Jsonb, D::None),
            ("exception", T::Text, D::None),
            ("user_session_id", T::Uuid, D::None),
            ("request_id", T::Varchar(64), D::None),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
];

async fn matches_seed(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let problems = tests::spec::diff(&spec(), &schema, db.backend == Backend::Postgres);
    assert!(
        problems.is_empty(),
        "{:?} schema differs from seed 003:\n{}",
        db.backend,
        problems.join("\n")
    );
}

async fn column_types_match_seed(db: &TestDb) {
    tests::column_types::assert_match(db, "seed 003", TYPES, &[]).await;
}

/// The required columns of a `query_history` row.
fn query_row() -> Vec<(&'static str, sea_orm::sea_query::Expr)> {
    vec![
        ("query_text", v("How many employees joined in 2024?")),
        ("query_type", v("sql")),
        ("response_time", v(0.5)),
    ]
}

/// A `query_history` row with id `id`.
async fn query_history_row(db: &TestDb, id: uuid::Uuid) {
    let mut row = query_row();
    row.push(("id", db.uuid(id)));
    db.assert_accepted("query_history row", "query_history", row)
        .await;
}

/// A `user_sessions` row with id `id`.
async fn session_row(db: &TestDb, id: uuid::Uuid) {
    db.assert_accepted(
        "user_sessions row",
        "user_sessions",
        vec![
            ("id", db.uuid(id)),
            ("session_token_hash", v(format!("{:064x}", id.as_u128()))),
            ("expires_at", v(now() + Duration::hours(1))),
        ],
    )
    .await;
}

fn log_row(level: &str) -> Vec<(&'static str, sea_orm::sea_query::Expr)> {
    vec![
        ("level", v(level)),
        ("logger", v("app.db")),
        ("message", v("pool exhausted")),
    ]
}

async fn checks_refuse_bad_rows(db: &TestDb) {
    for bad in ["TRACE", "info", "FATAL", ""] {
        db.assert_refused(
            &format!("system_logs.level = {bad:?}"),
            "system_logs",
            log_row(bad),
        )
        .await;
    }
    for level in ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] {
        db.assert_accepted(&format!("level {level}"), "system_logs", log_row(level))
            .await;
    }
    assert_eq!(db.count("system_logs").await, 5);
}

async fn not_null_and_lengths_refuse_bad_rows(db: &TestDb) {
    let query = vec![
        ("query_text", v("q")),
        ("query_type", v("sql")),
        ("response_time", v(0.1)),
    ];
    for col in ["query_text", "query_type", "response_time"] {
        db.assert_refused(
            &format!("query_history without {col}"),
            "query_history",
            without(query.clone(), col),
        )
        .await;
    }
    let document = vec![
        ("filename", v("cv.pdf")),
        ("file_type", v("pdf")),
        ("file_size", v(1_i64)),
    ];
    for col in ["filename", "file_type", "file_size"] {
        db.assert_refused(
            &format!("document_metadata without {col}"),
            "document_metadata",
            without(document.clone(), col),
        )
        .await;
    }
    let cache = vec![
        ("connection_string_hash", v("ab".repeat(32))),
        ("schema_data", json(serde_json::json!({"tables": []}))),
        ("expires_at", v(now())),
    ];
    for col in ["connection_string_hash", "schema_data", "expires_at"] {
        db.assert_refused(
            &format!("schema_cache without {col}"),
            "schema_cache",
            without(cache.clone(), col),
        )
        .await;
    }
    let metric = vec![("metric_name", v("latency_ms")), ("metric_value", v(12.5))];
    for col in ["metric_name", "metric_value"] {
        db.assert_refused(
            &format!("performance_metrics without {col}"),
            "performance_metrics",
            without(metric.clone(), col),
        )
        .await;
    }
    db.assert_refused(
        "user_sessions without expires_at",
        "user_sessions",
        vec![("session_token_hash", v("00".repeat(32)))],
    )
    .await;
    for col in ["level", "logger", "message"] {
        db.assert_refused(
            &format!("system_logs without {col}"),
            "system_logs",
            without(log_row("INFO"), col),
        )
        .await;
    }

    // BIGINT: a file larger than 4 GiB fits.
    let mut big = document.clone();
    big[2] = ("file_size", v(5_000_000_000_i64));
    db.assert_accepted("file_size > 2^32", "document_metadata", big)
        .await;

    // VARCHAR(n) limits are enforced by PostgreSQL (SQLite ignores declared lengths).
    if db.backend == Backend::Postgres {
        let mut long = query.clone();
        long[1] = ("query_type", v("x".repeat(21)));
        db.assert_refused("query_type of 21 characters", "query_history", long)
            .await;
        let mut fits = query.clone();
        fits[1] = ("query_type", v("x".repeat(20)));
        db.assert_accepted("query_type of 20 characters", "query_history", fits)
            .await;
        db.assert_refused("connection_string_hash of 65 characters", "schema_cache", {
            let mut row = cache.clone();
            row[0] = ("connection_string_hash", v("a".repeat(65)));
            row
        })
        .await;
    }
}

async fn uniques_refuse_duplicates(db: &TestDb) {
    let document = |chroma: Option<&str>| {
        let mut row = vec![
            ("filename", v("contract.docx")),
            ("file_type", v("docx")),
            ("file_size", v(2048_i64)),
        ];
        if let Some(chroma) = chroma {
            row.push(("chroma_id", v(chroma)));
        }
        row
    };
    db.assert_accepted("chroma_id", "document_metadata", document(Some("doc-1")))
        .await;
    db.assert_refused(
        "duplicate chroma_id",
        "document_metadata",
        document(Some("doc-1")),
    )
    .await;
    db.assert_accepted("NULL chroma_id", "document_metadata", document(None))
        .await;
    db.assert_accepted(
        "a second NULL chroma_id",
        "document_metadata",
        document(None),
    )
    .await;

    session_row(db, uuid::Uuid::from_u128(7)).await;
    db.assert_refused(
        "duplicate session_token_hash",
        "user_sessions",
        vec![
            ("session_token_hash", v(format!("{:064x}", 7))),
            ("expires_at", v(now())),
        ],
    )
    .await;
}

async fn foreign_keys_follow_the_seed(db: &TestDb) {
    // performance_metrics.query_id REFERENCES query_history(id) (no ON DELETE = NO ACTION);
    // system_logs.user_session_id REFERENCES user_sessions(id) ON DELETE SET NULL (designed).
    let metric = |db: &TestDb, query: Option<uuid::Uuid>| {
        let mut row = vec![("metric_name", v("latency_ms")), ("metric_value", v(42.0))];
        if let Some(q) = query {
            row.push(("query_id", db.uuid(q)));
        }
        row
    };
    let (q, s) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    query_history_row(db, q).await;
    session_row(db, s).await;
    tests::spec::assert_foreign_keys_refuse_orphans(db, &spec(), |table| match table {
        "performance_metrics" => metric(db, Some(q)),
        "system_logs" => with(log_row("INFO"), "user_session_id", db.uuid(s)),
        other => panic!("no row for {other}"),
    })
    .await;
    db.assert_accepted(
        "metric of no query",
        "performance_metrics",
        metric(db, None),
    )
    .await;
    let delete_query = format!("DELETE FROM query_history WHERE id = '{q}'");
    assert!(
        db.raw(&delete_query).await.is_err(),
        "{:?}: deleting a query that has metrics must be refused (NO ACTION)",
        db.backend
    );
    assert_eq!(db.count("query_history").await, 1);
    db.raw(&format!(
        "DELETE FROM performance_metrics WHERE query_id = '{q}'"
    ))
    .await
    .expect("delete the metrics");
    db.raw(&delete_query)
        .await
        .expect("a query without metrics can be deleted");
    assert_eq!(
        db.count("performance_metrics").await,
        1,
        "the unrelated metric stays"
    );

    // user_session_id of query_history and document_metadata: no foreign key, as written.
    let unknown = uuid::Uuid::new_v4();
    let mut row = query_row();
    row.push(("user_session_id", db.uuid(unknown)));
    db.assert_accepted(
        "query_history of a session user_sessions does not hold",
        "query_history",
        row,
    )
    .await;
    db.assert_accepted(
        "document_metadata of a session user_sessions does not hold",
        "document_metadata",
        vec![
            ("filename", v("review.pdf")),
            ("file_type", v("pdf")),
            ("file_size", v(10_i64)),
            ("user_session_id", db.uuid(unknown)),
        ],
    )
    .await;

    // Deleting a session keeps its log records, detached.
    db.raw(&format!("DELETE FROM user_sessions WHERE id = '{s}'"))
        .await
        .expect("purge the session");
    let logs = system_logs::Entity::find()
        .all(&db.conn)
        .await
        .expect("select logs");
    assert_eq!(logs.len(), 1, "the log record outlives its session");
    assert_eq!(logs[0].user_session_id, None, "ON DELETE SET NULL");
}

async fn defaults_follow_the_seed(db: &TestDb) {
    let before = now() - Duration::seconds(5);
    let after = now() + Duration::seconds(5);
    let recent = |at: Option<entity::DbDateTime>, what: &str| {
        let at = at.unwrap_or_else(|| panic!("{:?}: {what} defaulted to NULL", db.backend));
        assert!(at > before && at < after, "{:?}: {what} = {at}", db.backend);
    };

    let q = uuid::Uuid::new_v4();
    query_history_row(db, q).await;
    let row = query_history::Entity::find_by_id(DbUuid(q))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(row.cache_hit, Some(false), "cache_hit DEFAULT FALSE");
    assert_eq!(row.user_session_id, None);
    recent(row.created_at, "query_history.created_at");
    recent(row.updated_at, "query_history.updated_at");

    db.assert_accepted(
        "document with defaults",
        "document_metadata",
        vec![
            ("filename", v("policy.md")),
            ("file_type", v("md")),
            ("file_size", v(99_i64)),
        ],
    )
    .await;
    let doc = document_metadata::Entity::find()
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(doc.id.0.get_version_num(), 4, "gen_random_uuid()");
    assert_eq!(doc.processing_status.as_deref(), Some("pending"));
    assert_eq!(doc.chroma_id, None);
    recent(doc.upload_date, "upload_date");
    recent(doc.created_at, "document_metadata.created_at");
    recent(doc.updated_at, "document_metadata.updated_at");

    db.assert_accepted(
        "schema cache with defaults",
        "schema_cache",
        vec![
            ("connection_string_hash", v("cd".repeat(32))),
            (
                "schema_data",
                json(serde_json::json!({"tables": ["employees"]})),
            ),
            ("expires_at", v(now() + Duration::hours(24))),
        ],
    )
    .await;
    let cache = schema_cache::Entity::find()
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(cache.schema_data["tables"][0], "employees");
    recent(cache.discovered_at, "discovered_at");
    recent(cache.created_at, "schema_cache.created_at");

    db.assert_accepted(
        "metric with defaults",
        "performance_metrics",
        vec![
            ("metric_name", v("cache_hit_rate")),
            ("metric_value", v(0.75)),
        ],
    )
    .await;
    let metric = performance_metrics::Entity::find()
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(metric.query_id, None);
    recent(metric.recorded_at, "recorded_at");

    let s = uuid::Uuid::new_v4();
    session_row(db, s).await;
    let session = user_sessions::Entity::find_by_id(DbUuid(s))
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(
        session.session_data,
        serde_json::json!({}),
        "session_data DEFAULT '{{}}'"
    );
    assert!(session.is_active, "is_active DEFAULT TRUE");
    assert_eq!(session.deleted_at, None);
    recent(Some(session.created_at), "user_sessions.created_at");
    recent(Some(session.last_activity_at), "last_activity_at");

    db.assert_accepted("log with defaults", "system_logs", log_row("WARNING"))
        .await;
    let log = system_logs::Entity::find()
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(log.level, LogLevel::Warning);
    assert_eq!(log.id.0.get_version_num(), 4);
    recent(Some(log.created_at), "system_logs.created_at");
}

async fn entities_round_trip(db: &TestDb) {
    let at = now();

    let query = query_history::Model {
        id: DbUuid::new_v4(),
        query_text: "Which contracts expire before the end of the quarter?".to_owned(),
        query_type: "hybrid".to_owned(),
        response_time: 1.375,
        cache_hit: Some(true),
        user_session_id: Some(DbUuid::new_v4()),
        created_at: Some(at - Duration::minutes(3)),
        updated_at: Some(at - Duration::minutes(1)),
    };
    let inserted = query
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert query_history");
    assert_eq!(inserted, query, "explicit timestamps are kept");
    let found = query_history::Entity::find_by_id(query.id)
        .one(&db.conn)
        .await
        .expect("select query_history")
        .expect("query_history row");
    assert_eq!(found, query);

    let document = document_metadata::Model {
        id: DbUuid::new_v4(),
        filename: "employee_handbook_2025.pdf".to_owned(),
        file_type: "application/pdf".to_owned(),
        file_size: 6_442_450_944,
        upload_date: Some(at - Duration::days(2)),
        processing_status: Some("completed".to_owned()),
        chroma_id: Some("policy_chunks:employee_handbook_2025".to_owned()),
        user_session_id: Some(DbUuid::new_v4()),
        created_at: Some(at - Duration::days(2)),
        updated_at: Some(at - Duration::hours(5)),
    };
    let inserted = document
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert document_metadata");
    assert_eq!(inserted, document);
    let found = document_metadata::Entity::find_by_id(document.id)
        .one(&db.conn)
        .await
        .expect("select document_metadata")
        .expect("document_metadata row");
    assert_eq!(found, document);

    let cache = schema_cache::Model {
        id: DbUuid::new_v4(),
        connection_string_hash: "9f".repeat(32),
        schema_data: serde_json::json!({
            "tables": [{"name": "employees", "columns": [{"name": "id", "type": "integer"}]}],
            "version": 3,
            "ratio": 0.5
        })
        .into(),
        discovered_at: Some(at - Duration::minutes(10)),
        expires_at: at + Duration::hours(24),
        created_at: Some(at - Duration::minutes(10)),
    };
    let inserted = cache
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert schema_cache");
    assert_eq!(inserted, cache);
    let found = schema_cache::Entity::find_by_id(cache.id)
        .one(&db.conn)
        .await
        .expect("select schema_cache")
        .expect("schema_cache row");
    assert_eq!(found, cache);

    let metric = performance_metrics::Model {
        id: DbUuid::new_v4(),
        query_id: Some(query.id),
        metric_name: "vector_search_ms".to_owned(),
        metric_value: 87.625,
        recorded_at: Some(at),
    };
    let inserted = metric
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert performance_metrics");
    assert_eq!(inserted, metric);
    let found = performance_metrics::Entity::find_by_id(metric.id)
        .one(&db.conn)
        .await
        .expect("select performance_metrics")
        .expect("performance_metrics row");
    assert_eq!(found, metric);
    let of_query = performance_metrics::Entity::find()
        .filter(performance_metrics::Column::QueryId.eq(query.id))
        .all(&db.conn)
        .await
        .expect("metrics of a query");
    assert_eq!(of_query, vec![metric.clone()]);

    let session = user_sessions::Model {
        id: DbUuid::new_v4(),
        session_token_hash: "e3".repeat(32),
        user_identifier: Some("hr-analyst@example.com".to_owned()),
        ip_address: Some("2001:0db8:85a3:0000:0000:8a2e:0370:7334".to_owned()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".to_owned()),
        session_data: serde_json::json!({"locale": "en-GB", "recent_queries": 3}).into(),
        created_at: at - Duration::hours(2),
        last_activity_at: at - Duration::minutes(4),
        expires_at: at + Duration::hours(22),
        is_active: false,
        deleted_at: Some(at),
    };
    let inserted = session
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert user_sessions");
    assert_eq!(inserted, session);
    let found = user_sessions::Entity::find_by_id(session.id)
        .one(&db.conn)
        .await
        .expect("select user_sessions")
        .expect("user_sessions row");
    assert_eq!(found, session);

    let log = system_logs::Model {
        id: DbUuid::new_v4(),
        level: LogLevel::Critical,
        logger: "app.database.connection".to_owned(),
        message: "PostgreSQL primary unreachable; failing over to replica".to_owned(),
        context: Some(serde_json::json!({"attempt": 3, "host": "db-1"}).into()),
        exception: Some("Traceback (most recent call last):\n  ...".to_owned()),
        user_session_id: Some(session.id),
        request_id: Some("req-7f3a9c".to_owned()),
        created_at: at,
    };
    let inserted = log
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db.conn)
        .await
        .expect("insert system_logs");
    assert_eq!(inserted, log);
    let found = system_logs::Entity::find_by_id(log.id)
        .one(&db.conn)
        .await
        .expect("select system_logs")
        .expect("system_logs row");
    assert_eq!(found, log);
    let critical = system_logs::Entity::find()
        .filter(system_logs::Column::Level.eq(LogLevel::Critical))
        .count(&db.conn)
        .await
        .expect("filter by level");
    assert_eq!(critical, 1);
}

async fn entities_stamp_timestamps(db: &TestDb) {
    let before = now();
    let query = query_history::ActiveModel {
        id: Set(DbUuid::new_v4()),
        query_text: Set("q".to_owned()),
        query_type: Set("semantic".to_owned()),
        response_time: Set(0.25),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert query_history");
    let created = query.created_at.expect("created_at stamped");
    assert!(created >= before);
    assert_eq!(query.updated_at, Some(created));
    assert_eq!(query.cache_hit, Some(false), "the database default");

    let mut changed = query.clone().into_active_model();
    changed.cache_hit = Set(Some(true));
    let updated = changed.update(&db.conn).await.expect("update");
    assert_eq!(updated.created_at, Some(created), "created_at stays");
    assert!(updated.updated_at >= Some(created), "updated_at moves");

    // An explicit NULL stays NULL (the seed's timestamps are nullable).
    let metric = performance_metrics::ActiveModel {
        id: Set(DbUuid::new_v4()),
        query_id: Set(None),
        metric_name: Set("m".to_owned()),
        metric_value: Set(1.0),
        recorded_at: Set(None),
    }
    .insert(&db.conn)
    .await
    .expect("insert performance_metrics");
    assert_eq!(metric.recorded_at, None);

    let session = user_sessions::ActiveModel {
        id: Set(DbUuid::new_v4()),
        session_token_hash: Set("11".repeat(32)),
        session_data: Set(serde_json::json!({}).into()),
        expires_at: Set(now() + Duration::hours(1)),
        is_active: Set(true),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert user_sessions");
    assert!(session.created_at >= before);
    assert_eq!(
        session.last_activity_at, session.created_at,
        "a new session is active from its creation"
    );
    assert_eq!(session.user_identifier, None);

    let log = system_logs::ActiveModel {
        id: Set(DbUuid::new_v4()),
        level: Set(LogLevel::Info),
        logger: Set("app".to_owned()),
        message: Set("started".to_owned()),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert system_logs");
    assert!(log.created_at >= before);
}

db_tests!(
    matches_seed,
    column_types_match_seed,
    checks_refuse_bad_rows,
    not_null_and_lengths_refuse_bad_rows,
    uniques_refuse_duplicates,
    foreign_keys_follow_the_seed,
    defaults_follow_the_seed,
    entities_round_trip,
    entities_stamp_timestamps
);
