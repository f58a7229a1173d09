//! What `dal copy` learns from a database's catalogue: the tables, their columns with a
//! backend-neutral [`Kind`], primary keys and foreign keys, and the order that puts every
//! referenced table before the tables that reference it.
//!
//! Nothing here is hand-kept: a table or column added by a later migration is copied without a
//! change to this module, and a column whose declared type maps to no [`Kind`] stops the copy
//! with its name instead of being copied wrong.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// The ledgers every database keeps of its own migrations; not copied (the target's own
/// migrations write them), compared by version instead.
pub const LEDGERS: &[&str] = &["seaql_migrations", "schema_versions"];

/// How a column's values travel between backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any integer (SQLite `INTEGER`, PostgreSQL `smallint`/`integer`/`bigint`), read as `i64`.
    Int,
    /// A double (SQLite `REAL`, PostgreSQL `double precision`/`real`).
    Real,
    /// A boolean (SQLite 0/1, PostgreSQL `boolean`).
    Bool,
    /// Text.
    Text,
    /// A UTC instant (SQLite's timestamp text, PostgreSQL `timestamptz`/`timestamp`).
    Time,
    /// A JSON document (SQLite `JSON`, PostgreSQL `json`/`jsonb`).
    Json,
    /// A UUID (SQLite hyphenated text, PostgreSQL `uuid`).
    Uuid,
    /// Bytes (SQLite `BLOB`, PostgreSQL `bytea`).
    Blob,
}

impl Kind {
    /// The kind of a column SQLite declares as `declared` (its type affinity rules, refined by
    /// the type names the migrations use: `TIMESTAMP`, `JSON`, `UUID`, `BOOLEAN`).
    fn of_sqlite(declared: &str) -> Option<Self> {
        let t = declared.to_ascii_uppercase();
        Some(if t.contains("BOOL") {
            Self::Bool
        } else if t.contains("TIMESTAMP") || t.contains("DATETIME") {
            Self::Time
        } else if t.contains("JSON") {
            Self::Json
        } else if t.contains("UUID") {
            Self::Uuid
        } else if t.contains("INT") {
            Self::Int
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Self::Text
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Self::Real
        } else if t.contains("BLOB") || t.contains("BYTEA") {
            Self::Blob
        } else {
            return None;
        })
    }

    /// The kind of a PostgreSQL column of `data_type` (`information_schema.columns`).
    fn of_postgres(data_type: &str) -> Option<Self> {
        Some(match data_type {
            "smallint" | "integer" | "bigint" => Self::Int,
            "double precision" | "real" => Self::Real,
            "boolean" => Self::Bool,
            "text" | "character varying" | "character" => Self::Text,
            "timestamp with time zone" | "timestamp without time zone" => Self::Time,
            "json" | "jsonb" => Self::Json,
            "uuid" => Self::Uuid,
            "bytea" => Self::Blob,
            _ => return None,
        })
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// How its values travel.
    pub kind: Kind,
    /// Its declared type, for messages.
    pub declared: String,
}

/// A foreign key column pair: `column` of this table references `parent_column` of `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referencing column.
    pub column: String,
    /// The referenced table.
    pub parent: String,
    /// The referenced column.
    pub parent_column: String,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Its columns, in declaration order.
    pub columns: Vec<Column>,
    /// Its primary key's columns, in key order (every column when it has none).
    pub key: Vec<String>,
    /// Its foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
}

impl Table {
    /// The foreign keys that reference this table itself (rows must go parents first).
    pub fn self_references(&self) -> impl Iterator<Item = &ForeignKey> {
        self.foreign_keys.iter().filter(|fk| fk.parent == self.name)
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Every table of the current schema but the [`LEDGERS`], by name.
///
/// # Errors
/// When the catalogue cannot be read, or a column's type maps to no [`Kind`].
pub async fn read(db: &impl ConnectionTrait) -> Result<BTreeMap<String, Table>> {
    let backend = db.get_database_backend();
    let mut tables = BTreeMap::new();
    for name in crate::backup::table_names(db).await? {
        if LEDGERS.contains(&name.as_str()) {
            continue;
        }
        let table = match backend {
            DbBackend::Sqlite => sqlite_table(db, &name).await,
            _ => postgres_table(db, &name).await,
        }
        .with_context(|| format!("reading the catalogue of table {name}"))?;
        tables.insert(name, table);
    }
    Ok(tables)
}

async fn sqlite_table(db: &impl ConnectionTrait, name: &str) -> Result<Table> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid",
            [name.into()],
        ))
        .await?;
    let mut columns = Vec::new();
    let mut key = Vec::new();
    for row in rows {
        let column: String = row.try_get("", "name")?;
        let declared: String = row.try_get("", "type")?;
        let pk: i64 = row.try_get("", "pk")?;
        let Some(kind) = Kind::of_sqlite(&declared) else {
            bail!("column {name}.{column}: type {declared:?} is not one dal copy knows");
        };
        if pk > 0 {
            key.push((pk, column.clone()));
        }
        columns.push(Column {
            name: column,
            kind,
            declared,
        });
    }
    key.sort();
    let mut key: Vec<String> = key.into_iter().map(|(_, c)| c).collect();
    if key.is_empty() {
        key = columns.iter().map(|c| c.name.clone()).collect();
    }
    let mut foreign_keys = Vec::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            r#"SELECT "table" AS parent, "from" AS col, "to" AS parent_col FROM pragma_foreign_key_list(?) ORDER BY id, seq"#,
            [name.into()],
        ))
        .await?
    {
        let parent: String = row.try_get("", "parent")?;
        let column: String = row.try_get("", "col")?;
        let parent_column: Option<String> = row.try_get("", "parent_col")?;
        foreign_keys.push(ForeignKey {
            column,
            parent,
            // NULL: the parent's primary key (filled in by `resolve_implicit_keys`).
            parent_column: parent_column.unwrap_or_default(),
        });
    }
    Ok(Table {
        name: name.to_owned(),
        columns,
        key,
        foreign_keys,
    })
}

async fn postgres_table(db: &impl ConnectionTrait, name: &str) -> Result<Table> {
    let mut columns = Vec::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT column_name::text AS name, data_type::text AS data_type \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            [name.into()],
        ))
        .await?
    {
        let column: String = row.try_get("", "name")?;
        let declared: String = row.try_get("", "data_type")?;
        let Some(kind) = Kind::of_postgres(&declared) else {
            bail!("column {name}.{column}: type {declared:?} is not one dal copy knows");
        };
        columns.push(Column {
            name: column,
            kind,
            declared,
        });
    }
    let mut key = Vec::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.attname::text AS name FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = quote_ident($1)::regclass AND i.indisprimary \
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            [name.into()],
        ))
        .await?
    {
        key.push(row.try_get::<String>("", "name")?);
    }
    if key.is_empty() {
        key = columns.iter().map(|c| c.name.clone()).collect();
    }
    let mut foreign_keys = Vec::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT p.relname::text AS parent, ca.attname::text AS col, pa.attname::text AS parent_col \
             FROM pg_constraint c \
             CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(child_num, parent_num, n) \
             JOIN pg_class p ON p.oid = c.confrelid \
             JOIN pg_attribute ca ON ca.attrelid = c.conrelid AND ca.attnum = k.child_num \
             JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = k.parent_num \
             WHERE c.contype = 'f' AND c.conrelid = quote_ident($1)::regclass \
             ORDER BY c.conname, k.n",
            [name.into()],
        ))
        .await?
    {
        foreign_keys.push(ForeignKey {
            column: row.try_get("", "col")?,
            parent: row.try_get("", "parent")?,
            parent_column: row.try_get("", "parent_col")?,
        });
    }
    Ok(Table {
        name: name.to_owned(),
        columns,
        key,
        foreign_keys,
    })
}

/// Fill in the referenced column of SQLite foreign keys declared without one (they reference
/// the parent's primary key).
pub fn resolve_implicit_keys(tables: &mut BTreeMap<String, Table>) {
    let keys: BTreeMap<String, String> = tables
        .iter()
        .filter_map(|(name, t)| t.key.first().map(|k| (name.clone(), k.clone())))
        .collect();
    for table in tables.values_mut() {
        for fk in &mut table.foreign_keys {
            if fk.parent_column.is_empty() {
                fk.parent_column = keys.get(&fk.parent).cloned().unwrap_or_default();
            }
        }
    }
}

/// The tables in an order that puts every referenced table before the tables referencing it
/// (Kahn's algorithm; ties by name, so the order is stable). Self-references do not count here:
/// [`super::rows`] orders such a table's rows instead.
///
/// # Errors
/// When foreign keys between tables form a cycle (no order can satisfy them).
pub fn dependency_order(tables: &BTreeMap<String, Table>) -> Result<Vec<String>> {
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, table) in tables {
        let set = parents.entry(name.as_str()).or_default();
        for fk in &table.foreign_keys {
            if fk.parent != *name && tables.contains_key(&fk.parent) {
                set.insert(fk.parent.as_str());
            }
        }
    }
    let mut order = Vec::with_capacity(tables.len());
    let mut done: BTreeSet<&str> = BTreeSet::new();
    while order.len() < tables.len() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(name, ps)| !done.contains(*name) && ps.iter().all(|p| done.contains(p)))
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            let left: Vec<&str> = parents
                .keys()
                .filter(|n| !done.contains(*n))
                .copied()
                .collect();
            bail!(
                "the foreign keys between these tables form a cycle: {}",
                left.join(", ")
            );
        }
        for name in ready {
            done.insert(name);
            order.push(name.to_owned());
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> (String, Table) {
        (
            name.to_owned(),
            Table {
                name: name.to_owned(),
                columns: Vec::new(),
                key: vec!["id".to_owned()],
                foreign_keys: parents
                    .iter()
                    .map(|p| ForeignKey {
                        column: format!("{p}_id"),
                        parent: (*p).to_owned(),
                        parent_column: "id".to_owned(),
                    })
                    .collect(),
            },
        )
    }

    #[test]
    fn parents_come_first_and_self_references_do_not_block() {
        let tables: BTreeMap<_, _> = [
            table("comments", &["tasks", "users"]),
            table("tasks", &["projects", "tasks"]),
            table("projects", &["users"]),
            table("users", &[]),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            dependency_order(&tables).expect("order"),
            ["users", "projects", "tasks", "comments"]
        );
    }

    #[test]
    fn a_cycle_is_named() {
        let tables: BTreeMap<_, _> = [table("a", &["b"]), table("b", &["a"]), table("c", &[])]
            .into_iter()
            .collect();
        let err = dependency_order(&tables).expect_err("cycle");
        assert!(err.to_string().contains("a, b"), "{err}");
    }

    #[test]
    fn declared_types_map_to_kinds() {
        assert_eq!(Kind::of_sqlite("INTEGER"), Some(Kind::Int));
        assert_eq!(Kind::of_sqlite("BIGINT"), Some(Kind::Int));
        assert_eq!(Kind::of_sqlite("TIMESTAMP"), Some(Kind::Time));
        assert_eq!(Kind::of_sqlite("JSON"), Some(Kind::Json));
        assert_eq!(Kind::of_sqlite("UUID"), Some(Kind::Uuid));
        assert_eq!(Kind::of_sqlite("boolean"), Some(Kind::Bool));
        assert_eq!(Kind::of_sqlite("varchar(255)"), Some(Kind::Text));
        assert_eq!(Kind::of_sqlite("REAL"), Some(Kind::Real));
        assert_eq!(Kind::of_sqlite("blob"), Some(Kind::Blob));
        assert_eq!(Kind::of_sqlite("NUMERIC"), None);
        assert_eq!(Kind::of_postgres("jsonb"), Some(Kind::Json));
        assert_eq!(
            Kind::of_postgres("timestamp with time zone"),
            Some(Kind::Time)
        );
        assert_eq!(Kind::of_postgres("numeric"), None);
    }
}
