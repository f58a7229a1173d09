//! Read a live database's schema (tables, columns, keys, foreign keys, checks, indexes) into one
//! backend-neutral shape, so that the same expectations can be checked on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// The whole schema: every table by name.
#[derive(Debug, Default, Clone)]
pub struct Schema {
    /// Tables by name (the migration ledger included).
    pub tables: BTreeMap<String, Table>,
}

impl Schema {
    /// The columns of `table` in declaration order (none when the table does not exist).
    #[must_use]
    pub fn columns(&self, table: &str) -> &[Column] {
        self.tables.get(table).map_or(&[], |t| t.columns.as_slice())
    }
}

/// One table.
#[derive(Debug, Default, Clone)]
pub struct Table {
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// Primary-key columns in key order.
    pub primary_key: Vec<String>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Column lists of UNIQUE constraints and unique indexes (primary key excluded).
    pub uniques: Vec<Vec<String>>,
    /// Named indexes created with CREATE INDEX (constraint-backed ones excluded).
    pub indexes: Vec<Index>,
    /// Names of CHECK constraints.
    pub checks: Vec<String>,
}

/// One column.
#[derive(Debug, Clone)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The declared type, lower case.
    pub data_type: String,
    /// The default expression, if any.
    pub default: Option<String>,
    /// PostgreSQL's `character_maximum_length` (`VARCHAR(n)`); on SQLite the length stays in
    /// `data_type` (`varchar(n)`) and this is `None`.
    pub max_length: Option<i32>,
    /// Whether the database numbers the rows itself when no value is given: a PostgreSQL
    /// identity column or `serial` (a `nextval` default), SQLite's rowid alias (the one
    /// `INTEGER PRIMARY KEY` column of a rowid table).
    pub auto_increment: bool,
}

/// One foreign key.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    /// The constraint name, when the backend keeps one.
    pub name: Option<String>,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns.
    pub ref_columns: Vec<String>,
    /// `CASCADE`, `SET NULL`, `NO ACTION`, `RESTRICT` or `SET DEFAULT`.
    pub on_delete: String,
}

/// One index.
#[derive(Debug, Clone)]
pub struct Index {
    /// Name.
    pub name: String,
    /// Indexed columns in order (expressions show as `<expr>`).
    pub columns: Vec<String>,
    /// UNIQUE index.
    pub unique: bool,
    /// Partial index (has a WHERE clause).
    pub partial: bool,
    /// Access method (`btree`, `gin`, …); `btree` on SQLite.
    pub method: String,
}

impl Table {
    /// The column called `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The index called `name`.
    #[must_use]
    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }
}

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("introspection query failed: {e}\n{sql}"))
}

fn get<T: sea_orm::TryGetable>(row: &sea_orm::QueryResult, col: &str) -> T {
    row.try_get("", col)
        .unwrap_or_else(|e| panic!("column {col}: {e}"))
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Read the schema of `conn`.
///
/// # Panics
/// When an introspection query fails.
pub async fn describe(conn: &DatabaseConnection) -> Schema {
    match conn.get_database_backend() {
        DbBackend::Sqlite => describe_sqlite(conn).await,
        DbBackend::Postgres => describe_postgres(conn).await,
        other => panic!("unsupported backend {other:?}"),
    }
}

async fn describe_sqlite(conn: &DatabaseConnection) -> Schema {
    let mut schema = Schema::default();
    let tables = rows(
        conn,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .await;
    for t in tables {
        let name: String = get(&t, "name");
        let sql: String = get(&t, "sql");
        let mut table = Table::default();

        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in rows(conn, &format!("SELECT * FROM pragma_table_info('{name}')")).await {
            let col: String = get(&c, "name");
            let notnull: i64 = get(&c, "notnull");
            let pk_pos: i64 = get(&c, "pk");
            if pk_pos > 0 {
                pk.push((pk_pos, col.clone()));
            }
            table.columns.push(Column {
                nullable: notnull == 0 && pk_pos == 0,
                data_type: get::<String>(&c, "type").to_lowercase(),
                default: get(&c, "dflt_value"),
                max_length: None,
                auto_increment: false,
                name: col,
            });
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        // The rowid alias: a lone primary-key column declared exactly `INTEGER`, in a table
        // that has a rowid.
        if let [key] = table.primary_key.as_slice()
            && !sql.to_uppercase().contains("WITHOUT ROWID")
            && let Some(column) = table.columns.iter_mut().find(|c| c.name == *key)
            && column.data_type == "integer"
        {
            column.auto_increment = true;
        }

        let mut fks: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for f in rows(
            conn,
            &format!("SELECT * FROM pragma_foreign_key_list('{name}') ORDER BY id, seq"),
        )
        .await
        {
            let id: i64 = get(&f, "id");
            let from: String = get(&f, "from");
            let to: Option<String> = get(&f, "to");
            let entry = fks.entry(id).or_insert_with(|| ForeignKey {
                name: None,
                columns: Vec::new(),
                ref_table: get(&f, "table"),
                ref_columns: Vec::new(),
                on_delete: get::<String>(&f, "on_delete").to_uppercase(),
            });
            entry.columns.push(from);
            entry.ref_columns.push(to.unwrap_or_default());
        }
        for mut fk in fks.into_values() {
            let quoted = fk
                .columns
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let wanted = format!("\" FOREIGN KEY ({quoted})");
            if let Some(end) = sql.find(&wanted)
                && let Some(start) = sql[..end].rfind("CONSTRAINT \"")
            {
                fk.name = Some(sql[start + "CONSTRAINT \"".len()..end].to_owned());
            }
            table.foreign_keys.push(fk);
        }

        table.checks = sqlite_check_names(&sql);

        for i in rows(conn, &format!("SELECT * FROM pragma_index_list('{name}')")).await {
            let index_name: String = get(&i, "name");
            let unique: i64 = get(&i, "unique");
            let origin: String = get(&i, "origin");
            let partial: i64 = get(&i, "partial");
            let columns: Vec<String> = rows(
                conn,
                &format!("SELECT name FROM pragma_index_info('{index_name}') ORDER BY seqno"),
            )
            .await
            .iter()
            .map(|r| get::<Option<String>>(r, "name").unwrap_or_else(|| "<expr>".to_owned()))
            .collect();
            match origin.as_str() {
                "pk" => {}
                "u" => table.uniques.push(columns),
                _ => {
                    if unique == 1 {
                        table.uniques.push(columns.clone());
                    }
                    table.indexes.push(Index {
                        name: index_name,
                        columns,
                        unique: unique == 1,
                        partial: partial == 1,
                        method: "btree".to_owned(),
                    });
                }
            }
        }
        schema.tables.insert(name, table);
    }
    schema
}

/// Names of `CONSTRAINT "name" CHECK` clauses, plus `<unnamed>` for each anonymous `CHECK`.
fn sqlite_check_names(sql: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = sql;
    while let Some(pos) = rest.find("CHECK") {
        let before = rest[..pos].trim_end();
        let name = before
            .strip_suffix('"')
            .and_then(|b| b.rfind('"').map(|q| (q, b)))
            .filter(|(q, b)| b[..*q].trim_end().ends_with("CONSTRAINT"))
            .map(|(q, b)| b[q + 1..].to_owned());
        names.push(name.unwrap_or_else(|| "<unnamed>".to_owned()));
        rest = &rest[pos + "CHECK".len()..];
    }
    names
}

const PG_COLUMNS: &str = "SELECT table_name::text AS table_name, column_name::text AS column_name, \
    is_nullable::text AS is_nullable, data_type::text AS data_type, column_default::text AS column_default, \
    character_maximum_length::int4 AS max_length, is_identity::text AS is_identity \
    FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position";

const PG_CONSTRAINTS: &str = "SELECT c.conname::text AS name, c.contype::text AS kind, cl.relname::text AS table_name, \
    COALESCE((SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) \
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), '') AS columns, \
    rf.relname::text AS ref_table, \
    COALESCE((SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord) \
      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum), '') AS ref_columns, \
    c.confdeltype::text AS on_delete \
    FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid LEFT JOIN pg_class rf ON rf.oid = c.confrelid \
    WHERE cl.relnamespace = current_schema()::regnamespace ORDER BY cl.relname, c.conname";

const PG_INDEXES: &str = "SELECT i.relname::text AS name, t.relname::text AS table_name, ix.indisunique AS is_unique, \
    ix.indisprimary AS is_primary, (ix.indpred IS NOT NULL) AS partial, am.amname::text AS method, \
    EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) AS from_constraint, \
    COALESCE((SELECT string_agg(COALESCE(a.attname::text, '<expr>'), ',' ORDER BY k.ord) \
      FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
      LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum), '') AS columns \
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
    JOIN pg_am am ON am.oid = i.relam WHERE t.relnamespace = current_schema()::regnamespace ORDER BY i.relname";

async fn describe_postgres(conn: &DatabaseConnection) -> Schema {
    let mut schema = Schema::default();
    for t in rows(
        conn,
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .await
    {
        schema
            .tables
            .insert(get(&t, "table_name"), Table::default());
    }
    for c in rows(conn, PG_COLUMNS).await {
        let table: String = get(&c, "table_name");
        let Some(t) = schema.tables.get_mut(&table) else {
            continue;
        };
        let default: Option<String> = get(&c, "column_default");
        t.columns.push(Column {
            name: get(&c, "column_name"),
            nullable: get::<String>(&c, "is_nullable") == "YES",
            data_type: get::<String>(&c, "data_type").to_lowercase(),
            auto_increment: get::<String>(&c, "is_identity") == "YES"
                || default
                    .as_deref()
                    .is_some_and(|d| d.starts_with("nextval(")),
            default,
            max_length: get(&c, "max_length"),
        });
    }
    for c in rows(conn, PG_CONSTRAINTS).await {
        let table: String = get(&c, "table_name");
        let Some(t) = schema.tables.get_mut(&table) else {
            continue;
        };
        let columns = split(&get::<String>(&c, "columns"));
        match get::<String>(&c, "kind").as_str() {
            "p" => t.primary_key = columns,
            "u" => t.uniques.push(columns),
            "c" => t.checks.push(get(&c, "name")),
            "f" => t.foreign_keys.push(ForeignKey {
                name: Some(get(&c, "name")),
                columns,
                ref_table: get::<Option<String>>(&c, "ref_table").unwrap_or_default(),
                ref_columns: split(&get::<String>(&c, "ref_columns")),
                on_delete: match get::<String>(&c, "on_delete").as_str() {
                    "c" => "CASCADE",
                    "n" => "SET NULL",
                    "r" => "RESTRICT",
                    "d" => "SET DEFAULT",
                    _ => "NO ACTION",
                }
                .to_owned(),
            }),
            _ => {}
        }
    }
    for i in rows(conn, PG_INDEXES).await {
        let table: String = get(&i, "table_name");
        let Some(t) = schema.tables.get_mut(&table) else {
            continue;
        };
        if get::<bool>(&i, "is_primary") || get::<bool>(&i, "from_constraint") {
            continue;
        }
        let index = Index {
            name: get(&i, "name"),
            columns: split(&get::<String>(&i, "columns")),
            unique: get(&i, "is_unique"),
            partial: get(&i, "partial"),
            method: get(&i, "method"),
        };
        if index.unique {
            t.uniques.push(index.columns.clone());
        }
        t.indexes.push(index);
    }
    schema
}
