//! `[assistant]`: seed 003's retention windows and logging sink.

use serde::Deserialize;

use super::{ConfigError, bool_of_text};

/// `[assistant]` of the config file (and the `DAL_ASSISTANT_*` variables): seed 003's retention
/// windows and the logging sink. Unset keys keep the defaults (DESIGN.md: query history 90 days,
/// system logs 30 days, sessions idle, revoked or deleted 30 days; the sink off, at WARN).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistantSection {
    /// Days queries (and their performance metrics) are kept (default 90), at least 1.
    pub query_history_days: Option<u32>,
    /// Days system log records are kept (default 30), at least 1.
    pub system_logs_days: Option<u32>,
    /// Days a session may stay idle, revoked or deleted before it is purged (default 30), at
    /// least 1.
    pub session_days: Option<u32>,
    /// Rows deleted per transaction by the retention jobs (default 1,000), 1 to 10,000.
    pub delete_chunk: Option<u32>,
    /// Write tracing events to `system_logs` (default false).
    pub log_sink: Option<bool>,
    /// The least severe level the sink writes: `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`
    /// (default `WARN`).
    pub log_sink_level: Option<String>,
    /// Records the sink's channel holds before it drops (default 10,000), at least 1.
    pub log_sink_capacity: Option<u32>,
}

impl AssistantSection {
    /// The default of `query_history_days`.
    pub const DEFAULT_QUERY_HISTORY_DAYS: u32 = 90;
    /// The default of `system_logs_days`.
    pub const DEFAULT_SYSTEM_LOGS_DAYS: u32 = 30;
    /// The default of `session_days`.
    pub const DEFAULT_SESSION_DAYS: u32 = 30;
    /// The default of `delete_chunk`.
    pub const DEFAULT_DELETE_CHUNK: u32 = 1_000;

    /// The numeric keys with their `DAL_ASSISTANT_*` variable.
    pub(super) const VARIABLES: [(&'static str, &'static str); 5] = [
        ("query_history_days", "DAL_ASSISTANT_QUERY_HISTORY_DAYS"),
        ("system_logs_days", "DAL_ASSISTANT_SYSTEM_LOGS_DAYS"),
        ("session_days", "DAL_ASSISTANT_SESSION_DAYS"),
        ("delete_chunk", "DAL_ASSISTANT_DELETE_CHUNK"),
        ("log_sink_capacity", "DAL_ASSISTANT_LOG_SINK_CAPACITY"),
    ];

    /// Days queries are kept.
    #[must_use]
    pub fn query_history_days(&self) -> u32 {
        self.query_history_days
            .unwrap_or(Self::DEFAULT_QUERY_HISTORY_DAYS)
    }

    /// Days log records are kept.
    #[must_use]
    pub fn system_logs_days(&self) -> u32 {
        self.system_logs_days
            .unwrap_or(Self::DEFAULT_SYSTEM_LOGS_DAYS)
    }

    /// Days before a stale session is purged.
    #[must_use]
    pub fn session_days(&self) -> u32 {
        self.session_days.unwrap_or(Self::DEFAULT_SESSION_DAYS)
    }

    /// Rows per retention transaction.
    #[must_use]
    pub fn delete_chunk(&self) -> u32 {
        self.delete_chunk.unwrap_or(Self::DEFAULT_DELETE_CHUNK)
    }

    /// Whether the logging sink is on.
    #[must_use]
    pub fn log_sink(&self) -> bool {
        self.log_sink.unwrap_or(false)
    }

    /// The sink's settings (level and capacity; the default batch size).
    #[must_use]
    pub fn log_sink_settings(&self) -> crate::log_sink::LogSinkSettings {
        let defaults = crate::log_sink::LogSinkSettings::default();
        crate::log_sink::LogSinkSettings {
            min_level: self
                .log_sink_level
                .as_deref()
                .and_then(|l| l.parse().ok())
                .unwrap_or(defaults.min_level),
            capacity: self
                .log_sink_capacity
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(defaults.capacity),
            ..defaults
        }
    }

    /// Refuse out-of-range values, naming the key by `name(key)`.
    pub(super) fn check(&self, name: impl Fn(&str) -> String) -> Result<(), ConfigError> {
        for (key, value) in [
            ("query_history_days", self.query_history_days),
            ("system_logs_days", self.system_logs_days),
            ("session_days", self.session_days),
            ("log_sink_capacity", self.log_sink_capacity),
        ] {
            if value == Some(0) {
                return Err(ConfigError::new(name(key), "must be at least 1"));
            }
        }
        if let Some(n) = self.delete_chunk
            && !(1..=10_000).contains(&n)
        {
            return Err(ConfigError::new(name("delete_chunk"), "must be 1 to 10000"));
        }
        if let Some(level) = &self.log_sink_level
            && level.parse::<tracing::Level>().is_err()
        {
            return Err(ConfigError::new(
                name("log_sink_level"),
                "must be ERROR, WARN, INFO, DEBUG or TRACE",
            ));
        }
        Ok(())
    }

    /// The file's section checked, then each `DAL_ASSISTANT_*` variable that is set applied
    /// over it and checked (naming the variable).
    pub(super) fn merged(
        mut self,
        var: impl Fn(&str) -> Option<String>,
        u32_of: impl Fn(&str) -> Result<Option<u32>, ConfigError>,
        file_key: impl Fn(&str) -> String,
    ) -> Result<Self, ConfigError> {
        self.check(|key| file_key(&format!("[assistant] {key}")))?;
        for (key, name) in Self::VARIABLES {
            let Some(n) = u32_of(name)? else { continue };
            let mut one = Self::default();
            let slot = match key {
                "query_history_days" => (&mut self.query_history_days, &mut one.query_history_days),
                "system_logs_days" => (&mut self.system_logs_days, &mut one.system_logs_days),
                "session_days" => (&mut self.session_days, &mut one.session_days),
                "delete_chunk" => (&mut self.delete_chunk, &mut one.delete_chunk),
                _ => (&mut self.log_sink_capacity, &mut one.log_sink_capacity),
            };
            *slot.0 = Some(n);
            *slot.1 = Some(n);
            one.check(|_| name.to_owned())?;
        }
        if let Some(text) = var("DAL_ASSISTANT_LOG_SINK") {
            self.log_sink = Some(bool_of_text("DAL_ASSISTANT_LOG_SINK", &text)?);
        }
        if let Some(level) = var("DAL_ASSISTANT_LOG_SINK_LEVEL") {
            let one = Self {
                log_sink_level: Some(level.clone()),
                ..Self::default()
            };
            one.check(|_| "DAL_ASSISTANT_LOG_SINK_LEVEL".to_owned())?;
            self.log_sink_level = Some(level);
        }
        Ok(self)
    }
}
