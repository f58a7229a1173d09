//! `UserSessionRepository`: only the token's SHA-256 is stored; lookups see live sessions only
//! (not revoked, expired or deleted); touch, revoke, soft delete; and the purge of the
//! retention job, which keeps a purged session's log records, detached.

use std::time::Duration;

use chrono::Duration as TimeDelta;
use repository::assistant::{
    LogLevel, NewLog, NewSession, SystemLogRepository, SystemLogStore, UserSessionRepository,
    UserSessionStore, token_hash,
};
use repository::entity::assistant::user_sessions;
use repository::sea_orm::EntityTrait;
use repository::{DatabaseConnection, Error, UuidText};
use tests::{TestDb, db_tests, now};

use super::set_time;

const HOUR: Duration = Duration::from_secs(3600);

fn store(db: &TestDb) -> UserSessionStore<DatabaseConnection> {
    UserSessionStore::new(db.conn.clone())
}

async fn tokens_are_stored_hashed(db: &TestDb) {
    let repo = store(db);
    let token = "tok_3f9a1c2b7d4e4f0a8b6c";
    let session = repo
        .create(
            NewSession::new(token, HOUR)
                .for_user("hr-analyst@example.com")
                .from_client("2001:db8::7".parse().expect("ip"), "Mozilla/5.0")
                .with_data(serde_json::json!({"locale": "en-GB"})),
        )
        .await
        .expect("create");
    assert_eq!(session.session_token_hash, token_hash(token));
    assert_eq!(session.ip_address.as_deref(), Some("2001:db8::7"));
    assert!(session.is_active);
    let stored = user_sessions::Entity::find()
        .all(&db.conn)
        .await
        .expect("rows");
    let text = serde_json::to_string(&stored).expect("json");
    assert!(!text.contains(token), "the token itself is never stored");
    assert_eq!(
        repo.find_by_token(token.into()).await.expect("find"),
        Some(session.clone())
    );
    assert_eq!(
        repo.get(session.id.into()).await.expect("get"),
        Some(session.clone())
    );
    assert_eq!(
        repo.find_by_token("tok_some_other_token_value".into())
            .await
            .expect("unknown"),
        None
    );
    let err = repo
        .create(NewSession::new(token, HOUR))
        .await
        .expect_err("same token");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    for (bad, field) in [
        (NewSession::new("short", HOUR), "token"),
        (NewSession::new(token, Duration::ZERO), "ttl"),
        (
            NewSession::new("tok_another_valid_token", HOUR).for_user("u".repeat(256)),
            "user_identifier",
        ),
        (
            NewSession::new("tok_another_valid_token", HOUR).with_data(serde_json::json!("x")),
            "session_data",
        ),
    ] {
        let err = repo.create(bad).await.expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
        assert!(!err.to_string().contains("short"), "{err}");
    }
    assert_eq!(db.count("user_sessions").await, 1);
}

async fn lookups_exclude_dead_sessions(db: &TestDb) {
    let repo = store(db);
    let mk = |n: u32| NewSession::new(format!("tok_session_number_{n:04}"), HOUR);
    let revoked = repo.create(mk(1)).await.expect("1");
    let deleted = repo.create(mk(2)).await.expect("2");
    let expired = repo.create(mk(3)).await.expect("3");
    let live = repo.create(mk(4)).await.expect("4");
    repo.revoke(revoked.id.into()).await.expect("revoke");
    repo.soft_delete(deleted.id.into())
        .await
        .expect("soft delete");
    set_time::<user_sessions::Entity>(
        db,
        user_sessions::Column::ExpiresAt,
        user_sessions::Column::Id,
        expired.id,
        now() - TimeDelta::seconds(1),
    )
    .await;
    for (n, row) in [(1, &revoked), (2, &deleted), (3, &expired)] {
        assert_eq!(
            repo.find_by_token(format!("tok_session_number_{n:04}"))
                .await
                .expect("find"),
            None,
            "session {n}"
        );
        assert_eq!(repo.get(row.id.into()).await.expect("get"), None);
        assert!(matches!(
            repo.touch(row.id.into(), None).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert_eq!(
        repo.find_by_token("tok_session_number_0004".into())
            .await
            .expect("live")
            .map(|s| s.id),
        Some(live.id)
    );
    assert!(matches!(
        repo.revoke(UuidText::new_v4()).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        repo.soft_delete(UuidText::new_v4()).await,
        Err(Error::NotFound { .. })
    ));

    // Touching records activity and may extend the session; soft delete keeps its first time.
    set_time::<user_sessions::Entity>(
        db,
        user_sessions::Column::LastActivityAt,
        user_sessions::Column::Id,
        live.id,
        now() - TimeDelta::minutes(10),
    )
    .await;
    let touched = repo.touch(live.id.into(), None).await.expect("touch");
    assert!(touched.last_activity_at > live.last_activity_at - TimeDelta::seconds(1));
    assert_eq!(touched.expires_at, live.expires_at);
    let extended = repo
        .touch(live.id.into(), Some(Duration::from_secs(86_400)))
        .await
        .expect("extend");
    assert!(extended.expires_at > live.expires_at + TimeDelta::hours(20));
    let first = user_sessions::Entity::find_by_id(deleted.id)
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row")
        .deleted_at;
    repo.soft_delete(deleted.id.into()).await.expect("again");
    let second = user_sessions::Entity::find_by_id(deleted.id)
        .one(&db.conn)
        .await
        .expect("select")
        .expect("row")
        .deleted_at;
    assert!(first.is_some());
    assert_eq!(first, second);
}

async fn purge_keeps_recent_sessions_and_detaches_logs(db: &TestDb) {
    let repo = store(db);
    let logs = SystemLogStore::new(db.conn.clone());
    let long_ago = now() - TimeDelta::days(31);
    let mk = |n: u32| NewSession::new(format!("tok_purge_candidate_{n:04}"), HOUR);
    let idle = repo.create(mk(1)).await.expect("idle");
    let deleted_long_ago = repo.create(mk(2)).await.expect("deleted");
    let revoked_long_ago = repo.create(mk(3)).await.expect("revoked");
    let recent_deleted = repo.create(mk(4)).await.expect("recent deleted");
    let active = repo.create(mk(5)).await.expect("active");
    set_time::<user_sessions::Entity>(
        db,
        user_sessions::Column::LastActivityAt,
        user_sessions::Column::Id,
        idle.id,
        long_ago,
    )
    .await;
    repo.soft_delete(deleted_long_ago.id.into())
        .await
        .expect("delete");
    set_time::<user_sessions::Entity>(
        db,
        user_sessions::Column::DeletedAt,
        user_sessions::Column::Id,
        deleted_long_ago.id,
        long_ago,
    )
    .await;
    repo.revoke(revoked_long_ago.id.into())
        .await
        .expect("revoke");
    set_time::<user_sessions::Entity>(
        db,
        user_sessions::Column::LastActivityAt,
        user_sessions::Column::Id,
        revoked_long_ago.id,
        long_ago,
    )
    .await;
    repo.soft_delete(recent_deleted.id.into())
        .await
        .expect("delete");
    logs.append(
        NewLog::new(LogLevel::Warning, "auth", "idle session").with_session(idle.id.into()),
    )
    .await
    .expect("log");

    let purged = repo
        .purge(now() - TimeDelta::days(30), 2)
        .await
        .expect("purge");
    assert_eq!(purged, 3);
    let mut left: Vec<_> = user_sessions::Entity::find()
        .all(&db.conn)
        .await
        .expect("rows")
        .into_iter()
        .map(|s| s.id)
        .collect();
    left.sort();
    let mut want = vec![recent_deleted.id, active.id];
    want.sort();
    assert_eq!(left, want);
    let records = logs
        .list(
            repository::assistant::LogFilter::default(),
            repository::Page::default(),
        )
        .await
        .expect("logs");
    assert_eq!(records.len(), 1, "the log record outlives its session");
    assert_eq!(records[0].user_session_id, None);
}

db_tests!(
    tokens_are_stored_hashed,
    lookups_exclude_dead_sessions,
    purge_keeps_recent_sessions_and_detaches_logs,
);
