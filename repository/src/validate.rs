//! Validation before SQL: each check returns [`Error::Validation`] naming the field, the rule and
//! the offending value, so bad input never reaches the database (whose own CHECKs stay as the last
//! line of defence).
//!
//! Values with a rule of their own that recur across systems (digests, URLs, UUIDs) are types in
//! [`crate::types`], checked once when they are made; these are the remaining rules.

use crate::error::{Error, Result};

/// Longest text accepted for identifiers and short labels.
pub const MAX_KEY_LEN: usize = 255;

/// `value` must not be empty (after trimming) nor longer than `max` characters.
///
/// # Errors
/// [`Error::Validation`].
pub fn text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::validation(
            field,
            "must not be empty",
            format!("{value:?}"),
        ));
    }
    let len = value.chars().count();
    if len > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
            format!("{len} characters"),
        ));
    }
    Ok(())
}

/// Like [`text`], for an optional value.
///
/// # Errors
/// [`Error::Validation`].
pub fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    value.map_or(Ok(()), |v| text(field, v, max))
}

/// `value` must be a finite number within `[low, high]`.
///
/// # Errors
/// [`Error::Validation`].
pub fn range_f64(field: &str, value: f64, low: f64, high: f64) -> Result<()> {
    within(
        field,
        value.is_finite() && value >= low && value <= high,
        low,
        high,
        value,
    )
}

/// `value` must be within `[low, high]`.
///
/// # Errors
/// [`Error::Validation`].
pub fn range_i64(field: &str, value: i64, low: i64, high: i64) -> Result<()> {
    within(field, (low..=high).contains(&value), low, high, value)
}

fn within<T: std::fmt::Display>(field: &str, ok: bool, low: T, high: T, value: T) -> Result<()> {
    if ok {
        return Ok(());
    }
    Err(Error::validation(
        field,
        format!("must be between {low} and {high}"),
        value,
    ))
}

/// `value` must be zero or more.
///
/// # Errors
/// [`Error::Validation`].
pub fn non_negative(field: &str, value: i64) -> Result<()> {
    range_i64(field, value, 0, i64::from(i32::MAX))
}

/// Parse `value` as one of an enumeration's stored strings.
///
/// # Errors
/// [`Error::Validation`] listing the allowed values.
pub fn one_of<E: sea_orm::ActiveEnum<Value = String> + sea_orm::Iterable>(
    field: &str,
    value: &str,
) -> Result<E> {
    E::iter().find(|v| v.to_value() == value).ok_or_else(|| {
        let allowed: Vec<String> = E::iter().map(|v| v.to_value()).collect();
        Error::validation(
            field,
            format!("must be one of {}", allowed.join(", ")),
            format!("{value:?}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_field_rule_and_value() {
        let err = range_f64("quality_score", 1.5, 0.0, 1.0).expect_err("out of range");
        assert_eq!(
            err.to_string(),
            "invalid quality_score: must be between 0 and 1 (got 1.5)"
        );
        assert!(range_f64("quality_score", f64::NAN, 0.0, 1.0).is_err());
        assert!(text("title", "  ", 10).is_err());
        assert!(text("title", "abcdefghijk", 10).is_err());
        assert!(range_i64("priority", -1, 0, 10).is_err());
        assert!(range_i64("priority", 10, 0, 10).is_ok());
    }
}
