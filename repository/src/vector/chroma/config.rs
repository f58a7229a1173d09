//! How to reach a Chroma server: its URL, tenant, database, token and timeouts.

use std::fmt;
use std::time::Duration;

use crate::redact_url;

/// How long Chroma calls may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChromaTimeouts {
    /// Establishing a TCP (and TLS) connection.
    pub connect: Duration,
    /// One whole call (sending the request and reading the answer), for every operation but the
    /// health check.
    pub request: Duration,
    /// One call of [`VectorStore::health`] (the whole check takes at most twice this).
    pub health: Duration,
}

impl Default for ChromaTimeouts {
    /// 2 s to connect, 10 s per call, 2 s per health-check call.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(2),
            request: Duration::from_secs(10),
            health: Duration::from_secs(2),
        }
    }
}

/// Where the Chroma store lives and how long it may take.
#[derive(Clone, PartialEq, Eq)]
pub struct ChromaConfig {
    /// The server's base URL (`http://host:8000`, or `https://…`, possibly with a path prefix).
    pub url: String,
    /// The Chroma tenant (must exist).
    pub tenant: String,
    /// The database within the tenant (created when missing).
    pub database: String,
    /// A token sent as `x-chroma-token`, for servers with token authentication.
    pub token: Option<String>,
    /// Bounds on every call.
    pub timeouts: ChromaTimeouts,
    /// The HNSW `ef_search` of the collections this store creates (`None`: Chroma's default, 100).
    /// Higher finds the true nearest neighbours more often, at the cost of slower queries.
    pub ef_search: Option<u32>,
}

impl ChromaConfig {
    /// Chroma's default tenant.
    pub const DEFAULT_TENANT: &'static str = "default_tenant";
    /// Chroma's default database.
    pub const DEFAULT_DATABASE: &'static str = "default_database";

    /// The server at `url`, Chroma's default tenant and database, no token, default timeouts.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            tenant: Self::DEFAULT_TENANT.to_owned(),
            database: Self::DEFAULT_DATABASE.to_owned(),
            token: None,
            timeouts: ChromaTimeouts::default(),
            ef_search: None,
        }
    }

    /// With this tenant.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// With this database.
    #[must_use]
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.database = database.into();
        self
    }

    /// With this authentication token.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// With these timeouts.
    #[must_use]
    pub const fn with_timeouts(mut self, timeouts: ChromaTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// With this HNSW `ef_search` for the collections the store creates.
    #[must_use]
    pub const fn with_ef_search(mut self, ef_search: u32) -> Self {
        self.ef_search = Some(ef_search);
        self
    }
}

impl fmt::Debug for ChromaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChromaConfig")
            .field("url", &redact_url(&self.url))
            .field("tenant", &self.tenant)
            .field("database", &self.database)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("timeouts", &self.timeouts)
            .field("ef_search", &self.ef_search)
            .finish()
    }
}
