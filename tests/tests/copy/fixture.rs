//! Rows in every table of every system, written as SQL on a migrated SQLite database, with the
//! values a copy must keep exactly: timestamps with and without fractions (one with nanoseconds,
//! which PostgreSQL cannot hold and `dal copy` documents cutting to microseconds), JSON with
//! nesting, unicode, big and fractional numbers and bare numbers, UUIDs, unicode text, NULLs,
//! doubles that have no short decimal form, booleans and blobs; and tables big enough to take
//! several batches.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tests::TestDb;

/// The largest `rate_limit.id` the fixture writes (ids have gaps).
pub const MAX_RATE_LIMIT_ID: i32 = 42;

const USER: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const USER_2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const AGENT: &str = "16fd2706-8baf-433b-82eb-8c7fada847da";
const PROJECT: &str = "886313e1-3b8a-5372-9b90-0c9aee199e5d";
const TASK: &str = "a8098c1a-f86e-11da-bd1a-00112444be1e";
const EVIDENCE: &str = "6fa459ea-ee8a-3ca4-894e-db77e160355e";
const SESSION: &str = "e902893a-9d22-3c7e-a7b8-d6e313b71d9f";
const QUERY: &str = "74738ff5-5367-5958-9aee-98fffdcd1876";
const RECOMMENDATION: &str = "c9bf9e57-1685-4c89-bafb-ff5af830be8a";
const INCONSISTENCY: &str = "5a8b7f1e-0d37-4a6b-9c2e-1f0e8d7c6b5a";

/// A JSON document that exercises the canonical rendering.
pub fn nested_json() -> serde_json::Value {
    serde_json::json!({
        "zeta": [1, -2, 3.25, 1.0e-7, 9_007_199_254_740_993_u64, true, null],
        "alpha": {"nested": {"deeper": ["ü", "日本語", "🦀", "quote \" and \\ backslash"]}},
        "empty": {"object": {}, "array": []},
        "Ünïcode kéy": "value\nwith\ttabs"
    })
}

/// Write the fixture into the migrated SQLite database `db`.
///
/// # Panics
/// When a statement is refused.
pub async fn fill(db: &TestDb) {
    let json = nested_json().to_string().replace('\'', "''");
    let statements = [
        // knowledge
        format!(
            "INSERT INTO system_config (key, value, schema_version, updated_at, updated_by) VALUES \
             ('nested', '{json}', '1.0', '2026-03-04 05:06:07.123456', 'tést'), \
             ('bare_int', '42', '1.0', '2026-03-04 05:06:07', 'system'), \
             ('bare_float', '1.5', '1.0', '2026-03-04 05:06:07.5', 'system'), \
             ('text', '\"just text\"', '1.0', '2026-03-04 05:06:07.123456789', 'system')"
        ),
        "INSERT INTO search_cache (query_hash, original_query, search_results, technology_hint, \
         workspace_slugs, result_count, execution_time_ms, cache_hit, created_at, expires_at, \
         access_count, last_accessed_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234) \
         SELECT printf('%064x', i), 'query ' || i || ' ✓', json_array(i, i * 0.5, 'r' || i), \
         CASE WHEN i % 3 = 0 THEN NULL ELSE 'rust' END, \
         CASE WHEN i % 2 = 0 THEN json_array('ws-' || i) ELSE NULL END, i, i * 7, i % 2, \
         '2026-01-01 00:00:00.000001', '2027-01-01 12:00:00.25', i, '2026-02-03 04:05:06.654321' \
         FROM n"
            .to_owned(),
        "INSERT INTO content_metadata (content_id, title, source_url, technology, content_hash, \
         word_count, quality_score, freshness_score, processing_status, anythingllm_workspace, \
         created_at, updated_at, last_accessed_at, access_count) VALUES \
         ('c-1', 'Ownership — 所有権', 'https://doc.rust-lang.org/book/', 'rust', 'h1', 1200, \
          0.30000000000000004, 1, 'completed', NULL, '2026-03-04 05:06:07.000001', \
          '2026-03-04 05:06:08', NULL, 3), \
         ('c-2', 'Zweite', 'https://example.org/z', 'python', 'h2', 0, 0, 0.125, 'pending', 'ws', \
          '2026-03-04 05:06:07.999999', '2026-03-04 05:06:09', '2026-03-05 00:00:00', 0)"
            .to_owned(),
        "INSERT INTO feedback_events (event_id, content_id, feedback_type, rating, comment, \
         created_at) VALUES ('e-1', 'c-1', 'helpful', 5, 'très bien 👍', '2026-03-04 06:00:00'), \
         ('e-2', 'c-2', 'flag', NULL, NULL, '2026-03-04 06:00:00.1')"
            .to_owned(),
        "INSERT INTO usage_signals (signal_id, content_id, signal_type, signal_value, created_at) \
         VALUES ('s-1', 'c-1', 'dwell_time', 12.345678901234567, '2026-03-04 06:01:00'), \
         ('s-2', 'c-1', 'click', -0.0, '2026-03-04 06:01:00.000100')"
            .to_owned(),
        "INSERT INTO source_metadata (source_id, source_type, source_url, technology, \
         reliability_score, is_active, rate_limit_status, avg_content_quality, created_at, \
         updated_at) VALUES ('src-1', 'github', 'https://github.com/rust-lang/book', 'rust', \
         0.75, FALSE, NULL, NULL, '2026-03-04 05:00:00', '2026-03-04 05:00:00')"
            .to_owned(),
        "INSERT INTO technology_mappings (mapping_id, technology, source_type, owner, repo, \
         docs_path, file_patterns, is_official, created_at, updated_at) VALUES \
         ('m-1', 'rust', 'github', 'rust-lang', 'book', 'src', '[\"*.md\", \"ch*.md\"]', TRUE, \
          '2026-03-04 05:00:00', '2026-03-04 05:00:00')"
            .to_owned(),
        // chat
        "INSERT INTO conversation (id, session_id, user_query, ai_response, sources, \
         response_time, created_at, feedback) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700) \
         SELECT printf('00000000-0000-4000-8000-%012d', i), 'session-' || (i % 7), \
         'question ' || i || ' ¿qué?', 'answer ' || i, \
         CASE WHEN i % 2 = 0 THEN json_array('https://a/' || i) ELSE NULL END, \
         i / 3.0, '2026-03-04 05:06:07.' || printf('%06d', i), \
         CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN 1 ELSE -1 END FROM n"
            .to_owned(),
        "INSERT INTO document_chunk (id, source_url, title, content, chunk_index, doc_type, \
         content_hash, created_at, updated_at) VALUES ('d-1', 'https://react.dev', 'Hooks', \
         'useState ⚛', 0, 'react', 'ch-1', '2026-03-04 05:06:07', NULL)"
            .to_owned(),
        "INSERT INTO rate_limit (id, ip_address, request_count, last_request, reset_time) VALUES \
         (5, '203.0.113.5', 1, '2026-03-04 05:06:07.1', NULL), \
         (42, '2001:db8::1', NULL, NULL, '2026-03-04 05:07:07')"
            .to_owned(),
        // docsync
        "INSERT INTO document_references (id, path, type, last_modified, size, md5_digest, \
         header_sections) VALUES (3, 'docs/a.md', 'Markdown', '2026-03-04 05:06:07.123', \
         5000000000, 'd41d8cd98f00b204e9800998ecf8427e', '[\"# A\", {\"level\": 2}]'), \
         (7, 'src/lib.rs', 'Code', '2026-03-04 05:06:07', 0, NULL, NULL)"
            .to_owned(),
        "INSERT INTO document_dependencies (source_id, target_id, relation_type, topic, scope) \
         VALUES (3, 7, 'describes', 'api', NULL)"
            .to_owned(),
        format!(
            "INSERT INTO recommendations (id, creation_timestamp, title, suggested_changes, \
             status) VALUES ('{RECOMMENDATION}', '2026-03-04 05:06:07.5', 'Fix docs', \
             '{{\"diff\": [1, 2], \"ok\": false}}', 'Active')"
        ),
        format!(
            "INSERT INTO inconsistency_records (id, timestamp, severity, type, description, \
             status, recommendation_id) VALUES ('{INCONSISTENCY}', '2026-03-04 05:06:07', \
             'Major', 'DocToCode', 'drift', 'InRecommendation', '{RECOMMENDATION}')"
        ),
        format!(
            "INSERT INTO inconsistency_document_map (inconsistency_id, document_id) VALUES \
             ('{INCONSISTENCY}', 3), ('{INCONSISTENCY}', 7)"
        ),
        format!(
            "INSERT INTO recommendation_document_map (recommendation_id, document_id) VALUES \
             ('{RECOMMENDATION}', 7)"
        ),
        format!(
            "INSERT INTO developer_decisions (id, recommendation_id, timestamp, decision, \
             comments) VALUES (9, '{RECOMMENDATION}', '2026-03-04 05:06:08', 'Amend', 'ok 👌')"
        ),
        "INSERT INTO file_metadata (id, path, language, last_modified, size, functions, classes) \
         VALUES (1, 'src/main.rs', 'rust', '2026-03-04 05:06:07', 12, '[\"main\"]', '{}')"
            .to_owned(),
        // assistant
        format!(
            "INSERT INTO user_sessions (id, session_token_hash, user_identifier, session_data, \
             created_at, last_activity_at, expires_at, is_active, deleted_at) VALUES \
             ('{SESSION}', 'tok', 'ünïcode', '{{\"cart\": [1, 2, 3]}}', '2026-03-04 05:06:07', \
             '2026-03-04 05:06:07.654321', '2026-04-04 05:06:07', TRUE, NULL)"
        ),
        format!(
            "INSERT INTO query_history (id, query_text, query_type, response_time, cache_hit, \
             user_session_id, created_at, updated_at) VALUES ('{QUERY}', 'SELECT 1', 'sql', \
             0.1, NULL, '{SESSION}', '2026-03-04 05:06:07', NULL)"
        ),
        format!(
            "INSERT INTO performance_metrics (id, query_id, metric_name, metric_value, \
             recorded_at) VALUES ('{EVIDENCE}', '{QUERY}', 'latency', 0.30000000000000004, \
             '2026-03-04 05:06:07.000500'), ('{USER_2}', NULL, 'tiny', 1e-300, NULL)"
        ),
        format!(
            "INSERT INTO document_metadata (id, filename, file_type, file_size, chroma_id, \
             user_session_id) VALUES ('{TASK}', 'ファイル.pdf', 'pdf', 123456789012, 'chroma-1', \
             '{SESSION}')"
        ),
        format!(
            "INSERT INTO schema_cache (id, connection_string_hash, schema_data, expires_at) \
             VALUES ('{AGENT}', 'hash', '{json}', '2026-05-01 00:00:00')"
        ),
        format!(
            "INSERT INTO system_logs (id, level, logger, message, context, user_session_id, \
             created_at) VALUES ('{PROJECT}', 'WARNING', 'dal', 'line1\nline2', \
             '{{\"k\": null}}', '{SESSION}', '2026-03-04 05:06:07.000001')"
        ),
        // platform
        format!(
            "INSERT INTO users (user_id, username, email, display_name, role, is_active, \
             github_user_id, metadata, created_at, updated_at) VALUES \
             ('{USER}', 'ada', 'ada@example.org', 'Ada Lovelace ✨', 'admin', TRUE, 9007199254740993, \
              '{json}', '2026-03-04 05:06:07.123456', '2026-03-04 05:06:07.123456'), \
             ('{USER_2}', 'bob', 'bob@example.org', NULL, 'user', FALSE, NULL, '{{}}', \
              '2026-03-04 05:06:07', '2026-03-04 05:06:07')"
        ),
        format!(
            "INSERT INTO agents (agent_id, name, agent_type, model_provider, model_name, \
             capabilities, success_rate, total_executions, tags, created_at, updated_at) VALUES \
             ('{AGENT}', 'writer', 'docs', 'local', 'm', '{{\"write\": true}}', 0.875, \
              3000000000, '[\"a\", \"b\"]', '2026-03-04 05:06:07', '2026-03-04 05:06:07')"
        ),
        format!(
            "INSERT INTO projects (project_id, name, slug, owner_id, status, is_public, \
             technology_stack, pr_merge_rate, test_coverage_percent, created_at, updated_at) \
             VALUES ('{PROJECT}', 'Proj', 'proj', '{USER}', 'active', TRUE, '[\"rust\"]', \
             0.5, NULL, '2026-03-04 05:06:07', '2026-03-04 05:06:07')"
        ),
        format!(
            "INSERT INTO tasks (task_id, project_id, github_issue_number, title, type, status, \
             priority, assigned_to_user_id, assigned_to_agent_id, labels, created_at, \
             updated_at, due_at) VALUES ('{TASK}', '{PROJECT}', 17, 'Tâche', 'bug', \
             'in_progress', 'high', '{USER_2}', '{AGENT}', '[\"p1\"]', '2026-03-04 05:06:07', \
             '2026-03-04 05:06:07', '2026-12-31 23:59:59.999999')"
        ),
        format!(
            "INSERT INTO evidence (evidence_id, task_id, project_id, source_type, title, \
             raw_data, credibility_score, is_verified, created_at, updated_at) VALUES \
             ('{EVIDENCE}', '{TASK}', '{PROJECT}', 'test_result', 'CI', '{json}', 1, TRUE, \
              '2026-03-04 05:06:07', '2026-03-04 05:06:07')"
        ),
        format!(
            "INSERT INTO agent_executions (execution_id, agent_id, task_id, project_id, \
             evidence_id, status, input_tokens, cost_usd, result, created_at) VALUES \
             ('{QUERY}', '{AGENT}', '{TASK}', '{PROJECT}', '{EVIDENCE}', 'success', 1000, \
              0.0123456789, '{{\"tokens\": 1000}}', '2026-03-04 05:06:07')"
        ),
        format!(
            "INSERT INTO audit_logs (log_id, user_id, event_type, resource_type, resource_id, \
             old_values, new_values, metadata, created_at) VALUES ('{SESSION}', '{USER}', \
             'task.update', 'task', '{TASK}', NULL, '{{\"status\": \"in_progress\"}}', '{{}}', \
             '2026-03-04 05:06:07.000007')"
        ),
        format!(
            "INSERT INTO task_comments (comment_id, task_id, author_id, content, \
             github_comment_id, is_ai_generated, created_at, updated_at) VALUES \
             ('{INCONSISTENCY}', '{TASK}', '{USER}', 'LGTM 🚀', 123, FALSE, \
              '2026-03-04 05:06:07', '2026-03-04 05:06:07')"
        ),
        format!(
            "INSERT INTO task_attachments (attachment_id, task_id, file_name, file_size_bytes, \
             storage_path, is_evidence, evidence_id, created_at) VALUES ('{RECOMMENDATION}', \
             '{TASK}', 'log.txt', 0, '/tmp/log.txt', TRUE, '{EVIDENCE}', '2026-03-04 05:06:07')"
        ),
        format!(
            "INSERT INTO activity_feed (activity_id, project_id, task_id, user_id, \
             activity_type, title, metadata, is_public, created_at) VALUES ('{USER}', \
             '{PROJECT}', '{TASK}', NULL, 'comment', 'Commented', '{{}}', TRUE, \
             '2026-03-04 05:06:07')"
        ),
        // the embedded vector store
        format!(
            "INSERT INTO vector_collections (name, uid, dimension, distance, metadata, seq, \
             purged_seq, created_at) VALUES ('docs', '{USER_2}', 3, 'cosine', '{json}', 1300, 2, \
             '2026-03-04 05:06:07')"
        ),
        "INSERT INTO vector_records (collection, id, embedding, document, metadata, seq) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1300) \
         SELECT 'docs', 'rec-' || i, \
         CASE WHEN i = 1 THEN X'0000803F00000000000080BF' ELSE randomblob(12) END, \
         CASE WHEN i % 5 = 0 THEN NULL ELSE 'doc ' || i END, json_object('i', i), i FROM n"
            .to_owned(),
    ];
    for sql in statements {
        db.conn
            .execute_raw(Statement::from_string(DbBackend::Sqlite, sql.clone()))
            .await
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
}

/// The instant `text` (RFC 3339) names.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("time").to_utc()
}

/// Spot checks on the PostgreSQL copy: the values are there in PostgreSQL's own types, exactly.
pub async fn assert_exact_on_postgres(pg: &TestDb) {
    let one = |sql: &str| {
        let sql = sql.to_owned();
        async move {
            pg.conn
                .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.clone()))
                .await
                .unwrap_or_else(|e| panic!("{e}: {sql}"))
                .unwrap_or_else(|| panic!("no row: {sql}"))
        }
    };
    let row = one(&format!(
        "SELECT created_at, metadata, display_name, password_hash, is_active, github_user_id \
         FROM users WHERE user_id = '{USER}'"
    ))
    .await;
    assert_eq!(
        row.try_get::<DateTime<Utc>>("", "created_at").expect("at"),
        at("2026-03-04T05:06:07.123456Z")
    );
    assert_eq!(
        row.try_get::<serde_json::Value>("", "metadata")
            .expect("json"),
        nested_json()
    );
    assert_eq!(
        row.try_get::<String>("", "display_name").expect("name"),
        "Ada Lovelace ✨"
    );
    assert_eq!(
        row.try_get::<Option<String>>("", "password_hash")
            .expect("null"),
        None
    );
    assert!(row.try_get::<bool>("", "is_active").expect("bool"));
    assert_eq!(
        row.try_get::<i64>("", "github_user_id").expect("bigint"),
        9_007_199_254_740_993
    );

    let row = one("SELECT value, updated_at FROM system_config WHERE key = 'text'").await;
    assert_eq!(
        row.try_get::<serde_json::Value>("", "value").expect("json"),
        serde_json::json!("just text")
    );
    assert_eq!(
        row.try_get::<DateTime<Utc>>("", "updated_at").expect("at"),
        at("2026-03-04T05:06:07.123456Z"),
        "nanoseconds are cut to microseconds"
    );
    let row = one("SELECT value FROM system_config WHERE key = 'bare_int'").await;
    assert_eq!(
        row.try_get::<serde_json::Value>("", "value").expect("json"),
        serde_json::json!(42)
    );

    let row = one(&format!(
        "SELECT metric_value, id::text AS id FROM performance_metrics WHERE query_id = '{QUERY}'"
    ))
    .await;
    assert_eq!(
        row.try_get::<f64>("", "metric_value")
            .expect("double")
            .to_bits(),
        0.300_000_000_000_000_04_f64.to_bits()
    );
    assert_eq!(row.try_get::<String>("", "id").expect("uuid"), EVIDENCE);

    let row =
        one("SELECT embedding FROM vector_records WHERE collection = 'docs' AND id = 'rec-1'")
            .await;
    let floats: Vec<u8> = [1.0_f32, 0.0, -1.0]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect();
    assert_eq!(
        row.try_get::<Vec<u8>>("", "embedding").expect("bytea"),
        floats
    );

    let row = one("SELECT count(*) AS n FROM vector_records").await;
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1300);
}
