//! Repositories of the platform system (seed 004, `packages/db` of an AI-first software
//! engineering platform): users, projects, agents, tasks, evidence, agent executions, task
//! comments and attachments, the activity feed, and the append-only audit trail.
//!
//! Every create, update and delete made through these repositories appends an `audit_logs` row
//! in the same transaction ([`AuditContext`] says who acted and from where; old and new values
//! hold the changed fields only), so a change without its audit row cannot happen. Significant
//! events also append an `activity_feed` entry in that transaction; after the commit, and never
//! before, each entry is handed to the store's [`ActivityPublisher`] (if it has one) on the
//! channel `activity:{project_id}`.
//!
//! JSON arrays (`tags`, `labels`, `technology_stack`) are queried by containment
//! ([`json::contains_all`]): `@>` on PostgreSQL, served by the GIN indexes, and `json_each` on
//! SQLite, with the same results.

pub mod activity;
pub mod agents;
pub mod attachments;
pub mod audit;
pub mod comments;
pub mod evidence;
pub mod executions;
pub mod json;
pub mod projects;
pub mod seed;
pub mod tasks;
pub mod users;

pub use entity::platform::sea_orm_active_enums::{
    EvidenceSourceType, ExecutionStatus, ProjectStatus, TaskPriority, TaskStatus, TaskType,
    UserRole,
};

/// A row of `users`.
pub type User = entity::platform::users::Model;
/// A row of `projects`.
pub type Project = entity::platform::projects::Model;
/// A row of `agents`.
pub type Agent = entity::platform::agents::Model;
/// A row of `tasks`.
pub type Task = entity::platform::tasks::Model;
/// A row of `evidence`.
pub type Evidence = entity::platform::evidence::Model;
/// A row of `agent_executions`.
pub type Execution = entity::platform::agent_executions::Model;
/// A row of `audit_logs`.
pub type AuditLog = entity::platform::audit_logs::Model;
/// A row of `task_comments`.
pub type Comment = entity::platform::task_comments::Model;
/// A row of `task_attachments`.
pub type Attachment = entity::platform::task_attachments::Model;
/// A row of `activity_feed`.
pub type Activity = entity::platform::activity_feed::Model;

pub use activity::{
    ActivityPublisher, ActivityRepository, ActivityScope, ActivityStore, activity_channel,
};
#[cfg(any(test, feature = "mock"))]
pub use activity::{MockActivityPublisher, MockActivityRepository};
#[cfg(any(test, feature = "mock"))]
pub use agents::MockAgentRepository;
pub use agents::{AgentRepository, AgentStore, NewAgent};
#[cfg(any(test, feature = "mock"))]
pub use attachments::MockAttachmentRepository;
pub use attachments::{AttachmentRepository, AttachmentStore, NewAttachment};
#[cfg(any(test, feature = "mock"))]
pub use audit::MockAuditRepository;
pub use audit::{Actor, AuditContext, AuditFilter, AuditRepository, AuditStore, NewAuditLog};
#[cfg(any(test, feature = "mock"))]
pub use comments::MockCommentRepository;
pub use comments::{CommentAuthor, CommentRepository, CommentStore, NewComment};
#[cfg(any(test, feature = "mock"))]
pub use evidence::MockEvidenceRepository;
pub use evidence::{EvidenceFilter, EvidenceLink, EvidenceRepository, EvidenceStore, NewEvidence};
#[cfg(any(test, feature = "mock"))]
pub use executions::MockExecutionRepository;
pub use executions::{
    ExecutionRepository, ExecutionStore, Finish, NewExecution, RollupBy, UsageRollup,
};
#[cfg(any(test, feature = "mock"))]
pub use projects::MockProjectRepository;
pub use projects::{NewProject, ProjectRepository, ProjectStore};
pub use seed::{SeedReport, load_dev_data};
#[cfg(any(test, feature = "mock"))]
pub use tasks::MockTaskRepository;
pub use tasks::{NewTask, TaskFilter, TaskOrder, TaskRepository, TaskStore};
#[cfg(any(test, feature = "mock"))]
pub use users::MockUserRepository;
pub use users::{NewUser, ProfileUpdate, UserRepository, UserStore};

/// The platform tables, parents first (the order a dump or a copy reads them in).
pub const PLATFORM_TABLES: &[&str] = &[
    "users",
    "projects",
    "agents",
    "tasks",
    "evidence",
    "agent_executions",
    "audit_logs",
    "task_comments",
    "task_attachments",
    "activity_feed",
];

/// Declare a platform store: `pub struct XxxStore<C>` over a connection or a caller's
/// transaction, with an optional [`ActivityPublisher`] (only on a pool handle: a store inside a
/// caller's transaction cannot know when that transaction commits, so it never publishes).
macro_rules! platform_store {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        ///
        /// `C` is a pool handle (`DatabaseConnection`) or, to join a unit of work, a transaction.
        #[derive(Clone)]
        $vis struct $name<C> {
            db: C,
            publisher: Option<std::sync::Arc<dyn $crate::platform::ActivityPublisher>>,
        }

        impl<C> $name<C> {
            /// A store over `db`, publishing nothing.
            pub const fn new(db: C) -> Self {
                Self { db, publisher: None }
            }

            /// The connection or transaction the store runs on.
            pub const fn connection(&self) -> &C {
                &self.db
            }
        }

        impl $name<sea_orm::DatabaseConnection> {
            /// The same store, handing every activity-feed entry it writes to `publisher`
            /// after the entry's transaction commits.
            #[must_use]
            pub fn with_publisher(
                mut self,
                publisher: std::sync::Arc<dyn $crate::platform::ActivityPublisher>,
            ) -> Self {
                self.publisher = Some(publisher);
                self
            }
        }

        impl<C: std::fmt::Debug> std::fmt::Debug for $name<C> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("db", &self.db)
                    .field("publishes", &self.publisher.is_some())
                    .finish()
            }
        }
    };
}
pub(crate) use platform_store;
