//! Migrations: up, down and up again on both backends; `schema_versions` follows every step;
//! concurrent migrators do not race.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};
use tests::{Backend, TestDb};

async fn tables(db: &TestDb) -> Vec<String> {
    tests::introspect::describe(&db.conn)
        .await
        .tables
        .into_keys()
        .collect()
}

async fn versions(db: &TestDb) -> Vec<(String, Option<String>, Option<String>)> {
    db.conn
        .query_all_raw(Statement::from_string(
            db.db_backend(),
            "SELECT version_id, description, migration_script FROM schema_versions ORDER BY version_id",
        ))
        .await
        .expect("read schema_versions")
        .iter()
        .map(|r| {
            (
                r.try_get("", "version_id").expect("version_id"),
                r.try_get("", "description").expect("description"),
                r.try_get("", "migration_script").expect("migration_script"),
            )
        })
        .collect()
}

fn names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

async fn up_down_up(db: &TestDb) {
    // Every migration is recorded with its description and script.
    let recorded = versions(db).await;
    assert_eq!(
        recorded.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        names()
    );
    for (id, description, script) in &recorded {
        assert!(
            description.as_deref().is_some_and(|d| !d.is_empty()),
            "{id} has a description"
        );
        assert_eq!(
            script.as_deref(),
            Some(format!("migration/src/{id}.rs").as_str())
        );
    }
    let full = tables(db).await;
    assert!(full.len() > 30, "every seed table exists: {full:?}");

    // One step down removes exactly the last migration and its ledger row.
    Migrator::down(&db.conn, Some(1)).await.expect("down 1");
    let after_one = versions(db).await;
    assert_eq!(after_one.len(), names().len() - 1);
    assert!(!after_one.iter().any(|r| Some(&r.0) == names().last()));

    // All the way down (what `dal migrate reset` does): nothing but the migration ledger is left.
    Migrator::down(&db.conn, None)
        .await
        .expect("down everything");
    assert_eq!(tables(db).await, vec!["seaql_migrations".to_owned()]);

    // And up again, to the same schema.
    Migrator::up(&db.conn, None).await.expect("up again");
    assert_eq!(tables(db).await, full);
    assert_eq!(versions(db).await.len(), names().len());

    // refresh = down everything + up everything.
    Migrator::refresh(&db.conn).await.expect("refresh");
    assert_eq!(tables(db).await, full);
}

async fn dal_migrate_is_all_or_nothing_and_serialised(db: &TestDb) {
    app::migrate::run(&db.conn, app::migrate::Action::Reset)
        .await
        .expect("reset");
    // Two migrators at once on the same database: both succeed, each migration applied once.
    let (a, b) = tokio::join!(
        app::migrate::run(&db.conn, app::migrate::Action::Up(None)),
        app::migrate::run(&db.conn, app::migrate::Action::Up(None)),
    );
    a.expect("first migrator");
    b.expect("second migrator");
    assert_eq!(versions(db).await.len(), names().len());
    let states = app::migrate::states(&db.conn).await.expect("states");
    assert!(states.iter().all(|s| s.applied));

    app::migrate::run(&db.conn, app::migrate::Action::Down(Some(2)))
        .await
        .expect("down 2");
    assert_eq!(versions(db).await.len(), names().len() - 2);
    app::migrate::run(&db.conn, app::migrate::Action::Up(None))
        .await
        .expect("up");
    assert_eq!(versions(db).await.len(), names().len());
}

async fn the_migration_cli_binary_matches(db: &TestDb) {
    // `Migrator::status` is what `cargo run -p migration -- status` prints; it must not fail.
    Migrator::status(&db.conn).await.expect("status");
    let pending = Migrator::get_pending_migrations(&db.conn)
        .await
        .expect("pending");
    assert!(pending.is_empty());
}

async fn fresh_rebuilds_everything(db: &TestDb) {
    db.raw("INSERT INTO system_config (key, value) VALUES ('k', '1')")
        .await
        .ok();
    app::migrate::run(&db.conn, app::migrate::Action::Fresh)
        .await
        .expect("fresh");
    assert_eq!(versions(db).await.len(), names().len());
    assert_eq!(db.count("system_config").await, 0);
}

tests::db_tests!(
    up_down_up,
    dal_migrate_is_all_or_nothing_and_serialised,
    the_migration_cli_binary_matches,
    fresh_rebuilds_everything
);

#[tokio::test]
async fn two_processes_worth_of_connections_migrate_one_sqlite_file() {
    // Two independent pools on the same file stand in for two `dal migrate` processes.
    let first = TestDb::empty(Backend::Sqlite).await;
    let second =
        repository::DatabaseManager::connect_with(repository::DbConfig::new(first.url.clone()))
            .await
            .expect("second pool");
    let second_conn = second.connection().await.expect("conn");
    let (a, b) = tokio::join!(
        app::migrate::run(&first.conn, app::migrate::Action::Up(None)),
        app::migrate::run(&second_conn, app::migrate::Action::Up(None)),
    );
    a.expect("first");
    b.expect("second");
    assert_eq!(versions(&first).await.len(), names().len());
}
