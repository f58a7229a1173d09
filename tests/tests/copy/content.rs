//! Every table's content of a SQLite file, read independently of `dal copy`'s own value path:
//! each value by its storage class, JSON parsed, timestamps parsed to microseconds, reals to 17
//! significant digits, blobs in hex.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// One table's rows in primary-key order.
pub type Rows = Vec<Vec<serde_json::Value>>;

/// The ledgers `dal copy` leaves to each database's own migrations.
pub const LEDGERS: &[&str] = &["seaql_migrations", "schema_versions"];

/// Every table of the SQLite database `conn` but the ledgers, with its rows.
pub async fn of_sqlite(conn: &DatabaseConnection) -> BTreeMap<String, Rows> {
    let q = |sql: String| Statement::from_string(DbBackend::Sqlite, sql);
    let mut tables = BTreeMap::new();
    let names = conn
        .query_all_raw(q("SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
            .to_owned()))
        .await
        .expect("tables");
    for row in names {
        let table: String = row.try_get("", "name").expect("name");
        if LEDGERS.contains(&table.as_str()) {
            continue;
        }
        let columns: Vec<(String, String, i64)> = conn
            .query_all_raw(q(format!(
                "SELECT name, type, pk FROM pragma_table_info('{table}') ORDER BY cid"
            )))
            .await
            .expect("columns")
            .into_iter()
            .map(|r| {
                (
                    r.try_get("", "name").expect("name"),
                    r.try_get("", "type").expect("type"),
                    r.try_get("", "pk").expect("pk"),
                )
            })
            .collect();
        let mut key: Vec<(i64, &str)> = columns
            .iter()
            .filter(|c| c.2 > 0)
            .map(|c| (c.2, c.0.as_str()))
            .collect();
        key.sort_unstable();
        let order: Vec<String> = key.iter().map(|(_, c)| format!("\"{c}\"")).collect();
        let select: Vec<String> = columns
            .iter()
            .map(|(c, _, _)| {
                format!(
                    "typeof(\"{c}\"), CASE typeof(\"{c}\") WHEN 'blob' THEN hex(\"{c}\") \
                     WHEN 'real' THEN printf('%!.17g', \"{c}\") ELSE CAST(\"{c}\" AS TEXT) END"
                )
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM \"{table}\" ORDER BY {}",
            select.join(", "),
            order.join(", ")
        );
        let rows = conn
            .query_all_raw(q(sql))
            .await
            .expect("rows")
            .into_iter()
            .map(|r| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, declared, _))| {
                        let class: String = r.try_get_by_index(2 * i).expect("class");
                        let text: Option<String> = r.try_get_by_index(2 * i + 1).expect("text");
                        value(declared, &class, text)
                    })
                    .collect()
            })
            .collect();
        tables.insert(table, rows);
    }
    tables
}

fn value(declared: &str, class: &str, text: Option<String>) -> serde_json::Value {
    let Some(text) = text else {
        return serde_json::Value::Null;
    };
    match declared {
        "JSON" => serde_json::from_str(&text).expect("JSON"),
        "TIMESTAMP" => {
            let at = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f")
                .unwrap_or_else(|e| panic!("{text:?} is no SQLite timestamp: {e}"));
            serde_json::Value::String(at.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
        }
        _ => serde_json::json!([class, text]),
    }
}

/// Assert that `a` and `b` hold the same tables with the same rows, naming the first table
/// that differs.
pub fn assert_same(a: &BTreeMap<String, Rows>, b: &BTreeMap<String, Rows>) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, rows) in a {
        assert_eq!(rows.len(), b[table].len(), "{table}: row count");
        for (i, (x, y)) in rows.iter().zip(&b[table]).enumerate() {
            assert_eq!(x, y, "{table}: row {i} differs");
        }
    }
}
