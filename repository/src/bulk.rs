//! Bulk writes under each backend's bind-parameter limit.

use sea_orm::DbBackend;

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
