//! The knowledge repositories (seed 000): every method on SQLite and PostgreSQL.

mod content;
mod feedback;
mod mappings;
mod search_cache;
mod sources;
mod system_config;

use repository::knowledge::NewContent;
use repository::{ContentHash, HttpUrl};

/// A valid URL for a test input.
pub fn url(text: &str) -> HttpUrl {
    text.parse().expect("a valid URL")
}

/// A valid document `i` (hash = hex of i, padded), like the benchmark's rows.
pub fn doc(i: u32, technology: &str, quality: f64) -> NewContent {
    let hash: ContentHash = format!("{i:064x}").parse().expect("a valid hash");
    NewContent::new(
        format!("c{i:08}"),
        format!("Document {i}"),
        url(&format!("https://docs.example.org/{technology}/page/{i}")),
        technology,
        hash,
    )
    .with_counts(100 + i32::try_from(i % 5000).unwrap_or(0), 3, 1, 2)
    .with_quality_score(quality)
}
