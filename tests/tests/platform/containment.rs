//! JSON containment: the same rows on both backends for the same data, and on PostgreSQL the
//! GIN indexes serve `@>`.

use repository::platform::json::contains_all;
use repository::platform::{
    AgentRepository, EvidenceFilter, EvidenceRepository, EvidenceSourceType, EvidenceStore,
    NewEvidence, TaskFilter, TaskOrder, TaskRepository,
};
use repository::sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryTrait, Statement};
use repository::{DbBackend, Page};
use tests::{TestDb, db_tests, pg_tests};

use super::{agent, agents, id, project, task, tasks, user};

/// Tags of the fixture rows; the expected matches are computed from them in Rust.
const TAGS: &[&[&str]] = &[
    &["a"],
    &["a", "b"],
    &["b", "c"],
    &[],
    &["a", "b", "c"],
    &["c"],
    &["A"],
    &["a b"],
];
const QUERIES: &[&[&str]] = &[
    &["a"],
    &["b"],
    &["a", "b"],
    &["c", "a"],
    &["A"],
    &["a b"],
    &["d"],
    &[],
];

fn expected(query: &[&str]) -> Vec<usize> {
    (0..TAGS.len())
        .filter(|i| query.iter().all(|q| TAGS[*i].contains(q)))
        .collect()
}

async fn the_same_rows_on_both_backends(db: &TestDb) {
    let owner = user(db, "o").await;
    let proj = project(db, &owner, "p", false, &[]).await;
    let evidence = EvidenceStore::new(db.conn.clone());
    for (i, tags) in TAGS.iter().enumerate() {
        let tags: Vec<String> = tags.iter().map(|s| (*s).to_owned()).collect();
        agent(db, &format!("agent-{i}"), "t", TAGS[i]).await;
        let t = task(db, &proj, &format!("task-{i}")).await;
        // Labels are set straight in the table (the API takes them at creation).
        let labels = serde_json::Value::from(tags.clone());
        db.conn
            .execute_raw(Statement::from_sql_and_values(
                db.db_backend(),
                match db.db_backend() {
                    DbBackend::Postgres => {
                        "UPDATE tasks SET labels = $1 WHERE task_id = CAST($2 AS uuid)"
                    }
                    _ => "UPDATE tasks SET labels = $1 WHERE task_id = $2",
                },
                [labels.into(), t.task_id.to_string().into()],
            ))
            .await
            .expect("labels");
        let mut new = NewEvidence::new(
            id(proj.project_id),
            EvidenceSourceType::Metrics,
            format!("e{i}"),
        );
        new.tags = tags;
        evidence
            .record(new, repository::platform::AuditContext::system())
            .await
            .expect("evidence");
    }
    for query in QUERIES {
        let wanted: Vec<String> = query.iter().map(|s| (*s).to_owned()).collect();
        let want = expected(query);
        let mut got: Vec<usize> = agents(db)
            .with_tags(wanted.clone(), Page::first(100))
            .await
            .expect("agents")
            .into_iter()
            .map(|a| a.name["agent-".len()..].parse().expect("index"))
            .collect();
        got.sort_unstable();
        assert_eq!(got, want, "agents {query:?}");
        let mut got: Vec<usize> = tasks(db)
            .list(
                TaskFilter {
                    labels: wanted.clone(),
                    ..TaskFilter::default()
                },
                TaskOrder::Newest,
                Page::first(100),
            )
            .await
            .expect("tasks")
            .into_iter()
            .map(|t| t.title["task-".len()..].parse().expect("index"))
            .collect();
        got.sort_unstable();
        assert_eq!(got, want, "tasks {query:?}");
        let mut got: Vec<usize> = evidence
            .list(
                EvidenceFilter {
                    tags: wanted.clone(),
                    ..EvidenceFilter::default()
                },
                Page::first(100),
            )
            .await
            .expect("evidence")
            .into_iter()
            .map(|e| e.title[1..].parse().expect("index"))
            .collect();
        got.sort_unstable();
        assert_eq!(got, want, "evidence {query:?}");
    }
}

/// The plan of `select` with sequential scans discouraged (the test tables are tiny, so the
/// planner would otherwise scan them whatever the index).
async fn plan(db: &TestDb, select: &Statement) -> String {
    let txn = repository::begin_write(&db.conn).await.expect("txn");
    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .expect("set");
    let explain = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("EXPLAIN {}", select.sql),
        select.values.clone().map(|v| v.0).unwrap_or_default(),
    );
    let rows = txn.query_all_raw(explain).await.expect("explain");
    let lines: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("line"))
        .collect();
    repository::sea_orm::TransactionSession::rollback(txn)
        .await
        .expect("rollback");
    lines.join("\n")
}

async fn gin_indexes_serve_containment(db: &TestDb) {
    for (table, column, index, stmt) in [
        (
            "tasks",
            "labels",
            "idx_tasks_labels",
            repository::entity::platform::tasks::Entity::find()
                .filter(contains_all(
                    DbBackend::Postgres,
                    "tasks",
                    "labels",
                    &["ui".into()],
                ))
                .build(DbBackend::Postgres),
        ),
        (
            "agents",
            "tags",
            "idx_agents_tags",
            repository::entity::platform::agents::Entity::find()
                .filter(contains_all(
                    DbBackend::Postgres,
                    "agents",
                    "tags",
                    &["core".into(), "code".into()],
                ))
                .build(DbBackend::Postgres),
        ),
        (
            "evidence",
            "tags",
            "idx_evidence_tags",
            repository::entity::platform::evidence::Entity::find()
                .filter(contains_all(
                    DbBackend::Postgres,
                    "evidence",
                    "tags",
                    &["security".into()],
                ))
                .build(DbBackend::Postgres),
        ),
    ] {
        assert!(
            stmt.sql
                .contains(&format!("\"{table}\".\"{column}\" @> CAST($1 AS jsonb)")),
            "{}",
            stmt.sql
        );
        let plan = plan(db, &stmt).await;
        assert!(
            plan.contains(index),
            "{table}.{column} does not use {index}:\n{plan}"
        );
    }
}

db_tests!(the_same_rows_on_both_backends);
pg_tests!(gin_indexes_serve_containment);
