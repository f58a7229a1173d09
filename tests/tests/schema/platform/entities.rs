//! The entities of seed 004 round-trip on both backends, and their behaviour stamps timestamps.

use chrono::Duration;
use entity::DbUuid;
use entity::behavior::now;
use entity::platform::sea_orm_active_enums::{
    EvidenceSourceType, ExecutionStatus, ProjectStatus, TaskPriority, TaskStatus, TaskType,
    UserRole,
};
use entity::platform::{
    activity_feed, agent_executions, agents, audit_logs, evidence, projects, task_attachments,
    task_comments, tasks, users,
};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
/// A JSON document for an entity column.
macro_rules! j {
    ($($json:tt)+) => {
        entity::DbJson(serde_json::json!($($json)+))
    };
}
use tests::{TestDb, db_tests};

#[allow(clippy::too_many_lines)]
async fn entities_round_trip(db: &TestDb) {
    let at = now();
    let later = at + Duration::hours(1);

    let user = users::Model {
        user_id: DbUuid::new_v4(),
        username: "ada".to_owned(),
        email: "ada@example.com".to_owned(),
        display_name: Some("Ada Lovelace".to_owned()),
        password_hash: Some("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA".to_owned()),
        role: UserRole::Admin,
        is_active: true,
        github_username: Some("ada".to_owned()),
        github_user_id: Some(9_007_199_254_740_993),
        github_access_token_encrypted: Some("ciphertext".to_owned()),
        github_token_expires_at: Some(later),
        metadata: j!({"team": "core"}),
        preferences: j!({"theme": "dark", "notifications": {"email": false}}),
        created_at: at,
        updated_at: at,
        last_login_at: Some(at),
        deleted_at: Some(later),
    };
    let project = projects::Model {
        project_id: DbUuid::new_v4(),
        name: "Engine".to_owned(),
        slug: "engine".to_owned(),
        description: Some("The analytical engine".to_owned()),
        repository_url: Some("https://github.com/example/engine".to_owned()),
        default_branch: "trunk".to_owned(),
        owner_id: user.user_id,
        status: ProjectStatus::Paused,
        is_public: true,
        technology_stack: j!(["rust", "postgresql"]),
        metadata: j!({"tier": 1}),
        pr_merge_rate: Some(0.875),
        test_coverage_percent: Some(92.5),
        created_at: at,
        updated_at: at,
        last_activity_at: Some(at),
        archived_at: Some(later),
    };
    let agent = agents::Model {
        agent_id: DbUuid::new_v4(),
        name: "code-reviewer".to_owned(),
        display_name: Some("Code Reviewer".to_owned()),
        description: Some("Reviews pull requests".to_owned()),
        agent_type: "reviewer".to_owned(),
        model_provider: "anthropic".to_owned(),
        model_name: "claude-sonnet".to_owned(),
        capabilities: j!({"languages": ["rust"], "max_files": 50}),
        configuration: j!({"temperature": 0.2}),
        success_rate: 0.93,
        avg_execution_time_ms: 12_345,
        total_executions: 5_000_000_000,
        is_active: true,
        is_experimental: true,
        version: "2.1.0".to_owned(),
        tags: j!(["review", "rust"]),
        metadata: j!({"owner": "platform"}),
        last_used_at: Some(at),
        created_at: at,
        updated_at: at,
        deprecated_at: Some(later),
    };
    let task = tasks::Model {
        task_id: DbUuid::new_v4(),
        project_id: project.project_id,
        github_issue_number: Some(42),
        github_pr_number: Some(43),
        github_url: Some("https://github.com/example/engine/pull/43".to_owned()),
        title: "Speed up the mill".to_owned(),
        description: Some("Profile and optimise".to_owned()),
        r#type: TaskType::Refactor,
        status: TaskStatus::InReview,
        priority: TaskPriority::High,
        assigned_to_user_id: Some(user.user_id),
        assigned_to_agent_id: Some(agent.agent_id),
        ai_analysis: j!({"complexity": 5}),
        ai_suggestions: j!([{"kind": "split", "confidence": 0.7}]),
        labels: j!(["performance"]),
        metadata: j!({}),
        created_at: at,
        updated_at: at,
        started_at: Some(at),
        completed_at: Some(later),
        due_at: Some(later),
    };
    let evidence = evidence::Model {
        evidence_id: DbUuid::new_v4(),
        task_id: Some(task.task_id),
        project_id: project.project_id,
        source_type: EvidenceSourceType::TestResult,
        source_name: Some("cargo test".to_owned()),
        source_url: Some("https://ci.example.com/runs/1".to_owned()),
        title: "All tests pass".to_owned(),
        content: Some("412 passed".to_owned()),
        raw_data: j!({"passed": 412, "failed": 0}),
        credibility_score: 0.95,
        is_verified: true,
        verified_at: Some(at),
        related_evidence: j!([DbUuid::new_v4().to_string()]),
        contradicting_evidence: j!([]),
        tags: j!(["ci"]),
        metadata: j!({"runner": "linux"}),
        created_at: at,
        updated_at: at,
        expires_at: Some(later),
    };
    let execution = agent_executions::Model {
        execution_id: DbUuid::new_v4(),
        agent_id: agent.agent_id,
        task_id: Some(task.task_id),
        project_id: Some(project.project_id),
        evidence_id: Some(evidence.evidence_id),
        status: ExecutionStatus::Success,
        input_tokens: 1_200,
        output_tokens: 340,
        cost_usd: 0.012_345,
        execution_time_ms: Some(8_000),
        result: Some(j!({"verdict": "approve"})),
        error_message: Some("none".to_owned()),
        started_at: Some(at),
        completed_at: Some(later),
        created_at: at,
    };
    let log = audit_logs::Model {
        log_id: DbUuid::new_v4(),
        user_id: Some(user.user_id),
        agent_id: Some(agent.agent_id),
        event_type: "task_created".to_owned(),
        resource_type: Some("task".to_owned()),
        resource_id: Some(task.task_id.to_string()),
        old_values: Some(j!({})),
        new_values: Some(j!({"status": "open"})),
        ip_address: Some("2001:db8::1".to_owned()),
        user_agent: Some("platform/1.0".to_owned()),
        metadata: j!({"request_id": "abc"}),
        is_immutable: true,
        created_at: at,
    };
    let comment = task_comments::Model {
        comment_id: DbUuid::new_v4(),
        task_id: task.task_id,
        author_id: Some(user.user_id),
        agent_id: Some(agent.agent_id),
        content: "Looks good".to_owned(),
        github_comment_id: Some(1_234_567_890_123),
        is_ai_generated: true,
        ai_metadata: j!({"model": "claude", "tokens": 120}),
        created_at: at,
        updated_at: later,
    };
    let attachment = task_attachments::Model {
        attachment_id: DbUuid::new_v4(),
        task_id: task.task_id,
        file_name: "coverage.html".to_owned(),
        content_type: Some("text/html".to_owned()),
        file_size_bytes: Some(5_000_000_000),
        storage_path: "s3://artifacts/coverage.html".to_owned(),
        is_evidence: true,
        evidence_id: Some(evidence.evidence_id),
        metadata: j!({"sha256": "00ff"}),
        created_at: at,
    };
    let activity = activity_feed::Model {
        activity_id: DbUuid::new_v4(),
        project_id: Some(project.project_id),
        task_id: Some(task.task_id),
        user_id: Some(user.user_id),
        agent_id: Some(agent.agent_id),
        activity_type: "pr_reviewed".to_owned(),
        title: "Code Reviewer approved #43".to_owned(),
        description: Some("No issues found".to_owned()),
        metadata: j!({"pr": 43}),
        is_public: true,
        created_at: at,
    };

    macro_rules! round_trip {
        ($module:ident, $model:expr, $key:ident) => {{
            let model = $model.clone();
            // Every field Set, so that the timestamp behaviour keeps what the model says.
            let inserted = model
                .clone()
                .into_active_model()
                .reset_all()
                .insert(&db.conn)
                .await
                .unwrap_or_else(|e| {
                    panic!("{:?}: insert {}: {e}", db.backend, stringify!($module))
                });
            assert_eq!(
                inserted,
                model,
                "{:?}: {} RETURNING",
                db.backend,
                stringify!($module)
            );
            let found = $module::Entity::find_by_id(model.$key)
                .one(&db.conn)
                .await
                .expect("select")
                .expect("row");
            assert_eq!(found, model, "{:?}: {}", db.backend, stringify!($module));
        }};
    }
    round_trip!(users, user, user_id);
    round_trip!(projects, project, project_id);
    round_trip!(agents, agent, agent_id);
    round_trip!(tasks, task, task_id);
    round_trip!(evidence, evidence, evidence_id);
    round_trip!(agent_executions, execution, execution_id);
    round_trip!(audit_logs, log, log_id);
    round_trip!(task_comments, comment, comment_id);
    round_trip!(task_attachments, attachment, attachment_id);
    round_trip!(activity_feed, activity, activity_id);

    // Filters on enum, UUID and boolean columns bind correctly on both backends.
    let open = tasks::Entity::find()
        .filter(tasks::Column::Status.eq(TaskStatus::InReview))
        .filter(tasks::Column::AssignedToAgentId.eq(agent.agent_id))
        .filter(tasks::Column::Type.eq(TaskType::Refactor))
        .all(&db.conn)
        .await
        .expect("filter tasks");
    assert_eq!(open.len(), 1);

    // The timestamp behaviour stamps rows whose timestamps are left unset.
    let stamped = activity_feed::ActiveModel {
        activity_id: Set(DbUuid::new_v4()),
        activity_type: Set("note".to_owned()),
        title: Set("Stamped".to_owned()),
        metadata: Set(j!({})),
        is_public: Set(false),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .expect("insert with behaviour");
    assert!((stamped.created_at - now()).abs() < Duration::seconds(30));
}

db_tests!(entities_round_trip);
