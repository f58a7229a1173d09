//! Development data (the seed's `01_users`, `02_agents`, `03_projects`, whose contents it does
//! not give): an admin, a manager and a service user; the core agents (planner, coder,
//! reviewer, tester, documenter) with their capabilities; two sample projects with tasks.
//!
//! [`load_dev_data`] is idempotent: every item is looked up by its natural key (username,
//! agent name, project slug, a task's GitHub issue number in its project) and created, through
//! the repositories (so with its audit rows), only when missing. A second run writes nothing.
//! Everything is loaded in one transaction.

use sea_orm::{DatabaseConnection, DatabaseExecutor};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;

use super::{
    AgentRepository, AgentStore, AuditContext, NewAgent, NewProject, NewTask, NewUser,
    ProjectRepository, ProjectStore, TaskPriority, TaskRepository, TaskStore, TaskType,
    UserRepository, UserRole, UserStore,
};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::types::{HttpUrl, UuidText};

/// What [`load_dev_data`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SeedReport {
    /// Rows created (users, agents, projects, tasks).
    pub inserted: u64,
    /// Items already present, left as they are.
    pub unchanged: u64,
}

/// The development users: (username, email, display name, role).
pub const DEV_USERS: &[(&str, &str, &str, UserRole)] = &[
    (
        "admin",
        "admin@example.com",
        "Platform Admin",
        UserRole::Admin,
    ),
    (
        "manager",
        "manager@example.com",
        "Project Manager",
        UserRole::Manager,
    ),
    (
        "platform-bot",
        "bot@example.com",
        "Platform Service Account",
        UserRole::Service,
    ),
];

/// The core agents: (name, type, model, what it does, capabilities).
const DEV_AGENTS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "planner",
        "planner",
        "claude-sonnet-4",
        "Breaks issues down into plans and tasks",
        &["task_decomposition", "estimation", "dependency_analysis"],
    ),
    (
        "coder",
        "coder",
        "claude-sonnet-4",
        "Writes and changes code for a task",
        &["code_generation", "refactoring", "bug_fixing"],
    ),
    (
        "reviewer",
        "reviewer",
        "claude-sonnet-4",
        "Reviews pull requests",
        &["code_review", "security_review", "style_check"],
    ),
    (
        "tester",
        "tester",
        "claude-sonnet-4",
        "Writes and runs tests",
        &["test_generation", "test_execution", "coverage_analysis"],
    ),
    (
        "documenter",
        "documenter",
        "claude-haiku-4",
        "Writes and updates documentation",
        &["documentation", "changelog", "api_reference"],
    ),
];

/// A sample project: slug, name, repository, public, technology stack, owner, tasks
/// (issue number, title, type, priority, labels).
struct DevProject {
    slug: &'static str,
    name: &'static str,
    repository: &'static str,
    is_public: bool,
    stack: &'static [&'static str],
    owner: &'static str,
    tasks: &'static [(
        i32,
        &'static str,
        TaskType,
        TaskPriority,
        &'static [&'static str],
    )],
}

const DEV_PROJECTS: &[DevProject] = &[
    DevProject {
        slug: "sample-web-app",
        name: "Sample Web App",
        repository: "https://github.com/example/sample-web-app",
        is_public: true,
        stack: &["typescript", "react", "postgresql"],
        owner: "manager",
        tasks: &[
            (
                1,
                "Set up continuous integration",
                TaskType::Chore,
                TaskPriority::High,
                &["ci", "infra"],
            ),
            (
                2,
                "Login form loses input on error",
                TaskType::Bug,
                TaskPriority::Critical,
                &["bug", "ui"],
            ),
            (
                3,
                "Add dark mode",
                TaskType::Feature,
                TaskPriority::Low,
                &["ui"],
            ),
        ],
    },
    DevProject {
        slug: "sample-api-service",
        name: "Sample API Service",
        repository: "https://github.com/example/sample-api-service",
        is_public: false,
        stack: &["python", "fastapi", "redis"],
        owner: "admin",
        tasks: &[
            (
                1,
                "Document the public endpoints",
                TaskType::Documentation,
                TaskPriority::Medium,
                &["docs", "api"],
            ),
            (
                2,
                "Cover the rate limiter with tests",
                TaskType::Test,
                TaskPriority::High,
                &["tests", "api"],
            ),
        ],
    },
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Whether `result` found the item (`Ok(Some)`), did not (`Ok(None)`), or failed.
fn found<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Load the development data (see the module docs), in one transaction.
///
/// # Errors
/// [`Error::Conflict`] when a row in the way holds a unique value of the data under another key
/// (an email taken by another username); [`Error::Db`]. Nothing is loaded then.
#[instrument(skip_all)]
pub async fn load_dev_data(conn: &DatabaseConnection) -> Result<SeedReport> {
    let txn = begin_write(conn).await?;
    let report = load(&txn).await?;
    txn.commit().await?;
    tracing::info!(
        seed.inserted = report.inserted,
        seed.unchanged = report.unchanged,
        "platform dev data loaded"
    );
    Ok(report)
}

async fn load(txn: &sea_orm::DatabaseTransaction) -> Result<SeedReport> {
    let ctx = AuditContext::system();
    let users = UserStore::new(DatabaseExecutor::from(txn));
    let agents = AgentStore::new(DatabaseExecutor::from(txn));
    let projects = ProjectStore::new(DatabaseExecutor::from(txn));
    let tasks = TaskStore::new(DatabaseExecutor::from(txn));
    let mut report = SeedReport::default();
    let mut count = |inserted: bool| {
        if inserted {
            report.inserted += 1;
        } else {
            report.unchanged += 1;
        }
    };

    for (username, email, display_name, role) in DEV_USERS {
        let present = found(users.by_username((*username).to_owned()).await)?.is_some();
        if !present {
            let mut new = NewUser::new(*username, *email, *role);
            new.display_name = Some((*display_name).to_owned());
            new.metadata = Some(json!({ "seed": "dev" }));
            users.create(new, ctx.clone()).await?;
        }
        count(!present);
    }

    for (name, agent_type, model, description, capabilities) in DEV_AGENTS {
        let present = found(agents.by_name((*name).to_owned()).await)?.is_some();
        if !present {
            let mut new = NewAgent::new(*name, *agent_type, "anthropic", *model);
            new.display_name = Some(format!("{}{}", name[..1].to_uppercase(), &name[1..]));
            new.description = Some((*description).to_owned());
            new.capabilities = json!({ "skills": capabilities, "max_context_tokens": 200_000 });
            new.configuration = json!({ "temperature": 0.2 });
            new.tags = vec!["core".to_owned(), (*agent_type).to_owned()];
            agents.create(new, ctx.clone()).await?;
        }
        count(!present);
    }

    for project in DEV_PROJECTS {
        let existing = found(projects.by_slug(project.slug.to_owned()).await)?;
        let project_id: UuidText = match existing {
            Some(p) => {
                count(false);
                p.project_id.into()
            }
            None => {
                let owner = users.by_username(project.owner.to_owned()).await?;
                let mut new = NewProject::new(project.name, project.slug, owner.user_id.into());
                new.repository_url =
                    Some(HttpUrl::parse_field("repository_url", project.repository)?);
                new.is_public = project.is_public;
                new.technology_stack = strings(project.stack);
                new.description = Some(format!("Development sample: {}", project.name));
                count(true);
                projects.create(new, ctx.clone()).await?.project_id.into()
            }
        };
        for (number, title, task_type, priority, labels) in project.tasks {
            let present = found(tasks.by_github_issue(project_id, *number).await)?.is_some();
            if !present {
                let mut new = NewTask::new(project_id, *title, *task_type);
                new.priority = *priority;
                new.github_issue_number = Some(*number);
                new.github_url = Some(HttpUrl::parse_field(
                    "github_url",
                    format!("{}/issues/{number}", project.repository),
                )?);
                new.labels = strings(labels);
                tasks.create(new, ctx.clone()).await?;
            }
            count(!present);
        }
    }
    Ok(report)
}
