//! Every entity of the platform system under its type name.

pub use super::activity_feed::Entity as ActivityFeed;
pub use super::agent_executions::Entity as AgentExecutions;
pub use super::agents::Entity as Agents;
pub use super::audit_logs::Entity as AuditLogs;
pub use super::evidence::Entity as Evidence;
pub use super::projects::Entity as Projects;
pub use super::task_attachments::Entity as TaskAttachments;
pub use super::task_comments::Entity as TaskComments;
pub use super::tasks::Entity as Tasks;
pub use super::users::Entity as Users;
