//! Timestamps: `timestamptz` on PostgreSQL, SQLite's own text shape on SQLite.
//!
//! SQLite has no timestamp type; its date functions, `CURRENT_TIMESTAMP` and the seeds' Python
//! stack (SQLAlchemy) all store UTC text shaped `YYYY-MM-DD HH:MM:SS[.ffffff]`, and every
//! comparison in SQL is a text comparison. sqlx binds a `DateTime<Utc>` as RFC 3339
//! (`…T…+00:00`), which sorts after the space-separated shape for the whole day (`' '` < `'T'`),
//! so an expiry written by another client compares wrong.
//!
//! [`DbDateTime`] binds as a naive UTC date-time instead: sqlx writes that as
//! `%Y-%m-%d %H:%M:%S%.f` on SQLite (the fraction has 0, 3, 6 or 9 digits; text order stays time
//! order), and as a `timestamp` parameter on PostgreSQL, which the server converts to
//! `timestamptz` in the session time zone; sqlx opens every session with `TimeZone=UTC` in its
//! startup packet, which takes precedence over role defaults and a URL's `options`, so the instant
//! is kept. Reading accepts every shape a
//! SQLite file may hold: `T` or space, with or without a fraction, with `Z`, an offset or none,
//! and Unix or Julian-day numbers.

use std::fmt;
use std::ops::{Add, Deref, Sub};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::sea_query::{self, ArrayType, ColumnType, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryFromU64, TryGetError, TryGetable, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A UTC instant stored as `timestamptz` on PostgreSQL and as SQLite's own timestamp text.
///
/// Derefs to [`DateTime<Utc>`]; converts from and into it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DbDateTime(pub DateTime<Utc>);

impl DbDateTime {
    /// The current time at the precision both backends store (microseconds), so that a value
    /// written and read back compares equal.
    #[must_use]
    pub fn now() -> Self {
        Self(Utc::now().trunc_subsecs(6))
    }

    /// The wrapped [`DateTime<Utc>`].
    #[must_use]
    pub const fn into_inner(self) -> DateTime<Utc> {
        self.0
    }

    /// The text SQLite stores for this instant (`YYYY-MM-DD HH:MM:SS[.fff…]`).
    #[must_use]
    pub fn to_sqlite_text(&self) -> String {
        self.0.naive_utc().format("%F %T%.f").to_string()
    }
}

impl Deref for DbDateTime {
    type Target = DateTime<Utc>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl fmt::Debug for DbDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DbDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<DateTime<Utc>> for DbDateTime {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value)
    }
}

impl From<DbDateTime> for DateTime<Utc> {
    fn from(value: DbDateTime) -> Self {
        value.0
    }
}

impl PartialEq<DateTime<Utc>> for DbDateTime {
    fn eq(&self, other: &DateTime<Utc>) -> bool {
        self.0 == *other
    }
}

impl PartialEq<DbDateTime> for DateTime<Utc> {
    fn eq(&self, other: &DbDateTime) -> bool {
        *self == other.0
    }
}

impl PartialOrd<DateTime<Utc>> for DbDateTime {
    fn partial_cmp(&self, other: &DateTime<Utc>) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl PartialOrd<DbDateTime> for DateTime<Utc> {
    fn partial_cmp(&self, other: &DbDateTime) -> Option<std::cmp::Ordering> {
        self.partial_cmp(&other.0)
    }
}

impl Add<TimeDelta> for DbDateTime {
    type Output = Self;

    fn add(self, rhs: TimeDelta) -> Self {
        Self(self.0 + rhs)
    }
}

impl Sub<TimeDelta> for DbDateTime {
    type Output = Self;

    fn sub(self, rhs: TimeDelta) -> Self {
        Self(self.0 - rhs)
    }
}

impl Sub for DbDateTime {
    type Output = TimeDelta;

    fn sub(self, rhs: Self) -> TimeDelta {
        self.0 - rhs.0
    }
}

impl Serialize for DbDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DbDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DateTime::<Utc>::deserialize(deserializer).map(Self)
    }
}

impl From<DbDateTime> for Value {
    fn from(value: DbDateTime) -> Self {
        Value::ChronoDateTime(Some(value.0.naive_utc()))
    }
}

impl TryGetable for DbDateTime {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        // sqlx decodes `timestamptz` on PostgreSQL and every SQLite shape (text, Unix seconds,
        // Julian days) into a UTC instant.
        <DateTime<Utc> as TryGetable>::try_get_by(res, index).map(Self)
    }
}

impl ValueType for DbDateTime {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::ChronoDateTime(Some(naive)) => Ok(Self(naive.and_utc())),
            Value::ChronoDateTimeUtc(Some(utc)) => Ok(Self(utc)),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "DbDateTime".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::ChronoDateTime
    }

    fn column_type() -> ColumnType {
        ColumnType::TimestampWithTimeZone
    }
}

impl sea_query::Nullable for DbDateTime {
    fn null() -> Value {
        Value::ChronoDateTime(None)
    }
}

impl TryFromU64 for DbDateTime {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("DbDateTime"))
    }
}

impl sea_orm::IntoActiveValue<DbDateTime> for DbDateTime {
    fn into_active_value(self) -> sea_orm::ActiveValue<DbDateTime> {
        sea_orm::ActiveValue::Set(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_text_is_space_separated_utc_without_offset() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 1, 4, 35, 0)
            .single()
            .expect("valid");
        assert_eq!(DbDateTime(at).to_sqlite_text(), "2026-12-01 04:35:00");
        let at = at + TimeDelta::microseconds(123_456);
        assert_eq!(
            DbDateTime(at).to_sqlite_text(),
            "2026-12-01 04:35:00.123456"
        );
    }

    #[test]
    fn binds_as_naive_utc() {
        let at = DbDateTime::now();
        assert_eq!(Value::from(at), Value::ChronoDateTime(Some(at.naive_utc())));
        assert_eq!(
            <DbDateTime as ValueType>::try_from(Value::from(at)).ok(),
            Some(at)
        );
    }
}
