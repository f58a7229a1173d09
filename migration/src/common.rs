//! Building blocks shared by every migration: portable column types, defaults that agree with
//! what the application writes, named constraints, and the `schema_versions` ledger.
//!
//! Storage choices (fixed before the first migration):
//! - timestamps: `timestamptz` on PostgreSQL; RFC 3339 UTC text on SQLite, whose default
//!   `strftime('%Y-%m-%dT%H:%M:%f+00:00','now')` has the same shape as what the application writes,
//!   so values from either compare correctly as text;
//! - UUIDs: `uuid` with `gen_random_uuid()` on PostgreSQL; hyphenated text with an equivalent
//!   version-4 expression on SQLite;
//! - JSON: `json`/`jsonb` on PostgreSQL; text on SQLite (a `TEXT` affinity type name, so that a
//!   JSON number is never coerced into an SQLite integer).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// SQLite expression with the same text shape as a `DateTime<Utc>` written by the application.
pub const SQLITE_NOW: &str = "(strftime('%Y-%m-%dT%H:%M:%f+00:00','now'))";

/// SQLite expression producing a random version-4 UUID in hyphenated lowercase form.
pub const SQLITE_UUID_V4: &str = "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) \
     || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' \
     || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) \
     || '-' || lower(hex(randomblob(6))))";

/// The expression a timestamp column defaults to on `backend`.
#[must_use]
pub fn now_default(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Sqlite => Expr::cust(SQLITE_NOW),
        _ => Expr::current_timestamp(),
    }
}

/// A timestamp column (`timestamptz` / RFC 3339 text), nullable unless made `not_null()`.
#[must_use]
pub fn timestamp(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().take()
}

/// `name TIMESTAMP NOT NULL DEFAULT now`.
#[must_use]
pub fn timestamp_now(backend: DbBackend, name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .default(now_default(backend))
        .take()
}

/// `name TIMESTAMP DEFAULT now` (nullable, as some seeds write it).
#[must_use]
pub fn timestamp_now_null(backend: DbBackend, name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .default(now_default(backend))
        .take()
}

/// `name UUID PRIMARY KEY DEFAULT gen_random_uuid()` (a text UUID on SQLite).
#[must_use]
pub fn uuid_pk(backend: DbBackend, name: &'static str) -> ColumnDef {
    let default = match backend {
        DbBackend::Sqlite => Expr::cust(SQLITE_UUID_V4),
        _ => Expr::cust("gen_random_uuid()"),
    };
    ColumnDef::new(name)
        .uuid()
        .not_null()
        .primary_key()
        .default(default)
        .take()
}

/// A UUID column, nullable unless made `not_null()`.
#[must_use]
pub fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().take()
}

/// `CHECK (column IN (...))`, named `ck_<table>_<column>`.
#[must_use]
pub fn check_in(table: &str, column: &'static str, values: &[&'static str]) -> (String, Expr) {
    (
        format!("ck_{table}_{column}"),
        Expr::col(column).is_in(values.iter().copied()),
    )
}

/// `CHECK (column IS NULL OR column IN (...))` for nullable enumerations.
#[must_use]
pub fn check_in_or_null(
    table: &str,
    column: &'static str,
    values: &[&'static str],
) -> (String, Expr) {
    (
        format!("ck_{table}_{column}"),
        Expr::col(column)
            .is_null()
            .or(Expr::col(column).is_in(values.iter().copied())),
    )
}

/// `CHECK (column >= low AND column <= high)`, named `ck_<table>_<column>`.
#[must_use]
pub fn check_between<V: Into<Value> + Copy>(
    table: &str,
    column: &'static str,
    low: V,
    high: V,
) -> (String, Expr) {
    (
        format!("ck_{table}_{column}"),
        Expr::col(column).gte(low).and(Expr::col(column).lte(high)),
    )
}

/// A foreign key named `fk-<table>-<column>`, for use inside `CREATE TABLE`.
#[must_use]
pub fn fk(
    table: &'static str,
    column: &'static str,
    ref_table: &'static str,
    ref_column: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk-{table}-{column}"))
        .from(table, column)
        .to(ref_table, ref_column)
        .on_delete(on_delete)
        .take()
}

/// `CREATE INDEX name ON table (columns...)`.
#[must_use]
pub fn index(
    name: &'static str,
    table: &'static str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(*column);
    }
    stmt
}

/// `CREATE TABLE`, with its foreign keys named `fk-<table>-<column>` on every backend.
///
/// sea-query drops the `CONSTRAINT name` of a foreign key when it renders SQLite, so on SQLite the
/// statement is rendered here and each single-column `FOREIGN KEY ("col")` gets its conventional
/// name back. The SQL comes from the builder, never from input.
///
/// # Errors
/// The database error.
pub async fn create_table(
    manager: &SchemaManager<'_>,
    stmt: TableCreateStatement,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend != DbBackend::Sqlite {
        return manager.create_table(stmt).await;
    }
    let table = match stmt.get_table_name() {
        Some(TableRef::Table(TableName(_, name), _)) => name.to_string(),
        _ => {
            return Err(DbErr::Migration(
                "create_table needs a plain table name".to_owned(),
            ));
        }
    };
    let sql = name_sqlite_foreign_keys(&table, &stmt.to_string(SqliteQueryBuilder));
    raw(manager, &sql).await
}

/// Prefix every unnamed single-column `FOREIGN KEY ("col")` with `CONSTRAINT "fk-<table>-<col>"`.
fn name_sqlite_foreign_keys(table: &str, sql: &str) -> String {
    const FK: &str = "FOREIGN KEY (\"";
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(pos) = rest.find(FK) {
        let (head, tail) = rest.split_at(pos);
        out.push_str(head);
        let after = &tail[FK.len()..];
        let column = after
            .split_once("\")")
            .map(|(c, _)| c)
            .filter(|c| !c.contains('"'));
        if let (Some(column), false) = (column, head.trim_end().ends_with('"')) {
            out.push_str(&format!("CONSTRAINT \"fk-{table}-{column}\" "));
        }
        out.push_str(FK);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Create every index in `indexes`.
///
/// # Errors
/// The first database error.
pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: impl IntoIterator<Item = IndexCreateStatement>,
) -> Result<(), DbErr> {
    for stmt in indexes {
        manager.create_index(stmt).await?;
    }
    Ok(())
}

/// Drop the tables in the order given (children first), if they exist.
///
/// # Errors
/// The first database error.
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).if_exists().take())
            .await?;
    }
    Ok(())
}

/// Run raw DDL (triggers, functions) that sea-query cannot express.
///
/// # Errors
/// The database error.
pub async fn raw(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}

/// Record a migration in `schema_versions` (same transaction as the migration itself).
///
/// # Errors
/// The database error.
pub async fn record_version(
    manager: &SchemaManager<'_>,
    version_id: &str,
    description: &str,
) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table("schema_versions")
        .columns(["version_id", "description", "migration_script"])
        .values_panic([
            version_id.into(),
            description.into(),
            format!("migration/src/{version_id}.rs").into(),
        ])
        .take();
    manager.exec_stmt(stmt).await
}

/// Remove a migration's row from `schema_versions` (its `down`).
///
/// # Errors
/// The database error.
pub async fn forget_version(manager: &SchemaManager<'_>, version_id: &str) -> Result<(), DbErr> {
    let stmt = Query::delete()
        .from_table("schema_versions")
        .and_where(Expr::col("version_id").eq(version_id))
        .take();
    manager.exec_stmt(stmt).await
}
