//! JSON columns: validating the arrays of strings the platform stores (`tags`, `labels`,
//! `technology_stack`) and querying them by containment.
//!
//! PostgreSQL: `column @> '["a","b"]'::jsonb`, which the GIN indexes (`idx_tasks_labels`,
//! `idx_agents_tags`, `idx_evidence_tags`) serve. SQLite: one `EXISTS (SELECT 1 FROM
//! json_each(column) WHERE value = ?)` per wanted value. Both mean "holds every one of these
//! strings", so the two backends return the same rows.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{Condition, DbBackend, JsonValue, Value};

use crate::error::{Error, Result};

/// Most strings one array may hold.
pub const MAX_ITEMS: usize = 100;
/// Longest string in an array, in characters.
pub const MAX_ITEM_LEN: usize = 100;

/// `values` as a JSON array, each a non-empty string of at most [`MAX_ITEM_LEN`] characters,
/// at most [`MAX_ITEMS`] of them, duplicates dropped (first occurrence kept).
///
/// # Errors
/// [`Error::Validation`] naming `field` or `field[i]`.
pub fn string_array(field: &str, values: &[String]) -> Result<JsonValue> {
    if values.len() > MAX_ITEMS {
        return Err(Error::validation(
            field,
            format!("must hold at most {MAX_ITEMS} items"),
            values.len(),
        ));
    }
    let mut out: Vec<JsonValue> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        crate::validate::text(&format!("{field}[{i}]"), v, MAX_ITEM_LEN)?;
        let v = JsonValue::String(v.clone());
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(JsonValue::Array(out))
}

/// `value` must be a JSON object.
///
/// # Errors
/// [`Error::Validation`] naming `field`.
pub fn object(field: &str, value: JsonValue) -> Result<JsonValue> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(Error::validation(field, "must be a JSON object", value))
    }
}

/// The condition "`table.column` (a JSON array) holds every string of `values`" for
/// `backend`. No values: always true. `table` and `column` are names from the schema, never
/// input; the values are bound.
#[must_use]
pub fn contains_all(backend: DbBackend, table: &str, column: &str, values: &[String]) -> Condition {
    if values.is_empty() {
        return Condition::all();
    }
    let target = format!("\"{table}\".\"{column}\"");
    match backend {
        DbBackend::Postgres => {
            let wanted = JsonValue::Array(values.iter().cloned().map(JsonValue::String).collect());
            Condition::all().add(Expr::cust_with_values(
                format!("{target} @> CAST($1 AS jsonb)"),
                [Value::Json(Some(Box::new(wanted)))],
            ))
        }
        _ => values.iter().fold(Condition::all(), |cond, v| {
            let expr: SimpleExpr = Expr::cust_with_values(
                format!("EXISTS (SELECT 1 FROM json_each({target}) AS j WHERE j.value = ?)"),
                [Value::String(Some(v.clone()))],
            );
            cond.add(expr)
        }),
    }
}

/// The condition "`table.column` (a JSON array) holds the string `value`".
#[must_use]
pub fn contains(backend: DbBackend, table: &str, column: &str, value: &str) -> Condition {
    contains_all(backend, table, column, &[value.to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_checked_and_deduplicated() {
        let v = string_array("tags", &["a".into(), "b".into(), "a".into()]).expect("valid");
        assert_eq!(v, serde_json::json!(["a", "b"]));
        let err = string_array("tags", &["a".into(), " ".into()]).expect_err("blank");
        assert!(err.to_string().starts_with("invalid tags[1]"), "{err}");
    }
}
