//! One value on its way between backends: read with the semantics of its [`Kind`], bound in the
//! shape the target backend stores, and rendered canonically for the checksum.
//!
//! The canonical rendering is the same whichever backend a value was read from: integers in
//! decimal, doubles by their bit pattern, booleans as 0/1, timestamps as RFC 3339 UTC with
//! microseconds, JSON re-serialised with object keys sorted, UUIDs lowercase hyphenated, text
//! and bytes as they are. Every value is tagged and length-prefixed, so no two rows render alike.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use entity::{DbDateTime, DbJson};
use sea_orm::{DbBackend, QueryResult, Value};
use sha2::{Digest, Sha256};

use super::catalogue::Kind;

/// One value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A double.
    Real(f64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(String),
    /// A UTC instant, at microsecond precision (what PostgreSQL keeps).
    Time(DateTime<Utc>),
    /// A JSON document.
    Json(serde_json::Value),
    /// A UUID.
    Uuid(repository::uuid::Uuid),
    /// Bytes.
    Blob(Vec<u8>),
}

/// The select-list expression reading `column` (already quoted) of `kind` on `backend`: on
/// PostgreSQL, integers widen to `int8`, doubles to `float8` and UUIDs go through text, so that
/// one Rust type reads each kind.
#[must_use]
pub fn select_expr(quoted: &str, kind: Kind, backend: DbBackend) -> String {
    if backend != DbBackend::Postgres {
        return quoted.to_owned();
    }
    match kind {
        Kind::Int => format!("{quoted}::int8"),
        Kind::Real => format!("{quoted}::float8"),
        Kind::Uuid => format!("{quoted}::text"),
        _ => quoted.to_owned(),
    }
}

/// Read the value at `index` of `row` as `kind`.
///
/// # Errors
/// When the stored value cannot be read as `kind` (e.g. text that is no timestamp in a
/// `TIMESTAMP` column of a SQLite file).
pub fn read(row: &QueryResult, index: usize, kind: Kind) -> Result<Cell> {
    Ok(match kind {
        Kind::Int => row.try_get_by_index::<Option<i64>>(index)?.map(Cell::Int),
        Kind::Real => row.try_get_by_index::<Option<f64>>(index)?.map(Cell::Real),
        Kind::Bool => row.try_get_by_index::<Option<bool>>(index)?.map(Cell::Bool),
        Kind::Text => row
            .try_get_by_index::<Option<String>>(index)?
            .map(Cell::Text),
        Kind::Time => row
            .try_get_by_index::<Option<DbDateTime>>(index)?
            .map(|t| Cell::Time(t.0.trunc_subsecs(6))),
        Kind::Json => row
            .try_get_by_index::<Option<DbJson>>(index)?
            .map(|j| Cell::Json(j.0)),
        Kind::Uuid => match row.try_get_by_index::<Option<String>>(index)? {
            Some(text) => Some(Cell::Uuid(
                repository::uuid::Uuid::parse_str(&text)
                    .with_context(|| format!("{text:?} is no UUID"))?,
            )),
            None => None,
        },
        Kind::Blob => row
            .try_get_by_index::<Option<Vec<u8>>>(index)?
            .map(Cell::Blob),
    }
    .unwrap_or(Cell::Null))
}

/// The value to bind for `cell` into a column of `kind` on `backend`.
///
/// # Errors
/// When `cell` is not of `kind` (the source and target catalogues disagree).
pub fn bind(cell: &Cell, kind: Kind, backend: DbBackend) -> Result<Value> {
    let sqlite = backend == DbBackend::Sqlite;
    Ok(match (cell, kind) {
        (Cell::Null, _) => null_of(kind, backend),
        (Cell::Int(v), Kind::Int) => Value::BigInt(Some(*v)),
        (Cell::Real(v), Kind::Real) => Value::Double(Some(*v)),
        (Cell::Bool(v), Kind::Bool) => Value::Bool(Some(*v)),
        (Cell::Text(v), Kind::Text) => Value::String(Some(v.clone())),
        // SQLite's own text shape (`YYYY-MM-DD HH:MM:SS.ffffff`), as `DbDateTime` writes it.
        (Cell::Time(v), Kind::Time) if sqlite => DbDateTime(*v).into(),
        (Cell::Time(v), Kind::Time) => Value::ChronoDateTimeUtc(Some(*v)),
        (Cell::Json(v), Kind::Json) => Value::Json(Some(Box::new(v.clone()))),
        (Cell::Uuid(v), Kind::Uuid) if sqlite => Value::String(Some(v.hyphenated().to_string())),
        (Cell::Uuid(v), Kind::Uuid) => Value::Uuid(Some(*v)),
        (Cell::Blob(v), Kind::Blob) => Value::Bytes(Some(v.clone())),
        (cell, kind) => bail!("a {cell:?} cannot go into a {kind:?} column"),
    })
}

/// A typed NULL for a column of `kind`.
fn null_of(kind: Kind, backend: DbBackend) -> Value {
    match kind {
        Kind::Int => Value::BigInt(None),
        Kind::Real => Value::Double(None),
        Kind::Bool => Value::Bool(None),
        Kind::Text => Value::String(None),
        Kind::Time if backend == DbBackend::Sqlite => Value::ChronoDateTime(None),
        Kind::Time => Value::ChronoDateTimeUtc(None),
        Kind::Json => Value::Json(None),
        Kind::Uuid if backend == DbBackend::Sqlite => Value::String(None),
        Kind::Uuid => Value::Uuid(None),
        Kind::Blob => Value::Bytes(None),
    }
}

/// Feed the canonical rendering of `cell` into `hash`.
pub fn digest(cell: &Cell, hash: &mut Sha256) {
    let (tag, body): (u8, std::borrow::Cow<'_, [u8]>) = match cell {
        Cell::Null => (b'N', (&[][..]).into()),
        Cell::Int(v) => (b'I', v.to_string().into_bytes().into()),
        Cell::Real(v) => (b'R', v.to_bits().to_be_bytes().to_vec().into()),
        Cell::Bool(v) => (b'B', vec![u8::from(*v)].into()),
        Cell::Text(v) => (b'T', v.as_bytes().into()),
        // `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
        Cell::Time(v) => (
            b'D',
            v.to_rfc3339_opts(SecondsFormat::Micros, true)
                .into_bytes()
                .into(),
        ),
        Cell::Json(v) => (b'J', canonical_json(v).into_bytes().into()),
        Cell::Uuid(v) => (b'U', v.hyphenated().to_string().into_bytes().into()),
        Cell::Blob(v) => (b'X', v.as_slice().into()),
    };
    hash.update([tag]);
    hash.update((body.len() as u64).to_be_bytes());
    hash.update(&body);
}

/// `value` serialised with every object's keys sorted (by their UTF-8 bytes) and no whitespace;
/// numbers and strings as `serde_json` writes them.
#[must_use]
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(cells: &[Cell]) -> String {
        let mut hash = Sha256::new();
        for cell in cells {
            digest(cell, &mut hash);
        }
        hex::encode(hash.finalize())
    }

    #[test]
    fn timestamps_render_as_rfc3339_utc_micros() {
        let at = DateTime::parse_from_rfc3339("2026-03-04T06:06:07.5+01:00")
            .expect("time")
            .to_utc();
        let mut a = Sha256::new();
        digest(&Cell::Time(at), &mut a);
        let mut b = Sha256::new();
        b.update([b'D']);
        b.update(27u64.to_be_bytes());
        b.update(b"2026-03-04T05:06:07.500000Z");
        assert_eq!(a.finalize(), b.finalize());
    }

    #[test]
    fn json_is_rendered_with_sorted_keys() {
        let a = serde_json::json!({"b": [1, 2.5, {"z": null, "a": "é"}], "a": true});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":true,"b":[1,2.5,{"a":"é","z":null}]}"#
        );
    }

    #[test]
    fn renderings_are_unambiguous() {
        assert_ne!(
            hex_of(&[Cell::Text("ab".into()), Cell::Text("c".into())]),
            hex_of(&[Cell::Text("a".into()), Cell::Text("bc".into())])
        );
        assert_ne!(hex_of(&[Cell::Null]), hex_of(&[Cell::Text(String::new())]));
        assert_ne!(hex_of(&[Cell::Int(1)]), hex_of(&[Cell::Bool(true)]));
    }

    #[test]
    fn binding_follows_the_target_backend() {
        let id = repository::uuid::Uuid::new_v4();
        assert_eq!(
            bind(&Cell::Uuid(id), Kind::Uuid, DbBackend::Sqlite).expect("bind"),
            Value::String(Some(id.hyphenated().to_string()))
        );
        assert_eq!(
            bind(&Cell::Uuid(id), Kind::Uuid, DbBackend::Postgres).expect("bind"),
            Value::Uuid(Some(id))
        );
        assert!(bind(&Cell::Int(1), Kind::Text, DbBackend::Sqlite).is_err());
    }
}
