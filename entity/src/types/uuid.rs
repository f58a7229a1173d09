//! UUIDs: `uuid` on PostgreSQL, hyphenated `TEXT` on SQLite.
//!
//! The seeds that use UUID keys (003, 004) target PostgreSQL, where the column type is `uuid`;
//! on SQLite we store UUIDs as hyphenated lowercase `TEXT` so that the file stays readable with the
//! `sqlite3` shell and `WHERE id IN (...)` works. SeaORM's stock `Uuid` binds a 16-byte BLOB on
//! SQLite and its `TextUuid` binds `text`, which PostgreSQL refuses for a `uuid` column.
//!
//! [`DbUuid`] gets both right: it binds as text and declares its column as the database type
//! `uuid`, so SeaORM wraps every bound value in `CAST($n AS uuid)` on PostgreSQL (and reads the
//! column back through `CAST(... AS text)`), while on SQLite nothing is cast and the text is stored
//! as is. Reading accepts a native `uuid` as well, which is what PostgreSQL hands back in
//! `RETURNING`.

use std::fmt;
use std::str::FromStr;

use sea_orm::sea_query::{self, ArrayType, ColumnType, IntoIden, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryFromU64, TryGetError, TryGetable, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A UUID stored as `uuid` on PostgreSQL and as hyphenated `TEXT` on SQLite.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DbUuid(pub uuid::Uuid);

impl DbUuid {
    /// A new random (version 4) UUID.
    #[must_use]
    pub fn new_v4() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// The wrapped [`uuid::Uuid`].
    #[must_use]
    pub const fn into_inner(self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Debug for DbUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DbUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for DbUuid {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

impl From<uuid::Uuid> for DbUuid {
    fn from(value: uuid::Uuid) -> Self {
        Self(value)
    }
}

impl From<DbUuid> for uuid::Uuid {
    fn from(value: DbUuid) -> Self {
        value.0
    }
}

impl Serialize for DbUuid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DbUuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        uuid::Uuid::deserialize(deserializer).map(Self)
    }
}

impl From<DbUuid> for Value {
    fn from(value: DbUuid) -> Self {
        Value::String(Some(value.0.hyphenated().to_string()))
    }
}

impl TryGetable for DbUuid {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        // PostgreSQL hands back a native `uuid` from RETURNING; a SELECT casts it to text.
        if let Ok(uuid) = <uuid::Uuid as TryGetable>::try_get_by(res, index) {
            return Ok(Self(uuid));
        }
        let text: String = <String as TryGetable>::try_get_by(res, index)?;
        uuid::Uuid::parse_str(&text).map(Self).map_err(|e| {
            TryGetError::DbErr(DbErr::Type(format!(
                "column value {text:?} is not a UUID: {e}"
            )))
        })
    }
}

impl ValueType for DbUuid {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::String(Some(s)) => uuid::Uuid::parse_str(&s)
                .map(Self)
                .map_err(|_| ValueTypeErr),
            Value::Uuid(Some(u)) => Ok(Self(u)),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "DbUuid".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        // Declared as a named database type so that SeaORM casts bound text to `uuid` on
        // PostgreSQL; no other backend renders the cast.
        ColumnType::Enum {
            name: "uuid".into_iden(),
            variants: Vec::new(),
        }
    }
}

impl sea_query::Nullable for DbUuid {
    fn null() -> Value {
        Value::String(None)
    }
}

impl TryFromU64 for DbUuid {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("DbUuid"))
    }
}

impl sea_orm::IntoActiveValue<DbUuid> for DbUuid {
    fn into_active_value(self) -> sea_orm::ActiveValue<DbUuid> {
        sea_orm::ActiveValue::Set(self)
    }
}
