//! `SystemConfigRepository` and the typed helpers on a real database.

use std::collections::BTreeMap;

use repository::knowledge::system_config::get_typed_entry;
use repository::knowledge::{
    ContentFilter, NewConfigEntry, SystemConfigRepository, SystemConfigStore, get_typed, set_typed,
};
use repository::{Error, knowledge::ContentOrder};
use sea_orm::{DatabaseExecutor, TransactionTrait};
use serde_json::json;
use tests::now;
use tests::{TestDb, db_tests};

fn store(db: &TestDb) -> SystemConfigStore<sea_orm::DatabaseConnection> {
    SystemConfigStore::new(db.conn.clone())
}

fn entry(key: &str, value: serde_json::Value, version: &str, by: &str) -> NewConfigEntry {
    NewConfigEntry::new(key, value)
        .with_schema_version(version)
        .by(by)
}

async fn set_get_replace_delete(db: &TestDb) {
    let repo = store(db);
    assert_eq!(repo.get_value("search.limits").await.expect("get"), None);
    assert!(repo.list().await.expect("list").is_empty());

    let before = now();
    let value = json!({"max_results": 20, "timeout_ms": 1500, "engines": ["fts", "vector"]});
    let set = repo
        .set_value(NewConfigEntry::new("search.limits", value.clone()))
        .await
        .expect("set");
    assert!(set.updated_at >= before);
    let got = repo
        .get_value("search.limits")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got, set, "stored as returned");
    assert_eq!(got.value, value);
    assert_eq!(got.schema_version, "1.0", "the seed's default");
    assert_eq!(got.updated_by, "system", "the seed's default");

    // Replace: value, version, author and time all move; still one row.
    let replaced = repo
        .set_value(entry(
            "search.limits",
            json!({"max_results": 50}),
            "2.1",
            "admin@example.org",
        ))
        .await
        .expect("replace");
    assert!(replaced.updated_at >= set.updated_at);
    let got = repo
        .get_value("search.limits")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got, replaced);
    assert_eq!(got.schema_version, "2.1");
    assert_eq!(db.count("system_config").await, 1);

    // Scalars and arrays are values too.
    repo.set_value(entry("feature.dark_mode", json!(true), "1.0", "ui"))
        .await
        .expect("bool");
    repo.set_value(entry("cache.ttl_seconds", json!(3600), "1.0", "ops"))
        .await
        .expect("number");
    repo.set_value(entry("a.list", json!(["x", "y"]), "10.20", "ops"))
        .await
        .expect("array");
    let keys: Vec<String> = repo
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(
        keys,
        [
            "a.list",
            "cache.ttl_seconds",
            "feature.dark_mode",
            "search.limits"
        ],
        "listed by key"
    );

    repo.delete("feature.dark_mode").await.expect("delete");
    assert_eq!(
        repo.get_value("feature.dark_mode").await.expect("get"),
        None
    );
    assert!(matches!(
        repo.delete("feature.dark_mode").await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(db.count("system_config").await, 3);
}

async fn typed_values_round_trip(db: &TestDb) {
    let repo = store(db);
    let limits: BTreeMap<String, u32> = [
        ("max_results".to_owned(), 20),
        ("timeout_ms".to_owned(), 1500),
    ]
    .into_iter()
    .collect();
    let entry = set_typed(&repo, "search.limits", &limits, "1.0", "system")
        .await
        .expect("set typed");
    assert_eq!(entry.value, json!({"max_results": 20, "timeout_ms": 1500}));
    let back: Option<BTreeMap<String, u32>> =
        get_typed(&repo, "search.limits").await.expect("get typed");
    assert_eq!(back, Some(limits));
    assert_eq!(
        get_typed::<u32, _>(&repo, "missing")
            .await
            .expect("missing"),
        None
    );

    // A struct from elsewhere in the workspace, through a trait object.
    let dyn_repo: &dyn SystemConfigRepository = &repo;
    let filter = ContentFilter {
        technology: Some("rust".into()),
        status: None,
        min_quality: Some(0.5),
    };
    set_typed(dyn_repo, "ui.default_filter", &filter, "1.2", "ui")
        .await
        .expect("set struct");
    let (back, entry) = get_typed_entry::<ContentFilter, _>(dyn_repo, "ui.default_filter")
        .await
        .expect("get struct")
        .expect("present");
    assert_eq!(back, filter);
    assert_eq!(entry.schema_version, "1.2");
    assert_eq!(entry.updated_by, "ui");

    // Stored JSON that does not fit the type: a Validation error naming the key.
    match get_typed::<ContentOrder, _>(&repo, "search.limits").await {
        Err(Error::Validation { field, rule, value }) => {
            assert_eq!(field, "search.limits");
            assert!(rule.contains("ContentOrder"), "{rule}");
            assert!(value.contains("object"), "{value}");
        }
        other => panic!("expected a Validation error, got {other:?}"),
    }
    assert!(matches!(
        get_typed::<Vec<String>, _>(&repo, "ui.default_filter").await,
        Err(Error::Validation { field, .. }) if field == "ui.default_filter"
    ));

    // A value that serialises to JSON null is refused; one that cannot serialise names the key.
    assert!(matches!(
        set_typed(&repo, "nothing", &Option::<u32>::None, "1.0", "system").await,
        Err(Error::Validation { field, .. }) if field == "nothing"
    ));
    let bad_keys: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
    assert!(matches!(
        set_typed(&repo, "tuple.keys", &bad_keys, "1.0", "system").await,
        Err(Error::Validation { field, .. }) if field == "tuple.keys"
    ));
    assert_eq!(db.count("system_config").await, 2);
}

async fn validation_names_field_rule_and_value(db: &TestDb) {
    let repo = store(db);
    let ok = json!({"a": 1});
    let cases: Vec<(&str, &str, serde_json::Value, &str, &str)> = vec![
        ("key", "", ok.clone(), "1.0", "system"),
        ("key", "   ", ok.clone(), "1.0", "system"),
        ("value", "k", serde_json::Value::Null, "1.0", "system"),
        ("schema_version", "k", ok.clone(), "", "system"),
        ("schema_version", "k", ok.clone(), "1", "system"),
        ("schema_version", "k", ok.clone(), "1.", "system"),
        ("schema_version", "k", ok.clone(), ".1", "system"),
        ("schema_version", "k", ok.clone(), "1.0.0", "system"),
        ("schema_version", "k", ok.clone(), "v1.0", "system"),
        ("schema_version", "k", ok.clone(), "1.x", "system"),
        ("updated_by", "k", ok.clone(), "1.0", ""),
        ("updated_by", "k", ok.clone(), "1.0", " "),
    ];
    for (field, key, value, version, by) in cases {
        match repo.set_value(entry(key, value, version, by)).await {
            Err(Error::Validation {
                field: got,
                rule,
                value,
            }) => {
                assert_eq!(got, field, "{key:?} {version:?} {by:?}");
                assert!(!rule.is_empty() && !value.is_empty());
            }
            other => panic!("{field}: expected a Validation error, got {other:?}"),
        }
    }
    let long_key = "k".repeat(256);
    assert!(matches!(
        repo.set_value(entry(&long_key, ok.clone(), "1.0", "system"))
            .await,
        Err(Error::Validation { field, .. }) if field == "key"
    ));
    assert_eq!(db.count("system_config").await, 0, "nothing was written");
    repo.set_value(entry(&"k".repeat(255), ok, "0.0", "s"))
        .await
        .expect("the bounds are accepted");
}

async fn concurrent_sets_leave_one_row(db: &TestDb) {
    let mut tasks = Vec::new();
    for k in 0..12 {
        let repo = store(db);
        tasks.push(tokio::spawn(async move {
            repo.set_value(entry(
                "shared",
                json!({"writer": k}),
                "1.0",
                &format!("w{k}"),
            ))
            .await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("set");
    }
    assert_eq!(db.count("system_config").await, 1);
    let entry = store(db)
        .get_value("shared")
        .await
        .expect("get")
        .expect("present");
    let writer = entry.value["writer"].as_i64().expect("a writer");
    assert_eq!(
        entry.updated_by,
        format!("w{writer}"),
        "one writer's whole row"
    );
}

async fn joins_a_unit_of_work(db: &TestDb) {
    let txn = db.conn.begin().await.expect("begin");
    {
        let repo = SystemConfigStore::new(DatabaseExecutor::from(&txn));
        repo.set_value(NewConfigEntry::new("k", json!(1)))
            .await
            .expect("set in txn");
        assert!(repo.get_value("k").await.expect("get").is_some());
    }
    txn.rollback().await.expect("rollback");
    assert_eq!(db.count("system_config").await, 0);
}

db_tests!(
    set_get_replace_delete,
    typed_values_round_trip,
    validation_names_field_rule_and_value,
    concurrent_sets_leave_one_row,
    joins_a_unit_of_work,
);
