//! The values a [`super::VectorStore`] takes and returns.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

crate::types::validated_text!(
    /// A collection name under Chroma's rules (so a name valid for one backend is valid for
    /// both): 3 to 512 characters of `[a-zA-Z0-9._-]`, starting and ending with a letter or
    /// digit, no `..`, and not an IPv4 address.
    CollectionName,
    field = "collection",
    check = check_collection_name
);

impl CollectionName {
    /// The longest name accepted.
    pub const MAX_LEN: usize = 512;

    /// Parse and validate a name.
    ///
    /// # Errors
    /// [`Error::Validation`] on field `collection` naming the rule broken.
    pub fn parse(name: &str) -> Result<Self> {
        Self::parse_field(Self::FIELD, name)
    }
}

fn check_collection_name(field: &str, name: &str) -> Result<()> {
    let rule = |rule: &str| Err(Error::validation(field, rule, name));
    let len = name.chars().count();
    if !(3..=CollectionName::MAX_LEN).contains(&len) {
        return rule("must be 3 to 512 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return rule("may contain only letters, digits, '.', '_' and '-'");
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return rule("must start and end with a letter or digit");
    }
    if name.contains("..") {
        return rule("must not contain two consecutive periods");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return rule("must not be an IPv4 address");
    }
    Ok(())
}

/// How a collection measures distance (Chroma's `hnsw:space`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distance {
    /// `1 - cos(a, b)`: 0 for the same direction, 2 for opposite ones.
    #[default]
    Cosine,
    /// The squared Euclidean distance `Σ (aᵢ - bᵢ)²`.
    L2,
    /// `1 - a·b` (for normalised embeddings, the same order as cosine).
    #[serde(rename = "ip")]
    InnerProduct,
}

impl Distance {
    /// Chroma's name: `cosine`, `l2` or `ip`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cosine => "cosine",
            Self::L2 => "l2",
            Self::InnerProduct => "ip",
        }
    }

    /// The distance between `a` and `b` (of equal length) under this metric, in `f64`.
    #[must_use]
    pub fn between(self, a: &[f32], b: &[f32]) -> f64 {
        let dot = || -> f64 {
            a.iter()
                .zip(b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum()
        };
        match self {
            Self::L2 => a
                .iter()
                .zip(b)
                .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
                .sum(),
            Self::InnerProduct => 1.0 - dot(),
            Self::Cosine => {
                let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
                let denominator = norm(a) * norm(b);
                if denominator == 0.0 {
                    1.0
                } else {
                    1.0 - dot() / denominator
                }
            }
        }
    }
}

impl fmt::Display for Distance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Distance {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cosine" => Ok(Self::Cosine),
            "l2" => Ok(Self::L2),
            "ip" => Ok(Self::InnerProduct),
            other => Err(Error::validation(
                "distance",
                "must be one of cosine, l2, ip",
                other,
            )),
        }
    }
}

crate::types::validated_text!(
    /// A record id: non-empty text of at most [`RecordId::MAX_LEN`] bytes.
    RecordId,
    field = "id",
    check = check_record_id
);

impl RecordId {
    /// The longest id accepted, in bytes.
    pub const MAX_LEN: usize = 512;

    /// Parse and validate an id.
    ///
    /// # Errors
    /// [`Error::Validation`] on field `id` for an empty or over-long id.
    pub fn parse(id: &str) -> Result<Self> {
        Self::parse_field(Self::FIELD, id)
    }
}

fn check_record_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::validation(field, "must not be empty", id));
    }
    if id.len() > RecordId::MAX_LEN {
        return Err(Error::validation(
            field,
            "must be at most 512 bytes",
            format!("{} bytes", id.len()),
        ));
    }
    Ok(())
}

/// An embedding: one `f32` per dimension.
pub type Embedding = Vec<f32>;

/// Check that `embedding` has `dimension` components, all finite.
///
/// # Errors
/// [`Error::Validation`] on `field`.
pub fn validate_embedding(field: &str, embedding: &[f32], dimension: u32) -> Result<()> {
    if embedding.len() != dimension as usize {
        return Err(Error::validation(
            field,
            format!("must have {dimension} components"),
            embedding.len(),
        ));
    }
    if let Some((i, x)) = embedding.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(Error::validation(
            field,
            "components must be finite numbers",
            format!("component {i} is {x}"),
        ));
    }
    Ok(())
}

/// A metadata value: what Chroma stores, a string, an integer, a float or a boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetadataValue {
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A string.
    Str(String),
}

impl From<&str> for MetadataValue {
    fn from(value: &str) -> Self {
        Self::Str(value.to_owned())
    }
}

impl From<String> for MetadataValue {
    fn from(value: String) -> Self {
        Self::Str(value)
    }
}

impl From<i64> for MetadataValue {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for MetadataValue {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<bool> for MetadataValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// Metadata of a record or a collection: keys to scalar values, in key order.
pub type Metadata = BTreeMap<String, MetadataValue>;

/// Check that every key is non-empty and every float finite.
///
/// # Errors
/// [`Error::Validation`] on `field`.
pub fn validate_metadata(field: &str, metadata: &Metadata) -> Result<()> {
    for (key, value) in metadata {
        if key.is_empty() {
            return Err(Error::validation(field, "keys must not be empty", "\"\""));
        }
        if let MetadataValue::Float(x) = value
            && !x.is_finite()
        {
            return Err(Error::validation(
                format!("{field}.{key}"),
                "must be a finite number",
                x,
            ));
        }
    }
    Ok(())
}

/// A collection to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCollection {
    /// Its name.
    pub name: CollectionName,
    /// Components per embedding, fixed for the collection's life (at least 1).
    pub dimension: u32,
    /// How distance is measured.
    pub distance: Distance,
    /// Free metadata of the collection.
    pub metadata: Metadata,
}

impl NewCollection {
    /// A collection of `dimension`-component embeddings under `distance`, with no metadata.
    #[must_use]
    pub fn new(name: CollectionName, dimension: u32, distance: Distance) -> Self {
        Self {
            name,
            dimension,
            distance,
            metadata: Metadata::new(),
        }
    }

    /// Check the dimension and metadata (the name is valid by construction).
    ///
    /// # Errors
    /// [`Error::Validation`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.dimension == 0 {
            return Err(Error::validation("dimension", "must be at least 1", 0));
        }
        validate_metadata("metadata", &self.metadata)
    }
}

/// A collection as the store holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// Its name.
    pub name: CollectionName,
    /// Components per embedding.
    pub dimension: u32,
    /// How distance is measured.
    pub distance: Distance,
    /// Free metadata of the collection.
    pub metadata: Metadata,
    /// Records it holds.
    pub count: u64,
}

/// A record to upsert.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorRecord {
    /// Its id, unique within the collection.
    pub id: RecordId,
    /// Its embedding.
    pub embedding: Embedding,
    /// The text it was made from, if kept.
    pub document: Option<String>,
    /// Its metadata (what filters match).
    pub metadata: Metadata,
}

impl VectorRecord {
    /// A record with no document and no metadata.
    #[must_use]
    pub fn new(id: RecordId, embedding: Embedding) -> Self {
        Self {
            id,
            embedding,
            document: None,
            metadata: Metadata::new(),
        }
    }

    /// With its document text.
    #[must_use]
    pub fn document(mut self, document: impl Into<String>) -> Self {
        self.document = Some(document.into());
        self
    }

    /// With one more metadata entry.
    #[must_use]
    pub fn meta(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Check the embedding against `dimension`, and the metadata.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the field, prefixed with the record's position.
    pub fn validate(&self, index: usize, dimension: u32) -> Result<()> {
        validate_embedding(
            &format!("records[{index}].embedding"),
            &self.embedding,
            dimension,
        )?;
        validate_metadata(&format!("records[{index}].metadata"), &self.metadata)
    }
}

/// A record as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// Its id.
    pub id: RecordId,
    /// Its embedding.
    pub embedding: Embedding,
    /// Its document text, if kept.
    pub document: Option<String>,
    /// Its metadata.
    pub metadata: Metadata,
}

/// One neighbour found by a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryMatch {
    /// The record's id.
    pub id: RecordId,
    /// Its distance from the query embedding under the collection's metric.
    pub distance: f64,
    /// Its document text, if kept.
    pub document: Option<String>,
    /// Its metadata.
    pub metadata: Metadata,
}

/// What [`super::VectorStore::health`] reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorHealth {
    /// `embedded` or `chroma`.
    pub backend: String,
    /// Where it lives (a redacted URL for Chroma, the database for the embedded store).
    pub target: String,
    /// Whether it answered.
    pub reachable: bool,
    /// The round trip of the check, when it answered.
    pub round_trip_ms: Option<f64>,
    /// Every collection with its record count (empty when unreachable).
    pub collections: Vec<(CollectionName, u64)>,
    /// Why it did not answer, when it did not (no secrets).
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_names_follow_chromas_rules() {
        for ok in [
            "abc",
            "employee_documents",
            "a.b-c_d",
            "x9y",
            &"a".repeat(512),
        ] {
            assert!(CollectionName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "_abc",
            "abc-",
            "a..b",
            "a b",
            "10.0.0.1",
            "ünï",
            &"a".repeat(513),
        ] {
            assert!(
                matches!(CollectionName::parse(bad), Err(Error::Validation { ref field, .. }) if field == "collection"),
                "{bad}"
            );
        }
    }

    #[test]
    fn distances_match_chromas_definitions() {
        let (a, b) = ([1.0_f32, 0.0], [0.0_f32, 2.0]);
        assert!((Distance::L2.between(&a, &b) - 5.0).abs() < 1e-12);
        assert!((Distance::Cosine.between(&a, &b) - 1.0).abs() < 1e-12);
        assert!((Distance::InnerProduct.between(&a, &a) - 0.0).abs() < 1e-12);
        assert_eq!("ip".parse::<Distance>().ok(), Some(Distance::InnerProduct));
        assert!("dot".parse::<Distance>().is_err());
    }

    #[test]
    fn embeddings_are_checked_for_dimension_and_finiteness() {
        assert!(validate_embedding("e", &[0.0, 1.0], 2).is_ok());
        assert!(validate_embedding("e", &[0.0], 2).is_err());
        assert!(validate_embedding("e", &[0.0, f32::NAN], 2).is_err());
        assert!(validate_embedding("e", &[f32::INFINITY, 0.0], 2).is_err());
    }
}
