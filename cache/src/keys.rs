//! Every key pattern of the seeds, with its TTL and codec, in one table ([`KEY_SPECS`]), and a
//! typed builder per pattern.
//!
//! | pattern | TTL | codec | seed |
//! |---|---|---|---|
//! | `search:results:{query_hash}` | 3600 s | gzip JSON | 000 |
//! | `content:processed:{content_hash}` | 86400 s | gzip JSON | 000 |
//! | `ai:evaluation:{query_hash}` | 7200 s | JSON | 000 |
//! | `github:repo:{owner}/{repo}:{path}` | 3600 s | gzip JSON | 000 |
//! | `config:system:{version}` | 300 s | JSON | 000 |
//! | `rate_limit:api:{ip_address}` | 60 s | counter | 000 |
//! | `session:{session_id}` | 1800 s | hash | 000, 003 (user sessions), 004 |
//! | `query:result:{query_hash}` | 3600 s | gzip JSON | 003 (query results) |
//! | `schema:discovery:{connection_hash}` | 3600 s | JSON | 003 (schema discovery) |
//! | `document:search:{query_hash}` | 1800 s | gzip JSON | 003 (document search results) |
//! | `api:response:{request_hash}` | 300 s | gzip JSON | 003 (API responses) |
//! | `cache:result:{function}:{args_hash}` | 3600 s | JSON | 004 (`cache_result`) |
//! | `rate_limit:{identifier}` | the caller's window | counter | 004 (rate limiter) |
//! | `lock:{name}` | the caller's timeout | raw token | 004 (distributed lock) |
//!
//! Any other key is a *custom* key: plain JSON, and a TTL the caller gives. Logs name a key only
//! by its pattern name (`search_results`, `session`, …), never by the key itself, which may hold
//! personal data such as an IP address or a session id.

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::codec::Codec;

/// The key patterns of the seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// `search:results:{query_hash}` (seed 000).
    SearchResults,
    /// `content:processed:{content_hash}` (seed 000).
    ContentProcessed,
    /// `ai:evaluation:{query_hash}` (seed 000).
    AiEvaluation,
    /// `github:repo:{owner}/{repo}:{path}` (seed 000).
    GithubRepo,
    /// `config:system:{version}` (seed 000).
    SystemConfig,
    /// `rate_limit:api:{ip_address}` (seed 000).
    RateLimitApi,
    /// `session:{session_id}` (seeds 000, 003, 004).
    Session,
    /// `query:result:{query_hash}` (seed 003: query result caching).
    QueryResult,
    /// `schema:discovery:{connection_hash}` (seed 003: schema discovery caching).
    SchemaDiscovery,
    /// `document:search:{query_hash}` (seed 003: document search result caching).
    DocumentSearch,
    /// `api:response:{request_hash}` (seed 003: API response caching).
    ApiResponse,
    /// `cache:result:{function}:{args_hash}` (seed 004: `cache_result`).
    CachedResult,
    /// `rate_limit:{identifier}` (seed 004: `RateLimiter`).
    RateLimit,
    /// `lock:{name}` (seed 004: `DistributedLock`).
    Lock,
    /// Any key that matches no pattern above.
    Custom,
}

/// One row of the key table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    /// Which pattern.
    pub kind: KeyKind,
    /// Its name in logs and metrics (`search_results`, …).
    pub name: &'static str,
    /// The pattern as the seeds write it.
    pub pattern: &'static str,
    /// The literal start of every key of this pattern (empty for custom keys).
    pub prefix: &'static str,
    /// The TTL values of this pattern get (for counters and locks: the default window/timeout).
    pub ttl: Duration,
    /// How values are stored.
    pub codec: Codec,
    /// The seed documents the pattern comes from.
    pub seeds: &'static str,
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The key table. More specific prefixes come before the ones they extend
/// (`rate_limit:api:` before `rate_limit:`); [`KeyKind::Custom`] is last.
pub const KEY_SPECS: &[KeySpec] = &[
    KeySpec {
        kind: KeyKind::SearchResults,
        name: "search_results",
        pattern: "search:results:{query_hash}",
        prefix: "search:results:",
        ttl: secs(3600),
        codec: Codec::GzipJson,
        seeds: "000",
    },
    KeySpec {
        kind: KeyKind::ContentProcessed,
        name: "content_processed",
        pattern: "content:processed:{content_hash}",
        prefix: "content:processed:",
        ttl: secs(86_400),
        codec: Codec::GzipJson,
        seeds: "000",
    },
    KeySpec {
        kind: KeyKind::AiEvaluation,
        name: "ai_evaluation",
        pattern: "ai:evaluation:{query_hash}",
        prefix: "ai:evaluation:",
        ttl: secs(7200),
        codec: Codec::Json,
        seeds: "000",
    },
    KeySpec {
        kind: KeyKind::GithubRepo,
        name: "github_repo",
        pattern: "github:repo:{owner}/{repo}:{path}",
        prefix: "github:repo:",
        ttl: secs(3600),
        codec: Codec::GzipJson,
        seeds: "000",
    },
    KeySpec {
        kind: KeyKind::SystemConfig,
        name: "system_config",
        pattern: "config:system:{version}",
        prefix: "config:system:",
        ttl: secs(300),
        codec: Codec::Json,
        seeds: "000",
    },
    KeySpec {
        kind: KeyKind::RateLimitApi,
        name: "rate_limit_api",
        pattern: "rate_limit:api:{ip_address}",
        prefix: "rate_limit:api:",
        ttl: secs(60),
        codec: Codec::Counter,
        seeds: "000",
    },
    KeySpec {
        kind: KeyKind::Session,
        name: "session",
        pattern: "session:{session_id}",
        prefix: "session:",
        ttl: secs(1800),
        codec: Codec::Hash,
        seeds: "000, 003, 004",
    },
    KeySpec {
        kind: KeyKind::QueryResult,
        name: "query_result",
        pattern: "query:result:{query_hash}",
        prefix: "query:result:",
        ttl: secs(3600),
        codec: Codec::GzipJson,
        seeds: "003",
    },
    KeySpec {
        kind: KeyKind::SchemaDiscovery,
        name: "schema_discovery",
        pattern: "schema:discovery:{connection_hash}",
        prefix: "schema:discovery:",
        ttl: secs(3600),
        codec: Codec::Json,
        seeds: "003",
    },
    KeySpec {
        kind: KeyKind::DocumentSearch,
        name: "document_search",
        pattern: "document:search:{query_hash}",
        prefix: "document:search:",
        ttl: secs(1800),
        codec: Codec::GzipJson,
        seeds: "003",
    },
    KeySpec {
        kind: KeyKind::ApiResponse,
        name: "api_response",
        pattern: "api:response:{request_hash}",
        prefix: "api:response:",
        ttl: secs(300),
        codec: Codec::GzipJson,
        seeds: "003",
    },
    KeySpec {
        kind: KeyKind::CachedResult,
        name: "cached_result",
        pattern: "cache:result:{function}:{args_hash}",
        prefix: "cache:result:",
        ttl: secs(3600),
        codec: Codec::Json,
        seeds: "004",
    },
    KeySpec {
        kind: KeyKind::RateLimit,
        name: "rate_limit",
        pattern: "rate_limit:{identifier}",
        prefix: "rate_limit:",
        ttl: secs(60),
        codec: Codec::Counter,
        seeds: "004",
    },
    KeySpec {
        kind: KeyKind::Lock,
        name: "lock",
        pattern: "lock:{name}",
        prefix: "lock:",
        ttl: secs(30),
        codec: Codec::Raw,
        seeds: "004",
    },
    KeySpec {
        kind: KeyKind::Custom,
        name: "custom",
        pattern: "{key}",
        prefix: "",
        ttl: secs(3600),
        codec: Codec::Json,
        seeds: "-",
    },
];

impl KeySpec {
    /// The TTL every key of this pattern gets when nothing else is said (for counters: what
    /// [`crate::CacheManager::increment`] sets on the key it creates); `None` for custom keys,
    /// whose TTL only the caller knows.
    #[must_use]
    pub fn pattern_ttl(&self) -> Option<Duration> {
        (self.kind != KeyKind::Custom).then_some(self.ttl)
    }
}

impl KeyKind {
    /// This pattern's row of [`KEY_SPECS`].
    #[must_use]
    pub fn spec(self) -> &'static KeySpec {
        KEY_SPECS
            .iter()
            .find(|s| s.kind == self)
            .unwrap_or(&KEY_SPECS[KEY_SPECS.len() - 1])
    }
}

/// The row of [`KEY_SPECS`] whose pattern `key` belongs to ([`KeyKind::Custom`] if none).
#[must_use]
pub fn spec_for_key(key: &str) -> &'static KeySpec {
    KEY_SPECS
        .iter()
        .find(|s| key.starts_with(s.prefix))
        .unwrap_or(&KEY_SPECS[KEY_SPECS.len() - 1])
}

/// A key built for one pattern of [`KEY_SPECS`]: the text (without the global prefix) and its row.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    spec: &'static KeySpec,
    key: String,
}

impl CacheKey {
    fn build(kind: KeyKind, parts: &[&str]) -> Self {
        let spec = kind.spec();
        let len = spec.prefix.len() + parts.iter().map(|p| p.len() + 1).sum::<usize>();
        let mut key = String::with_capacity(len);
        key.push_str(spec.prefix);
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                key.push(':');
            }
            key.push_str(part);
        }
        Self { spec, key }
    }

    /// A key of no seed pattern (plain JSON; its pattern is looked up, so a text that starts like
    /// a seed pattern gets that pattern's codec).
    #[must_use]
    pub fn custom(key: impl Into<String>) -> Self {
        let key = key.into();
        Self {
            spec: spec_for_key(&key),
            key,
        }
    }

    /// The key text, without the global prefix.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// Its row of the key table.
    #[must_use]
    pub fn spec(&self) -> &'static KeySpec {
        self.spec
    }

    /// Its pattern.
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        self.spec.kind
    }

    /// The pattern's TTL.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.spec.ttl
    }

    /// The key text.
    #[must_use]
    pub fn into_string(self) -> String {
        self.key
    }
}

impl fmt::Debug for CacheKey {
    // Only the pattern: the key itself may hold personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", self.spec.name)
    }
}

/// Anything that names a key: `&str`, `String`, or a [`CacheKey`]. The pattern (and so the codec
/// and the name in logs) of a plain string is found with [`spec_for_key`].
pub trait AsKey {
    /// The key text, without the global prefix.
    fn key_str(&self) -> &str;
    /// Its row of the key table.
    fn key_spec(&self) -> &'static KeySpec {
        spec_for_key(self.key_str())
    }
}

impl AsKey for str {
    fn key_str(&self) -> &str {
        self
    }
}

impl AsKey for String {
    fn key_str(&self) -> &str {
        self
    }
}

impl AsKey for CacheKey {
    fn key_str(&self) -> &str {
        &self.key
    }
    fn key_spec(&self) -> &'static KeySpec {
        self.spec
    }
}

impl<T: AsKey + ?Sized> AsKey for &T {
    fn key_str(&self) -> &str {
        (**self).key_str()
    }
    fn key_spec(&self) -> &'static KeySpec {
        (**self).key_spec()
    }
}

/// Lowercase hex SHA-256 of `parts` (each length-prefixed, so `["ab", "c"]` and `["a", "bc"]`
/// differ): a stable, fixed-length key component for queries, requests and arguments.
#[must_use]
pub fn hash_parts(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// `search:results:{query_hash}`: gzip JSON, 3600 s.
#[must_use]
pub fn search_results(query_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::SearchResults, &[query_hash])
}

/// `content:processed:{content_hash}`: gzip JSON, 86400 s.
#[must_use]
pub fn content_processed(content_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::ContentProcessed, &[content_hash])
}

/// `ai:evaluation:{query_hash}`: JSON, 7200 s.
#[must_use]
pub fn ai_evaluation(query_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::AiEvaluation, &[query_hash])
}

/// `github:repo:{owner}/{repo}:{path}`: gzip JSON, 3600 s.
#[must_use]
pub fn github_repo(owner: &str, repo: &str, path: &str) -> CacheKey {
    let owner_repo = format!("{owner}/{repo}");
    CacheKey::build(KeyKind::GithubRepo, &[&owner_repo, path])
}

/// `config:system:{version}`: JSON, 300 s.
#[must_use]
pub fn system_config(version: &str) -> CacheKey {
    CacheKey::build(KeyKind::SystemConfig, &[version])
}

/// `rate_limit:api:{ip_address}`: a counter with a 60 s window.
#[must_use]
pub fn rate_limit_api(ip_address: &str) -> CacheKey {
    CacheKey::build(KeyKind::RateLimitApi, &[ip_address])
}

/// `session:{session_id}`: a hash, 1800 s.
#[must_use]
pub fn session(session_id: &str) -> CacheKey {
    CacheKey::build(KeyKind::Session, &[session_id])
}

/// `query:result:{query_hash}`: gzip JSON, 3600 s.
#[must_use]
pub fn query_result(query_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::QueryResult, &[query_hash])
}

/// `schema:discovery:{connection_hash}`: JSON, 3600 s.
#[must_use]
pub fn schema_discovery(connection_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::SchemaDiscovery, &[connection_hash])
}

/// `document:search:{query_hash}`: gzip JSON, 1800 s.
#[must_use]
pub fn document_search(query_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::DocumentSearch, &[query_hash])
}

/// `api:response:{request_hash}`: gzip JSON, 300 s.
#[must_use]
pub fn api_response(request_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::ApiResponse, &[request_hash])
}

/// `cache:result:{function}:{args_hash}`: JSON, 3600 s.
#[must_use]
pub fn cached_result(function: &str, args_hash: &str) -> CacheKey {
    CacheKey::build(KeyKind::CachedResult, &[function, args_hash])
}

/// `rate_limit:{identifier}`: a counter (window given per call).
#[must_use]
pub fn rate_limit(identifier: &str) -> CacheKey {
    CacheKey::build(KeyKind::RateLimit, &[identifier])
}

/// `lock:{name}`: a lock token (timeout given per call).
#[must_use]
pub fn lock(name: &str) -> CacheKey {
    CacheKey::build(KeyKind::Lock, &[name])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_follow_the_seed_patterns() {
        assert_eq!(search_results("abc").as_str(), "search:results:abc");
        assert_eq!(content_processed("h").as_str(), "content:processed:h");
        assert_eq!(ai_evaluation("q").as_str(), "ai:evaluation:q");
        assert_eq!(
            github_repo("rust-lang", "rust", "src/lib.rs").as_str(),
            "github:repo:rust-lang/rust:src/lib.rs"
        );
        assert_eq!(system_config("1.0").as_str(), "config:system:1.0");
        assert_eq!(
            rate_limit_api("10.0.0.1").as_str(),
            "rate_limit:api:10.0.0.1"
        );
        assert_eq!(session("s1").as_str(), "session:s1");
        assert_eq!(query_result("q").as_str(), "query:result:q");
        assert_eq!(schema_discovery("c").as_str(), "schema:discovery:c");
        assert_eq!(document_search("q").as_str(), "document:search:q");
        assert_eq!(api_response("r").as_str(), "api:response:r");
        assert_eq!(cached_result("f", "a").as_str(), "cache:result:f:a");
        assert_eq!(rate_limit("user:1").as_str(), "rate_limit:user:1");
        assert_eq!(lock("deploy").as_str(), "lock:deploy");
    }

    #[test]
    fn seed_000_ttls_and_codecs() {
        let expect = [
            (KeyKind::SearchResults, 3600, Codec::GzipJson),
            (KeyKind::ContentProcessed, 86_400, Codec::GzipJson),
            (KeyKind::AiEvaluation, 7200, Codec::Json),
            (KeyKind::GithubRepo, 3600, Codec::GzipJson),
            (KeyKind::SystemConfig, 300, Codec::Json),
            (KeyKind::RateLimitApi, 60, Codec::Counter),
            (KeyKind::Session, 1800, Codec::Hash),
        ];
        for (kind, ttl, codec) in expect {
            assert_eq!(kind.spec().ttl, Duration::from_secs(ttl), "{kind:?}");
            assert_eq!(kind.spec().codec, codec, "{kind:?}");
        }
    }

    #[test]
    fn every_kind_has_one_row_and_lookup_is_most_specific() {
        for spec in KEY_SPECS {
            assert_eq!(KEY_SPECS.iter().filter(|s| s.kind == spec.kind).count(), 1);
            assert_eq!(spec.kind.spec().name, spec.name);
            if spec.kind != KeyKind::Custom {
                let sample = format!("{}x", spec.prefix);
                assert_eq!(spec_for_key(&sample).kind, spec.kind, "{}", spec.pattern);
            }
        }
        assert_eq!(spec_for_key("user:1:profile").kind, KeyKind::Custom);
        assert_eq!(
            spec_for_key("rate_limit:api:1.2.3.4").kind,
            KeyKind::RateLimitApi
        );
        assert_eq!(spec_for_key("rate_limit:user:1").kind, KeyKind::RateLimit);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = session("secret-session-id");
        assert!(!format!("{key:?}").contains("secret"));
    }

    #[test]
    fn hashes_are_stable_and_unambiguous() {
        assert_eq!(hash_parts(&["a"]).len(), 64);
        assert_eq!(hash_parts(&["a", "b"]), hash_parts(&["a", "b"]));
        assert_ne!(hash_parts(&["ab", "c"]), hash_parts(&["a", "bc"]));
    }
}
