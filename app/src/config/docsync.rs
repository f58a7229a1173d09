//! `[docsync]`: seed 002's purge window.

use serde::Deserialize;

use super::ConfigError;

/// `[docsync]` of the config file (and `DAL_DOCSYNC_PURGE_DAYS`): seed 002's settings. Unset
/// keys keep the seed's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocsyncSection {
    /// Days recommendations and developer decisions are kept (the seed's "7-day purge",
    /// default 7), at least 1.
    pub purge_days: Option<u32>,
}

impl DocsyncSection {
    /// The variable that overrides `purge_days`.
    pub(super) const PURGE_DAYS_VARIABLE: &'static str = "DAL_DOCSYNC_PURGE_DAYS";

    /// The days recommendations and decisions are kept.
    #[must_use]
    pub fn purge_days(&self) -> u32 {
        self.purge_days
            .unwrap_or(repository::docsync::DEFAULT_PURGE_DAYS)
    }

    /// Refuse a 0, naming the key as `name`.
    pub(super) fn check(&self, name: impl Fn() -> String) -> Result<(), ConfigError> {
        if self.purge_days == Some(0) {
            return Err(ConfigError::new(name(), "must be at least 1"));
        }
        Ok(())
    }
}
