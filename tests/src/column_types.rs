//! Column types as a seed's DDL writes them, and the check that a live schema declares them: one
//! matcher for every system whose seed gives types column by column.
//!
//! ```text
//! const TYPES: &[TableTypes] = &[("rate_limit", &[("id", ColumnType::Serial), ("ip_address", ColumnType::Varchar(45))])];
//! let problems = column_types::diff(TYPES, &schema, db.backend);
//! ```

use crate::introspect::{Column, Schema};
use crate::{Backend, TestDb};

/// A column type as a seed writes it, with its default where the default is part of the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `UUID PRIMARY KEY DEFAULT gen_random_uuid()`.
    UuidPk,
    /// `UUID`.
    Uuid,
    /// `TEXT`.
    Text,
    /// `VARCHAR(n)`.
    Varchar(i32),
    /// `FLOAT`: double precision (PostgreSQL's `FLOAT`), REAL affinity on SQLite.
    Float,
    /// `INTEGER`, not fed by a sequence.
    Integer,
    /// `BIGINT`.
    BigInt,
    /// `SERIAL`: an integer fed by a sequence (PostgreSQL), the rowid alias (SQLite).
    Serial,
    /// `BOOLEAN`.
    Bool,
    /// `JSONB`.
    Jsonb,
    /// `JSON` (kept as written: `json` on PostgreSQL, `JSON` on SQLite).
    Json,
    /// Bytes: `bytea` on PostgreSQL, `BLOB` on SQLite.
    Blob,
    /// `TIMESTAMP` without a default.
    Timestamp,
    /// `TIMESTAMP DEFAULT CURRENT_TIMESTAMP` (or `DEFAULT NOW()`).
    TimestampNow,
}

/// One table and every one of its columns with its type.
pub type TableTypes = (&'static str, &'static [(&'static str, ColumnType)]);

impl ColumnType {
    /// Whether `found` (a column of `table`) is declared as this type on `backend`.
    fn matches(self, backend: Backend, table: &str, found: &Column) -> bool {
        let pg = backend == Backend::Postgres;
        let data_type = found.data_type.as_str();
        let default = found.default.as_deref().unwrap_or("").to_lowercase();
        // SQLite: the seeds' type names (their affinity: TIMESTAMP, JSON and UUID numeric, REAL
        // real), as SQLite's own tools and SQLAlchemy declare them.
        let timestamp = if pg {
            "timestamp with time zone"
        } else {
            "timestamp"
        };
        match self {
            Self::UuidPk if pg => data_type == "uuid" && default == "gen_random_uuid()",
            Self::UuidPk => data_type == "uuid" && default.contains("randomblob"),
            Self::Uuid => data_type == "uuid",
            Self::Text => data_type == "text",
            Self::Varchar(n) if pg => {
                data_type == "character varying" && found.max_length == Some(n)
            }
            Self::Varchar(n) => data_type == format!("varchar({n})"),
            Self::Float => data_type == if pg { "double precision" } else { "real" },
            Self::Integer => data_type == "integer" && !default.starts_with("nextval("),
            Self::BigInt => data_type == if pg { "bigint" } else { "integer" },
            Self::Serial if pg => {
                data_type == "integer"
                    && default == format!("nextval('{table}_{}_seq'::regclass)", found.name)
            }
            Self::Serial => data_type == "integer",
            Self::Bool => data_type == "boolean",
            Self::Jsonb => data_type == if pg { "jsonb" } else { "json" },
            Self::Json => data_type == "json",
            Self::Blob => data_type == if pg { "bytea" } else { "blob" },
            Self::Timestamp => data_type == timestamp && default.is_empty(),
            Self::TimestampNow => data_type == timestamp && default == "current_timestamp",
        }
    }
}

/// Every difference between `expected` and the tables of `schema`, one line each (empty when
/// they match): a missing or unexpected column, or a column of another type.
#[must_use]
pub fn diff(expected: &[TableTypes], schema: &Schema, backend: Backend) -> Vec<String> {
    let mut problems = Vec::new();
    for (table, columns) in expected {
        let found = schema.columns(table);
        for extra in found
            .iter()
            .filter(|c| !columns.iter().any(|(name, _)| *name == c.name))
        {
            problems.push(format!(
                "{table}.{}: column without a type here",
                extra.name
            ));
        }
        for (column, ty) in *columns {
            let Some(found) = found.iter().find(|c| c.name == *column) else {
                problems.push(format!("{table}.{column}: missing"));
                continue;
            };
            if !ty.matches(backend, table, found) {
                problems.push(format!(
                    "{table}.{column}: expected {ty:?}, found {} (length {:?}, default {:?})",
                    found.data_type, found.max_length, found.default
                ));
            }
        }
    }
    problems
}

/// Assert that `db` declares every column of `expected` with its type, naming `seed` (e.g.
/// "seed 003") in the failure.
///
/// # Panics
/// When any column differs (all differences listed).
pub async fn assert_match(db: &TestDb, seed: &str, expected: &[TableTypes]) {
    let schema = crate::introspect::describe(&db.conn).await;
    let problems = diff(expected, &schema, db.backend);
    assert!(
        problems.is_empty(),
        "{:?} column types differ from {seed}:\n{}",
        db.backend,
        problems.join("\n")
    );
}
