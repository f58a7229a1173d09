//! `[vector]`: where vector collections live.

use std::fmt;

use serde::Deserialize;

use super::ConfigError;

/// The default dimension of the collections `dal init` creates (all-MiniLM-L6-v2, the
/// sentence-transformers model Chroma embeds with by default).
pub const DEFAULT_VECTOR_DIMENSION: u32 = 384;

/// The largest dimension accepted for the collections `dal init` creates.
pub const MAX_VECTOR_DIMENSION: u32 = 65_536;

/// Chroma's default tenant.
pub const DEFAULT_CHROMA_TENANT: &str = "default_tenant";

/// Chroma's default database.
pub const DEFAULT_CHROMA_DATABASE: &str = "default_database";

/// Where vector collections live.
#[derive(Clone, PartialEq, Eq)]
pub enum VectorBackend {
    /// In the project's own database (`repository::vector::EmbeddedVectorStore`).
    Embedded,
    /// On a Chroma server.
    Chroma {
        /// The server's URL (`http://…` or `https://…`).
        url: String,
        /// The Chroma tenant.
        tenant: String,
        /// The Chroma database within the tenant.
        database: String,
    },
}

impl fmt::Debug for VectorBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Embedded => f.write_str("Embedded"),
            Self::Chroma {
                url,
                tenant,
                database,
            } => f
                .debug_struct("Chroma")
                .field("url", &repository::redact_url(url))
                .field("tenant", tenant)
                .field("database", database)
                .finish(),
        }
    }
}

/// The resolved `[vector]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorConfig {
    /// Where the collections live.
    pub backend: VectorBackend,
    /// Components per embedding of the collections `dal init` creates.
    pub dimension: u32,
}

impl Default for VectorConfig {
    fn default() -> Self {
        Self {
            backend: VectorBackend::Embedded,
            dimension: DEFAULT_VECTOR_DIMENSION,
        }
    }
}

/// `[vector]` of the config file (and `CHROMA_URL`, `CHROMA_TENANT`, `CHROMA_DATABASE`,
/// `DAL_VECTOR_DIMENSION`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorSection {
    /// The Chroma server; unset, empty or `embedded` for the embedded store.
    pub url: Option<String>,
    /// The Chroma tenant (default `default_tenant`).
    pub tenant: Option<String>,
    /// The Chroma database (default `default_database`).
    pub database: Option<String>,
    /// Components per embedding of the collections `dal init` creates (default 384).
    pub dimension: Option<u32>,
}

/// The vector backend `text` names: `None` for the embedded store (`embedded` or empty), else a
/// Chroma URL, which must be `http` or `https`.
pub(crate) fn chroma_url_of(text: &str, name: &str) -> Result<Option<String>, ConfigError> {
    let text = text.trim();
    if text.is_empty() || text == "embedded" {
        return Ok(None);
    }
    let parsed = url::Url::parse(text).map_err(|e| {
        ConfigError::new(
            name,
            format!("not a URL ({e}): {}", repository::redact_url(text)),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ConfigError::new(
            name,
            format!(
                "expected http://host:port or https://…, or `embedded`, got {}",
                repository::redact_url(text)
            ),
        ));
    }
    Ok(Some(text.to_owned()))
}
