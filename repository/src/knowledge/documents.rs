//! The canonical models of seed 000 (`DocumentMetadata`, `DocumentChunk`, `ProcessedDocument`),
//! shared by every component that produces or consumes processed documents.
//!
//! Each carries a semantic `model_version`. This build writes [`MODEL_VERSION`] and reads any
//! `1.x.y`; a document of another major version is refused with a [`Error::Validation`] that names
//! the version, rather than misread.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::{ContentHash, HttpUrl};
use crate::validate;

/// The current time at the stored precision, as the canonical models carry it.
fn now_utc() -> DateTime<Utc> {
    entity::behavior::now().into_inner()
}

/// The model version this build writes.
pub const MODEL_VERSION: &str = "1.0.0";

/// The major version this build reads.
pub const SUPPORTED_MAJOR: u64 = 1;

fn default_version() -> String {
    MODEL_VERSION.to_owned()
}

/// Check that `version` is `MAJOR.MINOR.PATCH` with a major this build reads.
///
/// # Errors
/// [`Error::Validation`] on field `model_version`.
pub fn check_model_version(version: &str) -> Result<()> {
    check_version("model_version", version)
}

/// [`check_model_version`] naming `field`.
fn check_version(field: &str, version: &str) -> Result<()> {
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !numeric {
        return Err(Error::validation(
            field,
            "must be MAJOR.MINOR.PATCH",
            format!("{version:?}"),
        ));
    }
    match parts[0].parse::<u64>() {
        Ok(SUPPORTED_MAJOR) => Ok(()),
        _ => Err(Error::validation(
            field,
            format!(
                "major version must be {SUPPORTED_MAJOR} (this build reads {SUPPORTED_MAJOR}.x.y)"
            ),
            format!("{version:?}"),
        )),
    }
}

/// Counts and digest of a document's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentMetadata {
    /// Model version for compatibility.
    #[serde(default = "default_version")]
    pub model_version: String,
    /// Words in the content.
    pub word_count: i32,
    /// Markdown headings in the content.
    pub heading_count: i32,
    /// Fenced code blocks in the content.
    pub code_block_count: i32,
    /// SHA-256 of the content.
    pub content_hash: ContentHash,
    /// When the metadata was made.
    #[serde(default = "now_utc")]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl DocumentMetadata {
    /// Derive the counts and the digest from Markdown `content`.
    #[must_use]
    pub fn from_content(content: &str) -> Self {
        let mut headings = 0;
        let mut fences = 0;
        let mut in_code = false;
        for line in content.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                if !in_code {
                    fences += 1;
                }
                in_code = !in_code;
            } else if !in_code && trimmed.starts_with('#') {
                let level = trimmed.bytes().take_while(|b| *b == b'#').count();
                if level <= 6 && trimmed[level..].starts_with([' ', '\t']) {
                    headings += 1;
                }
            }
        }
        Self {
            model_version: default_version(),
            word_count: saturate(content.split_whitespace().count()),
            heading_count: headings,
            code_block_count: fences,
            content_hash: ContentHash::digest(content),
            created_at: now_utc(),
            updated_at: None,
        }
    }
}

fn saturate(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// One chunk of a processed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentChunk {
    /// Model version for compatibility.
    #[serde(default = "default_version")]
    pub model_version: String,
    /// Unique chunk identifier.
    pub id: String,
    /// Parent document id.
    pub parent_document_id: String,
    /// Chunk content.
    pub content: String,
    /// 0-based index within the document.
    pub chunk_index: i32,
    /// Total chunks in the document.
    pub total_chunks: i32,
    /// When the chunk was made.
    #[serde(default = "now_utc")]
    pub created_at: DateTime<Utc>,
}

/// A document after the content pipeline: content, metadata, quality and chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessedDocument {
    /// Model version for compatibility.
    #[serde(default = "default_version")]
    pub model_version: String,
    /// Unique document identifier (the catalog's `content_id`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Complete content.
    pub full_content: String,
    /// Original source URL.
    pub source_url: HttpUrl,
    /// Technology stack.
    pub technology: String,
    /// Counts and digest.
    pub metadata: DocumentMetadata,
    /// Content quality, 0.0 to 1.0.
    pub quality_score: f64,
    /// The chunks, in order.
    pub chunks: Vec<DocumentChunk>,
    /// When it was made.
    #[serde(default = "now_utc")]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl ProcessedDocument {
    /// A document of the current version, its metadata derived from `full_content` and its chunks
    /// from `chunk_texts` (ids `<id>#<index>`).
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        full_content: impl Into<String>,
        source_url: HttpUrl,
        technology: impl Into<String>,
        quality_score: f64,
        chunk_texts: &[&str],
    ) -> Self {
        let id = id.into();
        let full_content = full_content.into();
        let total = saturate(chunk_texts.len());
        let now = now_utc();
        let chunks = chunk_texts
            .iter()
            .enumerate()
            .map(|(i, text)| DocumentChunk {
                model_version: default_version(),
                id: format!("{id}#{i}"),
                parent_document_id: id.clone(),
                content: (*text).to_owned(),
                chunk_index: saturate(i),
                total_chunks: total,
                created_at: now,
            })
            .collect();
        Self {
            model_version: default_version(),
            metadata: DocumentMetadata::from_content(&full_content),
            id,
            title: title.into(),
            full_content,
            source_url,
            technology: technology.into(),
            quality_score,
            chunks,
            created_at: now,
            updated_at: None,
        }
    }

    /// Check versions (of the document, its metadata and every chunk), fields and chunk order
    /// (the URL and the hash are valid by type).
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        check_model_version(&self.model_version)?;
        check_version("metadata.model_version", &self.metadata.model_version)?;
        validate::text("id", &self.id, validate::MAX_KEY_LEN)?;
        validate::text("title", &self.title, 1000)?;
        validate::text("technology", &self.technology, 100)?;
        validate::range_f64("quality_score", self.quality_score, 0.0, 1.0)?;
        validate::non_negative("metadata.word_count", self.metadata.word_count.into())?;
        validate::non_negative("metadata.heading_count", self.metadata.heading_count.into())?;
        validate::non_negative(
            "metadata.code_block_count",
            self.metadata.code_block_count.into(),
        )?;
        let total = saturate(self.chunks.len());
        for (i, chunk) in self.chunks.iter().enumerate() {
            check_version("chunks.model_version", &chunk.model_version)?;
            if chunk.parent_document_id != self.id {
                return Err(Error::validation(
                    "chunks.parent_document_id",
                    "must equal the document id",
                    &chunk.parent_document_id,
                ));
            }
            if chunk.chunk_index != saturate(i) {
                return Err(Error::validation(
                    "chunks.chunk_index",
                    format!("must be {i} (0-based, in order)"),
                    chunk.chunk_index,
                ));
            }
            if chunk.total_chunks != total {
                return Err(Error::validation(
                    "chunks.total_chunks",
                    format!("must be {total}"),
                    chunk.total_chunks,
                ));
            }
        }
        Ok(())
    }

    /// Read a document from JSON, refusing an incompatible `model_version`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a wrong version or shape.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        // Look at the version before the shape: a 2.x document may not parse as 1.x at all.
        let raw: serde_json::Value = serde_json::from_slice(json)
            .map_err(|e| Error::validation("document", "must be JSON", e))?;
        if let Some(version) = raw.get("model_version").and_then(serde_json::Value::as_str) {
            check_model_version(version)?;
        }
        let doc: Self = serde_json::from_value(raw)
            .map_err(|e| Error::validation("document", "must match ProcessedDocument 1.x", e))?;
        doc.validate()?;
        Ok(doc)
    }

    /// The document as JSON.
    ///
    /// # Errors
    /// Never in practice (every field serialises); kept fallible for the signature's sake.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self)
            .map_err(|e| Error::validation("document", "must serialise to JSON", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ProcessedDocument {
        ProcessedDocument::new(
            "doc-1",
            "Ownership",
            "# Ownership\n\nRust has *ownership*.\n\n```rust\nlet s = String::new();\n# not a heading\n```\n\n## Borrowing\ntext",
            "https://doc.rust-lang.org/book/ch04-01.html"
                .parse()
                .expect("url"),
            "rust",
            0.8,
            &["# Ownership ...", "## Borrowing ..."],
        )
    }

    #[test]
    fn metadata_is_derived_from_the_content() {
        let doc = sample();
        assert_eq!(
            doc.metadata.heading_count, 2,
            "the # inside the code block is not a heading"
        );
        assert_eq!(doc.metadata.code_block_count, 1);
        assert_eq!(doc.metadata.word_count, 18, "whitespace-separated tokens");
        assert_eq!(doc.metadata.content_hash.as_str().len(), 64);
        assert_eq!(doc.chunks.len(), 2);
        doc.validate().expect("valid");
    }

    #[test]
    fn json_round_trip_and_version_gate() {
        let doc = sample();
        let json = doc.to_json().expect("json");
        assert_eq!(ProcessedDocument::from_json(&json).expect("read"), doc);

        let mut v: serde_json::Value = serde_json::from_slice(&json).expect("value");
        v["model_version"] = "1.4.2".into();
        ProcessedDocument::from_json(&serde_json::to_vec(&v).expect("json"))
            .expect("1.x is readable");
        v["model_version"] = "2.0.0".into();
        v["title"] = serde_json::Value::Null; // a 2.x shape need not even parse as 1.x
        let err = ProcessedDocument::from_json(&serde_json::to_vec(&v).expect("json"))
            .expect_err("2.x is refused");
        assert!(
            err.to_string().contains("model_version") && err.to_string().contains("2.0.0"),
            "{err}"
        );

        let mut bad_chunk = doc.clone();
        bad_chunk.chunks[1].model_version = "3.0.0".into();
        assert!(
            matches!(bad_chunk.validate(), Err(Error::Validation { field, .. }) if field == "chunks.model_version")
        );
        let mut bad_order = doc;
        bad_order.chunks.swap(0, 1);
        assert!(
            matches!(bad_order.validate(), Err(Error::Validation { field, .. }) if field == "chunks.chunk_index")
        );
    }

    #[test]
    fn missing_versions_default_to_the_current_one() {
        let json = br#"{"id":"d","title":"t","full_content":"x","source_url":"https://x.org","technology":"go",
            "metadata":{"word_count":1,"heading_count":0,"code_block_count":0,
                "content_hash":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"},
            "quality_score":0.5,"chunks":[]}"#;
        let doc = ProcessedDocument::from_json(json).expect("defaults");
        assert_eq!(doc.model_version, MODEL_VERSION);
    }
}
