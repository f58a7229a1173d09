//! The one error type of the cache crate.

use std::fmt;
use std::sync::Arc;

/// What kind of backend failure a [`Error::Cache`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheErrorKind {
    /// The backend is not connected (Redis down, reconnecting, or the manager was disconnected).
    Unavailable,
    /// The command did not complete within the configured command timeout.
    Timeout,
    /// The backend answered with an error (for example `WRONGTYPE`, or a script error).
    Backend,
}

impl fmt::Display for CacheErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
            Self::Backend => "backend",
        })
    }
}

/// A loader error shared between every task that waited on the same single-flight load.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong in a cache call.
///
/// The type is `Clone` so that one failure of a single-flight load can be handed to every waiter.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The backend failed, timed out or is unreachable.
    #[error("cache {kind} error: {message}")]
    Cache {
        /// Unavailable, timeout or a backend error reply.
        kind: CacheErrorKind,
        /// What the backend said (never contains a value or a full key).
        message: String,
    },
    /// A value could not be encoded, or a stored payload could not be decoded (corrupt gzip,
    /// invalid JSON, a JSON value of the wrong shape).
    #[error("cache codec error: {0}")]
    Codec(String),
    /// The configuration cannot be used (bad URL, zero pool size, …).
    #[error("invalid cache configuration: {0}")]
    Config(String),
    /// An argument was refused before anything was sent (zero TTL, empty name, …).
    #[error("invalid cache argument: {0}")]
    InvalidArgument(String),
    /// The loader of [`crate::CacheManager::get_or_set`] failed (shared with every waiter).
    /// The loader's error is the [`std::error::Error::source`], not part of this text, so that
    /// `{:#}` prints it (and its own causes) once.
    #[error("cache loader failed")]
    Loader(#[source] SharedError),
}

impl Error {
    /// A [`Error::Cache`] of `kind`.
    pub fn cache(kind: CacheErrorKind, message: impl Into<String>) -> Self {
        Self::Cache {
            kind,
            message: message.into(),
        }
    }

    /// A [`Error::Codec`].
    pub fn codec(message: impl fmt::Display) -> Self {
        Self::Codec(message.to_string())
    }

    /// Whether this is a backend failure ([`Error::Cache`]).
    #[must_use]
    pub fn is_cache(&self) -> bool {
        matches!(self, Self::Cache { .. })
    }

    /// The kind of backend failure, when this is a [`Error::Cache`].
    #[must_use]
    pub fn cache_kind(&self) -> Option<CacheErrorKind> {
        match self {
            Self::Cache { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

impl From<fred::error::Error> for Error {
    fn from(err: fred::error::Error) -> Self {
        use fred::error::ErrorKind as K;
        let kind = match err.kind() {
            K::Timeout => CacheErrorKind::Timeout,
            K::IO | K::Canceled | K::Backpressure | K::Cluster | K::Routing => {
                CacheErrorKind::Unavailable
            }
            _ => CacheErrorKind::Backend,
        };
        Self::cache(kind, format!("{:?}: {}", err.kind(), err.details()))
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A loader error with a cause of its own, as a well-behaved library error has.
    #[derive(Debug, thiserror::Error)]
    #[error("loading the search results")]
    struct Upstream(#[source] std::io::Error);

    #[test]
    fn every_cause_prints_once() {
        let loader = Upstream(std::io::Error::other("upstream down"));
        let err = Error::Loader(Arc::new(loader));
        let shown = format!("{:#}", anyhow::Error::new(err).context("search"));
        assert_eq!(
            shown,
            "search: cache loader failed: loading the search results: upstream down"
        );

        for err in [
            Error::cache(CacheErrorKind::Timeout, "Timeout: took too long"),
            Error::codec("corrupt gzip payload: bad header"),
            Error::Config("pool size must be between 1 and 256".into()),
            Error::InvalidArgument("TTL must be above zero".into()),
        ] {
            let inner = err.to_string();
            let shown = format!("{:#}", anyhow::Error::new(err).context("outer"));
            assert_eq!(shown, format!("outer: {inner}"));
        }
    }
}
