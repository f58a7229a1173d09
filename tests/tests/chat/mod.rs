//! The chat repositories (seed 001): every method on SQLite and PostgreSQL.

mod chunks;
mod content_hash;
mod conversations;
mod embeddings;
mod rate_limits;
mod stats;

use repository::HttpUrl;

/// A valid URL for a test input.
pub fn url(text: &str) -> HttpUrl {
    text.parse().expect("a valid URL")
}
