//! Runtime configuration (`system_config`, PRD-003): JSON values under keys, each with its
//! `schema_version` and who set it last.
//!
//! The trait works on JSON ([`SystemConfigRepository::get_value`] /
//! [`SystemConfigRepository::set_value`]) so that it stays object-safe and mockable; the free
//! functions [`get_typed`] and [`set_typed`] add serde (de)serialisation into any type on top,
//! for any repository including `&dyn SystemConfigRepository`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::behavior::now;
use entity::knowledge::system_config::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait, JsonValue, QueryOrder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::store::{self, Db, Table};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "system_config";
}

/// The schema version a value gets when the caller has no better one (the column default).
pub const DEFAULT_SCHEMA_VERSION: &str = "1.0";

/// Who set a value when the caller does not say (the column default).
pub const DEFAULT_UPDATED_BY: &str = "system";

/// Longest `schema_version` accepted.
const MAX_VERSION_LEN: usize = 32;

/// One configuration entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigEntry {
    /// Its key.
    pub key: String,
    /// The value (never JSON `null`).
    pub value: JsonValue,
    /// Version of the value's schema, `major.minor` (`"1.0"`).
    pub schema_version: String,
    /// When it was last set.
    pub updated_at: DateTime<Utc>,
    /// Who set it last (`"system"`, a user name, a service).
    pub updated_by: String,
}

impl From<Model> for ConfigEntry {
    fn from(m: Model) -> Self {
        Self {
            key: m.key,
            value: m.value.into_inner(),
            schema_version: m.schema_version,
            updated_at: m.updated_at.into_inner(),
            updated_by: m.updated_by,
        }
    }
}

/// A value to store under a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewConfigEntry {
    /// The key (not empty, at most 255 characters).
    pub key: String,
    /// The value (anything but JSON `null`).
    pub value: JsonValue,
    /// Version of the value's schema, `digits.digits`.
    #[serde(default = "default_schema_version")]
    pub schema_version: String,
    /// Who sets it (not empty).
    #[serde(default = "default_updated_by")]
    pub updated_by: String,
}

fn default_schema_version() -> String {
    DEFAULT_SCHEMA_VERSION.to_owned()
}

fn default_updated_by() -> String {
    DEFAULT_UPDATED_BY.to_owned()
}

impl NewConfigEntry {
    /// `value` under `key`, with the seed's defaults: schema version [`DEFAULT_SCHEMA_VERSION`],
    /// set by [`DEFAULT_UPDATED_BY`].
    #[must_use]
    pub fn new(key: impl Into<String>, value: JsonValue) -> Self {
        Self {
            key: key.into(),
            value,
            schema_version: default_schema_version(),
            updated_by: default_updated_by(),
        }
    }

    /// With this schema version (`digits.digits`).
    #[must_use]
    pub fn with_schema_version(mut self, schema_version: impl Into<String>) -> Self {
        self.schema_version = schema_version.into();
        self
    }

    /// Set by `updated_by` (a user name, a service).
    #[must_use]
    pub fn by(mut self, updated_by: impl Into<String>) -> Self {
        self.updated_by = updated_by.into();
        self
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::Validation`] for an empty key, a JSON `null` value, a `schema_version` that is not
    /// `digits.digits`, or an empty `updated_by`.
    pub fn validate(&self) -> Result<()> {
        validate::text("key", &self.key, validate::MAX_KEY_LEN)?;
        if self.value.is_null() {
            return Err(Error::validation(
                "value",
                "must not be JSON null (delete the key instead)",
                "null",
            ));
        }
        validate_schema_version(&self.schema_version)?;
        validate::text("updated_by", &self.updated_by, validate::MAX_KEY_LEN)
    }
}

/// `schema_version` must be `digits.digits` (`"1.0"`, `"2.13"`).
fn validate_schema_version(version: &str) -> Result<()> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = version.len() <= MAX_VERSION_LEN
        && version
            .split_once('.')
            .is_some_and(|(major, minor)| digits(major) && digits(minor));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            "schema_version",
            "must be digits.digits, like \"1.0\"",
            format!("{version:?}"),
        ))
    }
}

/// Runtime configuration.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SystemConfigRepository: Send + Sync {
    /// The entry under `key`, if any.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn get_value(&self, key: &str) -> Result<Option<ConfigEntry>>;

    /// Store `entry` (insert, or replace the value under its key, in one statement), stamping
    /// `updated_at` now. Returns the entry as stored.
    ///
    /// # Errors
    /// [`Error::Validation`] as [`NewConfigEntry::validate`] says.
    async fn set_value(&self, entry: NewConfigEntry) -> Result<ConfigEntry>;

    /// Remove `key`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such key.
    async fn delete(&self, key: &str) -> Result<()>;

    /// Every entry, by key.
    ///
    /// # Errors
    /// [`Error::Db`].
    async fn list(&self) -> Result<Vec<ConfigEntry>>;
}

crate::store! {
    /// [`SystemConfigRepository`] on SeaORM.
    pub struct SystemConfigStore;
}

#[async_trait]
impl<C: Db> SystemConfigRepository for SystemConfigStore<C> {
    #[instrument(skip_all, fields(db.table = "system_config"))]
    async fn get_value(&self, key: &str) -> Result<Option<ConfigEntry>> {
        Ok(Entity::find_by_id(key)
            .one(&self.db)
            .await?
            .map(ConfigEntry::from))
    }

    #[instrument(skip_all, fields(db.table = "system_config"))]
    async fn set_value(&self, new: NewConfigEntry) -> Result<ConfigEntry> {
        new.validate()?;
        let entry = ConfigEntry {
            key: new.key,
            value: new.value,
            schema_version: new.schema_version,
            updated_at: now().into_inner(),
            updated_by: new.updated_by,
        };
        let row = ActiveModel {
            key: Set(entry.key.clone()),
            value: Set(entry.value.clone().into()),
            schema_version: Set(entry.schema_version.clone()),
            updated_at: Set(entry.updated_at.into()),
            updated_by: Set(entry.updated_by.clone()),
        };
        Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::Key)
                    .update_columns([
                        Column::Value,
                        Column::SchemaVersion,
                        Column::UpdatedAt,
                        Column::UpdatedBy,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(entry)
    }

    #[instrument(skip_all, fields(db.table = "system_config"))]
    async fn delete(&self, key: &str) -> Result<()> {
        store::delete_one::<Entity, _, _>(&self.db, key).await
    }

    #[instrument(skip_all, fields(db.table = "system_config"))]
    async fn list(&self) -> Result<Vec<ConfigEntry>> {
        Ok(Entity::find()
            .order_by_asc(Column::Key)
            .all(&self.db)
            .await?
            .into_iter()
            .map(ConfigEntry::from)
            .collect())
    }
}

/// What kind of JSON value `v` is (never the value itself, which may be sensitive).
const fn json_kind(v: &JsonValue) -> &'static str {
    match v {
        JsonValue::Null => "null",
        JsonValue::Bool(_) => "boolean",
        JsonValue::Number(_) => "number",
        JsonValue::String(_) => "string",
        JsonValue::Array(_) => "array",
        JsonValue::Object(_) => "object",
    }
}

/// The value under `key` deserialised into `T`, with its entry; `None` when the key is missing.
///
/// # Errors
/// [`Error::Validation`] naming the key when the stored JSON does not fit `T`; the repository's
/// errors.
pub async fn get_typed_entry<T, R>(repo: &R, key: &str) -> Result<Option<(T, ConfigEntry)>>
where
    T: DeserializeOwned,
    R: SystemConfigRepository + ?Sized,
{
    let Some(entry) = repo.get_value(key).await? else {
        return Ok(None);
    };
    let typed = T::deserialize(&entry.value).map_err(|e| {
        Error::validation(
            key,
            format!(
                "stored JSON does not fit {}: {e}",
                std::any::type_name::<T>()
            ),
            format!(
                "a JSON {} (schema_version {})",
                json_kind(&entry.value),
                entry.schema_version
            ),
        )
    })?;
    Ok(Some((typed, entry)))
}

/// The value under `key` deserialised into `T`; `None` when the key is missing.
///
/// # Errors
/// [`Error::Validation`] naming the key when the stored JSON does not fit `T`; the repository's
/// errors.
pub async fn get_typed<T, R>(repo: &R, key: &str) -> Result<Option<T>>
where
    T: DeserializeOwned,
    R: SystemConfigRepository + ?Sized,
{
    Ok(get_typed_entry(repo, key).await?.map(|(typed, _)| typed))
}

/// Serialise `value` and store it under `key` (see [`SystemConfigRepository::set_value`]).
///
/// # Errors
/// [`Error::Validation`] naming the key when `value` cannot be serialised to JSON (or
/// serialises to `null`); the repository's errors.
pub async fn set_typed<T, R>(
    repo: &R,
    key: &str,
    value: &T,
    schema_version: &str,
    updated_by: &str,
) -> Result<ConfigEntry>
where
    T: Serialize + ?Sized,
    R: SystemConfigRepository + ?Sized,
{
    let json = serde_json::to_value(value).map_err(|e| {
        Error::validation(
            key,
            format!(
                "cannot be serialised from {}: {e}",
                std::any::type_name::<T>()
            ),
            "unserialisable value",
        )
    })?;
    if json.is_null() {
        return Err(Error::validation(
            key,
            format!(
                "serialises to JSON null from {} (delete the key instead)",
                std::any::type_name::<T>()
            ),
            "null",
        ));
    }
    let entry = NewConfigEntry {
        key: key.to_owned(),
        value: json,
        schema_version: schema_version.to_owned(),
        updated_by: updated_by.to_owned(),
    };
    repo.set_value(entry).await
}
