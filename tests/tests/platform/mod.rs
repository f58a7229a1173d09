//! The platform repositories (seed 004): every method on SQLite and PostgreSQL, the audit rows
//! compared field by field with the changes made, activity publishing after commit, JSON
//! containment, exact agent figures under concurrency, and the idempotent dev data.

mod agents_projects;
mod audit;
mod cli;
mod comments_attachments;
mod containment;
mod evidence;
mod executions;
mod mocks;
mod seed;
mod tasks;
mod users;

use std::sync::{Arc, Mutex};

use repository::platform::{
    ActivityPublisher, Agent, AgentRepository, AgentStore, AuditContext, AuditFilter, AuditLog,
    AuditRepository, AuditStore, NewAgent, NewProject, NewTask, NewUser, Project,
    ProjectRepository, ProjectStore, Task, TaskRepository, TaskStore, TaskType, User,
    UserRepository, UserRole, UserStore,
};
use repository::{DatabaseConnection, Page, UuidText, async_trait};
use tests::TestDb;

/// An activity publisher that keeps what it is given, in order.
#[derive(Debug, Default)]
pub struct Collecting {
    /// `(channel, payload)` pairs.
    pub published: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl ActivityPublisher for Collecting {
    async fn publish(&self, channel: &str, payload: &str) {
        self.published
            .lock()
            .expect("lock")
            .push((channel.to_owned(), payload.to_owned()));
    }
}

impl Collecting {
    /// What was published so far.
    pub fn taken(&self) -> Vec<(String, String)> {
        self.published.lock().expect("lock").clone()
    }
}

/// The id of a row as the API speaks it.
pub fn id(uuid: repository::entity::DbUuid) -> UuidText {
    uuid.into()
}

pub fn users(db: &TestDb) -> UserStore<DatabaseConnection> {
    UserStore::new(db.conn.clone())
}

pub fn projects(db: &TestDb) -> ProjectStore<DatabaseConnection> {
    ProjectStore::new(db.conn.clone())
}

pub fn agents(db: &TestDb) -> AgentStore<DatabaseConnection> {
    AgentStore::new(db.conn.clone())
}

pub fn tasks(db: &TestDb) -> TaskStore<DatabaseConnection> {
    TaskStore::new(db.conn.clone())
}

pub fn audit(db: &TestDb) -> AuditStore<DatabaseConnection> {
    AuditStore::new(db.conn.clone())
}

/// A user named `name` (role user).
pub async fn user(db: &TestDb, name: &str) -> User {
    users(db)
        .create(
            NewUser::new(name, format!("{name}@example.com"), UserRole::User),
            AuditContext::system(),
        )
        .await
        .expect("create user")
}

/// A project `slug` owned by `owner`, public or not, with a technology stack.
pub async fn project(
    db: &TestDb,
    owner: &User,
    slug: &str,
    public: bool,
    stack: &[&str],
) -> Project {
    let mut new = NewProject::new(format!("Project {slug}"), slug, id(owner.user_id));
    new.is_public = public;
    new.technology_stack = stack.iter().map(|s| (*s).to_owned()).collect();
    projects(db)
        .create(new, AuditContext::user(id(owner.user_id)))
        .await
        .expect("create project")
}

/// An agent `name` of `agent_type` with `tags`.
pub async fn agent(db: &TestDb, name: &str, agent_type: &str, tags: &[&str]) -> Agent {
    let mut new = NewAgent::new(name, agent_type, "anthropic", "claude-sonnet-4");
    new.tags = tags.iter().map(|s| (*s).to_owned()).collect();
    agents(db)
        .create(new, AuditContext::system())
        .await
        .expect("create agent")
}

/// A task of `project` titled `title`.
pub async fn task(db: &TestDb, project: &Project, title: &str) -> Task {
    tasks(db)
        .create(
            NewTask::new(id(project.project_id), title, TaskType::Task),
            AuditContext::system(),
        )
        .await
        .expect("create task")
}

/// Every audit row about `resource_id`, oldest first.
pub async fn audit_of(db: &TestDb, resource_id: impl ToString) -> Vec<AuditLog> {
    audit(db)
        .query(
            AuditFilter {
                resource_id: Some(resource_id.to_string()),
                oldest_first: true,
                ..AuditFilter::default()
            },
            Page::first(1000),
        )
        .await
        .expect("audit rows")
}

/// The shared publisher as the stores take it.
pub fn publisher(collecting: &Arc<Collecting>) -> Arc<dyn ActivityPublisher> {
    collecting.clone()
}
