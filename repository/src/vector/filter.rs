//! Metadata filters: the subset of Chroma's `where` both backends evaluate alike.
//!
//! `{"k": v}` and `{"k": {"$eq": v}}`, `$ne`, `$gt`/`$gte`/`$lt`/`$lte` (numbers), `$in`/`$nin`
//! (lists), `{"$and": [...]}`, `{"$or": [...]}`. A record lacking the key matches no comparison
//! and no `$in`; it matches `$ne` and `$nin` (they are the complements of `$eq` and `$in`, as in
//! Chroma).

use serde_json::{Map, Value, json};

use super::types::{Metadata, MetadataValue};
use crate::{Error, Result};

/// A value compared in a filter.
pub type FilterValue = MetadataValue;

/// A metadata filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// The key equals the value (an integer equals the float of the same value).
    Eq(String, FilterValue),
    /// The key is missing or differs from the value.
    Ne(String, FilterValue),
    /// The key is a number greater than the value.
    Gt(String, FilterValue),
    /// The key is a number at least the value.
    Gte(String, FilterValue),
    /// The key is a number less than the value.
    Lt(String, FilterValue),
    /// The key is a number at most the value.
    Lte(String, FilterValue),
    /// The key equals one of the values.
    In(String, Vec<FilterValue>),
    /// The key is missing or equals none of the values.
    Nin(String, Vec<FilterValue>),
    /// Every filter matches.
    And(Vec<Filter>),
    /// At least one filter matches.
    Or(Vec<Filter>),
}

const FIELD: &str = "filter";

fn bad(rule: impl Into<String>, value: impl ToString) -> Error {
    Error::validation(FIELD, rule, value)
}

fn number(value: &FilterValue) -> Option<f64> {
    match value {
        #[allow(clippy::cast_precision_loss)] // compared as Chroma compares: as numbers
        MetadataValue::Int(i) => Some(*i as f64),
        MetadataValue::Float(f) => Some(*f),
        MetadataValue::Bool(_) | MetadataValue::Str(_) => None,
    }
}

fn same(a: &FilterValue, b: &FilterValue) -> bool {
    match (a, b) {
        (MetadataValue::Str(x), MetadataValue::Str(y)) => x == y,
        (MetadataValue::Bool(x), MetadataValue::Bool(y)) => x == y,
        _ => matches!((number(a), number(b)), (Some(x), Some(y)) if x == y),
    }
}

impl Filter {
    /// Parse Chroma's `where` JSON.
    ///
    /// # Errors
    /// [`Error::Validation`] on field `filter` naming what is malformed.
    pub fn from_json(value: &Value) -> Result<Self> {
        let object = value
            .as_object()
            .ok_or_else(|| bad("must be a JSON object", value))?;
        if object.len() != 1 {
            return Err(bad("must have exactly one key or operator", value));
        }
        let Some((key, inner)) = object.iter().next() else {
            return Err(bad("must have exactly one key or operator", value));
        };
        match key.as_str() {
            "$and" | "$or" => {
                let items = inner
                    .as_array()
                    .ok_or_else(|| bad(format!("{key} takes a list of filters"), inner))?
                    .iter()
                    .map(Self::from_json)
                    .collect::<Result<Vec<_>>>()?;
                let filter = if key == "$and" {
                    Self::And(items)
                } else {
                    Self::Or(items)
                };
                filter.validate()?;
                Ok(filter)
            }
            k if k.starts_with('$') => Err(bad("unknown logical operator", k)),
            field => Self::field(field, inner),
        }
    }

    fn field(field: &str, condition: &Value) -> Result<Self> {
        let Some(ops) = condition.as_object() else {
            return Ok(Self::Eq(field.to_owned(), scalar(condition)?));
        };
        if ops.len() != 1 {
            return Err(bad("a condition must have exactly one operator", condition));
        }
        let Some((op, operand)) = ops.iter().next() else {
            return Err(bad("a condition must have exactly one operator", condition));
        };
        let key = field.to_owned();
        let filter = match op.as_str() {
            "$eq" => Self::Eq(key, scalar(operand)?),
            "$ne" => Self::Ne(key, scalar(operand)?),
            "$gt" => Self::Gt(key, scalar(operand)?),
            "$gte" => Self::Gte(key, scalar(operand)?),
            "$lt" => Self::Lt(key, scalar(operand)?),
            "$lte" => Self::Lte(key, scalar(operand)?),
            "$in" | "$nin" => {
                let values = operand
                    .as_array()
                    .ok_or_else(|| bad(format!("{op} takes a list"), operand))?
                    .iter()
                    .map(scalar)
                    .collect::<Result<Vec<_>>>()?;
                if op == "$in" {
                    Self::In(key, values)
                } else {
                    Self::Nin(key, values)
                }
            }
            other => return Err(bad("unknown operator", other)),
        };
        filter.validate()?;
        Ok(filter)
    }

    /// Check the filter's shape: comparisons take numbers, lists and `$and`/`$or` are not empty,
    /// keys are not empty, floats are finite.
    ///
    /// # Errors
    /// [`Error::Validation`] on field `filter`.
    pub fn validate(&self) -> Result<()> {
        let key_ok = |key: &str| {
            if key.is_empty() || key.starts_with('$') {
                Err(bad("keys must be non-empty and not start with '$'", key))
            } else {
                Ok(())
            }
        };
        let finite = |v: &FilterValue| match v {
            MetadataValue::Float(f) if !f.is_finite() => Err(bad("numbers must be finite", f)),
            _ => Ok(()),
        };
        match self {
            Self::Eq(k, v) | Self::Ne(k, v) => {
                key_ok(k)?;
                finite(v)
            }
            Self::Gt(k, v) | Self::Gte(k, v) | Self::Lt(k, v) | Self::Lte(k, v) => {
                key_ok(k)?;
                finite(v)?;
                if number(v).is_none() {
                    return Err(bad("$gt, $gte, $lt and $lte compare numbers", k));
                }
                Ok(())
            }
            Self::In(k, vs) | Self::Nin(k, vs) => {
                key_ok(k)?;
                if vs.is_empty() {
                    return Err(bad("$in and $nin take a non-empty list", k));
                }
                vs.iter().try_for_each(finite)
            }
            Self::And(fs) | Self::Or(fs) => {
                if fs.is_empty() {
                    return Err(bad("$and and $or take a non-empty list", "[]"));
                }
                fs.iter().try_for_each(Self::validate)
            }
        }
    }

    /// Chroma's `where` JSON for this filter (an `$and`/`$or` of one filter is that filter).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let op = |k: &str, op: &str, v: Value| {
            let mut inner = Map::new();
            inner.insert(op.to_owned(), v);
            let mut outer = Map::new();
            outer.insert(k.to_owned(), Value::Object(inner));
            Value::Object(outer)
        };
        let v = |v: &FilterValue| serde_json::to_value(v).unwrap_or(Value::Null);
        let list = |vs: &[FilterValue]| Value::Array(vs.iter().map(v).collect());
        match self {
            Self::Eq(k, x) => op(k, "$eq", v(x)),
            Self::Ne(k, x) => op(k, "$ne", v(x)),
            Self::Gt(k, x) => op(k, "$gt", v(x)),
            Self::Gte(k, x) => op(k, "$gte", v(x)),
            Self::Lt(k, x) => op(k, "$lt", v(x)),
            Self::Lte(k, x) => op(k, "$lte", v(x)),
            Self::In(k, xs) => op(k, "$in", list(xs)),
            Self::Nin(k, xs) => op(k, "$nin", list(xs)),
            Self::And(fs) | Self::Or(fs) if fs.len() == 1 => fs[0].to_json(),
            Self::And(fs) => json!({ "$and": fs.iter().map(Self::to_json).collect::<Vec<_>>() }),
            Self::Or(fs) => json!({ "$or": fs.iter().map(Self::to_json).collect::<Vec<_>>() }),
        }
    }

    /// Whether a record with `metadata` matches.
    #[must_use]
    pub fn matches(&self, metadata: &Metadata) -> bool {
        match self {
            Self::And(fs) => fs.iter().all(|f| f.matches(metadata)),
            Self::Or(fs) => fs.iter().any(|f| f.matches(metadata)),
            leaf => leaf
                .key()
                .is_some_and(|k| leaf.matches_value(metadata.get(k))),
        }
    }

    /// The key a comparison reads (`None` for `$and` and `$or`).
    #[must_use]
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Eq(k, _)
            | Self::Ne(k, _)
            | Self::Gt(k, _)
            | Self::Gte(k, _)
            | Self::Lt(k, _)
            | Self::Lte(k, _)
            | Self::In(k, _)
            | Self::Nin(k, _) => Some(k),
            Self::And(_) | Self::Or(_) => None,
        }
    }

    /// Whether a comparison matches a record whose value under [`Filter::key`] is `value`
    /// (`None`: the record lacks the key). Always `false` for `$and` and `$or`, which
    /// [`Filter::matches`] evaluates.
    #[must_use]
    pub fn matches_value(&self, value: Option<&FilterValue>) -> bool {
        let compare =
            |x: &FilterValue, keep: fn(f64, f64) -> bool| match (value.and_then(number), number(x))
            {
                (Some(a), Some(b)) => keep(a, b),
                _ => false,
            };
        let is_in = |xs: &[FilterValue]| value.is_some_and(|m| xs.iter().any(|x| same(m, x)));
        match self {
            Self::Eq(_, x) => value.is_some_and(|m| same(m, x)),
            Self::Ne(_, x) => !value.is_some_and(|m| same(m, x)),
            Self::Gt(_, x) => compare(x, |a, b| a > b),
            Self::Gte(_, x) => compare(x, |a, b| a >= b),
            Self::Lt(_, x) => compare(x, |a, b| a < b),
            Self::Lte(_, x) => compare(x, |a, b| a <= b),
            Self::In(_, xs) => is_in(xs),
            Self::Nin(_, xs) => !is_in(xs),
            Self::And(_) | Self::Or(_) => false,
        }
    }
}

/// A scalar filter operand.
fn scalar(value: &Value) -> Result<FilterValue> {
    match value {
        Value::Bool(b) => Ok(MetadataValue::Bool(*b)),
        Value::String(s) => Ok(MetadataValue::Str(s.clone())),
        Value::Number(n) => n
            .as_i64()
            .map(MetadataValue::Int)
            .or_else(|| n.as_f64().map(MetadataValue::Float))
            .ok_or_else(|| bad("numbers must fit in 64 bits", n)),
        other => Err(bad("operands are strings, numbers or booleans", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, MetadataValue)]) -> Metadata {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn parses_and_prints_chromas_where() {
        let text = json!({"$and": [
            {"kind": "resume"},
            {"year": {"$gte": 2020}},
            {"$or": [{"team": {"$in": ["a", "b"]}}, {"score": {"$lt": 0.5}}]},
            {"lang": {"$nin": ["de"]}},
            {"draft": {"$ne": true}}
        ]});
        let filter = Filter::from_json(&text).expect("parse");
        let printed = filter.to_json();
        assert_eq!(Filter::from_json(&printed).expect("reparse"), filter);
        assert_eq!(printed["$and"][0], json!({"kind": {"$eq": "resume"}}));
    }

    #[test]
    fn evaluates_like_chroma() {
        let m = meta(&[
            ("year", 2021.into()),
            ("kind", "resume".into()),
            ("score", 0.25.into()),
        ]);
        let f = |v: Value| Filter::from_json(&v).expect("filter");
        assert!(f(json!({"year": 2021.0})).matches(&m), "int equals float");
        assert!(f(json!({"year": {"$gt": 2020}})).matches(&m));
        assert!(!f(json!({"year": {"$lt": 2021}})).matches(&m));
        assert!(
            f(json!({"missing": {"$ne": 1}})).matches(&m),
            "$ne matches a missing key"
        );
        assert!(f(json!({"missing": {"$nin": [1]}})).matches(&m));
        assert!(!f(json!({"missing": {"$gt": 1}})).matches(&m));
        assert!(
            !f(json!({"kind": {"$gt": 1}})).matches(&m),
            "a string is not a number"
        );
        assert!(f(json!({"$or": [{"kind": "x"}, {"score": {"$lte": 0.25}}]})).matches(&m));
    }

    #[test]
    fn refuses_malformed_filters() {
        for bad in [
            json!([]),
            json!({}),
            json!({"a": 1, "b": 2}),
            json!({"a": {"$regex": "x"}}),
            json!({"a": {"$gt": "x"}}),
            json!({"a": {"$in": []}}),
            json!({"$and": []}),
            json!({"$not": [{"a": 1}]}),
            json!({"a": {"x": 1}}),
            json!({"a": [1]}),
        ] {
            assert!(
                matches!(Filter::from_json(&bad), Err(Error::Validation { ref field, .. }) if field == "filter"),
                "{bad}"
            );
        }
    }
}
