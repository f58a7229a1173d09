#![doc = include_str!("../README.md")]

pub mod backend;
pub mod codec;
pub mod config;
pub mod error;
mod flight;
pub mod glob;
pub mod keys;
pub mod lock;
pub mod manager;
pub mod pubsub;
pub mod rate_limit;
pub mod redact;
pub mod session;

pub use backend::{BackendKind, CacheBackend, KeyTtl, MemoryBackend, RedisBackend};
pub use codec::Codec;
pub use config::{CacheConfig, CacheTarget, REDIS_URL_SCHEMES};
pub use error::{CacheErrorKind, Error, Result};
pub use keys::{AsKey, CacheKey, KEY_SPECS, KeyKind, KeySpec};
pub use lock::{LockGuard, LockManager};
pub use manager::{CacheHealth, CacheManager};
pub use pubsub::{ChannelHub, ChannelReceiver, Message, Subscription};
pub use rate_limit::{RateLimitDecision, RateLimiter};
pub use redact::redact_url;
pub use session::SessionStore;
