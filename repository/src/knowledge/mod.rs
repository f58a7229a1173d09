//! Repositories of the knowledge system (seed 000, PRD-002).

pub mod content;

#[cfg(any(test, feature = "mock"))]
pub use content::MockContentRepository;
pub use content::{ContentFilter, ContentOrder, ContentRepository, ContentStore, NewContent};
