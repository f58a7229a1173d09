//! Column types and DEFAULTs as a seed's DDL writes them, and the check that a live schema
//! declares exactly those: one matcher for every system.
//!
//! ```text
//! use tests::column_types::{ColumnDefault as D, ColumnType as T, TableTypes};
//! const TYPES: &[TableTypes] = &[(
//!     "rate_limit",
//!     &[("id", T::Serial, D::None), ("request_count", T::Integer, D::Int(0))],
//! )];
//! tests::column_types::assert_match(db, "seed 001", TYPES, &[]).await;
//! ```
//!
//! # How defaults compare
//!
//! The two backends render the same DEFAULT differently: PostgreSQL keeps a cast on literals
//! (`'pending'::text`, `'[]'::jsonb`, `'1.0.0'::character varying`), writes booleans `true`/`false`
//! and prints a `double precision` `1.0` as `1`; SQLite keeps the text of the DDL (`'pending'`,
//! `TRUE`, `0`, `1`). A live default is therefore read into one form ([`Found`]) before it is
//! compared:
//! - a quoted literal loses its `::type` casts and its quote escaping (`''` → `'`): text;
//! - `true`/`false` in any case: a boolean;
//! - a bare number: compared as an integer for [`ColumnDefault::Int`] and as an `f64` for
//!   [`ColumnDefault::Real`] (so `1`, `1.0` and `1.00` all equal `Real(1.0)`);
//! - `CURRENT_TIMESTAMP` or `now()`: [`ColumnDefault::Now`];
//! - `gen_random_uuid()`, or SQLite's `randomblob` expression building a version-4 UUID:
//!   [`ColumnDefault::UuidV4`];
//! - `nextval('…')`: the sequence of a [`ColumnType::Serial`] column, which its type owns (the
//!   type check names the sequence; its default is written [`ColumnDefault::None`], as the seed
//!   writes no DEFAULT for `SERIAL`).
//!
//! [`ColumnDefault::Json`] compares the literal's JSON value, not its spelling.

use crate::introspect::{Column, Schema};
use crate::{Backend, TestDb};

/// A column type as a seed writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `UUID`.
    Uuid,
    /// `TEXT` (and SQLAlchemy's `String` and `Enum`, as the project declares them).
    Text,
    /// `VARCHAR(n)`.
    Varchar(i32),
    /// `FLOAT`: `double precision` on PostgreSQL (the project's choice for every float), `REAL`
    /// on SQLite.
    Float,
    /// `REAL`: declared like [`ColumnType::Float`].
    Real,
    /// `INTEGER`, not numbered by the database.
    Integer,
    /// `BIGINT` (SQLite's `INTEGER`: one integer type of up to 8 bytes).
    BigInt,
    /// `SERIAL`: an integer fed by its sequence (PostgreSQL), the rowid alias (SQLite).
    Serial,
    /// SQLAlchemy's `Column(Integer, primary_key=True)`: an integer key the database numbers,
    /// an identity column on PostgreSQL, the rowid alias on SQLite.
    IntegerPk,
    /// `BOOLEAN`.
    Bool,
    /// `JSON`: `json` on PostgreSQL, `JSON` on SQLite.
    Json,
    /// `JSONB`: `jsonb` on PostgreSQL, `JSON` on SQLite.
    Jsonb,
    /// Bytes: `bytea` on PostgreSQL, `BLOB` on SQLite.
    Blob,
    /// `TIMESTAMP`: `timestamptz` on PostgreSQL (the project's choice), `TIMESTAMP` on SQLite.
    Timestamp,
}

/// A column's DEFAULT as a seed writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnDefault {
    /// No DEFAULT.
    None,
    /// `DEFAULT CURRENT_TIMESTAMP` or `DEFAULT NOW()`.
    Now,
    /// `DEFAULT gen_random_uuid()`.
    UuidV4,
    /// An integer literal: `DEFAULT 0`.
    Int(i64),
    /// A floating-point literal: `DEFAULT 1.0`.
    Real(f64),
    /// `DEFAULT TRUE` / `DEFAULT FALSE`.
    Bool(bool),
    /// A text literal: `DEFAULT 'pending'`.
    Text(&'static str),
    /// A JSON literal: `DEFAULT '["*.md", "*.mdx"]'`, compared as JSON.
    Json(&'static str),
}

/// One column: its name, type and default.
pub type ColumnTypes = (&'static str, ColumnType, ColumnDefault);

/// One table and every one of its columns.
pub type TableTypes = (&'static str, &'static [ColumnTypes]);

/// A default the live schema has where the seed writes another one (or none), kept on purpose:
/// `(table, column, the live default, why)`. Listing it here is what makes it accepted; it must
/// really differ from the seed's, so that the list cannot outlive the difference.
pub type DefaultDeviation = (&'static str, &'static str, ColumnDefault, &'static str);

impl ColumnType {
    /// Whether `found` (a column of `table`) is declared as this type on `backend`.
    fn matches(self, backend: Backend, table: &str, found: &Column) -> bool {
        let pg = backend == Backend::Postgres;
        let data_type = found.data_type.as_str();
        let integer = data_type == "integer";
        // SQLite: the seeds' type names (their affinity: TIMESTAMP, JSON and UUID numeric, REAL
        // real), as SQLite's own tools and SQLAlchemy declare them.
        match self {
            Self::Uuid => data_type == "uuid",
            Self::Text => data_type == "text",
            Self::Varchar(n) if pg => {
                data_type == "character varying" && found.max_length == Some(n)
            }
            Self::Varchar(n) => data_type == format!("varchar({n})"),
            Self::Float | Self::Real => data_type == if pg { "double precision" } else { "real" },
            Self::Integer => integer && !found.auto_increment,
            Self::BigInt => {
                data_type == if pg { "bigint" } else { "integer" } && !found.auto_increment
            }
            Self::Serial if pg => {
                integer
                    && found.default.as_deref()
                        == Some(format!("nextval('{table}_{}_seq'::regclass)", found.name).as_str())
            }
            // PostgreSQL: an identity column, not a sequence default.
            Self::IntegerPk if pg => integer && found.auto_increment && found.default.is_none(),
            Self::Serial | Self::IntegerPk => integer && found.auto_increment,
            Self::Bool => data_type == "boolean",
            Self::Json => data_type == "json",
            Self::Jsonb => data_type == if pg { "jsonb" } else { "json" },
            Self::Blob => data_type == if pg { "bytea" } else { "blob" },
            Self::Timestamp if pg => data_type == "timestamp with time zone",
            Self::Timestamp => data_type == "timestamp",
        }
    }
}

/// A live DEFAULT read into one form on both backends (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
enum Found {
    None,
    Now,
    UuidV4,
    Sequence,
    Bool(bool),
    /// A bare number, as written.
    Number(String),
    /// A quoted literal without its quotes and casts.
    Text(String),
    /// Anything else, as written.
    Other(String),
}

impl Found {
    fn read(default: Option<&str>) -> Self {
        let Some(raw) = default else {
            return Self::None;
        };
        let mut expr = raw.trim();
        while let Some(inner) = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
            if !balanced(inner) {
                break;
            }
            expr = inner.trim();
        }
        let lower = expr.to_lowercase();
        if let Some(text) = quoted_literal(expr) {
            return Self::Text(text);
        }
        match lower.as_str() {
            "current_timestamp" | "now()" => Self::Now,
            "gen_random_uuid()" => Self::UuidV4,
            "true" => Self::Bool(true),
            "false" => Self::Bool(false),
            _ if lower.starts_with("nextval(") => Self::Sequence,
            // SQLite has no UUID function: random hex with the version digit 4 in place.
            _ if lower.contains("randomblob(") && lower.contains("'-4'") => Self::UuidV4,
            _ if expr.parse::<f64>().is_ok() => Self::Number(expr.to_owned()),
            _ => Self::Other(expr.to_owned()),
        }
    }
}

/// Whether every parenthesis of `expr` closes inside it (so that `(a) || (b)` is not unwrapped).
fn balanced(expr: &str) -> bool {
    let mut depth = 0_i32;
    for c in expr.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// The text of a `'…'` literal followed by nothing but `::type` casts, unescaped.
fn quoted_literal(expr: &str) -> Option<String> {
    let body = expr.strip_prefix('\'')?;
    let mut text = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\'' {
            text.push(c);
            continue;
        }
        if chars.peek().is_some_and(|(_, next)| *next == '\'') {
            chars.next();
            text.push('\'');
            continue;
        }
        // What follows the closing quote: nothing, or `::type` casts only.
        let mut casts = body[i + 1..].trim().split("::");
        let only_casts = casts.next().is_some_and(str::is_empty)
            && casts.all(|ty| {
                !ty.trim().is_empty()
                    && ty
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " _()[]".contains(c))
            });
        return only_casts.then_some(text);
    }
    None
}

impl ColumnDefault {
    /// Whether the live default `found` of a column of type `ty` is this one.
    fn matches(self, ty: ColumnType, found: &Found) -> bool {
        match (self, found) {
            (Self::None, Found::None) | (Self::Now, Found::Now) | (Self::UuidV4, Found::UuidV4) => {
                true
            }
            // The sequence is part of the type (checked there).
            (Self::None, Found::Sequence) => ty == ColumnType::Serial,
            (Self::Int(n), Found::Number(text)) => text.parse::<i64>() == Ok(n),
            (Self::Real(x), Found::Number(text)) => text.parse::<f64>() == Ok(x),
            (Self::Bool(b), Found::Bool(found)) => b == *found,
            (Self::Text(s), Found::Text(text)) => s == text,
            (Self::Json(s), Found::Text(text)) => {
                let expected: serde_json::Value =
                    serde_json::from_str(s).unwrap_or_else(|e| panic!("expected JSON {s:?}: {e}"));
                serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v == expected)
            }
            _ => false,
        }
    }
}

/// Every difference between `expected` (with the `deviations` it accepts) and the tables of
/// `schema`, one line each (empty when they match): a missing or unexpected column, a column of
/// another type or with another default, a deviation that names no listed column or does not
/// deviate.
#[must_use]
pub fn diff(
    expected: &[TableTypes],
    deviations: &[DefaultDeviation],
    schema: &Schema,
    backend: Backend,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (table, column, live, _) in deviations {
        let seed = expected
            .iter()
            .filter(|(t, _)| t == table)
            .flat_map(|(_, columns)| columns.iter())
            .find(|(c, _, _)| c == column);
        match seed {
            None => problems.push(format!("{table}.{column}: a deviation of no listed column")),
            Some((_, _, seed)) if seed == live => problems.push(format!(
                "{table}.{column}: listed as a deviation, but {live:?} is the seed's own default"
            )),
            Some(_) => {}
        }
    }
    for (table, columns) in expected {
        let found = schema.columns(table);
        if found.is_empty() {
            problems.push(format!("{table}: no such table"));
            continue;
        }
        for extra in found
            .iter()
            .filter(|c| !columns.iter().any(|(name, _, _)| *name == c.name))
        {
            problems.push(format!(
                "{table}.{}: column without a type here",
                extra.name
            ));
        }
        for (column, ty, seed_default) in *columns {
            let Some(found) = found.iter().find(|c| c.name == *column) else {
                problems.push(format!("{table}.{column}: missing"));
                continue;
            };
            if !ty.matches(backend, table, found) {
                problems.push(format!(
                    "{table}.{column}: expected {ty:?}, found {} (length {:?}, default {:?}, \
                     auto-increment {})",
                    found.data_type, found.max_length, found.default, found.auto_increment
                ));
            }
            let default = deviations
                .iter()
                .find(|(t, c, _, _)| t == table && c == column)
                .map_or(*seed_default, |(_, _, live, _)| *live);
            if !default.matches(*ty, &Found::read(found.default.as_deref())) {
                problems.push(format!(
                    "{table}.{column}: expected default {default:?}, found {:?}",
                    found.default
                ));
            }
        }
    }
    problems
}

/// Assert that `db` declares every column of `expected` with its type and default (or the
/// default of its entry in `deviations`), naming `seed` (e.g. "seed 003") in the failure.
///
/// # Panics
/// When any column differs (all differences listed).
pub async fn assert_match(
    db: &TestDb,
    seed: &str,
    expected: &[TableTypes],
    deviations: &[DefaultDeviation],
) {
    let schema = crate::introspect::describe(&db.conn).await;
    let problems = diff(expected, deviations, &schema, db.backend);
    assert!(
        problems.is_empty(),
        "{:?} column types or defaults differ from {seed}:\n{}",
        db.backend,
        problems.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::{ColumnDefault as D, ColumnType as T, DefaultDeviation, Found, TableTypes, diff};
    use crate::Backend;
    use crate::introspect::{Column, Schema, Table};

    fn matches(expected: D, ty: T, live: &str) -> bool {
        expected.matches(ty, &Found::read(Some(live)))
    }

    #[test]
    fn postgres_renderings_compare() {
        assert!(matches(D::Text("pending"), T::Text, "'pending'::text"));
        assert!(matches(
            D::Text("1.0.0"),
            T::Varchar(50),
            "'1.0.0'::character varying"
        ));
        assert!(matches(D::Json("[]"), T::Jsonb, "'[]'::jsonb"));
        assert!(matches(D::Json("{}"), T::Jsonb, "'{}'::jsonb"));
        assert!(matches(
            D::Json(r#"["*.md", "*.mdx"]"#),
            T::Json,
            r#"'["*.md","*.mdx"]'::json"#
        ));
        assert!(matches(D::Bool(true), T::Bool, "true"));
        assert!(matches(D::Int(0), T::Integer, "0"));
        assert!(matches(D::Real(1.0), T::Real, "1"));
        assert!(matches(D::Real(0.5), T::Float, "0.5"));
        assert!(matches(D::Now, T::Timestamp, "CURRENT_TIMESTAMP"));
        assert!(matches(D::Now, T::Timestamp, "now()"));
        assert!(matches(D::UuidV4, T::Uuid, "gen_random_uuid()"));
        assert!(matches(
            D::None,
            T::Serial,
            "nextval('rate_limit_id_seq'::regclass)"
        ));
        assert!(!matches(
            D::None,
            T::Integer,
            "nextval('rate_limit_id_seq'::regclass)"
        ));
        assert!(matches(D::Text("it's"), T::Text, "'it''s'::text"));
    }

    #[test]
    fn sqlite_renderings_compare() {
        assert!(matches(D::Text("pending"), T::Text, "'pending'"));
        assert!(matches(D::Bool(false), T::Bool, "FALSE"));
        assert!(matches(D::Int(24), T::Integer, "24"));
        assert!(matches(D::Real(1.0), T::Real, "1"));
        assert!(matches(D::Real(0.0), T::Real, "0.0"));
        assert!(matches(D::Now, T::Timestamp, "CURRENT_TIMESTAMP"));
        assert!(matches(
            D::UuidV4,
            T::Uuid,
            "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || \
             substr(lower(hex(randomblob(2))), 2))"
        ));
    }

    #[test]
    fn different_defaults_do_not_compare() {
        assert!(!matches(D::Text("pending"), T::Text, "'Pending'"));
        assert!(!matches(D::Int(0), T::Integer, "0.5"));
        assert!(!matches(D::Int(1), T::Integer, "TRUE"));
        assert!(!matches(D::Bool(true), T::Bool, "1"));
        assert!(!matches(D::Real(1.0), T::Real, "'1.0'"));
        assert!(!matches(D::Json("[]"), T::Jsonb, "'{}'::jsonb"));
        assert!(!matches(
            D::Now,
            T::Timestamp,
            "(strftime('%Y-%m-%dT%H:%M:%f+00:00','now'))"
        ));
        assert!(!matches(D::None, T::Text, "''"));
        assert!(!matches(D::Text(""), T::Text, "'a'::text || 'b'"));
        assert!(D::None.matches(T::Text, &Found::read(None)));
        assert!(!D::Now.matches(T::Timestamp, &Found::read(None)));
    }

    fn column(name: &str, data_type: &str, default: Option<&str>) -> Column {
        Column {
            name: name.to_owned(),
            nullable: true,
            data_type: data_type.to_owned(),
            default: default.map(str::to_owned),
            max_length: None,
            auto_increment: false,
        }
    }

    /// A SQLite `item` table: `status TEXT DEFAULT 'new'`, `n INTEGER`.
    fn schema() -> Schema {
        let mut schema = Schema::default();
        let table = Table {
            columns: vec![
                column("status", "text", Some("'new'")),
                column("n", "integer", None),
            ],
            ..Table::default()
        };
        schema.tables.insert("item".to_owned(), table);
        schema
    }

    const SEED: &[TableTypes] = &[(
        "item",
        &[("status", T::Text, D::None), ("n", T::Integer, D::None)],
    )];

    #[test]
    fn a_listed_deviation_is_accepted_and_only_then() {
        let problems = diff(SEED, &[], &schema(), Backend::Sqlite);
        assert_eq!(
            problems,
            ["item.status: expected default None, found Some(\"'new'\")"]
        );
        let accepted: &[DefaultDeviation] = &[("item", "status", D::Text("new"), "why")];
        assert!(diff(SEED, accepted, &schema(), Backend::Sqlite).is_empty());
    }

    #[test]
    fn deviations_must_name_a_listed_column_and_differ_from_the_seed() {
        let stale: &[DefaultDeviation] = &[
            ("item", "n", D::None, "not a deviation"),
            ("item", "gone", D::Int(1), "no such column"),
            ("item", "status", D::Text("new"), "why"),
        ];
        assert_eq!(
            diff(SEED, stale, &schema(), Backend::Sqlite),
            [
                "item.n: listed as a deviation, but None is the seed's own default",
                "item.gone: a deviation of no listed column",
            ]
        );
    }

    #[test]
    fn missing_and_unlisted_columns_and_tables_are_reported() {
        const OTHER: &[TableTypes] = &[
            (
                "item",
                &[
                    ("status", T::Text, D::Text("new")),
                    ("m", T::Integer, D::None),
                ],
            ),
            ("nothing", &[("id", T::Uuid, D::UuidV4)]),
        ];
        assert_eq!(
            diff(OTHER, &[], &schema(), Backend::Sqlite),
            [
                "item.n: column without a type here",
                "item.m: missing",
                "nothing: no such table",
            ]
        );
    }
}
