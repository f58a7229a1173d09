//! Moving one table's rows: read in primary-key order from the source snapshot (checksummed as
//! they pass), inserted into the target in batches under the backend's bind limit, then read
//! back from the target transaction and checksummed again.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use futures::TryStreamExt as _;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, StreamTrait};
use sha2::{Digest, Sha256};

use super::catalogue::{Kind, Table};
use super::cell::{self, Cell};

/// Bound parameters one statement may carry: SQLite's `SQLITE_MAX_VARIABLE_NUMBER` (32,766 since
/// 3.32) and PostgreSQL's wire protocol limit (65,535).
fn bind_limit(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => 32_766,
        _ => 65_535,
    }
}

/// Rows per `INSERT`: `wanted`, or fewer when the table is wide enough to hit the bind limit.
#[must_use]
pub fn batch_rows(wanted: usize, columns: usize, backend: DbBackend) -> usize {
    (bind_limit(backend) / columns.max(1)).clamp(1, wanted.max(1))
}

/// A table's rows and their checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows read.
    pub rows: u64,
    /// SHA-256 (hex) of the rows' canonical renderings in primary-key order.
    pub sha256: String,
}

/// `SELECT` every column of `table` in primary-key order on `backend`. Names come from the
/// catalogue and are quoted as identifiers; text keys sort by bytes on both backends.
fn select(table: &Table, backend: DbBackend) -> Statement {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| cell::select_expr(&crate::quoted_identifier(&c.name), c.kind, backend))
        .collect();
    let order: Vec<String> = table
        .key
        .iter()
        .map(|k| {
            let kind = table.column(k).map(|c| c.kind);
            let quoted = crate::quoted_identifier(k);
            match (backend, kind) {
                (DbBackend::Postgres, Some(Kind::Text)) => {
                    format!("{quoted} COLLATE \"C\" NULLS FIRST")
                }
                (DbBackend::Postgres, Some(Kind::Json)) => {
                    format!("{quoted}::text COLLATE \"C\" NULLS FIRST")
                }
                (DbBackend::Postgres, _) => format!("{quoted} NULLS FIRST"),
                _ => quoted,
            }
        })
        .collect();
    Statement::from_string(
        backend,
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            crate::quoted_identifier(&table.name),
            order.join(", ")
        ),
    )
}

/// Read one row of `table` into cells.
fn cells(table: &Table, row: &sea_orm::QueryResult) -> Result<Vec<Cell>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cell::read(row, i, c.kind)
                .with_context(|| format!("reading {}.{} ({})", table.name, c.name, c.declared))
        })
        .collect()
}

/// Copy every row of `table` from `source` to `target`, `batch` rows per statement, calling
/// `progress` with the rows inserted so far. Returns the source rows' summary.
///
/// # Errors
/// A value that cannot be read or written, or an insert the target refuses.
pub async fn copy(
    source: &DatabaseTransaction,
    target: &DatabaseTransaction,
    table: &Table,
    batch: usize,
    progress: &dyn Fn(u64),
) -> Result<Summary> {
    let backend = ConnectionTrait::get_database_backend(target);
    let batch = batch_rows(batch, table.columns.len(), backend);
    let mut hash = Sha256::new();
    let mut rows = 0u64;
    let mut pending: Vec<Vec<Cell>> = Vec::with_capacity(batch);
    // A table that references itself: every row is held so that parents go in first.
    let hold_all = table.self_references().next().is_some();
    {
        let mut stream = Box::pin(
            source
                .stream_raw(select(table, ConnectionTrait::get_database_backend(source)))
                .await
                .with_context(|| format!("reading {}", table.name))?,
        );
        while let Some(row) = stream.try_next().await? {
            let row = cells(table, &row)?;
            for value in &row {
                cell::digest(value, &mut hash);
            }
            rows += 1;
            pending.push(row);
            if !hold_all && pending.len() >= batch {
                insert(target, table, &pending).await?;
                progress(rows);
                pending.clear();
            }
        }
    }
    if hold_all {
        pending = parents_first(table, pending)?;
        for chunk in pending.chunks(batch) {
            insert(target, table, chunk).await?;
        }
    } else if !pending.is_empty() {
        insert(target, table, &pending).await?;
    }
    progress(rows);
    Ok(Summary {
        rows,
        sha256: hex::encode(hash.finalize()),
    })
}

/// The summary of `table` as read through `db` (the target's transaction, after the copy).
///
/// # Errors
/// When a row cannot be read.
pub async fn summarise(db: &DatabaseTransaction, table: &Table) -> Result<Summary> {
    let mut hash = Sha256::new();
    let mut rows = 0u64;
    let mut stream = Box::pin(
        db.stream_raw(select(table, ConnectionTrait::get_database_backend(db)))
            .await
            .with_context(|| format!("reading {}", table.name))?,
    );
    while let Some(row) = stream.try_next().await? {
        for value in &cells(table, &row)? {
            cell::digest(value, &mut hash);
        }
        rows += 1;
    }
    Ok(Summary {
        rows,
        sha256: hex::encode(hash.finalize()),
    })
}

/// One multi-row `INSERT` of `rows` into `table`.
async fn insert(target: &DatabaseTransaction, table: &Table, rows: &[Vec<Cell>]) -> Result<()> {
    let backend = ConnectionTrait::get_database_backend(target);
    let mut stmt = Query::insert();
    stmt.into_table(table.name.clone())
        .columns(table.columns.iter().map(|c| c.name.clone()));
    for row in rows {
        let values = row
            .iter()
            .zip(&table.columns)
            .map(|(value, column)| {
                cell::bind(value, column.kind, backend)
                    .map(Expr::val)
                    .with_context(|| format!("{}.{}", table.name, column.name))
            })
            .collect::<Result<Vec<_>>>()?;
        stmt.values(values)?;
    }
    target
        .execute_raw(backend.build(&stmt))
        .await
        .with_context(|| format!("inserting into {}", table.name))?;
    Ok(())
}

/// `rows` of a self-referencing `table` reordered so that every row comes after the row it
/// references (rows keep their key order otherwise).
///
/// # Errors
/// When rows reference each other in a cycle, which no insert order satisfies.
fn parents_first(table: &Table, rows: Vec<Vec<Cell>>) -> Result<Vec<Vec<Cell>>> {
    let index_of = |name: &str| table.columns.iter().position(|c| c.name == name);
    let mut links = Vec::new();
    for fk in table.self_references() {
        let (Some(child), Some(parent)) = (index_of(&fk.column), index_of(&fk.parent_column))
        else {
            bail!("{}: foreign key column {} not found", table.name, fk.column);
        };
        let by_value: HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| (format!("{:?}", row[parent]), i))
            .collect();
        links.push((child, by_value));
    }
    let depends_on = |i: usize| -> Vec<usize> {
        links
            .iter()
            .filter_map(|(child, by_value)| {
                let value = &rows[i][*child];
                if *value == Cell::Null {
                    return None;
                }
                by_value
                    .get(&format!("{value:?}"))
                    .copied()
                    .filter(|j| *j != i)
            })
            .collect()
    };
    let deps: Vec<Vec<usize>> = (0..rows.len()).map(depends_on).collect();
    let mut placed = vec![false; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    while order.len() < rows.len() {
        let before = order.len();
        for i in 0..rows.len() {
            if !placed[i] && deps[i].iter().all(|j| placed[*j]) {
                placed[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            bail!(
                "{}: rows reference each other in a cycle; no insert order satisfies the \
                 foreign key",
                table.name
            );
        }
    }
    let mut slots: Vec<Option<Vec<Cell>>> = rows.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

#[cfg(test)]
mod tests {
    use super::super::catalogue::{Column, ForeignKey};
    use super::*;

    #[test]
    fn batches_stay_under_the_bind_limit() {
        assert_eq!(batch_rows(1000, 10, DbBackend::Sqlite), 1000);
        assert_eq!(batch_rows(5000, 10, DbBackend::Sqlite), 3276);
        assert_eq!(batch_rows(5000, 10, DbBackend::Postgres), 5000);
        assert_eq!(batch_rows(100_000, 10, DbBackend::Postgres), 6553);
        assert_eq!(batch_rows(0, 100_000, DbBackend::Sqlite), 1);
    }

    #[test]
    fn children_follow_their_parents() {
        let table = Table {
            name: "tasks".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    kind: Kind::Int,
                    declared: "INTEGER".into(),
                },
                Column {
                    name: "parent_id".into(),
                    kind: Kind::Int,
                    declared: "INTEGER".into(),
                },
            ],
            key: vec!["id".into()],
            foreign_keys: vec![ForeignKey {
                column: "parent_id".into(),
                parent: "tasks".into(),
                parent_column: "id".into(),
            }],
        };
        let row =
            |id, parent: Option<i64>| vec![Cell::Int(id), parent.map_or(Cell::Null, Cell::Int)];
        let rows = vec![
            row(1, Some(3)),
            row(2, None),
            row(3, Some(2)),
            row(4, Some(4)),
        ];
        let ids: Vec<Cell> = parents_first(&table, rows)
            .expect("order")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(
            ids,
            [Cell::Int(2), Cell::Int(3), Cell::Int(4), Cell::Int(1)]
        );

        let cycle = vec![row(1, Some(2)), row(2, Some(1))];
        assert!(parents_first(&table, cycle).is_err());
    }
}
