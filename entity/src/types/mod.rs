//! Column types shared by every system, each stored in the native shape of both backends.
//!
//! - [`DbUuid`]: `uuid` on PostgreSQL, hyphenated text on SQLite.
//! - [`DbDateTime`]: `timestamptz` on PostgreSQL, SQLite's own `YYYY-MM-DD HH:MM:SS[.ffffff]` UTC
//!   text on SQLite (the shape of `CURRENT_TIMESTAMP`, `datetime()` and SQLAlchemy).
//! - [`DbJson`]: `json`/`jsonb` on PostgreSQL, JSON text on SQLite, read back whatever storage
//!   class SQLite's `JSON` column affinity gave a value.

mod datetime;
mod json;
mod uuid;

pub use datetime::DbDateTime;
pub use json::DbJson;
pub use uuid::DbUuid;
