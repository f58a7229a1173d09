//! Bulk writes under each backend's bind-parameter limit.

use sea_orm::{DbBackend, Statement, Values};

/// Most bound parameters in one statement: SQLite's `SQLITE_MAX_VARIABLE_NUMBER` (32,766 since
/// 3.32) and PostgreSQL's protocol limit (65,535).
#[must_use]
pub const fn max_binds(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 32_766,
        _ => 65_535,
    }
}

/// How many rows of `columns` bound values fit in one statement on `backend` (at least 1).
#[must_use]
pub const fn rows_per_statement(backend: DbBackend, columns: usize) -> usize {
    let rows = max_binds(backend) / if columns == 0 { 1 } else { columns };
    if rows == 0 { 1 } else { rows }
}

/// SQLite statements joined into one call: their SQL separated by `;`, their values in order.
///
/// SQLite's anonymous `?` parameters are numbered across the statements of one call by the
/// driver (sqlx binds each statement's parameters from where the previous one's ended), so the
/// values line up; and the call's `rows_affected` is the sum over the statements. Every call
/// through sqlx is a hand-off to the connection's worker thread and back: inside a write
/// transaction, which holds SQLite's single write lock, fewer calls mean a shorter lock.
///
/// Only statements built by sea-query for SQLite (no `$n` placeholders, no trailing `;`).
pub(crate) fn statement_batch(statements: &[Statement]) -> Statement {
    let mut sql = String::new();
    let mut values = Vec::new();
    for statement in statements {
        debug_assert_eq!(statement.db_backend, DbBackend::Sqlite);
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&statement.sql);
        if let Some(Values(v)) = &statement.values {
            values.extend(v.iter().cloned());
        }
    }
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_under_the_limits() {
        assert_eq!(rows_per_statement(DbBackend::Sqlite, 18), 1820);
        assert_eq!(rows_per_statement(DbBackend::Postgres, 18), 3640);
        assert!(rows_per_statement(DbBackend::Sqlite, 18) * 18 <= 32_766);
        assert_eq!(rows_per_statement(DbBackend::Sqlite, 100_000), 1);
    }
}
