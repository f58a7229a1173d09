//! `ExecutionRepository`: the pending → running → finished lifecycle, the agent's figures kept
//! exactly in the finishing transaction (1,000 random executions, 8 at a time, compared with
//! values computed from the rows), and token/cost roll-ups.

use std::collections::BTreeMap;

use chrono::Duration;
use repository::entity::DbUuid;
use repository::platform::{
    AgentRepository, AuditContext, EvidenceRepository, Execution, ExecutionRepository,
    ExecutionStatus, ExecutionStore, Finish, NewExecution, RollupBy,
};
use repository::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use repository::{DatabaseConnection, Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests, now};

use super::{agent, agents, audit_of, id, project, task, user};

fn store(db: &TestDb) -> ExecutionStore<DatabaseConnection> {
    ExecutionStore::new(db.conn.clone())
}

async fn lifecycle(db: &TestDb) {
    let owner = user(db, "o").await;
    let proj = project(db, &owner, "p", true, &[]).await;
    let t = task(db, &proj, "t").await;
    let coder = agent(db, "coder", "coder", &[]).await;
    let repo = store(db);
    let ctx = AuditContext::agent(id(coder.agent_id));
    let new = NewExecution {
        agent_id: id(coder.agent_id),
        task_id: Some(id(t.task_id)),
        project_id: Some(id(proj.project_id)),
    };
    let queued = repo.queue(new, ctx.clone()).await.expect("queue");
    assert_eq!(queued.status, ExecutionStatus::Pending);
    let running = repo
        .start(id(queued.execution_id), ctx.clone())
        .await
        .expect("start");
    assert_eq!(running.status, ExecutionStatus::Running);
    let started_at = running.started_at.expect("started_at");
    let err = repo
        .start(id(queued.execution_id), ctx.clone())
        .await
        .expect_err("not pending");
    assert!(matches!(err, Error::Conflict(_)), "{err}");

    for (bad, field) in [
        (
            Finish {
                input_tokens: -1,
                ..Finish::success(json!({}), 0, 0, 0.0, 0)
            },
            "input_tokens",
        ),
        (
            Finish {
                cost_usd: -0.01,
                ..Finish::success(json!({}), 0, 0, 0.0, 0)
            },
            "cost_usd",
        ),
        (
            Finish {
                cost_usd: f64::INFINITY,
                ..Finish::success(json!({}), 0, 0, 0.0, 0)
            },
            "cost_usd",
        ),
        (
            Finish {
                execution_time_ms: -5,
                ..Finish::success(json!({}), 0, 0, 0.0, 0)
            },
            "execution_time_ms",
        ),
        (
            Finish {
                status: ExecutionStatus::Running,
                ..Finish::success(json!({}), 0, 0, 0.0, 0)
            },
            "status",
        ),
    ] {
        let err = repo
            .finish(id(queued.execution_id), bad, ctx.clone())
            .await
            .expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    let ev = repository::platform::EvidenceStore::new(db.conn.clone())
        .record(
            repository::platform::NewEvidence::new(
                id(proj.project_id),
                repository::platform::EvidenceSourceType::AiOutput,
                "run",
            ),
            AuditContext::system(),
        )
        .await
        .expect("evidence");
    let finish = Finish {
        evidence_id: Some(id(ev.evidence_id)),
        ..Finish::success(json!({"pr": 12}), 1200, 300, 0.0125, 4321)
    };
    let done = repo
        .finish(id(queued.execution_id), finish, ctx.clone())
        .await
        .expect("finish");
    assert_eq!(done.status, ExecutionStatus::Success);
    assert_eq!(
        done.result.clone().expect("result").into_inner(),
        json!({"pr": 12})
    );
    assert_eq!(
        (
            done.input_tokens,
            done.output_tokens,
            done.cost_usd,
            done.execution_time_ms
        ),
        (1200, 300, 0.0125, Some(4321))
    );
    assert_eq!(done.started_at, Some(started_at));
    assert_eq!(done.evidence_id, Some(ev.evidence_id));
    let completed = done.completed_at.expect("completed_at");
    let err = repo
        .finish(
            id(queued.execution_id),
            Finish::success(json!({}), 0, 0, 0.0, 1),
            ctx,
        )
        .await
        .expect_err("twice");
    assert!(matches!(err, Error::Conflict(_)), "{err}");

    let figures = agents(db).get(id(coder.agent_id)).await.expect("agent");
    assert_eq!(
        (
            figures.total_executions,
            figures.success_rate,
            figures.avg_execution_time_ms
        ),
        (1, 1.0, 4321)
    );
    assert_eq!(figures.last_used_at, Some(completed));

    let rows = audit_of(db, queued.execution_id).await;
    let events: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(
        events,
        [
            "execution_queued",
            "execution_started",
            "execution_finished"
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r.agent_id == Some(coder.agent_id) && r.user_id.is_none())
    );
    assert_eq!(
        rows[2].new_values.clone().expect("new").into_inner(),
        json!({"status": "success", "result": {"pr": 12}, "input_tokens": 1200, "output_tokens": 300,
               "cost_usd": 0.0125, "execution_time_ms": 4321, "completed_at": completed, "evidence_id": ev.evidence_id})
    );
    assert_eq!(
        repo.by_agent(id(coder.agent_id), Page::first(5))
            .await
            .expect("by agent"),
        vec![done]
    );
}

/// A small deterministic generator (no dependency needed for test noise).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// Agent figures computed in Rust from the execution rows.
fn expected_figures(rows: &[Execution]) -> (i64, f64, i32, Option<repository::entity::DbDateTime>) {
    let finished: Vec<&Execution> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                ExecutionStatus::Success | ExecutionStatus::Failure | ExecutionStatus::Timeout
            )
        })
        .collect();
    let n = finished.len() as i64;
    if n == 0 {
        return (0, 0.0, 0, None);
    }
    let successes = finished
        .iter()
        .filter(|r| r.status == ExecutionStatus::Success)
        .count() as i64;
    let times: Vec<i64> = finished
        .iter()
        .filter_map(|r| r.execution_time_ms.map(i64::from))
        .collect();
    let k = times.len() as i64;
    let sum: i64 = times.iter().sum();
    let avg = if k == 0 {
        0
    } else {
        i32::try_from((sum * 2 + k) / (2 * k)).expect("fits")
    };
    let last = finished.iter().filter_map(|r| r.completed_at).max();
    (n, successes as f64 / n as f64, avg, last)
}

async fn concurrent_replay_keeps_figures_exact(db: &TestDb) {
    const EXECUTIONS: u64 = 1_000;
    const WORKERS: u64 = 8;
    let owner = user(db, "o").await;
    let proj = project(db, &owner, "p", false, &[]).await;
    let mut fleet = Vec::new();
    for name in ["a1", "a2", "a3"] {
        fleet.push(agent(db, name, "coder", &[]).await);
    }
    let agent_ids: Vec<DbUuid> = fleet.iter().map(|a| a.agent_id).collect();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let repo = store(db);
        let agent_ids = agent_ids.clone();
        let project_id = proj.project_id;
        workers.push(tokio::spawn(async move {
            let mut rng = Lcg(w + 1);
            for _ in 0..EXECUTIONS / WORKERS {
                let agent_id = agent_ids[usize::try_from(rng.next(3)).expect("small")];
                let ctx = AuditContext::agent(agent_id.into());
                let new = NewExecution {
                    agent_id: agent_id.into(),
                    task_id: None,
                    project_id: Some(project_id.into()),
                };
                let e = repo.queue(new, ctx.clone()).await.expect("queue");
                if rng.next(10) == 0 {
                    continue; // left pending: not counted
                }
                if rng.next(4) != 0 {
                    repo.start(e.execution_id.into(), ctx.clone())
                        .await
                        .expect("start");
                }
                let status = [
                    ExecutionStatus::Success,
                    ExecutionStatus::Success,
                    ExecutionStatus::Failure,
                    ExecutionStatus::Timeout,
                ][usize::try_from(rng.next(4)).expect("small")];
                let finish = Finish {
                    status,
                    result: Some(json!({"w": w})),
                    error_message: (status != ExecutionStatus::Success)
                        .then(|| "failed".to_owned()),
                    input_tokens: i32::try_from(rng.next(5_000)).expect("small"),
                    output_tokens: i32::try_from(rng.next(2_000)).expect("small"),
                    cost_usd: rng.next(10_000) as f64 / 1e5,
                    execution_time_ms: i32::try_from(rng.next(60_000)).expect("small"),
                    evidence_id: None,
                };
                repo.finish(e.execution_id.into(), finish, ctx)
                    .await
                    .expect("finish");
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    let all = repository::entity::platform::agent_executions::Entity::find()
        .all(&db.conn)
        .await
        .expect("rows");
    assert_eq!(all.len() as u64, EXECUTIONS);
    for agent_id in &agent_ids {
        let rows: Vec<Execution> = repository::entity::platform::agent_executions::Entity::find()
            .filter(repository::entity::platform::agent_executions::Column::AgentId.eq(*agent_id))
            .all(&db.conn)
            .await
            .expect("rows");
        let (total, rate, avg, last) = expected_figures(&rows);
        let a = agents(db).get((*agent_id).into()).await.expect("agent");
        assert!(total > 0);
        assert_eq!(a.total_executions, total, "total_executions");
        assert_eq!(a.success_rate, rate, "success_rate");
        assert_eq!(a.avg_execution_time_ms, avg, "avg_execution_time_ms");
        assert_eq!(a.last_used_at, last, "last_used_at");
    }
}

async fn rollups_per_agent_project_and_day(db: &TestDb) {
    let owner = user(db, "o").await;
    let p1 = project(db, &owner, "p1", false, &[]).await;
    let p2 = project(db, &owner, "p2", false, &[]).await;
    let a = agent(db, "a", "coder", &[]).await;
    let b = agent(db, "b", "tester", &[]).await;
    let repo = store(db);
    let mut made = Vec::new();
    for (agent_id, project_id, input, output, cost) in [
        (a.agent_id, Some(p1.project_id), 100, 10, 0.5),
        (a.agent_id, Some(p2.project_id), 200, 20, 0.25),
        (b.agent_id, Some(p1.project_id), 300, 30, 1.0),
        (b.agent_id, None, 400, 40, 2.0),
    ] {
        let e = repo
            .queue(
                NewExecution {
                    agent_id: agent_id.into(),
                    task_id: None,
                    project_id: project_id.map(Into::into),
                },
                AuditContext::system(),
            )
            .await
            .expect("queue");
        repo.finish(
            e.execution_id.into(),
            Finish::success(json!(null), input, output, cost, 10),
            AuditContext::system(),
        )
        .await
        .expect("finish");
        made.push(e);
    }
    // Move the last execution to yesterday, to get two days.
    let yesterday = now() - Duration::days(1);
    db.conn
        .execute_raw(repository::sea_orm::Statement::from_sql_and_values(
            db.db_backend(),
            match db.db_backend() {
                repository::DbBackend::Postgres => "UPDATE agent_executions SET created_at = $1 WHERE execution_id = CAST($2 AS uuid)",
                _ => "UPDATE agent_executions SET created_at = $1 WHERE execution_id = $2",
            },
            [repository::entity::DbDateTime::from(yesterday).into(), made[3].execution_id.to_string().into()],
        ))
        .await
        .expect("move");
    use repository::sea_orm::ConnectionTrait;
    let from = now() - Duration::days(2);
    let to = now() + Duration::seconds(1);
    let by = |r: Vec<repository::platform::UsageRollup>| {
        r.into_iter()
            .map(|u| {
                (
                    u.key,
                    (u.executions, u.input_tokens, u.output_tokens, u.cost_usd),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    let per_agent = by(repo.rollup(RollupBy::Agent, from, to).await.expect("agent"));
    assert_eq!(per_agent[&Some(a.agent_id.to_string())], (2, 300, 30, 0.75));
    assert_eq!(per_agent[&Some(b.agent_id.to_string())], (2, 700, 70, 3.0));
    let per_project = by(repo
        .rollup(RollupBy::Project, from, to)
        .await
        .expect("project"));
    assert_eq!(
        per_project[&Some(p1.project_id.to_string())],
        (2, 400, 40, 1.5)
    );
    assert_eq!(
        per_project[&Some(p2.project_id.to_string())],
        (1, 200, 20, 0.25)
    );
    assert_eq!(per_project[&None], (1, 400, 40, 2.0));
    let per_day = by(repo.rollup(RollupBy::Day, from, to).await.expect("day"));
    assert_eq!(
        per_day[&Some(yesterday.format("%Y-%m-%d").to_string())],
        (1, 400, 40, 2.0)
    );
    assert_eq!(per_day[&Some(now().format("%Y-%m-%d").to_string())].0, 3);
    assert!(repo.rollup(RollupBy::Day, to, from).await.is_err());
}

db_tests!(
    lifecycle,
    concurrent_replay_keeps_figures_exact,
    rollups_per_agent_project_and_day
);
