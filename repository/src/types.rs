//! Validated values shared by every system: parsed once, on construction, so that a value of one
//! of these types is valid wherever it goes and no repository checks it again.
//!
//! | type | holds | rule |
//! |------|-------|------|
//! | [`ContentHash`] | a content digest | SHA-256: exactly 64 lowercase hexadecimal digits |
//! | [`QueryHash`] | a digest of a normalised query | 32 to 128 lowercase hexadecimal digits, even (MD5 to SHA-512) |
//! | [`HttpUrl`] | a link to a document or a site | an absolute `http`/`https` URL with a host and no credentials, no surrounding white space |
//! | [`Md5Digest`] | an MD5 file digest (change detection) | exactly 32 lowercase hexadecimal digits |
//! | [`DocPath`] | the path of a tracked document or file | not empty, at most 4,096 characters, no NUL, no surrounding white space |
//! | [`UuidText`] | a UUID stored as text | any form the `uuid` crate reads; kept and shown hyphenated, lowercase (36 characters) |
//!
//! Each type:
//! - parses with [`FromStr`] / [`TryFrom<&str>`] / [`TryFrom<String>`], returning
//!   [`Error::Validation`] that names the type's usual field (`content_hash`, `query_hash`, `url`,
//!   `uuid`) and the rule; `parse_field` names another field (`ContentHash::parse_field("metadata.content_hash", s)`);
//! - displays, serialises and binds (`From<T> for sea_orm::Value`, also as `Option<T>`) as its
//!   text, and deserialises through the same parser, so JSON cannot smuggle in a bad value;
//! - compares equal to the `String` a model column holds (`row.content_hash == hash`).
//!
//! ```
//! use repository::types::{ContentHash, HttpUrl, QueryHash, UuidText};
//!
//! let hash = ContentHash::digest("# Ownership\n");
//! assert_eq!(hash.as_str().len(), 64);
//! let url: HttpUrl = "https://doc.rust-lang.org/book/".parse()?;
//! assert!("ftp://example.org".parse::<HttpUrl>().is_err());
//! let err = HttpUrl::parse_field("source_url", "not a url").unwrap_err();
//! assert!(err.to_string().starts_with("invalid source_url: must be an absolute http(s) URL"));
//! assert!(QueryHash::parse_field("query_hash", "ABC").is_err());
//! let id: UuidText = "67E55044-10B1-426F-9247-BB680E5FE0C8".parse()?;
//! assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
//! assert_eq!(serde_json::to_string(&url)?, r#""https://doc.rust-lang.org/book/""#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Declare a validated text type: a `String` that only `$check` lets in, with its parsers,
/// conversions, serde and SQL binding.
macro_rules! validated_text {
    ($(#[$meta:meta])* $name:ident, field = $field:literal, check = $check:path) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The field named in a [`crate::Error::Validation`] when no other is given.
            pub const FIELD: &'static str = $field;

            /// Parse `value`, naming `field` in the error.
            ///
            /// # Errors
            /// [`crate::Error::Validation`] naming `field` and the rule `value` breaks.
            pub fn parse_field(field: &str, value: impl AsRef<str> + Into<String>) -> $crate::Result<Self> {
                $check(field, value.as_ref())?;
                Ok(Self(value.into()))
            }

            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            #[must_use]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                Self::parse_field(Self::FIELD, s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::Error;
            fn try_from(s: &str) -> $crate::Result<Self> {
                Self::parse_field(Self::FIELD, s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::Error;
            fn try_from(s: String) -> $crate::Result<Self> {
                Self::parse_field(Self::FIELD, s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> Self {
                v.0
            }
        }

        $crate::types::text_value_impls!($name);

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

/// SQL binding and serde for a type that displays as its text and parses with `FromStr`.
macro_rules! text_value_impls {
    ($name:ident) => {
        impl From<$name> for ::sea_orm::Value {
            fn from(v: $name) -> Self {
                ::sea_orm::Value::String(Some(v.to_string()))
            }
        }

        impl From<&$name> for ::sea_orm::Value {
            fn from(v: &$name) -> Self {
                ::sea_orm::Value::String(Some(v.to_string()))
            }
        }

        impl ::sea_orm::sea_query::Nullable for $name {
            fn null() -> ::sea_orm::Value {
                ::sea_orm::Value::String(None)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use {text_value_impls, validated_text};

/// `value` is lowercase hexadecimal whose length `len_ok` accepts; `rule` says which lengths.
fn check_hex(field: &str, value: &str, len_ok: bool, rule: &str) -> Result<()> {
    let hex = value
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if hex && len_ok {
        Ok(())
    } else {
        Err(Error::validation(field, rule, format!("{value:?}")))
    }
}

fn check_content_hash(field: &str, value: &str) -> Result<()> {
    check_hex(
        field,
        value,
        value.len() == 64,
        "must be a SHA-256 digest: 64 lowercase hexadecimal digits",
    )
}

fn check_query_hash(field: &str, value: &str) -> Result<()> {
    check_hex(
        field,
        value,
        (32..=128).contains(&value.len()) && value.len().is_multiple_of(2),
        "must be a digest of 32 to 128 lowercase hexadecimal digits (an even number)",
    )
}

fn check_http_url(field: &str, value: &str) -> Result<()> {
    const RULE: &str = "must be an absolute http(s) URL with a host";
    let parsed = match url::Url::parse(value) {
        Ok(u)
            if value.trim() == value && matches!(u.scheme(), "http" | "https") && u.has_host() =>
        {
            u
        }
        // The value may hold a password: shown redacted.
        _ => return Err(Error::validation(field, RULE, crate::redact_url(value))),
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::validation(
            field,
            "must not carry credentials (user or password)",
            "a URL with credentials (not shown)",
        ));
    }
    Ok(())
}

validated_text!(
    /// A SHA-256 content digest: 64 lowercase hexadecimal digits, as Python's
    /// `hashlib.sha256(...).hexdigest()` writes it.
    ContentHash,
    field = "content_hash",
    check = check_content_hash
);

impl ContentHash {
    /// The SHA-256 digest of `content`.
    #[must_use]
    pub fn digest(content: impl AsRef<[u8]>) -> Self {
        Self(hex::encode(Sha256::digest(content.as_ref())))
    }
}

validated_text!(
    /// A digest of a normalised search query, the key of a cached search: 32 to 128 lowercase
    /// hexadecimal digits, an even number (an MD5, SHA-1, SHA-256 or SHA-512 hex digest).
    QueryHash,
    field = "query_hash",
    check = check_query_hash
);

impl QueryHash {
    /// The SHA-256 digest of `query` (normalise it first: the same query must hash the same).
    #[must_use]
    pub fn digest(query: impl AsRef<[u8]>) -> Self {
        Self(hex::encode(Sha256::digest(query.as_ref())))
    }
}

validated_text!(
    /// An absolute `http` or `https` URL with a host, kept exactly as given (the text is what is
    /// stored and compared). A URL with credentials is refused: a link to a document never needs
    /// them, and a password must not end up in a table.
    HttpUrl,
    field = "url",
    check = check_http_url
);

impl HttpUrl {
    /// The URL parsed (scheme, host, path, …).
    #[must_use]
    pub fn to_url(&self) -> Option<url::Url> {
        url::Url::parse(&self.0).ok()
    }
}

fn check_md5(field: &str, value: &str) -> Result<()> {
    check_hex(
        field,
        value,
        value.len() == 32,
        "must be an MD5 digest: 32 lowercase hexadecimal digits",
    )
}

/// Longest [`DocPath`] accepted, in characters (Linux's `PATH_MAX`).
pub const MAX_DOC_PATH_LEN: usize = 4096;

fn check_doc_path(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::validation(
            field,
            "must not be empty",
            format!("{value:?}"),
        ));
    }
    if value.trim() != value {
        return Err(Error::validation(
            field,
            "must not start or end with white space",
            format!("{value:?}"),
        ));
    }
    if value.contains('\0') {
        return Err(Error::validation(
            field,
            "must not contain NUL",
            format!("{value:?}"),
        ));
    }
    let len = value.chars().count();
    if len > MAX_DOC_PATH_LEN {
        return Err(Error::validation(
            field,
            format!("must be at most {MAX_DOC_PATH_LEN} characters"),
            format!("{len} characters"),
        ));
    }
    Ok(())
}

validated_text!(
    /// An MD5 digest of a file's content, 32 lowercase hexadecimal digits, as Python's
    /// `hashlib.md5(...).hexdigest()` writes it (seed 002's `md5_digest`).
    Md5Digest,
    field = "md5_digest",
    check = check_md5
);

validated_text!(
    /// The path of a tracked document or file (seed 002's `path` columns), kept exactly as
    /// given: not empty, at most [`MAX_DOC_PATH_LEN`] characters, no NUL, no surrounding white
    /// space.
    DocPath,
    field = "path",
    check = check_doc_path
);

/// A UUID held as text in a column (`VARCHAR(36)` / `TEXT`): parsed from any form the `uuid`
/// crate reads (hyphenated, simple, braced, URN; any case), shown, stored and bound hyphenated
/// and lowercase, like Python's `str(uuid.UUID(x))`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct UuidText(uuid::Uuid);

impl UuidText {
    /// The field named in a [`Error::Validation`] when no other is given.
    pub const FIELD: &'static str = "uuid";

    /// A new random (version 4) UUID.
    #[must_use]
    pub fn new_v4() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// Parse `value`, naming `field` in the error.
    ///
    /// # Errors
    /// [`Error::Validation`] naming `field` when `value` is not a UUID.
    pub fn parse_field(field: &str, value: &str) -> Result<Self> {
        uuid::Uuid::try_parse(value).map(Self).map_err(|_| {
            Error::validation(
                field,
                "must be a UUID (like 67e55044-10b1-426f-9247-bb680e5fe0c8)",
                format!("{value:?}"),
            )
        })
    }

    /// The UUID.
    #[must_use]
    pub const fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl FromStr for UuidText {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse_field(Self::FIELD, s)
    }
}

impl TryFrom<&str> for UuidText {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        Self::parse_field(Self::FIELD, s)
    }
}

impl fmt::Display for UuidText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl From<uuid::Uuid> for UuidText {
    fn from(v: uuid::Uuid) -> Self {
        Self(v)
    }
}

impl From<UuidText> for uuid::Uuid {
    fn from(v: UuidText) -> Self {
        v.0
    }
}

impl From<entity::DbUuid> for UuidText {
    fn from(v: entity::DbUuid) -> Self {
        Self(v.into_inner())
    }
}

impl From<UuidText> for entity::DbUuid {
    fn from(v: UuidText) -> Self {
        Self(v.0)
    }
}

impl From<UuidText> for String {
    fn from(v: UuidText) -> Self {
        v.to_string()
    }
}

impl PartialEq<String> for UuidText {
    fn eq(&self, other: &String) -> bool {
        uuid::Uuid::try_parse(other).is_ok_and(|u| u == self.0)
    }
}

text_value_impls!(UuidText);

#[cfg(test)]
mod tests {
    use sea_orm::Value;

    use super::*;

    fn field_of(err: Error) -> String {
        match err {
            Error::Validation { field, .. } => field,
            other => panic!("not a validation error: {other}"),
        }
    }

    #[test]
    fn content_hashes_are_sha256_hex() {
        let h = ContentHash::digest("abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(h.as_str().parse::<ContentHash>().is_ok());
        for bad in ["", "ab", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65)] {
            assert_eq!(
                field_of(bad.parse::<ContentHash>().expect_err(bad)),
                "content_hash"
            );
        }
        let err = ContentHash::parse_field("metadata.content_hash", "x").expect_err("bad");
        assert_eq!(field_of(err), "metadata.content_hash");
    }

    #[test]
    fn query_hashes_are_hex_digests() {
        assert!(QueryHash::try_from("a".repeat(32).as_str()).is_ok());
        assert!(QueryHash::try_from("a".repeat(128)).is_ok());
        assert!(QueryHash::try_from("a".repeat(33)).is_err());
        assert!(QueryHash::try_from("a".repeat(130)).is_err());
        assert!(QueryHash::try_from("ABCDEF".repeat(8)).is_err());
        assert_eq!(QueryHash::digest("q").as_str().len(), 64);
    }

    #[test]
    fn urls_are_absolute_http_without_credentials() {
        for ok in ["https://docs.rs/x", "http://127.0.0.1:8080/a?b=c#d"] {
            let url: HttpUrl = ok.parse().expect(ok);
            assert_eq!(url.as_str(), ok, "kept as given");
        }
        for bad in [
            "",
            "not a url",
            "/relative",
            "ftp://example.org/x",
            "mailto:a@example.org",
            " https://docs.rs/x",
            "https://docs.rs/x\n",
        ] {
            assert!(bad.parse::<HttpUrl>().is_err(), "{bad:?}");
        }
        let err = HttpUrl::parse_field("base_url", "https://user:s3cret@example.org/")
            .expect_err("credentials");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert_eq!(field_of(err), "base_url");
    }

    #[test]
    fn uuids_are_kept_hyphenated_lowercase() {
        let canonical = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        for form in [
            canonical,
            "67E55044-10B1-426F-9247-BB680E5FE0C8",
            "67e5504410b1426f9247bb680e5fe0c8",
            "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
        ] {
            let id: UuidText = form.parse().expect(form);
            assert_eq!(id.to_string(), canonical);
            assert_eq!(Value::from(id), Value::String(Some(canonical.to_owned())));
        }
        assert_eq!(
            field_of("nope".parse::<UuidText>().expect_err("bad")),
            "uuid"
        );
    }

    #[test]
    fn serde_goes_through_the_parser() {
        let h = ContentHash::digest("x");
        let json = serde_json::to_string(&h).expect("json");
        assert_eq!(json, format!("\"{h}\""));
        assert_eq!(serde_json::from_str::<ContentHash>(&json).expect("back"), h);
        assert!(serde_json::from_str::<ContentHash>("\"XYZ\"").is_err());
        assert!(serde_json::from_str::<HttpUrl>("\"ftp://x\"").is_err());
        assert!(serde_json::from_str::<UuidText>("\"1234\"").is_err());
    }

    #[test]
    fn optional_values_bind_as_null() {
        assert_eq!(Value::from(None::<HttpUrl>), Value::String(None));
        let url: HttpUrl = "https://x.org".parse().expect("url");
        assert_eq!(
            Value::from(Some(url)),
            Value::String(Some("https://x.org".into()))
        );
    }
}
