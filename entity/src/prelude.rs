//! Every entity of every system, by system.

pub use crate::knowledge::prelude as knowledge;
pub use crate::types::DbUuid;
