//! Value sets constrained by CHECKs in the knowledge schema (seed 000).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `content_metadata.processing_status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStatus {
    /// Waiting to be processed.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Being processed.
    #[sea_orm(string_value = "processing")]
    Processing,
    /// Processed and searchable.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// Processing failed.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Flagged for review.
    #[sea_orm(string_value = "flagged")]
    Flagged,
}

/// `feedback_events.feedback_type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum FeedbackType {
    /// The result helped.
    #[sea_orm(string_value = "helpful")]
    Helpful,
    /// The result did not help.
    #[sea_orm(string_value = "not_helpful")]
    NotHelpful,
    /// The content is out of date.
    #[sea_orm(string_value = "outdated")]
    Outdated,
    /// The content is wrong.
    #[sea_orm(string_value = "incorrect")]
    Incorrect,
    /// The content is flagged for moderation.
    #[sea_orm(string_value = "flag")]
    Flag,
}

/// `usage_signals.signal_type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SignalType {
    /// A click on a result (`signal_value` = 1).
    #[sea_orm(string_value = "click")]
    Click,
    /// Time spent on a result (`signal_value` = seconds).
    #[sea_orm(string_value = "dwell_time")]
    DwellTime,
    /// Content copied.
    #[sea_orm(string_value = "copy")]
    Copy,
    /// Content shared.
    #[sea_orm(string_value = "share")]
    Share,
    /// How far the page was scrolled (`signal_value` = percentage).
    #[sea_orm(string_value = "scroll_depth")]
    ScrollDepth,
}

/// `source_metadata.source_type`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    /// A GitHub repository.
    #[sea_orm(string_value = "github")]
    Github,
    /// A web site.
    #[sea_orm(string_value = "web")]
    Web,
    /// An API.
    #[sea_orm(string_value = "api")]
    Api,
}

/// `technology_mappings.source_type` (a narrower set than [`SourceType`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum MappingSourceType {
    /// A GitHub repository.
    #[sea_orm(string_value = "github")]
    Github,
    /// A web site.
    #[sea_orm(string_value = "web")]
    Web,
}

/// `source_metadata.rate_limit_status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RateLimitStatus {
    /// Not limited.
    #[sea_orm(string_value = "normal")]
    Normal,
    /// Slowed down by the source.
    #[sea_orm(string_value = "limited")]
    Limited,
    /// No requests left until the reset time.
    #[sea_orm(string_value = "exhausted")]
    Exhausted,
}
