//! `[migrate]`: what `dal migrate` does first.

use serde::Deserialize;

use super::ConfigError;

/// `[migrate]` of the config file (and `DAL_MIGRATE_BACKUP_FIRST`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateSection {
    /// Take a backup set (into `./backups`) before `dal migrate` changes a database that has
    /// tables (the seeds' "always backup before migrations"); default off.
    pub backup_first: Option<bool>,
}

impl MigrateSection {
    /// Whether `dal migrate` backs up first.
    #[must_use]
    pub fn backup_first(&self) -> bool {
        self.backup_first.unwrap_or(false)
    }
}

/// `text` as a boolean (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`), naming `name` when it
/// is none of them.
pub(crate) fn bool_of_text(name: &str, text: &str) -> Result<bool, ConfigError> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(name, "must be true or false")),
    }
}
