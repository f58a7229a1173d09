//! The shared column types round-trip on every backend: `DbUuid` (uuid / text), timestamps
//! (timestamptz / SQLite's own text) compared against database defaults, and JSON.

use chrono::Duration;
use entity::DbUuid;
use entity::behavior::now;
use migration::common::{create_table, native, uuid_pk};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Table;
use sea_orm::{ActiveValue::Set, QueryOrder};
use tests::{TestDb, db_tests};

mod probe {
    use entity::{DbDateTime, DbJson, DbUuid};
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "type_probe")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: DbUuid,
        pub other: Option<DbUuid>,
        pub at: DbDateTime,
        pub doc: DbJson,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

async fn create_probe(db: &TestDb) {
    let manager = sea_orm_migration::SchemaManager::new(&db.conn);
    let b = db.db_backend();
    create_table(
        &manager,
        Table::create()
            .table("type_probe")
            .col(uuid_pk(b, "id"))
            .col(native::uuid(b, "other").null())
            .col(native::timestamp_now(b, "at"))
            .col(native::json_binary(b, "doc").not_null())
            .take(),
    )
    .await
    .expect("create type_probe");
}

async fn uuid_timestamps_and_json_round_trip(db: &TestDb) {
    create_probe(db).await;
    let id = DbUuid::new_v4();
    let other = DbUuid::new_v4();
    let at = now();
    let inserted = probe::ActiveModel {
        id: Set(id),
        other: Set(Some(other)),
        at: Set(at),
        doc: Set(serde_json::json!({"n": 42, "tags": ["a"]}).into()),
    }
    .insert(&db.conn)
    .await
    .expect("insert");
    assert_eq!(inserted.id, id);

    let found = probe::Entity::find_by_id(id)
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row");
    assert_eq!(found.id, id);
    assert_eq!(found.other, Some(other));
    assert_eq!(found.at, at, "timestamps keep microseconds");
    assert_eq!(found.doc["n"], 42);

    let by_other = probe::Entity::find()
        .filter(probe::Column::Other.eq(other))
        .all(&db.conn)
        .await
        .expect("filter by uuid");
    assert_eq!(by_other.len(), 1);
    let by_in = probe::Entity::find()
        .filter(probe::Column::Id.is_in([id, DbUuid::new_v4()]))
        .all(&db.conn)
        .await
        .expect("IN (uuid, uuid)");
    assert_eq!(by_in.len(), 1);

    // A row whose id and timestamp come from the database defaults.
    db.raw("INSERT INTO type_probe (doc) VALUES ('{}')")
        .await
        .expect("insert with defaults");
    let rows = probe::Entity::find()
        .order_by_asc(probe::Column::At)
        .all(&db.conn)
        .await
        .expect("all");
    assert_eq!(rows.len(), 2);
    let defaulted = rows.iter().find(|r| r.id != id).expect("defaulted row");
    assert_eq!(
        defaulted.id.0.get_version_num(),
        4,
        "database default is a v4 UUID"
    );
    // Database default and application time agree to within a few seconds, and compare in SQL.
    // SQLite's CURRENT_TIMESTAMP (the seeds' default) keeps whole seconds.
    assert!((defaulted.at - now()).abs() < Duration::seconds(5));
    let later = probe::Entity::find()
        .filter(probe::Column::At.gt(at - Duration::seconds(1)))
        .all(&db.conn)
        .await
        .expect("compare timestamps");
    assert_eq!(
        later.len(),
        2,
        "database default compares after an earlier application time"
    );
    let earlier = probe::Entity::find()
        .filter(probe::Column::At.lt(now() + Duration::seconds(60)))
        .all(&db.conn)
        .await
        .expect("compare timestamps");
    assert_eq!(earlier.len(), 2);

    if db.backend == tests::Backend::Sqlite {
        let text: Option<String> = db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                db.db_backend(),
                "SELECT typeof(id) || ':' || length(id) AS t FROM type_probe LIMIT 1",
            ))
            .await
            .expect("typeof")
            .and_then(|r| r.try_get("", "t").ok());
        assert_eq!(
            text.as_deref(),
            Some("text:36"),
            "UUIDs are hyphenated text on SQLite"
        );
    }
}

db_tests!(uuid_timestamps_and_json_round_trip);

/// Timestamps bind as naive UTC; a session time zone set in the URL must not shift them.
async fn postgres_sessions_keep_utc_whatever_the_url_says(db: &TestDb) {
    if db.backend != tests::Backend::Postgres {
        return;
    }
    let url = format!("{}?options=-c%20TimeZone%3DAsia%2FTokyo", db.url);
    let manager = repository::DatabaseManager::connect_with(repository::DbConfig::new(url))
        .await
        .expect("connect with a time zone in the URL");
    let conn = manager.connection().await.expect("connection");
    let zone: String = conn
        .query_one_raw(sea_orm::Statement::from_string(
            db.db_backend(),
            "SELECT current_setting('TimeZone') AS z",
        ))
        .await
        .expect("show")
        .expect("row")
        .try_get("", "z")
        .expect("zone");
    assert_eq!(zone, "UTC");
    create_probe(db).await;
    let at: entity::DbDateTime = "2026-12-01T04:35:00.123456Z"
        .parse::<chrono::DateTime<chrono::Utc>>()
        .expect("instant")
        .into();
    probe::ActiveModel {
        id: Set(DbUuid::new_v4()),
        other: Set(None),
        at: Set(at),
        doc: Set(serde_json::json!({}).into()),
    }
    .insert(&conn)
    .await
    .expect("insert");
    let stored: String = db
        .conn
        .query_one_raw(sea_orm::Statement::from_string(
            db.db_backend(),
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS t FROM type_probe",
        ))
        .await
        .expect("select")
        .expect("row")
        .try_get("", "t")
        .expect("text");
    assert_eq!(stored, "2026-12-01 04:35:00.123456");
}

db_tests!(postgres_sessions_keep_utc_whatever_the_url_says);
