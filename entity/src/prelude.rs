//! Every entity of every system, by system.

pub use crate::assistant::prelude as assistant;
pub use crate::chat::prelude as chat;
pub use crate::docsync::prelude as docsync;
pub use crate::knowledge::prelude as knowledge;
pub use crate::platform::prelude as platform;
pub use crate::types::DbUuid;
pub use crate::vector::prelude as vector;
