//! Seed 000 (knowledge): the schema matches the seed's DDL (columns, types, defaults, keys,
//! CHECKs, indexes), and the database itself refuses rows that break its CHECKs and foreign keys.

use tests::column_types::{ColumnDefault as D, ColumnType as T, TableTypes};
use tests::spec::{OnDelete, TableSpec};
use tests::{TestDb, db_tests, json, v};

/// Seed 000's DDL, table by table.
pub fn spec() -> Vec<TableSpec> {
    vec![
        TableSpec::new("system_config")
            .not_null(&["key", "value", "schema_version", "updated_at", "updated_by"])
            .pk(&["key"]),
        TableSpec::new("search_cache")
            .not_null(&[
                "query_hash",
                "original_query",
                "search_results",
                "result_count",
                "execution_time_ms",
                "cache_hit",
                "created_at",
                "expires_at",
                "access_count",
                "last_accessed_at",
            ])
            .nullable(&["technology_hint", "workspace_slugs"])
            .pk(&["query_hash"])
            .index("idx_search_cache_expires_at", &["expires_at"])
            .index("idx_search_cache_technology_hint", &["technology_hint"])
            .index("idx_search_cache_created_at", &["created_at"]),
        TableSpec::new("content_metadata")
            .not_null(&[
                "content_id",
                "title",
                "source_url",
                "technology",
                "content_hash",
                "word_count",
                "heading_count",
                "code_block_count",
                "chunk_count",
                "quality_score",
                "freshness_score",
                "processing_status",
                "created_at",
                "updated_at",
                "access_count",
            ])
            .nullable(&[
                "anythingllm_workspace",
                "anythingllm_document_id",
                "last_accessed_at",
            ])
            .pk(&["content_id"])
            .unique(&["content_hash"])
            .checks(&[
                "ck_content_metadata_quality_score",
                "ck_content_metadata_freshness_score",
                "ck_content_metadata_processing_status",
            ])
            .index("idx_content_metadata_technology", &["technology"])
            .index("idx_content_metadata_source_url", &["source_url"])
            .index("idx_content_metadata_content_hash", &["content_hash"])
            .index("idx_content_metadata_quality_score", &["quality_score"])
            .index(
                "idx_content_metadata_processing_status",
                &["processing_status"],
            )
            .index("idx_content_metadata_created_at", &["created_at"])
            .index(
                "idx_content_metadata_last_accessed_at",
                &["last_accessed_at"],
            )
            // Beyond the seed: the quality-ordered listing's index (m20261124_000010).
            .index(
                "idx_content_metadata_technology_quality",
                &["technology", "quality_score", "content_id"],
            ),
        TableSpec::new("feedback_events")
            .not_null(&["event_id", "content_id", "feedback_type", "created_at"])
            .nullable(&[
                "rating",
                "comment",
                "user_session_id",
                "ip_address",
                "user_agent",
                "search_query",
                "result_position",
            ])
            .pk(&["event_id"])
            .fk(
                "content_id",
                "content_metadata",
                "content_id",
                OnDelete::Cascade,
            )
            .checks(&[
                "ck_feedback_events_feedback_type",
                "ck_feedback_events_rating",
            ])
            .index("idx_feedback_events_content_id", &["content_id"])
            .index("idx_feedback_events_feedback_type", &["feedback_type"])
            .index("idx_feedback_events_created_at", &["created_at"])
            .index("idx_feedback_events_user_session_id", &["user_session_id"]),
        TableSpec::new("usage_signals")
            .not_null(&[
                "signal_id",
                "content_id",
                "signal_type",
                "signal_value",
                "created_at",
            ])
            .nullable(&[
                "search_query",
                "result_position",
                "user_session_id",
                "ip_address",
                "user_agent",
                "referrer",
            ])
            .pk(&["signal_id"])
            .fk(
                "content_id",
                "content_metadata",
                "content_id",
                OnDelete::Cascade,
            )
            .checks(&["ck_usage_signals_signal_type"])
            .index("idx_usage_signals_content_id", &["content_id"])
            .index("idx_usage_signals_signal_type", &["signal_type"])
            .index("idx_usage_signals_created_at", &["created_at"])
            .index("idx_usage_signals_user_session_id", &["user_session_id"]),
        TableSpec::new("source_metadata")
            .not_null(&[
                "source_id",
                "source_type",
                "source_url",
                "technology",
                "reliability_score",
                "avg_processing_time_ms",
                "total_documents_processed",
                "consecutive_failures",
                "is_active",
                "created_at",
                "updated_at",
            ])
            .nullable(&[
                "last_successful_fetch",
                "last_failed_fetch",
                "rate_limit_status",
                "rate_limit_reset_at",
                "avg_content_quality",
            ])
            .pk(&["source_id"])
            .checks(&[
                "ck_source_metadata_source_type",
                "ck_source_metadata_reliability_score",
                "ck_source_metadata_rate_limit_status",
                "ck_source_metadata_avg_content_quality",
            ])
            .index("idx_source_metadata_source_type", &["source_type"])
            .index("idx_source_metadata_technology", &["technology"])
            .index(
                "idx_source_metadata_reliability_score",
                &["reliability_score"],
            )
            .index("idx_source_metadata_is_active", &["is_active"])
            .index("idx_source_metadata_updated_at", &["updated_at"]),
        TableSpec::new("technology_mappings")
            .not_null(&[
                "mapping_id",
                "technology",
                "source_type",
                "docs_path",
                "file_patterns",
                "priority",
                "is_official",
                "update_frequency_hours",
                "is_active",
                "created_at",
                "updated_at",
            ])
            .nullable(&["owner", "repo", "base_url", "last_updated"])
            .pk(&["mapping_id"])
            .unique(&["technology", "source_type", "owner", "repo", "base_url"])
            .checks(&["ck_technology_mappings_source_type"])
            .index("idx_technology_mappings_technology", &["technology"])
            .index("idx_technology_mappings_source_type", &["source_type"])
            .index("idx_technology_mappings_priority", &["priority"])
            .index("idx_technology_mappings_is_active", &["is_active"])
            .index("idx_technology_mappings_is_official", &["is_official"]),
        TableSpec::new("schema_versions")
            .not_null(&["version_id", "applied_at"])
            .nullable(&["description", "migration_script"])
            .pk(&["version_id"]),
    ]
}

/// Every column of seed 000 with its type and DEFAULT, as its DDL writes them.
const TYPES: &[TableTypes] = &[
    (
        "system_config",
        &[
            ("key", T::Text, D::None),
            ("value", T::Json, D::None),
            ("schema_version", T::Text, D::Text("1.0")),
            ("updated_at", T::Timestamp, D::Now),
            ("updated_by", T::Text, D::Text("system")),
        ],
    ),
    (
        "search_cache",
        &[
            ("query_hash", T::Text, D::None),
            ("original_query", T::Text, D::None),
            ("search_results", T::Json, D::None),
            ("technology_hint", T::Text, D::None),
            ("workspace_slugs", T::Json, D::None),
            ("result_count", T::Integer, D::Int(0)),
            ("execution_time_ms", T::Integer, D::Int(0)),
            ("cache_hit", T::Bool, D::Bool(false)),
            ("created_at", T::Timestamp, D::Now),
            ("expires_at", T::Timestamp, D::None),
            ("access_count", T::Integer, D::Int(0)),
            ("last_accessed_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "content_metadata",
        &[
            ("content_id", T::Text, D::None),
            ("title", T::Text, D::None),
            ("source_url", T::Text, D::None),
            ("technology", T::Text, D::None),
            ("content_hash", T::Text, D::None),
            ("word_count", T::Integer, D::Int(0)),
            ("heading_count", T::Integer, D::Int(0)),
            ("code_block_count", T::Integer, D::Int(0)),
            ("chunk_count", T::Integer, D::Int(0)),
            ("quality_score", T::Real, D::Real(0.0)),
            ("freshness_score", T::Real, D::Real(1.0)),
            ("processing_status", T::Text, D::Text("pending")),
            ("anythingllm_workspace", T::Text, D::None),
            ("anythingllm_document_id", T::Text, D::None),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
            ("last_accessed_at", T::Timestamp, D::None),
            ("access_count", T::Integer, D::Int(0)),
        ],
    ),
    (
        "feedback_events",
        &[
            ("event_id", T::Text, D::None),
            ("content_id", T::Text, D::None),
            ("feedback_type", T::Text, D::None),
            ("rating", T::Integer, D::None),
            ("comment", T::Text, D::None),
            ("user_session_id", T::Text, D::None),
            ("ip_address", T::Text, D::None),
            ("user_agent", T::Text, D::None),
            ("search_query", T::Text, D::None),
            ("result_position", T::Integer, D::None),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "usage_signals",
        &[
            ("signal_id", T::Text, D::None),
            ("content_id", T::Text, D::None),
            ("signal_type", T::Text, D::None),
            ("signal_value", T::Real, D::Real(0.0)),
            ("search_query", T::Text, D::None),
            ("result_position", T::Integer, D::None),
            ("user_session_id", T::Text, D::None),
            ("ip_address", T::Text, D::None),
            ("user_agent", T::Text, D::None),
            ("referrer", T::Text, D::None),
            ("created_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "source_metadata",
        &[
            ("source_id", T::Text, D::None),
            ("source_type", T::Text, D::None),
            ("source_url", T::Text, D::None),
            ("technology", T::Text, D::None),
            ("reliability_score", T::Real, D::Real(1.0)),
            ("avg_processing_time_ms", T::Integer, D::Int(0)),
            ("total_documents_processed", T::Integer, D::Int(0)),
            ("last_successful_fetch", T::Timestamp, D::None),
            ("last_failed_fetch", T::Timestamp, D::None),
            ("consecutive_failures", T::Integer, D::Int(0)),
            ("rate_limit_status", T::Text, D::Text("normal")),
            ("rate_limit_reset_at", T::Timestamp, D::None),
            ("avg_content_quality", T::Real, D::Real(0.0)),
            ("is_active", T::Bool, D::Bool(true)),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
        ],
    ),
    (
        "technology_mappings",
        &[
            ("mapping_id", T::Text, D::None),
            ("technology", T::Text, D::None),
            ("source_type", T::Text, D::None),
            ("owner", T::Text, D::None),
            ("repo", T::Text, D::None),
            ("docs_path", T::Text, D::Text("docs")),
            ("file_patterns", T::Json, D::Json(r#"["*.md", "*.mdx"]"#)),
            ("base_url", T::Text, D::None),
            ("priority", T::Integer, D::Int(1)),
            ("is_official", T::Bool, D::Bool(false)),
            ("last_updated", T::Timestamp, D::None),
            ("update_frequency_hours", T::Integer, D::Int(24)),
            ("is_active", T::Bool, D::Bool(true)),
            ("created_at", T::Timestamp, D::Now),
            ("updated_at", T::Timestamp, D::Now),
        ],
    ),
    // "Schema Versioning Strategy"
    (
        "schema_versions",
        &[
            ("version_id", T::Text, D::None),
            ("applied_at", T::Timestamp, D::Now),
            ("description", T::Text, D::None),
            ("migration_script", T::Text, D::None),
        ],
    ),
];

async fn content(db: &TestDb, id: &str) {
    db.assert_accepted(
        "minimal content row",
        "content_metadata",
        vec![
            ("content_id", v(id)),
            ("title", v("T")),
            ("source_url", v("https://x")),
            ("technology", v("rust")),
            ("content_hash", v(format!("hash-{id}"))),
        ],
    )
    .await;
}

async fn matches_seed(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let problems = tests::spec::diff(&spec(), &schema, db.backend == tests::Backend::Postgres);
    assert!(
        problems.is_empty(),
        "{:?} schema differs from seed 000:\n{}",
        db.backend,
        problems.join("\n")
    );
}

async fn column_types_match_seed(db: &TestDb) {
    tests::column_types::assert_match(db, "seed 000", TYPES, &[]).await;
}

async fn checks_refuse_bad_rows(db: &TestDb) {
    content(db, "c1").await;
    let base = |id: &str| {
        vec![
            ("content_id", v(id)),
            ("title", v("T")),
            ("source_url", v("https://x")),
            ("technology", v("rust")),
            ("content_hash", v(format!("h-{id}"))),
        ]
    };
    let with = |mut row: Vec<(&'static str, sea_orm::sea_query::Expr)>, col, val| {
        row.push((col, val));
        row
    };
    db.assert_refused(
        "quality_score > 1",
        "content_metadata",
        with(base("c2"), "quality_score", v(1.5)),
    )
    .await;
    db.assert_refused(
        "quality_score < 0",
        "content_metadata",
        with(base("c3"), "quality_score", v(-0.1)),
    )
    .await;
    db.assert_refused(
        "freshness_score > 1",
        "content_metadata",
        with(base("c4"), "freshness_score", v(1.01)),
    )
    .await;
    db.assert_refused(
        "processing_status",
        "content_metadata",
        with(base("c5"), "processing_status", v("done")),
    )
    .await;
    db.assert_refused("duplicate content_hash", "content_metadata", {
        let mut row = base("c6");
        row[4] = ("content_hash", v("hash-c1"));
        row
    })
    .await;
    db.assert_accepted(
        "quality_score = 1 (bound)",
        "content_metadata",
        with(base("c7"), "quality_score", v(1.0)),
    )
    .await;

    let feedback = |id: &str, kind: &str| {
        vec![
            ("event_id", v(id)),
            ("content_id", v("c1")),
            ("feedback_type", v(kind)),
        ]
    };
    db.assert_refused("feedback_type", "feedback_events", feedback("f1", "meh"))
        .await;
    db.assert_refused(
        "rating 0",
        "feedback_events",
        with(feedback("f2", "helpful"), "rating", v(0)),
    )
    .await;
    db.assert_refused(
        "rating 6",
        "feedback_events",
        with(feedback("f3", "helpful"), "rating", v(6)),
    )
    .await;
    db.assert_accepted(
        "rating 5",
        "feedback_events",
        with(feedback("f4", "helpful"), "rating", v(5)),
    )
    .await;
    db.assert_accepted("rating NULL", "feedback_events", feedback("f5", "flag"))
        .await;

    db.assert_refused(
        "signal_type",
        "usage_signals",
        vec![
            ("signal_id", v("s1")),
            ("content_id", v("c1")),
            ("signal_type", v("hover")),
        ],
    )
    .await;

    let source = |id: &str| {
        vec![
            ("source_id", v(id)),
            ("source_type", v("github")),
            ("source_url", v("https://github.com/x")),
            ("technology", v("rust")),
        ]
    };
    db.assert_refused("source_type", "source_metadata", {
        let mut row = source("s1");
        row[1] = ("source_type", v("ftp"));
        row
    })
    .await;
    db.assert_refused(
        "reliability_score",
        "source_metadata",
        with(source("s2"), "reliability_score", v(2.0)),
    )
    .await;
    db.assert_refused(
        "rate_limit_status",
        "source_metadata",
        with(source("s3"), "rate_limit_status", v("slow")),
    )
    .await;
    db.assert_refused(
        "avg_content_quality",
        "source_metadata",
        with(source("s4"), "avg_content_quality", v(-1.0)),
    )
    .await;
    db.assert_accepted("defaults", "source_metadata", source("s5"))
        .await;

    db.assert_refused(
        "technology_mappings.source_type = api",
        "technology_mappings",
        vec![
            ("mapping_id", v("m1")),
            ("technology", v("rust")),
            ("source_type", v("api")),
        ],
    )
    .await;
    let mapping = |id: &str| {
        vec![
            ("mapping_id", v(id)),
            ("technology", v("rust")),
            ("source_type", v("github")),
            ("owner", v("rust-lang")),
            ("repo", v("book")),
            ("base_url", v("https://doc.rust-lang.org")),
        ]
    };
    db.assert_accepted("mapping", "technology_mappings", mapping("m2"))
        .await;
    db.assert_refused(
        "UNIQUE(technology, source_type, owner, repo, base_url)",
        "technology_mappings",
        mapping("m3"),
    )
    .await;
    db.assert_accepted(
        "file_patterns JSON",
        "technology_mappings",
        vec![
            ("mapping_id", v("m4")),
            ("technology", v("react")),
            ("source_type", v("web")),
            ("base_url", v("https://react.dev")),
            ("file_patterns", json(serde_json::json!(["*.md"]))),
        ],
    )
    .await;
}

async fn foreign_keys_refuse_orphans_and_cascade(db: &TestDb) {
    content(db, "c1").await;
    tests::spec::assert_foreign_keys_refuse_orphans(db, &spec(), |table| match table {
        "feedback_events" => vec![
            ("event_id", v("f1")),
            ("content_id", v("c1")),
            ("feedback_type", v("helpful")),
        ],
        "usage_signals" => vec![
            ("signal_id", v("s1")),
            ("content_id", v("c1")),
            ("signal_type", v("click")),
        ],
        other => panic!("no row for {other}"),
    })
    .await;
    db.raw("DELETE FROM content_metadata WHERE content_id = 'c1'")
        .await
        .expect("delete content");
    assert_eq!(
        db.count("feedback_events").await,
        0,
        "feedback cascades with its content"
    );
    assert_eq!(
        db.count("usage_signals").await,
        0,
        "signals cascade with their content"
    );
}

db_tests!(
    matches_seed,
    column_types_match_seed,
    checks_refuse_bad_rows,
    foreign_keys_refuse_orphans_and_cascade
);
