//! Value sets constrained by CHECKs in the vector tables.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `vector_collections.distance` (CHECK `ck_vector_collections_distance`): Chroma's names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum VectorDistance {
    /// `1 - cos(a, b)`.
    #[sea_orm(string_value = "cosine")]
    #[serde(rename = "cosine")]
    Cosine,
    /// The squared Euclidean distance.
    #[sea_orm(string_value = "l2")]
    #[serde(rename = "l2")]
    L2,
    /// `1 - a·b`.
    #[sea_orm(string_value = "ip")]
    #[serde(rename = "ip")]
    InnerProduct,
}
