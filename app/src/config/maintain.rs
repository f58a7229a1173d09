//! `[maintain]`: how often `dal maintain` runs each system's retention job, and the lock it
//! holds while one runs.
//!
//! Only intervals live here: a job's retention window is its system's own setting
//! (`[chat] keep_days`, `[docsync] purge_days`, `[assistant] *_days`; the search cache has no
//! window, its rows carry their own `expires_at`), so one value never has two homes.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use crate::maintenance::{System, parse_interval};

/// `[maintain]` of the config file (and the `DAL_MAINTAIN_*` variables). Intervals are written
/// as `dal maintain --every` takes them (`30s`, `15m`, `1h`, `1d`, or a number of seconds).
/// Unset keys keep the defaults: every job hourly, a 10-minute lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintainSection {
    /// The interval of every job not given its own (default `1h`).
    pub interval: Option<String>,
    /// The knowledge system's job: expired `search_cache` rows.
    pub knowledge_interval: Option<String>,
    /// The chat system's job: old conversations, expired rate limits, orphaned chunks.
    pub chat_interval: Option<String>,
    /// The docsync system's job: the purge of old recommendations and decisions.
    pub docsync_interval: Option<String>,
    /// The assistant system's job: schema cache, sessions, system logs, query history.
    pub assistant_interval: Option<String>,
    /// How long the lock `maintain:{job}` is taken for; it is extended every third of that
    /// while the job runs, so it only lapses when the scheduler holding it dies (default `10m`).
    pub lock_ttl: Option<String>,
}

impl MaintainSection {
    /// The default of `interval`.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
    /// The default of `lock_ttl`.
    pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(600);

    /// The keys with their `DAL_MAINTAIN_*` variable.
    pub(super) const VARIABLES: [(&'static str, &'static str); 6] = [
        ("interval", "DAL_MAINTAIN_INTERVAL"),
        ("knowledge_interval", "DAL_MAINTAIN_KNOWLEDGE_INTERVAL"),
        ("chat_interval", "DAL_MAINTAIN_CHAT_INTERVAL"),
        ("docsync_interval", "DAL_MAINTAIN_DOCSYNC_INTERVAL"),
        ("assistant_interval", "DAL_MAINTAIN_ASSISTANT_INTERVAL"),
        ("lock_ttl", "DAL_MAINTAIN_LOCK_TTL"),
    ];

    fn slot(&mut self, key: &str) -> &mut Option<String> {
        match key {
            "interval" => &mut self.interval,
            "knowledge_interval" => &mut self.knowledge_interval,
            "chat_interval" => &mut self.chat_interval,
            "docsync_interval" => &mut self.docsync_interval,
            "assistant_interval" => &mut self.assistant_interval,
            _ => &mut self.lock_ttl,
        }
    }

    /// The interval `system`'s job runs at: its own key, else `interval`, else one hour.
    #[must_use]
    pub fn interval_of(&self, system: System) -> Duration {
        let own = match system {
            System::Knowledge => &self.knowledge_interval,
            System::Chat => &self.chat_interval,
            System::Docsync => &self.docsync_interval,
            System::Assistant => &self.assistant_interval,
        };
        own.as_deref()
            .or(self.interval.as_deref())
            .and_then(|text| parse_interval(text).ok())
            .unwrap_or(Self::DEFAULT_INTERVAL)
    }

    /// The lock's time to live.
    #[must_use]
    pub fn lock_ttl(&self) -> Duration {
        self.lock_ttl
            .as_deref()
            .and_then(|text| parse_interval(text).ok())
            .unwrap_or(Self::DEFAULT_LOCK_TTL)
    }

    /// Refuse a value that is not an interval, naming the key by `name(key)`.
    pub(super) fn check(&self, name: impl Fn(&str) -> String) -> Result<(), ConfigError> {
        for (key, value) in [
            ("interval", &self.interval),
            ("knowledge_interval", &self.knowledge_interval),
            ("chat_interval", &self.chat_interval),
            ("docsync_interval", &self.docsync_interval),
            ("assistant_interval", &self.assistant_interval),
            ("lock_ttl", &self.lock_ttl),
        ] {
            if let Some(text) = value {
                parse_interval(text).map_err(|e| ConfigError::new(name(key), format!("{e:#}")))?;
            }
        }
        Ok(())
    }

    /// The file's section checked, then each `DAL_MAINTAIN_*` variable that is set applied over
    /// it and checked (naming the variable).
    pub(super) fn merged(
        mut self,
        var: impl Fn(&str) -> Option<String>,
        file_key: impl Fn(&str) -> String,
    ) -> Result<Self, ConfigError> {
        self.check(|key| file_key(&format!("[maintain] {key}")))?;
        for (key, name) in Self::VARIABLES {
            let Some(text) = var(name) else { continue };
            parse_interval(&text).map_err(|e| ConfigError::new(name, format!("{e:#}")))?;
            *self.slot(key) = Some(text);
        }
        Ok(self)
    }
}
