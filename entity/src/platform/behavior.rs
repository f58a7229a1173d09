//! Hand-written behaviour of the platform entities (kept out of the generated-style files).

use super::{
    activity_feed, agent_executions, agents, audit_logs, evidence, projects, task_attachments,
    task_comments, tasks, users,
};

crate::timestamped! {
    users::ActiveModel { insert: [created_at], save: [updated_at] }
    projects::ActiveModel { insert: [created_at], save: [updated_at] }
    agents::ActiveModel { insert: [created_at], save: [updated_at] }
    tasks::ActiveModel { insert: [created_at], save: [updated_at] }
    evidence::ActiveModel { insert: [created_at], save: [updated_at] }
    task_comments::ActiveModel { insert: [created_at], save: [updated_at] }
    agent_executions::ActiveModel { insert: [created_at] }
    audit_logs::ActiveModel { insert: [created_at] }
    task_attachments::ActiveModel { insert: [created_at] }
    activity_feed::ActiveModel { insert: [created_at] }
}
