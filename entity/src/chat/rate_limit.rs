//! `rate_limit`: per-IP request counter and its window reset time, for abuse prevention
//! (seed 001).

use crate::DbDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `rate_limit`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rate_limit")]
pub struct Model {
    /// `SERIAL`: assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// IPv4 or IPv6 address (45 characters fit any textual IPv6 form).
    #[sea_orm(column_type = "String(StringLen::N(45))", unique)]
    pub ip_address: String,
    /// Requests counted in the current window (defaults to 0).
    pub request_count: Option<i32>,
    pub last_request: Option<DbDateTime>,
    /// When the current window ends and the counter resets.
    pub reset_time: Option<DbDateTime>,
}
