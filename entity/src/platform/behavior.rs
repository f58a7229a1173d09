//! Hand-written behaviour of the platform entities (kept out of the generated-style files).

use super::{
    activity_feed, agent_executions, agents, audit_logs, evidence, projects, task_attachments,
    task_comments, tasks, users,
};

crate::timestamped!(created_updated:
    users::ActiveModel => created_at, updated_at;
    projects::ActiveModel => created_at, updated_at;
    agents::ActiveModel => created_at, updated_at;
    tasks::ActiveModel => created_at, updated_at;
    evidence::ActiveModel => created_at, updated_at;
    task_comments::ActiveModel => created_at, updated_at;
);

crate::timestamped!(created:
    agent_executions::ActiveModel => created_at,
    audit_logs::ActiveModel => created_at,
    task_attachments::ActiveModel => created_at,
    activity_feed::ActiveModel => created_at,
);
