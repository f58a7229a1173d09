//! `ProjectRepository` and `AgentRepository`: lookups, listings, containment, audited changes.

use repository::platform::{
    AgentRepository, AuditContext, NewAgent, NewProject, ProjectRepository, ProjectStatus,
};
use repository::{Error, HttpUrl, Page};
use serde_json::json;
use tests::{TestDb, db_tests};

use super::{agent, agents, audit_of, id, project, projects, user};

async fn projects_by_key_owner_status_and_stack(db: &TestDb) {
    let ann = user(db, "ann").await;
    let ben = user(db, "ben").await;
    let repo = projects(db);
    let url: HttpUrl = "https://github.com/example/web".parse().expect("url");
    let mut new = NewProject::new("Web", "web", id(ann.user_id));
    new.repository_url = Some(url.clone());
    new.technology_stack = vec!["rust".into(), "postgresql".into(), "rust".into()];
    let web = repo
        .create(new, AuditContext::user(id(ann.user_id)))
        .await
        .expect("create");
    assert_eq!(web.technology_stack, json!(["rust", "postgresql"]));
    assert_eq!(web.default_branch, "main");
    assert_eq!(web.status, ProjectStatus::Active);
    let api = project(db, &ben, "api", false, &["python", "postgresql"]).await;
    let cli = project(db, &ann, "cli", false, &["rust"]).await;

    assert_eq!(repo.get(id(web.project_id)).await.expect("get"), web);
    assert_eq!(repo.by_slug("web".into()).await.expect("slug"), web);
    assert_eq!(
        repo.by_repository_url(url).await.expect("url"),
        vec![web.clone()]
    );
    let slugs =
        |v: Vec<repository::platform::Project>| v.into_iter().map(|p| p.slug).collect::<Vec<_>>();
    assert_eq!(
        slugs(
            repo.by_owner(id(ann.user_id), Page::first(10))
                .await
                .expect("owner")
        ),
        ["cli", "web"]
    );
    assert_eq!(
        slugs(
            repo.using_technologies(vec!["postgresql".into()], Page::first(10))
                .await
                .expect("pg")
        ),
        ["api", "web"]
    );
    assert_eq!(
        slugs(
            repo.using_technologies(vec!["rust".into(), "postgresql".into()], Page::first(10))
                .await
                .expect("both")
        ),
        ["web"]
    );
    assert_eq!(
        slugs(
            repo.using_technologies(vec![], Page::first(10))
                .await
                .expect("none")
        ),
        ["api", "cli", "web"]
    );

    let archived = repo
        .set_status(
            id(cli.project_id),
            ProjectStatus::Archived,
            AuditContext::user(id(ann.user_id)),
        )
        .await
        .expect("archive");
    let at = archived.archived_at.expect("archived_at");
    assert_eq!(
        slugs(
            repo.by_status(ProjectStatus::Archived, Page::first(10))
                .await
                .expect("archived")
        ),
        ["cli"]
    );
    assert_eq!(
        slugs(
            repo.by_status(ProjectStatus::Active, Page::first(10))
                .await
                .expect("active")
        ),
        ["api", "web"]
    );
    let row = audit_of(db, cli.project_id)
        .await
        .pop()
        .expect("status row");
    assert_eq!(row.event_type, "project_status_changed");
    assert_eq!(
        row.old_values.clone().expect("old").into_inner(),
        json!({"status": "active", "archived_at": null})
    );
    assert_eq!(
        row.new_values.clone().expect("new").into_inner(),
        json!({"status": "archived", "archived_at": at})
    );

    let m = repo
        .update_metrics(
            id(api.project_id),
            Some(0.75),
            Some(88.5),
            AuditContext::system(),
        )
        .await
        .expect("metrics");
    assert_eq!(
        (m.pr_merge_rate, m.test_coverage_percent),
        (Some(0.75), Some(88.5))
    );
    for (rate, cov, field) in [
        (Some(1.5), None, "pr_merge_rate"),
        (None, Some(100.1), "test_coverage_percent"),
        (Some(f64::NAN), None, "pr_merge_rate"),
    ] {
        let err = repo
            .update_metrics(id(api.project_id), rate, cov, AuditContext::system())
            .await
            .expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    let err = repo
        .create(
            NewProject::new("Web 2", "web", id(ann.user_id)),
            AuditContext::system(),
        )
        .await
        .expect_err("slug");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    let err = repo
        .create(
            NewProject::new("Bad", "Bad Slug", id(ann.user_id)),
            AuditContext::system(),
        )
        .await
        .expect_err("slug");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "slug"),
        "{err}"
    );
    assert_eq!(audit_of(db, api.project_id).await.len(), 2);
}

async fn agents_by_name_type_provider_and_tags(db: &TestDb) {
    let repo = agents(db);
    let mut new = NewAgent::new("planner", "planner", "anthropic", "claude-sonnet-4");
    new.capabilities = json!({"skills": ["decompose"]});
    new.tags = vec!["core".into(), "planning".into()];
    let planner = repo
        .create(new, AuditContext::system())
        .await
        .expect("create");
    assert_eq!(
        (
            planner.total_executions,
            planner.success_rate,
            planner.avg_execution_time_ms
        ),
        (0, 0.0, 0)
    );
    let coder = agent(db, "coder", "coder", &["core", "code"]).await;
    let mut new = NewAgent::new("gpt-coder", "coder", "openai", "gpt-4.1");
    new.tags = vec!["experimental".into(), "code".into()];
    new.is_experimental = true;
    let gpt = repo
        .create(new, AuditContext::system())
        .await
        .expect("create");

    assert_eq!(repo.get(id(planner.agent_id)).await.expect("get"), planner);
    assert_eq!(repo.by_name("coder".into()).await.expect("name"), coder);
    let names =
        |v: Vec<repository::platform::Agent>| v.into_iter().map(|a| a.name).collect::<Vec<_>>();
    assert_eq!(
        names(repo.by_type("coder".into()).await.expect("type")),
        ["coder", "gpt-coder"]
    );
    assert_eq!(
        names(repo.by_provider("openai".into()).await.expect("provider")),
        ["gpt-coder"]
    );
    assert_eq!(
        names(
            repo.with_tags(vec!["code".into()], Page::first(10))
                .await
                .expect("tags")
        ),
        ["coder", "gpt-coder"]
    );
    assert_eq!(
        names(
            repo.with_tags(vec!["core".into(), "code".into()], Page::first(10))
                .await
                .expect("tags")
        ),
        ["coder"]
    );

    let caps = repo
        .set_capabilities(
            id(planner.agent_id),
            json!({"skills": ["decompose", "estimate"]}),
            AuditContext::system(),
        )
        .await
        .expect("capabilities");
    assert_eq!(
        caps.capabilities,
        json!({"skills": ["decompose", "estimate"]})
    );
    let off = repo
        .set_active(id(gpt.agent_id), false, AuditContext::system())
        .await
        .expect("deactivate");
    assert!(!off.is_active && off.deprecated_at.is_some());
    assert_eq!(
        names(repo.list_active(Page::first(10)).await.expect("active")),
        ["coder", "planner"]
    );
    let rows = audit_of(db, planner.agent_id).await;
    assert_eq!(rows[1].event_type, "agent_capabilities_changed");
    assert_eq!(
        rows[1].old_values.clone().expect("old").into_inner(),
        json!({"capabilities": {"skills": ["decompose"]}})
    );
    assert_eq!(
        audit_of(db, gpt.agent_id).await[1].event_type,
        "agent_deactivated"
    );

    let err = repo
        .create(
            NewAgent::new("coder", "x", "y", "z"),
            AuditContext::system(),
        )
        .await
        .expect_err("taken");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    let mut bad = NewAgent::new("x", "x", "y", "z");
    bad.capabilities = json!(["not", "an", "object"]);
    let err = repo
        .create(bad, AuditContext::system())
        .await
        .expect_err("caps");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "capabilities"),
        "{err}"
    );
}

db_tests!(
    projects_by_key_owner_status_and_stack,
    agents_by_name_type_provider_and_tags
);
