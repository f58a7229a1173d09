//! Value sets constrained by CHECKs in the chat schema (seed 001).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `conversation.feedback` (CHECK `check_valid_feedback`): stored as the integer the seed uses,
/// and (de)serialized as that same integer (`-1` / `1`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "i32", db_type = "Integer")]
#[serde(into = "i32", try_from = "i32")]
pub enum Feedback {
    /// Thumbs down (`-1`).
    #[sea_orm(num_value = -1)]
    ThumbsDown,
    /// Thumbs up (`1`).
    #[sea_orm(num_value = 1)]
    ThumbsUp,
}

impl From<Feedback> for i32 {
    fn from(value: Feedback) -> Self {
        value.to_value()
    }
}

impl TryFrom<i32> for Feedback {
    type Error = DbErr;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        Self::try_from_value(&value)
    }
}

/// `document_chunk.doc_type` (CHECK `check_valid_doc_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    /// React documentation.
    #[sea_orm(string_value = "react")]
    React,
    /// Python documentation.
    #[sea_orm(string_value = "python")]
    Python,
    /// FastAPI documentation.
    #[sea_orm(string_value = "fastapi")]
    Fastapi,
}
