//! SQLite files take SQLite's own conventions, so that other clients (the `sqlite3` shell,
//! SQLAlchemy, Datasette) read and write them right. PostgreSQL is untouched.
//!
//! - Columns are declared with the seeds' type names: `TIMESTAMP`, `JSON`, `UUID`, `REAL` instead
//!   of sea-query's `timestamp_with_timezone_text`, `json_text`/`jsonb_text`, `uuid_text` and
//!   `double`; timestamp defaults are the seeds' `CURRENT_TIMESTAMP`.
//! - Stored timestamps move from RFC 3339 (`2026-12-01T04:35:00.123+00:00`) to SQLite's own shape
//!   (`2026-12-01 04:35:00.123`, UTC), which `CURRENT_TIMESTAMP`, `datetime()` and SQLAlchemy
//!   write and with which text comparison is time order. A value written with another offset is
//!   converted to UTC.
//! - A `JSON` column has NUMERIC affinity: a bare JSON number stored earlier as text is stored
//!   again as the number, as every client now stores it (and as `PRAGMA integrity_check` expects).
//!
//! SQLite cannot alter a column's type or default, and rebuilding a table that other tables
//! reference needs foreign keys switched off, which cannot happen inside a transaction. Declared
//! types and defaults do not change how rows are stored, so the definitions are rewritten in
//! `sqlite_schema` in place, the procedure SQLite documents for such changes (`writable_schema`,
//! then `schema_version` + 1), all inside the migration's transaction. The append-only triggers
//! of `audit_logs` are set aside while its timestamps are converted and restored unchanged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::common::{SQLITE_NOW, forget_version, record_version};

/// Converts SQLite column declarations and stored timestamps to SQLite's own conventions.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = concat!(
    "SQLite: declare the seeds' column types (TIMESTAMP, JSON, UUID, REAL), default timestamps ",
    "to CURRENT_TIMESTAMP and store them as YYYY-MM-DD HH:MM:SS[.ffffff] UTC"
);

/// Every table the earlier migrations created, with the JSON type name they declared on SQLite
/// (the PostgreSQL-targeted seeds 003 and 004 use `jsonb`).
const TABLES: &[(&str, &str)] = &[
    ("schema_versions", "json_text"),
    ("system_config", "json_text"),
    ("search_cache", "json_text"),
    ("content_metadata", "json_text"),
    ("feedback_events", "json_text"),
    ("usage_signals", "json_text"),
    ("source_metadata", "json_text"),
    ("technology_mappings", "json_text"),
    ("conversation", "json_text"),
    ("document_chunk", "json_text"),
    ("rate_limit", "json_text"),
    ("document_references", "json_text"),
    ("document_dependencies", "json_text"),
    ("recommendations", "json_text"),
    ("inconsistency_records", "json_text"),
    ("inconsistency_document_map", "json_text"),
    ("recommendation_document_map", "json_text"),
    ("developer_decisions", "json_text"),
    ("file_metadata", "json_text"),
    ("query_history", "jsonb_text"),
    ("document_metadata", "jsonb_text"),
    ("schema_cache", "jsonb_text"),
    ("performance_metrics", "jsonb_text"),
    ("user_sessions", "jsonb_text"),
    ("system_logs", "jsonb_text"),
    ("users", "jsonb_text"),
    ("projects", "jsonb_text"),
    ("agents", "jsonb_text"),
    ("tasks", "jsonb_text"),
    ("evidence", "jsonb_text"),
    ("agent_executions", "jsonb_text"),
    ("audit_logs", "jsonb_text"),
    ("task_comments", "jsonb_text"),
    ("task_attachments", "jsonb_text"),
    ("activity_feed", "jsonb_text"),
];

/// `(earlier, now)` column type names, as they follow a column's quoted name.
fn type_names(json: &'static str) -> [(&'static str, &'static str); 4] {
    [
        ("timestamp_with_timezone_text", "TIMESTAMP"),
        (json, "JSON"),
        ("uuid_text", "UUID"),
        ("double", "REAL"),
    ]
}

/// A table definition with the types and defaults of this migration (`forward`) or the earlier
/// ones (`!forward`).
fn rewrite(sql: &str, json: &'static str, forward: bool) -> String {
    let mut out = sql.to_owned();
    for (old, new) in type_names(json) {
        let (from, to) = if forward { (old, new) } else { (new, old) };
        out = out.replace(&format!("\" {from} "), &format!("\" {to} "));
    }
    let old_default = format!("DEFAULT ({SQLITE_NOW})");
    let (from, to) = if forward {
        (old_default.as_str(), "DEFAULT CURRENT_TIMESTAMP")
    } else {
        ("DEFAULT CURRENT_TIMESTAMP", old_default.as_str())
    };
    out.replace(from, to)
}

/// SQLite's shape for an RFC 3339 value (`T`, `Z` or an offset); other values stay as they are.
const TO_SQLITE: &str = "CASE \
    WHEN {c} LIKE '%+00:00' THEN replace(substr({c}, 1, length({c}) - 6), 'T', ' ') \
    WHEN {c} LIKE '%Z' THEN replace(substr({c}, 1, length({c}) - 1), 'T', ' ') \
    WHEN {c} GLOB '*[+-][0-9][0-9]:[0-9][0-9]' THEN strftime('%Y-%m-%d %H:%M:%f', {c}) \
    ELSE replace({c}, 'T', ' ') END";
const IS_RFC3339: &str = "typeof({c}) = 'text' AND (substr({c}, 11, 1) = 'T' OR {c} LIKE '%Z' \
    OR {c} GLOB '*[+-][0-9][0-9]:[0-9][0-9]')";
/// The earlier shape (`…T…+00:00`) for a value in SQLite's shape.
const TO_RFC3339: &str = "replace({c}, ' ', 'T') || '+00:00'";
const IS_SQLITE: &str = "typeof({c}) = 'text' AND substr({c}, 11, 1) = ' '";

/// `template` with `{c}` replaced by the quoted column name.
fn with_column(template: &str, column: &str) -> String {
    template.replace("{c}", &quote(column))
}

/// A quoted SQLite identifier. Names come from this migration's table list and the schema itself,
/// never from input.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            convert(manager, true).await?;
        }
        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            convert(manager, false).await?;
        }
        Ok(())
    }
}

/// Rewrite the definitions, then the stored values, of every table of [`TABLES`] present.
async fn convert(manager: &SchemaManager<'_>, forward: bool) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let mut tables = Vec::new();
    for &(table, json) in TABLES {
        if let Some(sql) = query_text(
            conn,
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
            table,
        )
        .await?
        {
            tables.push((table, rewrite(&sql, json, forward)));
        }
    }
    if tables.is_empty() {
        return Ok(());
    }

    // Triggers (audit_logs' append-only guards) would refuse the value conversion.
    let mut triggers = Vec::new();
    for (table, _) in &tables {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?",
                [(*table).into()],
            ))
            .await?;
        for row in rows {
            let name: String = row.try_get("", "name")?;
            let sql: String = row.try_get("", "sql")?;
            conn.execute_unprepared(&format!("DROP TRIGGER {}", quote(&name)))
                .await?;
            triggers.push(sql);
        }
    }

    let version: i64 = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA schema_version",
        ))
        .await?
        .ok_or_else(|| DbErr::Migration("PRAGMA schema_version returned no row".to_owned()))?
        .try_get_by_index(0)?;
    conn.execute_unprepared("PRAGMA writable_schema = ON")
        .await?;
    for (table, sql) in &tables {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?",
            [sql.clone().into(), (*table).into()],
        ))
        .await?;
    }
    conn.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1))
        .await?;
    conn.execute_unprepared("PRAGMA writable_schema = OFF")
        .await?;

    for (table, _) in &tables {
        convert_values(conn, table, forward).await?;
    }
    for sql in triggers {
        conn.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Convert the timestamps of `table` to the new (or, going back, the earlier) shape, and store
/// its JSON values again under the column's affinity.
async fn convert_values(
    conn: &impl ConnectionTrait,
    table: &str,
    forward: bool,
) -> Result<(), DbErr> {
    let columns = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT name, type FROM pragma_table_info(?)",
            [table.into()],
        ))
        .await?;
    for row in columns {
        let column: String = row.try_get("", "name")?;
        let declared: String = row.try_get("", "type")?;
        let (set, filter) = match (declared.as_str(), forward) {
            ("TIMESTAMP", true) => (TO_SQLITE, IS_RFC3339),
            ("timestamp_with_timezone_text", false) => (TO_RFC3339, IS_SQLITE),
            // NUMERIC affinity turns a numeric text into a number; TEXT affinity turns it back.
            ("JSON", true) => ("{c}", "typeof({c}) = 'text'"),
            ("json_text" | "jsonb_text", false) => ("{c}", "typeof({c}) IN ('integer', 'real')"),
            _ => continue,
        };
        conn.execute_unprepared(&format!(
            "UPDATE {} SET {} = {} WHERE {}",
            quote(table),
            quote(&column),
            with_column(set, &column),
            with_column(filter, &column),
        ))
        .await?;
    }
    Ok(())
}

/// The one text column of the first row `sql` returns for the bound `param`.
async fn query_text(
    conn: &impl ConnectionTrait,
    sql: &str,
    param: &str,
) -> Result<Option<String>, DbErr> {
    conn.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        sql,
        [param.into()],
    ))
    .await?
    .map(|row| row.try_get_by_index(0))
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_changes_types_and_defaults_and_back() {
        let old = format!(
            "CREATE TABLE \"t\" ( \"at\" timestamp_with_timezone_text NOT NULL DEFAULT \
             ({SQLITE_NOW}), \"doc\" jsonb_text NULL, \"id\" uuid_text NOT NULL, \
             \"score\" double NOT NULL, \"note\" text NULL )"
        );
        let new = rewrite(&old, "jsonb_text", true);
        assert_eq!(
            new,
            "CREATE TABLE \"t\" ( \"at\" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, \
             \"doc\" JSON NULL, \"id\" UUID NOT NULL, \"score\" REAL NOT NULL, \"note\" text NULL )"
        );
        assert_eq!(rewrite(&new, "jsonb_text", false), old);
    }
}
