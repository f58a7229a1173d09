//! The one error type of the repository crate.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// What can go wrong in a repository or [`crate::DatabaseManager`] call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The row asked for does not exist.
    #[error("{entity} not found: {key}")]
    NotFound {
        /// The kind of row (table or aggregate name).
        entity: &'static str,
        /// The key that was looked up.
        key: String,
    },
    /// A unique or foreign-key constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input broke a rule; nothing was written.
    #[error("invalid {field}: {rule} (got {value})")]
    Validation {
        /// The field (column) at fault.
        field: String,
        /// The rule it broke.
        rule: String,
        /// The offending value, as text.
        value: String,
    },
    /// A status move the row's lifecycle does not allow (an inconsistency `Resolved` →
    /// `Pending`, a decision on a recommendation that is no longer `Active`, …); nothing was
    /// written. `from` is the status the row had when the move was refused.
    #[error("{entity} {key}: cannot move from {from} to {to}")]
    Transition {
        /// The kind of row.
        entity: &'static str,
        /// Its key.
        key: String,
        /// Its status when the move was refused.
        from: String,
        /// The status asked for.
        to: String,
    },
    /// The manager is not connected (never connected, or disconnected).
    #[error("database is not connected")]
    NotConnected,
    /// Configuration that cannot be used.
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// Any other database error. Its text carries the whole cause, so it is not also exposed
    /// as [`std::error::Error::source`] (SeaORM's `DbErr` repeats its own cause as its source,
    /// which would print the cause twice or three times under `{:#}`); match the variant to
    /// reach the `DbErr`.
    #[error("database error: {0}")]
    Db(DbErr),
    /// The vector store's server could not be reached in time, or failed. The text names the
    /// server (its URL redacted) and the cause, never a secret.
    #[error("vector store error: {0}")]
    Vector(String),
    /// The database's storage refused a write: the disk (a file-system quota, the process's
    /// file-size limit) is full, or writing the file failed. The failed transaction was rolled
    /// back whole and the database stays valid; the write succeeds again once space is freed.
    #[error("database storage full or failing ({cause}): {message}")]
    Storage {
        /// What the database reported: [`Error::DISK_FULL`] or [`Error::WRITE_FAILED`].
        cause: &'static str,
        /// The database's own message.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// [`Error::Storage`]'s cause when the database reported a full disk (SQLite `SQLITE_FULL`,
    /// PostgreSQL `disk_full`).
    pub const DISK_FULL: &'static str = "disk full";
    /// [`Error::Storage`]'s cause when writing the database's file failed (SQLite
    /// `SQLITE_IOERR_WRITE`: no space left, a file-size limit, or an I/O error; PostgreSQL
    /// `io_error`).
    pub const WRITE_FAILED: &'static str =
        "write failed: no space, a file size limit or an I/O error";

    /// A [`Error::Validation`] for `field`.
    pub fn validation(
        field: impl Into<String>,
        rule: impl Into<String>,
        value: impl ToString,
    ) -> Self {
        Self::Validation {
            field: field.into(),
            rule: rule.into(),
            value: value.to_string(),
        }
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(
                SqlErr::UniqueConstraintViolation(msg) | SqlErr::ForeignKeyConstraintViolation(msg),
            ) => Self::Conflict(msg),
            _ => match check_violation(&err) {
                Some(constraint) => Self::Validation {
                    field: constraint,
                    rule: "database CHECK constraint".to_owned(),
                    value: "refused by the database".to_owned(),
                },
                None => match storage_failure(&err) {
                    Some((cause, message)) => Self::Storage { cause, message },
                    None => Self::Db(err),
                },
            },
        }
    }
}

/// The name of the CHECK constraint a database refused a write with, if that is what happened.
fn check_violation(err: &DbErr) -> Option<String> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let db = e.as_database_error()?;
    match db.code().as_deref() {
        // PostgreSQL check_violation
        Some("23514") => Some(db.constraint().unwrap_or("check").to_owned()),
        // SQLite SQLITE_CONSTRAINT_CHECK (275); the message names the constraint
        Some("275") => Some(
            db.message()
                .strip_prefix("CHECK constraint failed: ")
                .unwrap_or(db.message())
                .to_owned(),
        ),
        _ => None,
    }
}

/// The cause and message of a write the database's storage refused, if that is what happened.
fn storage_failure(err: &DbErr) -> Option<(&'static str, String)> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let db = e.as_database_error()?;
    let cause = match db.code().as_deref() {
        // SQLITE_FULL; PostgreSQL disk_full
        Some("13" | "53100") => Error::DISK_FULL,
        // SQLITE_IOERR_WRITE; PostgreSQL io_error
        Some("778" | "58030") => Error::WRITE_FAILED,
        _ => return None,
    };
    Some((cause, db.message().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DatabaseManager, DbConfig};

    #[tokio::test]
    async fn a_database_error_prints_its_cause_once() {
        let db = DatabaseManager::connect_with(DbConfig::new("sqlite::memory:"))
            .await
            .expect("in-memory SQLite");
        let err = db
            .execute("SELECT * FROM no_such_table", vec![])
            .await
            .expect_err("missing table");
        assert!(matches!(err, Error::Db(_)), "{err:?}");
        assert!(std::error::Error::source(&err).is_none());
        let shown = format!("{:#}", anyhow::Error::new(err).context("listing rows"));
        assert_eq!(
            shown.matches("no such table: no_such_table").count(),
            1,
            "{shown}"
        );
        assert!(
            shown.starts_with("listing rows: database error: "),
            "{shown}"
        );
    }
}
