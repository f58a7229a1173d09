//! Expected schemas, written from the seeds (never from the migrations), and the check that a
//! live database matches them.
//!
//! ```ignore
//! TableSpec::new("feedback_events")
//!     .not_null(&["event_id", "content_id", "feedback_type", "created_at"])
//!     .nullable(&["rating", "comment"])
//!     .pk(&["event_id"])
//!     .fk("content_id", "content_metadata", "content_id", OnDelete::Cascade)
//!     .checks(&["ck_feedback_events_feedback_type", "ck_feedback_events_rating"])
//!     .index("idx_feedback_events_content_id", &["content_id"])
//! ```

use crate::introspect::{Column, Schema, Table};
use crate::{Backend, Row, TestDb};

/// The ON DELETE action a seed asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// `ON DELETE CASCADE`
    Cascade,
    /// `ON DELETE SET NULL`
    SetNull,
    /// `ON DELETE RESTRICT`
    Restrict,
    /// No ON DELETE clause (`NO ACTION`).
    NoAction,
}

impl OnDelete {
    fn as_sql(self) -> &'static str {
        match self {
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
            Self::Restrict => "RESTRICT",
            Self::NoAction => "NO ACTION",
        }
    }
}

/// An expected index.
#[derive(Debug, Clone)]
pub struct IndexSpec {
    /// Name, as the seed writes it.
    pub name: &'static str,
    /// Columns in order.
    pub columns: Vec<&'static str>,
    /// UNIQUE.
    pub unique: bool,
    /// Partial (WHERE …).
    pub partial: bool,
    /// Access method on PostgreSQL (`btree` unless the seed asks for GIN).
    pub pg_method: &'static str,
}

/// An expected foreign key.
#[derive(Debug, Clone)]
pub struct FkSpec {
    /// Referencing column.
    pub column: &'static str,
    /// Referenced table.
    pub ref_table: &'static str,
    /// Referenced column.
    pub ref_column: &'static str,
    /// ON DELETE action.
    pub on_delete: OnDelete,
}

/// Everything a seed says about one table.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// Table name.
    pub name: &'static str,
    /// Columns with their NULL-ability (`true` = nullable).
    pub columns: Vec<(&'static str, bool)>,
    /// Primary key columns.
    pub pk: Vec<&'static str>,
    /// UNIQUE column lists (constraints or unique indexes).
    pub uniques: Vec<Vec<&'static str>>,
    /// Foreign keys.
    pub fks: Vec<FkSpec>,
    /// CHECK constraint names.
    pub checks: Vec<&'static str>,
    /// Indexes.
    pub indexes: Vec<IndexSpec>,
}

impl TableSpec {
    /// A table with nothing declared yet.
    #[must_use]
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            columns: Vec::new(),
            pk: Vec::new(),
            uniques: Vec::new(),
            fks: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
        }
    }

    /// Columns declared NOT NULL (primary-key columns included).
    #[must_use]
    pub fn not_null(mut self, columns: &[&'static str]) -> Self {
        self.columns.extend(columns.iter().map(|c| (*c, false)));
        self
    }

    /// Columns that accept NULL.
    #[must_use]
    pub fn nullable(mut self, columns: &[&'static str]) -> Self {
        self.columns.extend(columns.iter().map(|c| (*c, true)));
        self
    }

    /// The primary key.
    #[must_use]
    pub fn pk(mut self, columns: &[&'static str]) -> Self {
        self.pk = columns.to_vec();
        self
    }

    /// A UNIQUE constraint (or unique index) over `columns`.
    #[must_use]
    pub fn unique(mut self, columns: &[&'static str]) -> Self {
        self.uniques.push(columns.to_vec());
        self
    }

    /// A foreign key from `column` to `ref_table(ref_column)`, named `fk-<table>-<column>`.
    #[must_use]
    pub fn fk(
        mut self,
        column: &'static str,
        ref_table: &'static str,
        ref_column: &'static str,
        on_delete: OnDelete,
    ) -> Self {
        self.fks.push(FkSpec {
            column,
            ref_table,
            ref_column,
            on_delete,
        });
        self
    }

    /// CHECK constraints, by name.
    #[must_use]
    pub fn checks(mut self, names: &[&'static str]) -> Self {
        self.checks.extend_from_slice(names);
        self
    }

    /// A plain index.
    #[must_use]
    pub fn index(self, name: &'static str, columns: &[&'static str]) -> Self {
        self.index_full(name, columns, false, false, "btree")
    }

    /// A unique index.
    #[must_use]
    pub fn unique_index(self, name: &'static str, columns: &[&'static str]) -> Self {
        self.index_full(name, columns, true, false, "btree")
    }

    /// A partial index (the seed's `WHERE …`).
    #[must_use]
    pub fn partial_index(self, name: &'static str, columns: &[&'static str]) -> Self {
        self.index_full(name, columns, false, true, "btree")
    }

    /// A GIN index on PostgreSQL (a plain index on SQLite).
    #[must_use]
    pub fn gin_index(self, name: &'static str, columns: &[&'static str]) -> Self {
        self.index_full(name, columns, false, false, "gin")
    }

    /// Any index.
    #[must_use]
    pub fn index_full(
        mut self,
        name: &'static str,
        columns: &[&'static str],
        unique: bool,
        partial: bool,
        pg_method: &'static str,
    ) -> Self {
        self.indexes.push(IndexSpec {
            name,
            columns: columns.to_vec(),
            unique,
            partial,
            pg_method,
        });
        self
    }
}

/// Every difference between `specs` and the live `schema`, one line each (empty when they match).
#[must_use]
pub fn diff(specs: &[TableSpec], schema: &Schema, postgres: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for spec in specs {
        let Some(table) = schema.tables.get(spec.name) else {
            problems.push(format!("{}: table missing", spec.name));
            continue;
        };
        diff_table(spec, table, postgres, &mut problems);
    }
    problems
}

fn diff_table(spec: &TableSpec, table: &Table, postgres: bool, problems: &mut Vec<String>) {
    let t = spec.name;
    for (name, nullable) in &spec.columns {
        match table.column(name) {
            None => problems.push(format!("{t}.{name}: column missing")),
            Some(col) if col.nullable != *nullable => problems.push(format!(
                "{t}.{name}: expected {}, found {}",
                if *nullable { "NULL" } else { "NOT NULL" },
                if col.nullable { "NULL" } else { "NOT NULL" }
            )),
            Some(_) => {}
        }
    }
    for col in &table.columns {
        if !spec.columns.iter().any(|(n, _)| *n == col.name) {
            problems.push(format!("{t}.{}: column not in the seed", col.name));
        }
    }
    if table.primary_key != spec.pk {
        problems.push(format!(
            "{t}: primary key {:?}, expected {:?}",
            table.primary_key, spec.pk
        ));
    }
    for unique in &spec.uniques {
        if !table.uniques.iter().any(|u| u == unique) {
            problems.push(format!(
                "{t}: UNIQUE {unique:?} missing (found {:?})",
                table.uniques
            ));
        }
    }
    for fk in &spec.fks {
        let found = table.foreign_keys.iter().find(|f| f.columns == [fk.column]);
        match found {
            None => problems.push(format!("{t}.{}: foreign key missing", fk.column)),
            Some(f) => {
                if f.ref_table != fk.ref_table || f.ref_columns != [fk.ref_column] {
                    problems.push(format!(
                        "{t}.{}: references {}({:?}), expected {}({})",
                        fk.column, f.ref_table, f.ref_columns, fk.ref_table, fk.ref_column
                    ));
                }
                if f.on_delete != fk.on_delete.as_sql() {
                    problems.push(format!(
                        "{t}.{}: ON DELETE {}, expected {}",
                        fk.column,
                        f.on_delete,
                        fk.on_delete.as_sql()
                    ));
                }
                let expected_name = format!("fk-{t}-{}", fk.column);
                if f.name.as_deref() != Some(expected_name.as_str()) {
                    problems.push(format!(
                        "{t}.{}: foreign key named {:?}, expected {expected_name}",
                        fk.column, f.name
                    ));
                }
            }
        }
    }
    if table.foreign_keys.len() != spec.fks.len() {
        problems.push(format!(
            "{t}: {} foreign keys, the seed has {}",
            table.foreign_keys.len(),
            spec.fks.len()
        ));
    }
    for check in &spec.checks {
        if !table.checks.iter().any(|c| c == check) {
            problems.push(format!(
                "{t}: CHECK {check} missing (found {:?})",
                table.checks
            ));
        }
    }
    for idx in &spec.indexes {
        match table.index(idx.name) {
            None => problems.push(format!("{t}: index {} missing", idx.name)),
            Some(found) => {
                if found.columns != idx.columns {
                    problems.push(format!(
                        "{t}: index {} on {:?}, expected {:?}",
                        idx.name, found.columns, idx.columns
                    ));
                }
                if found.unique != idx.unique {
                    problems.push(format!(
                        "{t}: index {} unique={}, expected {}",
                        idx.name, found.unique, idx.unique
                    ));
                }
                if found.partial != idx.partial {
                    problems.push(format!(
                        "{t}: index {} partial={}, expected {}",
                        idx.name, found.partial, idx.partial
                    ));
                }
                if postgres && found.method != idx.pg_method {
                    problems.push(format!(
                        "{t}: index {} uses {}, expected {}",
                        idx.name, found.method, idx.pg_method
                    ));
                }
            }
        }
    }
}

/// Check every foreign key of `specs` on `db`: for each, one row of the referencing table is
/// refused while its key column names a parent that does not exist, then the same row, naming
/// the parent `row` gave it, is accepted. So each refusal is the foreign key's doing, and the
/// cases come from the specs: a foreign key added to a spec is checked without another line.
///
/// `row(table)` returns a row of `table` the database accepts, with every foreign-key column
/// naming an existing parent and new values for its own keys at each call.
///
/// # Panics
/// When a row naming a missing parent is accepted, a valid row is refused, or `row` leaves a
/// foreign-key column out.
pub async fn assert_foreign_keys_refuse_orphans(
    db: &TestDb,
    specs: &[TableSpec],
    mut row: impl FnMut(&'static str) -> Row,
) {
    let schema = crate::introspect::describe(&db.conn).await;
    for spec in specs {
        for fk in &spec.fks {
            let (table, column) = (spec.name, fk.column);
            let valid = row(table);
            assert!(
                valid.iter().any(|(c, _)| *c == column),
                "the row given for {table} must name a parent in {column}"
            );
            let declared = schema
                .tables
                .get(table)
                .and_then(|t| t.column(column))
                .unwrap_or_else(|| panic!("{table}.{column} is not in the database"));
            db.assert_refused(
                &format!("{table}.{column} naming a missing {}", fk.ref_table),
                table,
                crate::with(valid.clone(), column, missing_key(db, declared)),
            )
            .await;
            db.assert_accepted(
                &format!("{table}.{column} naming an existing {}", fk.ref_table),
                table,
                valid,
            )
            .await;
        }
    }
}

/// A value for `column` that no parent row holds: a large integer for integer keys, a new UUID
/// otherwise (typed `uuid` where PostgreSQL declares it so, text everywhere else).
fn missing_key(db: &TestDb, column: &Column) -> sea_orm::sea_query::Expr {
    let missing = uuid::Uuid::new_v4();
    if column.data_type.contains("int") {
        crate::v(987_654_321_i32)
    } else if db.backend == Backend::Postgres && column.data_type == "uuid" {
        db.uuid(missing)
    } else {
        crate::v(missing.to_string())
    }
}
