//! The platform system (seed 004, `packages/db` of an AI-first software engineering platform):
//! users, projects, agents, tasks, evidence, agent executions, immutable audit logs, task
//! comments, task attachments and the activity feed.

pub mod activity_feed;
pub mod agent_executions;
pub mod agents;
pub mod audit_logs;
pub mod behavior;
pub mod evidence;
pub mod prelude;
pub mod projects;
pub mod sea_orm_active_enums;
pub mod task_attachments;
pub mod task_comments;
pub mod tasks;
pub mod users;
