//! Value sets constrained by CHECKs in the platform schema (seed 004).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `users.role`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Full control of the platform.
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Manages projects and their members.
    #[sea_orm(string_value = "manager")]
    Manager,
    /// A regular human user.
    #[sea_orm(string_value = "user")]
    User,
    /// A service account (automation, integrations).
    #[sea_orm(string_value = "service")]
    Service,
}

/// `projects.status` (designed: the seed names the column but not its values).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// Being worked on.
    #[sea_orm(string_value = "active")]
    Active,
    /// Temporarily on hold; agents do not pick up its tasks.
    #[sea_orm(string_value = "paused")]
    Paused,
    /// Read-only, kept for history.
    #[sea_orm(string_value = "archived")]
    Archived,
}

/// `tasks.type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum TaskType {
    /// Something is broken.
    #[sea_orm(string_value = "bug")]
    Bug,
    /// New functionality.
    #[sea_orm(string_value = "feature")]
    Feature,
    /// Restructuring without a change of behaviour.
    #[sea_orm(string_value = "refactor")]
    Refactor,
    /// Tests to write or fix.
    #[sea_orm(string_value = "test")]
    Test,
    /// Documentation to write or fix.
    #[sea_orm(string_value = "documentation")]
    Documentation,
    /// A generic task.
    #[sea_orm(string_value = "task")]
    Task,
    /// Maintenance (dependencies, tooling).
    #[sea_orm(string_value = "chore")]
    Chore,
}

/// `tasks.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Ready to be worked on.
    #[sea_orm(string_value = "open")]
    Open,
    /// Being worked on.
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    /// Waiting for review (an open pull request).
    #[sea_orm(string_value = "in_review")]
    InReview,
    /// Cannot progress until something else is done.
    #[sea_orm(string_value = "blocked")]
    Blocked,
    /// Done or abandoned.
    #[sea_orm(string_value = "closed")]
    Closed,
    /// Not yet ready to be worked on.
    #[sea_orm(string_value = "draft")]
    Draft,
}

/// `tasks.priority`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum TaskPriority {
    /// Drop everything else.
    #[sea_orm(string_value = "critical")]
    Critical,
    /// Next in line.
    #[sea_orm(string_value = "high")]
    High,
    /// The default.
    #[sea_orm(string_value = "medium")]
    Medium,
    /// When there is time.
    #[sea_orm(string_value = "low")]
    Low,
}

/// `agent_executions.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    /// Queued, not started.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Started, not finished.
    #[sea_orm(string_value = "running")]
    Running,
    /// Finished with a result.
    #[sea_orm(string_value = "success")]
    Success,
    /// Finished with an error.
    #[sea_orm(string_value = "failure")]
    Failure,
    /// Stopped for taking too long.
    #[sea_orm(string_value = "timeout")]
    Timeout,
}

/// `evidence.source_type` (designed from the seed's "code analysis, test result, AI output,
/// etc.").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSourceType {
    /// Static or structural analysis of code (linters, complexity, dependency graphs).
    #[sea_orm(string_value = "code_analysis")]
    CodeAnalysis,
    /// The outcome of a test run (unit, integration, coverage).
    #[sea_orm(string_value = "test_result")]
    TestResult,
    /// Output of an AI model or agent.
    #[sea_orm(string_value = "ai_output")]
    AiOutput,
    /// A human review or attestation.
    #[sea_orm(string_value = "human_review")]
    HumanReview,
    /// Documentation, specifications, design records.
    #[sea_orm(string_value = "documentation")]
    Documentation,
    /// A security scan (SAST, dependency audit, secrets scan).
    #[sea_orm(string_value = "security_scan")]
    SecurityScan,
    /// Runtime or delivery metrics (performance, error rates, CI timings).
    #[sea_orm(string_value = "metrics")]
    Metrics,
    /// Any other external source (third-party API, issue tracker, web page).
    #[sea_orm(string_value = "external")]
    External,
}
