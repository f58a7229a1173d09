//! JSON documents: `json`/`jsonb` on PostgreSQL, `JSON` on SQLite.
//!
//! A column declared `JSON` on SQLite (as the seeds' DDL and SQLAlchemy declare it) has NUMERIC
//! affinity: a document that is a bare number (`42`, `1.5`) is stored as an INTEGER or REAL, not as
//! text, by every client alike. sqlx only decodes JSON from TEXT, so [`DbJson`] also reads those
//! numbers back as JSON numbers. (SQLite keeps integers in 64 bits: a bare JSON integer beyond
//! `i64` comes back as a float there, as it does for every other SQLite client.)

use std::fmt;
use std::ops::{Deref, DerefMut};

use sea_orm::sea_query::{self, ArrayType, ColumnType, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryFromU64, TryGetError, TryGetable, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON document; derefs to [`serde_json::Value`] and converts from and into it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct DbJson(pub serde_json::Value);

impl DbJson {
    /// The wrapped [`serde_json::Value`].
    #[must_use]
    pub fn into_inner(self) -> serde_json::Value {
        self.0
    }
}

impl Deref for DbJson {
    type Target = serde_json::Value;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for DbJson {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl fmt::Debug for DbJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DbJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<serde_json::Value> for DbJson {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl From<DbJson> for serde_json::Value {
    fn from(value: DbJson) -> Self {
        value.0
    }
}

impl PartialEq<serde_json::Value> for DbJson {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.0 == *other
    }
}

impl PartialEq<DbJson> for serde_json::Value {
    fn eq(&self, other: &DbJson) -> bool {
        *self == other.0
    }
}

impl Serialize for DbJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DbJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Self)
    }
}

impl From<DbJson> for Value {
    fn from(value: DbJson) -> Self {
        Value::Json(Some(Box::new(value.0)))
    }
}

impl TryGetable for DbJson {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        match <serde_json::Value as TryGetable>::try_get_by(res, index) {
            Ok(value) => Ok(Self(value)),
            Err(TryGetError::Null(column)) => Err(TryGetError::Null(column)),
            // A bare number in a SQLite `JSON` column, stored as INTEGER or REAL by affinity.
            Err(err) => <i64 as TryGetable>::try_get_by(res, index)
                .map(serde_json::Value::from)
                .or_else(|_| {
                    <f64 as TryGetable>::try_get_by(res, index).map(serde_json::Value::from)
                })
                .map(Self)
                .map_err(|_| err),
        }
    }
}

impl ValueType for DbJson {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Json(Some(json)) => Ok(Self(*json)),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "DbJson".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Json
    }

    fn column_type() -> ColumnType {
        ColumnType::Json
    }
}

impl sea_query::Nullable for DbJson {
    fn null() -> Value {
        Value::Json(None)
    }
}

impl TryFromU64 for DbJson {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("DbJson"))
    }
}

impl sea_orm::IntoActiveValue<DbJson> for DbJson {
    fn into_active_value(self) -> sea_orm::ActiveValue<DbJson> {
        sea_orm::ActiveValue::Set(self)
    }
}
