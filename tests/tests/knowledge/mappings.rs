//! `MappingRepository` on a real database.

use chrono::TimeDelta;
use entity::knowledge::sea_orm_active_enums::MappingSourceType;
use entity::knowledge::technology_mappings;
use repository::knowledge::{
    MappingRepository, MappingStore, NewMapping, SeedReport, TECHNOLOGIES, UpsertOutcome,
    reference_mappings,
};
use repository::{Error, Page};
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseExecutor, EntityTrait, TransactionTrait};
use tests::now;
use tests::{TestDb, db_tests};

use super::url;

/// A change that breaks one rule.
type Breaker = Box<dyn Fn(&mut NewMapping)>;

fn store(db: &TestDb) -> MappingStore<sea_orm::DatabaseConnection> {
    MappingStore::new(db.conn.clone())
}

fn gh(tech: &str, repo: &str) -> NewMapping {
    NewMapping::github(tech, "example", repo)
}

fn assert_validation<T: std::fmt::Debug>(result: repository::Result<T>, field: &str) {
    match result {
        Err(Error::Validation { field: f, rule, .. }) => {
            assert_eq!(f, field);
            assert!(!rule.is_empty());
        }
        other => panic!("{field}: expected a Validation error, got {other:?}"),
    }
}

async fn all_rows(db: &TestDb) -> Vec<technology_mappings::Model> {
    store(db).list(Page::first(1000)).await.expect("list")
}

async fn upsert_inserts_updates_and_leaves_unchanged(db: &TestDb) {
    let repo = store(db);
    let (first, outcome) = repo.upsert(gh("rust", "book")).await.expect("insert");
    assert_eq!(outcome, UpsertOutcome::Inserted);
    assert!(uuid::Uuid::parse_str(&first.mapping_id).is_ok());
    assert_eq!(first.source_type, MappingSourceType::Github);
    assert_eq!(first.owner.as_deref(), Some("example"));
    // The constructor's defaults are the seed's column defaults.
    assert_eq!(first.docs_path, "docs");
    assert_eq!(first.file_patterns, serde_json::json!(["*.md", "*.mdx"]));
    assert_eq!(
        (
            first.priority,
            first.is_official,
            first.update_frequency_hours
        ),
        (1, false, 24)
    );
    assert!(first.is_active);
    assert_eq!(first.last_updated, None);
    assert_eq!(repo.get(&first.mapping_id).await.expect("get"), first);

    // The same values again: nothing written, not even updated_at.
    let (same, outcome) = repo.upsert(gh("rust", "book")).await.expect("again");
    assert_eq!(outcome, UpsertOutcome::Unchanged);
    assert_eq!(same, first);
    assert_eq!(repo.get(&first.mapping_id).await.expect("get"), first);

    // Other values under the same key: the same row, updated in place.
    let changed = gh("rust", "book").priority(7).official().every_hours(12);
    let (updated, outcome) = repo.upsert(changed).await.expect("update");
    assert_eq!(outcome, UpsertOutcome::Updated);
    assert_eq!(updated.mapping_id, first.mapping_id);
    assert_eq!(updated.created_at, first.created_at);
    assert!(updated.updated_at >= first.updated_at);
    assert_eq!(
        (
            updated.priority,
            updated.is_official,
            updated.update_frequency_hours
        ),
        (7, true, 12)
    );
    let mut patterns = gh("rust", "book").priority(7).official().every_hours(12);
    patterns.file_patterns = vec!["*.rst".into()];
    let (updated, outcome) = repo.upsert(patterns).await.expect("patterns");
    assert_eq!(outcome, UpsertOutcome::Updated);
    assert_eq!(updated.file_patterns, serde_json::json!(["*.rst"]));
    assert_eq!(db.count("technology_mappings").await, 1);

    // A different key part is a different mapping.
    repo.upsert(gh("rust", "reference"))
        .await
        .expect("other repo");
    repo.upsert(gh("go", "book")).await.expect("other tech");
    assert_eq!(db.count("technology_mappings").await, 3);

    // An upsert keeps the active flag and last_updated of the existing row.
    let at = now();
    repo.mark_updated(&first.mapping_id, at)
        .await
        .expect("mark");
    repo.deactivate(&first.mapping_id)
        .await
        .expect("deactivate");
    let (kept, outcome) = repo
        .upsert(gh("rust", "book").priority(1))
        .await
        .expect("upsert inactive");
    assert_eq!(outcome, UpsertOutcome::Updated);
    assert!(!kept.is_active);
    assert_eq!(kept.last_updated, Some(at.into()));
}

async fn upsert_sees_web_duplicates_with_null_owner_and_repo(db: &TestDb) {
    let repo = store(db);
    let web = NewMapping::web("sqlite", url("https://www.sqlite.org/docs.html"));
    let (a, outcome) = repo.upsert(web.clone()).await.expect("insert");
    assert_eq!(outcome, UpsertOutcome::Inserted);
    assert_eq!((a.owner.as_deref(), a.repo.as_deref()), (None, None));
    let (b, outcome) = repo.upsert(web.clone()).await.expect("again");
    assert_eq!(outcome, UpsertOutcome::Unchanged);
    assert_eq!(b.mapping_id, a.mapping_id);
    let (c, outcome) = repo.upsert(web.priority(3)).await.expect("update");
    assert_eq!(outcome, UpsertOutcome::Updated);
    assert_eq!(c.mapping_id, a.mapping_id);
    assert_eq!(
        db.count("technology_mappings").await,
        1,
        "no duplicate despite NULLs"
    );

    // A GitHub mapping with and without a base_url are two keys (NULL-aware both ways).
    let plain = gh("react", "react.dev");
    let mut with_site = plain.clone();
    with_site.base_url = Some(url("https://react.dev/"));
    assert_eq!(
        repo.upsert(plain.clone()).await.expect("plain").1,
        UpsertOutcome::Inserted
    );
    assert_eq!(
        repo.upsert(with_site.clone()).await.expect("site").1,
        UpsertOutcome::Inserted
    );
    assert_eq!(
        repo.upsert(plain).await.expect("plain again").1,
        UpsertOutcome::Unchanged
    );
    assert_eq!(
        repo.upsert(with_site).await.expect("site again").1,
        UpsertOutcome::Unchanged
    );
    assert_eq!(db.count("technology_mappings").await, 3);
}

async fn concurrent_upserts_of_one_web_mapping_insert_one_row(db: &TestDb) {
    // NULL owner and repo: the unique index cannot catch a duplicate, the upsert lock must.
    for round in 0..5 {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(12));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let repo = store(db);
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                repo.upsert(NewMapping::web(
                    "redis",
                    url(&format!("https://redis.io/docs/{round}/")),
                ))
                .await
            }));
        }
        let mut inserted = 0;
        for t in tasks {
            let (_, outcome) = t.await.expect("join").expect("upsert");
            inserted += usize::from(outcome == UpsertOutcome::Inserted);
        }
        assert_eq!(inserted, 1, "round {round}");
    }
    assert_eq!(db.count("technology_mappings").await, 5);
}

async fn validation_names_field_rule_and_value(db: &TestDb) {
    let repo = store(db);
    let cases: Vec<(&str, NewMapping, Breaker)> = vec![
        (
            "technology",
            gh("rust", "x"),
            Box::new(|m| m.technology = String::new()),
        ),
        ("owner", gh("rust", "x"), Box::new(|m| m.owner = None)),
        (
            "owner",
            gh("rust", "x"),
            Box::new(|m| m.owner = Some("bad owner".into())),
        ),
        ("repo", gh("rust", "x"), Box::new(|m| m.repo = None)),
        (
            "repo",
            gh("rust", "x"),
            Box::new(|m| m.repo = Some("a/b".into())),
        ),
        (
            "base_url",
            NewMapping::web("rust", url("https://doc.rust-lang.org/")),
            Box::new(|m| m.base_url = None),
        ),
        (
            "owner",
            NewMapping::web("rust", url("https://doc.rust-lang.org/")),
            Box::new(|m| m.owner = Some("rust-lang".into())),
        ),
        (
            "repo",
            NewMapping::web("rust", url("https://doc.rust-lang.org/")),
            Box::new(|m| m.repo = Some("book".into())),
        ),
        (
            "docs_path",
            gh("rust", "x"),
            Box::new(|m| m.docs_path = " ".into()),
        ),
        (
            "file_patterns",
            gh("rust", "x"),
            Box::new(|m| m.file_patterns = Vec::new()),
        ),
        (
            "file_patterns",
            gh("rust", "x"),
            Box::new(|m| m.file_patterns = vec!["*.md".into(), String::new()]),
        ),
        ("priority", gh("rust", "x"), Box::new(|m| m.priority = -1)),
        (
            "update_frequency_hours",
            gh("rust", "x"),
            Box::new(|m| m.update_frequency_hours = 0),
        ),
    ];
    for (field, mut m, break_it) in cases {
        break_it(&mut m);
        assert_validation(repo.upsert(m).await, field);
    }
    assert_eq!(
        db.count("technology_mappings").await,
        0,
        "nothing was written"
    );
    // Bounds are inclusive.
    repo.upsert(gh("rust", "x").priority(0).every_hours(1))
        .await
        .expect("priority 0 and hourly are allowed");
}

async fn active_for_orders_official_then_priority(db: &TestDb) {
    let repo = store(db);
    let mut ids = std::collections::HashMap::new();
    for (name, m) in [
        ("unofficial-100", gh("rust", "u100").priority(100)),
        ("official-5", gh("rust", "o5").priority(5).official()),
        ("official-10", gh("rust", "o10").priority(10).official()),
        (
            "official-10-web",
            NewMapping::web("rust", url("https://doc.rust-lang.org/"))
                .priority(10)
                .official(),
        ),
        ("unofficial-1", gh("rust", "u1")),
        ("python", gh("python", "p").official().priority(50)),
    ] {
        let (row, _) = repo.upsert(m).await.expect("upsert");
        ids.insert(row.mapping_id, name);
    }
    let names = |rows: Vec<technology_mappings::Model>| {
        rows.iter()
            .map(|r| ids[&r.mapping_id])
            .collect::<Vec<&str>>()
    };
    let rows = repo.active_for("rust").await.expect("active");
    let got = names(rows.clone());
    // Official first, then priority; the two official-10 rows by mapping_id.
    assert!(rows[0].mapping_id < rows[1].mapping_id);
    let mut top = got[..2].to_vec();
    top.sort_unstable();
    assert_eq!(top, ["official-10", "official-10-web"]);
    assert_eq!(got[2..], ["official-5", "unofficial-100", "unofficial-1"]);

    let o5 = rows
        .iter()
        .find(|r| ids[&r.mapping_id] == "official-5")
        .expect("o5")
        .mapping_id
        .clone();
    repo.deactivate(&o5).await.expect("deactivate");
    assert!(!repo.get(&o5).await.expect("get").is_active);
    assert_eq!(repo.active_for("rust").await.expect("active").len(), 4);
    repo.activate(&o5).await.expect("activate");
    assert_eq!(repo.active_for("rust").await.expect("active").len(), 5);

    assert!(repo.active_for("cobol").await.expect("empty").is_empty());
    assert_validation(repo.active_for("").await, "technology");
    for result in [
        repo.deactivate("missing").await,
        repo.activate("missing").await,
        repo.mark_updated("missing", now()).await,
        repo.get("missing").await.map(drop),
    ] {
        assert!(matches!(result, Err(Error::NotFound { .. })), "{result:?}");
    }
}

async fn due_for_update_is_exact_at_the_boundary(db: &TestDb) {
    let repo = store(db);
    let (daily, _) = repo
        .upsert(gh("rust", "daily").priority(1))
        .await
        .expect("daily");
    let (hourly, _) = repo
        .upsert(gh("rust", "hourly").priority(2).every_hours(1))
        .await
        .expect("hourly");
    let (never, _) = repo.upsert(gh("rust", "never")).await.expect("never");
    let (inactive, _) = repo.upsert(gh("rust", "inactive")).await.expect("inactive");
    repo.deactivate(&inactive.mapping_id)
        .await
        .expect("deactivate");

    let t = now();
    repo.mark_updated(&daily.mapping_id, t)
        .await
        .expect("mark daily");
    // Sub-microsecond precision is dropped, the same on both backends.
    repo.mark_updated(&hourly.mapping_id, t + TimeDelta::nanoseconds(999))
        .await
        .expect("mark hourly");
    assert_eq!(
        repo.get(&hourly.mapping_id)
            .await
            .expect("get")
            .last_updated,
        Some(t.into()),
        "stored to the microsecond"
    );

    let one = TimeDelta::microseconds(1);
    let due = |at| {
        let repo = store(db);
        async move {
            repo.due_for_update(at, 100)
                .await
                .expect("due")
                .into_iter()
                .map(|m| m.mapping_id)
                .collect::<Vec<_>>()
        }
    };
    let (d, h, n) = (&daily.mapping_id, &hourly.mapping_id, &never.mapping_id);
    assert_eq!(
        due(t).await,
        std::slice::from_ref(n),
        "only the never-updated one"
    );
    assert_eq!(
        due(t + TimeDelta::hours(1) - one).await,
        std::slice::from_ref(n)
    );
    assert_eq!(
        due(t + TimeDelta::hours(1)).await,
        [n.clone(), h.clone()],
        "due exactly at last_updated + 1 hour"
    );
    assert_eq!(
        due(t + TimeDelta::hours(24) - one).await,
        [n.clone(), h.clone()]
    );
    // Equal last_updated: higher priority first.
    assert_eq!(
        due(t + TimeDelta::hours(24)).await,
        [n.clone(), h.clone(), d.clone()],
        "due exactly at last_updated + 24 hours"
    );

    // Older updates come first.
    repo.mark_updated(d, t - TimeDelta::hours(30))
        .await
        .expect("older");
    assert_eq!(
        due(t + TimeDelta::hours(1)).await,
        [n.clone(), d.clone(), h.clone()]
    );

    // The limit, and its bounds.
    let first = repo
        .due_for_update(t + TimeDelta::hours(24), 1)
        .await
        .expect("limit 1");
    assert_eq!(first.len(), 1);
    assert_eq!(&first[0].mapping_id, n);
    assert_validation(repo.due_for_update(t, 0).await, "limit");
    assert_validation(repo.due_for_update(t, 1001).await, "limit");

    // Nothing due at all.
    repo.mark_updated(n, t).await.expect("mark never");
    repo.mark_updated(d, t).await.expect("mark daily");
    assert!(due(t).await.is_empty());
}

async fn due_for_update_with_many_frequencies(db: &TestDb) {
    let repo = store(db);
    // 600 mappings, frequency = priority = 1..=600 hours, all updated at t: more distinct
    // frequencies than one query binds, so the result is merged from several queries.
    let mappings: Vec<NewMapping> = (1..=600)
        .map(|i| gh("rust", &format!("r{i}")).priority(i).every_hours(i))
        .collect();
    let report = repo.seed(&mappings).await.expect("seed");
    assert_eq!(report.inserted, 600);
    let t = now();
    technology_mappings::Entity::update_many()
        .col_expr(
            technology_mappings::Column::LastUpdated,
            Expr::value(Some(entity::DbDateTime::from(t))),
        )
        .exec(&db.conn)
        .await
        .expect("mark all");

    let due = repo
        .due_for_update(t + TimeDelta::hours(550), 1000)
        .await
        .expect("due");
    assert_eq!(due.len(), 550);
    assert!(due.iter().all(|m| m.update_frequency_hours <= 550));
    assert!(due.windows(2).all(|w| w[0].priority > w[1].priority));
    let top = repo
        .due_for_update(t + TimeDelta::hours(550), 20)
        .await
        .expect("top");
    let priorities: Vec<i32> = top.iter().map(|m| m.priority).collect();
    assert_eq!(priorities, (531..=550).rev().collect::<Vec<_>>());
    assert!(
        repo.due_for_update(t + TimeDelta::hours(1) - TimeDelta::microseconds(1), 10)
            .await
            .expect("none")
            .is_empty()
    );
}

async fn list_pages(db: &TestDb) {
    let repo = store(db);
    for i in 0..7 {
        repo.upsert(gh(if i % 2 == 0 { "go" } else { "rust" }, &format!("r{i}")))
            .await
            .expect("upsert");
    }
    let all = all_rows(db).await;
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].technology <= w[1].technology));
    let p0 = repo.list(Page::nth(0, 3)).await.expect("p0");
    let p1 = repo.list(Page::nth(1, 3)).await.expect("p1");
    let p2 = repo.list(Page::nth(2, 3)).await.expect("p2");
    assert_eq!((p0.len(), p1.len(), p2.len()), (3, 3, 1));
    assert_eq!([p0, p1, p2].concat(), all);
    assert!(
        repo.list(Page {
            limit: 10,
            offset: 100
        })
        .await
        .expect("beyond")
        .is_empty()
    );
    assert_validation(
        repo.list(Page {
            limit: 0,
            offset: 0,
        })
        .await,
        "limit",
    );
}

async fn seed_is_idempotent(db: &TestDb) {
    let repo = store(db);
    let reference = reference_mappings();
    let n = reference.len() as u64;
    let first = repo.seed(&reference).await.expect("seed");
    assert_eq!(
        first,
        SeedReport {
            inserted: n,
            updated: 0,
            unchanged: 0
        }
    );
    let before = all_rows(db).await;
    assert_eq!(before.len() as u64, n);

    let second = repo.seed(&reference).await.expect("seed again");
    assert_eq!(
        second,
        SeedReport {
            inserted: 0,
            updated: 0,
            unchanged: n
        }
    );
    assert_eq!(
        all_rows(db).await,
        before,
        "nothing changed, not even updated_at"
    );

    // Every required technology has an official, active source.
    for tech in TECHNOLOGIES {
        let active = repo.active_for(tech).await.expect("active");
        assert!(active.first().is_some_and(|m| m.is_official), "{tech}");
    }

    // A changed reference mapping is updated, the rest left alone.
    let mut changed = reference.clone();
    changed[0].priority += 1;
    let third = repo.seed(&changed).await.expect("seed changed");
    assert_eq!(
        third,
        SeedReport {
            inserted: 0,
            updated: 1,
            unchanged: n - 1
        }
    );

    // All or nothing: one bad mapping refuses the batch, naming it.
    let mut bad = vec![gh("elixir", "a"), gh("elixir", "b"), gh("elixir", "c")];
    bad[2].owner = None;
    assert_validation(repo.seed(&bad).await, "mappings[2].owner");
    assert!(repo.active_for("elixir").await.expect("none").is_empty());
    assert_eq!(repo.seed(&[]).await.expect("empty"), SeedReport::default());
}

async fn joins_a_unit_of_work(db: &TestDb) {
    let txn = db.conn.begin().await.expect("begin");
    {
        let repo = MappingStore::new(DatabaseExecutor::from(&txn));
        repo.upsert(gh("rust", "book")).await.expect("in txn");
        repo.seed(&reference_mappings()).await.expect("seed in txn");
    }
    txn.rollback().await.expect("rollback");
    assert_eq!(
        db.count("technology_mappings").await,
        0,
        "rolled back with the unit of work"
    );
}

db_tests!(
    upsert_inserts_updates_and_leaves_unchanged,
    upsert_sees_web_duplicates_with_null_owner_and_repo,
    concurrent_upserts_of_one_web_mapping_insert_one_row,
    validation_names_field_rule_and_value,
    active_for_orders_official_then_priority,
    due_for_update_is_exact_at_the_boundary,
    due_for_update_with_many_frequencies,
    list_pages,
    seed_is_idempotent,
    joins_a_unit_of_work,
);
