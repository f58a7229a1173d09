//! The knowledge repositories (seed 000): every method on SQLite and PostgreSQL.

mod content;
mod feedback;
mod mappings;
mod search_cache;
mod sources;
mod system_config;

use repository::knowledge::NewContent;

/// A valid document `i` (hash = hex of i, padded), like the benchmark's rows.
pub fn doc(i: u32, technology: &str, quality: f64) -> NewContent {
    NewContent {
        content_id: format!("c{i:08}"),
        title: format!("Document {i}"),
        source_url: format!("https://docs.example.org/{technology}/page/{i}"),
        technology: technology.to_owned(),
        content_hash: format!("{i:064x}"),
        word_count: 100 + i32::try_from(i % 5000).unwrap_or(0),
        heading_count: 3,
        code_block_count: 1,
        chunk_count: 2,
        quality_score: quality,
        freshness_score: 1.0,
        anythingllm_workspace: None,
        anythingllm_document_id: None,
        processing_status: entity::knowledge::sea_orm_active_enums::ProcessingStatus::Pending,
    }
}
