//! Value sets constrained by CHECKs in the docsync schema (seed 002): the seed's SQLAlchemy
//! `Enum(...)` columns, stored as the seed spells each value.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `document_references.type`: what kind of document a reference points at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DocumentType {
    /// A source code file.
    #[sea_orm(string_value = "Code")]
    Code,
    /// A Markdown document.
    #[sea_orm(string_value = "Markdown")]
    Markdown,
    /// A source file's documentation header (its header sections).
    #[sea_orm(string_value = "Header")]
    Header,
    /// A configuration file.
    #[sea_orm(string_value = "Config")]
    Config,
}

/// `inconsistency_records.severity`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Severity {
    /// Must be resolved: documentation and code contradict each other.
    #[sea_orm(string_value = "Critical")]
    Critical,
    /// Should be resolved soon.
    #[sea_orm(string_value = "Major")]
    Major,
    /// Cosmetic or low impact.
    #[sea_orm(string_value = "Minor")]
    Minor,
}

/// `inconsistency_records.type`: between what the inconsistency was found.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InconsistencyType {
    /// Two documents disagree.
    #[sea_orm(string_value = "DocToDoc")]
    DocToDoc,
    /// A document and the code disagree.
    #[sea_orm(string_value = "DocToCode")]
    DocToCode,
    /// The code violates a documented design decision.
    #[sea_orm(string_value = "DesignDecisionViolation")]
    DesignDecisionViolation,
}

/// `inconsistency_records.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InconsistencyStatus {
    /// Detected, not yet part of a recommendation.
    #[sea_orm(string_value = "Pending")]
    Pending,
    /// Covered by an active recommendation.
    #[sea_orm(string_value = "InRecommendation")]
    InRecommendation,
    /// Resolved.
    #[sea_orm(string_value = "Resolved")]
    Resolved,
}

/// `recommendations.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RecommendationStatus {
    /// Awaiting the developer's decision.
    #[sea_orm(string_value = "Active")]
    Active,
    /// The developer accepted it.
    #[sea_orm(string_value = "Accepted")]
    Accepted,
    /// The developer rejected it.
    #[sea_orm(string_value = "Rejected")]
    Rejected,
    /// The developer accepted it with amendments.
    #[sea_orm(string_value = "Amended")]
    Amended,
    /// Made obsolete by later changes to the codebase.
    #[sea_orm(string_value = "Invalidated")]
    Invalidated,
}

/// `developer_decisions.decision`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Decision {
    /// Apply the recommendation as suggested.
    #[sea_orm(string_value = "Accept")]
    Accept,
    /// Do not apply it.
    #[sea_orm(string_value = "Reject")]
    Reject,
    /// Apply it with the developer's amendments (see `comments`).
    #[sea_orm(string_value = "Amend")]
    Amend,
}
