//! Invariants over every table of every system, on both backends.

use tests::{TestDb, db_tests, pg_tests};

/// Every foreign key's columns lead an index (or the primary key), so that deleting or updating
/// a parent row, and joining from it, never scans the child table.
async fn every_foreign_key_is_indexed(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let mut missing = Vec::new();
    for (name, table) in &schema.tables {
        for fk in &table.foreign_keys {
            let leads = |cols: &[String]| {
                cols.len() >= fk.columns.len() && cols[..fk.columns.len()] == fk.columns[..]
            };
            let covered = leads(&table.primary_key)
                || table
                    .indexes
                    .iter()
                    .any(|i| !i.partial && leads(&i.columns))
                || table.uniques.iter().any(|u| leads(u));
            if !covered {
                missing.push(format!("{name}({})", fk.columns.join(", ")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{:?}: foreign keys without an index: {}",
        db.backend,
        missing.join(", ")
    );
}

/// Every foreign key is named `fk-<table>-<column>`, and every table has a primary key.
async fn keys_are_named_and_present(db: &TestDb) {
    let schema = tests::introspect::describe(&db.conn).await;
    let mut problems = Vec::new();
    for (name, table) in &schema.tables {
        if table.primary_key.is_empty() {
            problems.push(format!("{name}: no primary key"));
        }
        for fk in &table.foreign_keys {
            let expected = format!("fk-{name}-{}", fk.columns.join("-"));
            if fk.name.as_deref() != Some(expected.as_str()) {
                problems.push(format!(
                    "{name}: foreign key {:?}, expected {expected}",
                    fk.name
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{:?}:\n{}",
        db.backend,
        problems.join("\n")
    );
}

/// SQLite and PostgreSQL end up with the same tables, columns, NULL-ability, keys and indexes.
async fn both_backends_agree(db: &TestDb) {
    assert_eq!(
        db.backend,
        tests::Backend::Postgres,
        "compares PostgreSQL with SQLite"
    );
    let sqlite = TestDb::migrated(tests::Backend::Sqlite).await;
    let pg = tests::introspect::describe(&db.conn).await;
    let lite = tests::introspect::describe(&sqlite.conn).await;
    assert_eq!(
        pg.tables.keys().collect::<Vec<_>>(),
        lite.tables.keys().collect::<Vec<_>>(),
        "same tables"
    );
    let mut problems = Vec::new();
    for (name, p) in &pg.tables {
        let l = &lite.tables[name];
        let cols = |t: &tests::introspect::Table| {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.nullable))
                .collect::<Vec<_>>()
        };
        if cols(p) != cols(l) {
            problems.push(format!(
                "{name}: columns differ\n  pg:     {:?}\n  sqlite: {:?}",
                cols(p),
                cols(l)
            ));
        }
        if p.primary_key != l.primary_key {
            problems.push(format!("{name}: primary keys differ"));
        }
        let mut pi: Vec<_> = p
            .indexes
            .iter()
            .map(|i| (i.name.clone(), i.columns.clone(), i.unique, i.partial))
            .collect();
        let mut li: Vec<_> = l
            .indexes
            .iter()
            .map(|i| (i.name.clone(), i.columns.clone(), i.unique, i.partial))
            .collect();
        pi.sort();
        li.sort();
        if pi != li {
            problems.push(format!(
                "{name}: indexes differ\n  pg:     {pi:?}\n  sqlite: {li:?}"
            ));
        }
        let fks = |t: &tests::introspect::Table| {
            let mut v: Vec<_> = t
                .foreign_keys
                .iter()
                .map(|f| (f.columns.clone(), f.ref_table.clone(), f.on_delete.clone()))
                .collect();
            v.sort();
            v
        };
        if fks(p) != fks(l) {
            problems.push(format!(
                "{name}: foreign keys differ\n  pg:     {:?}\n  sqlite: {:?}",
                fks(p),
                fks(l)
            ));
        }
        let mut pc = p.checks.clone();
        let mut lc = l.checks.clone();
        pc.sort();
        lc.sort();
        if pc != lc {
            problems.push(format!(
                "{name}: checks differ\n  pg:     {pc:?}\n  sqlite: {lc:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

db_tests!(every_foreign_key_is_indexed, keys_are_named_and_present);
pg_tests!(both_backends_agree);
