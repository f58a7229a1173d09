//! `[chat]`: seed 001's rate limit and retention.

use serde::Deserialize;

use super::ConfigError;

/// `[chat]` of the config file (and the `DAL_CHAT_*` variables): seed 001's settings. Unset
/// keys keep the seed's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSection {
    /// Requests one IP address may make per minute (the seed's `RATE_LIMIT_PER_MINUTE`,
    /// default 60), at least 1.
    pub rate_limit_per_minute: Option<u32>,
    /// Days conversations are kept (the seed's `days_to_keep`, default 30), at least 1.
    pub keep_days: Option<u32>,
}

impl ChatSection {
    /// The default of `keep_days`: the seed's `days_to_keep`.
    pub const DEFAULT_KEEP_DAYS: u32 = 30;

    /// The keys with their `DAL_CHAT_*` variable.
    pub(super) const VARIABLES: [(&'static str, &'static str); 2] = [
        ("rate_limit_per_minute", "DAL_CHAT_RATE_LIMIT_PER_MINUTE"),
        ("keep_days", "DAL_CHAT_KEEP_DAYS"),
    ];

    /// The limit per IP and minute in force.
    #[must_use]
    pub fn rate_limit_per_minute(&self) -> u32 {
        self.rate_limit_per_minute
            .unwrap_or(repository::chat::DEFAULT_RATE_LIMIT_PER_MINUTE)
    }

    /// The days conversations are kept.
    #[must_use]
    pub fn keep_days(&self) -> u32 {
        self.keep_days.unwrap_or(Self::DEFAULT_KEEP_DAYS)
    }

    /// Refuse a 0, naming the key by `name(key)`.
    pub(super) fn check(&self, name: impl Fn(&str) -> String) -> Result<(), ConfigError> {
        for (key, value) in [
            ("rate_limit_per_minute", self.rate_limit_per_minute),
            ("keep_days", self.keep_days),
        ] {
            if value == Some(0) {
                return Err(ConfigError::new(name(key), "must be at least 1"));
            }
        }
        Ok(())
    }
}
