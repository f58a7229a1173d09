//! `UserRepository`: create, look up, list, update, log in, soft delete; each change audited.

use repository::platform::{AuditContext, NewUser, ProfileUpdate, UserRepository, UserRole};
use repository::{Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests};

use super::{audit_of, id, user, users};

async fn create_and_look_up(db: &TestDb) {
    let repo = users(db);
    let mut new = NewUser::new("ada", "ada@example.com", UserRole::Admin);
    new.display_name = Some("Ada".into());
    new.password_hash = Some("$argon2id$v=19$secret".into());
    new.github_username = Some("ada-gh".into());
    new.github_user_id = Some(42);
    let ada = repo
        .create(new, AuditContext::system())
        .await
        .expect("create");
    assert!(ada.is_active);
    assert_eq!(ada.role, UserRole::Admin);
    assert_eq!(repo.get(id(ada.user_id)).await.expect("get"), ada);
    assert_eq!(
        repo.by_username("ada".into()).await.expect("by username"),
        ada
    );
    assert_eq!(
        repo.by_email("ada@example.com".into())
            .await
            .expect("by email"),
        ada
    );
    assert_eq!(
        repo.by_github_username("ada-gh".into())
            .await
            .expect("by github"),
        ada
    );
    assert!(matches!(
        repo.by_username("nobody".into()).await,
        Err(Error::NotFound { .. })
    ));

    // The audit row: created by the system, every field new, the secret hidden.
    let rows = audit_of(db, ada.user_id).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.event_type, "user_created");
    assert_eq!(row.resource_type.as_deref(), Some("user"));
    assert_eq!(row.user_id, None);
    assert_eq!(row.agent_id, None);
    assert!(row.old_values.is_none());
    let new_values = row.new_values.clone().expect("new values").into_inner();
    assert_eq!(new_values["username"], json!("ada"));
    assert_eq!(new_values["email"], json!("ada@example.com"));
    assert_eq!(new_values["role"], json!("admin"));
    assert_eq!(new_values["github_user_id"], json!(42));
    assert_eq!(new_values["password_hash"], json!("[redacted]"));
    assert!(row.is_immutable);

    // Unique username, email: conflicts, and nothing audited for them.
    let dup = repo
        .create(
            NewUser::new("ada", "other@example.com", UserRole::User),
            AuditContext::system(),
        )
        .await
        .expect_err("taken username");
    assert!(matches!(dup, Error::Conflict(_)), "{dup}");
    let dup = repo
        .create(
            NewUser::new("ada2", "ada@example.com", UserRole::User),
            AuditContext::system(),
        )
        .await
        .expect_err("taken email");
    assert!(matches!(dup, Error::Conflict(_)), "{dup}");
    assert_eq!(db.count("users").await, 1);
    assert_eq!(db.count("audit_logs").await, 1);
}

async fn bad_input_is_refused_before_sql(db: &TestDb) {
    let repo = users(db);
    for (new, field) in [
        (
            NewUser::new("a b", "a@example.com", UserRole::User),
            "username",
        ),
        (NewUser::new("ab", "not-an-email", UserRole::User), "email"),
        (NewUser::new("ab", "a@b", UserRole::User), "email"),
        (
            NewUser {
                github_user_id: Some(0),
                ..NewUser::new("ab", "a@example.com", UserRole::User)
            },
            "github_user_id",
        ),
        (
            NewUser {
                metadata: Some(json!([1])),
                ..NewUser::new("ab", "a@example.com", UserRole::User)
            },
            "metadata",
        ),
    ] {
        let err = repo
            .create(new, AuditContext::system())
            .await
            .expect_err(field);
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{err}"
        );
    }
    let ada = user(db, "ada").await;
    let err = repo
        .record_login(
            id(ada.user_id),
            AuditContext::user(id(ada.user_id)).with_request("300.1.1.1", "x"),
        )
        .await
        .expect_err("bad ip");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "ip_address"),
        "{err}"
    );
    let err = repo
        .set_preferences(id(ada.user_id), json!("dark"), AuditContext::system())
        .await
        .expect_err("not an object");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "preferences"),
        "{err}"
    );
    assert_eq!(db.count("audit_logs").await, 1);
}

async fn updates_are_audited_field_by_field(db: &TestDb) {
    let repo = users(db);
    let ada = user(db, "ada").await;
    let admin = user(db, "root").await;
    let ctx = AuditContext::user(id(admin.user_id)).with_request("2001:db8::1", "dal-tests/1.0");
    let updated = repo
        .update_profile(
            id(ada.user_id),
            ProfileUpdate {
                display_name: Some("Ada L.".into()),
                role: Some(UserRole::Manager),
                ..ProfileUpdate::default()
            },
            ctx.clone(),
        )
        .await
        .expect("update");
    assert_eq!(updated.display_name.as_deref(), Some("Ada L."));
    assert_eq!(updated.role, UserRole::Manager);
    assert_eq!(updated.email, ada.email);
    assert!(updated.updated_at >= ada.updated_at);

    let prefs = repo
        .set_preferences(id(ada.user_id), json!({"theme": "dark"}), ctx.clone())
        .await
        .expect("preferences");
    assert_eq!(prefs.preferences, json!({"theme": "dark"}));

    let rows = audit_of(db, ada.user_id).await;
    let events: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(
        events,
        ["user_created", "user_updated", "user_preferences_changed"]
    );
    let row = &rows[1];
    assert_eq!(row.user_id, Some(admin.user_id));
    assert_eq!(row.ip_address.as_deref(), Some("2001:db8::1"));
    assert_eq!(row.user_agent.as_deref(), Some("dal-tests/1.0"));
    assert_eq!(
        row.old_values.clone().expect("old").into_inner(),
        json!({"display_name": null, "role": "user"})
    );
    assert_eq!(
        row.new_values.clone().expect("new").into_inner(),
        json!({"display_name": "Ada L.", "role": "manager"})
    );
    let row = &rows[2];
    assert_eq!(
        row.old_values.clone().expect("old").into_inner(),
        json!({"preferences": {}})
    );
    assert_eq!(
        row.new_values.clone().expect("new").into_inner(),
        json!({"preferences": {"theme": "dark"}})
    );
}

async fn logins_listing_and_soft_delete(db: &TestDb) {
    let repo = users(db);
    let ada = user(db, "ada").await;
    let bob = user(db, "bob").await;
    let logged = repo
        .record_login(
            id(ada.user_id),
            AuditContext::user(id(ada.user_id)).with_request("10.0.0.7", "browser"),
        )
        .await
        .expect("login");
    let at = logged.last_login_at.expect("last login");
    let row = audit_of(db, ada.user_id).await.pop().expect("login row");
    assert_eq!(row.event_type, "user_login");
    assert_eq!(
        row.old_values.clone().expect("old").into_inner(),
        json!({"last_login_at": null})
    );
    assert_eq!(
        row.new_values.clone().expect("new").into_inner(),
        json!({"last_login_at": at})
    );
    assert_eq!(row.ip_address.as_deref(), Some("10.0.0.7"));

    let active: Vec<String> = repo
        .list_active(Page::first(10))
        .await
        .expect("active")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(active, ["ada", "bob"]);

    let deleted = repo
        .soft_delete(id(bob.user_id), AuditContext::user(id(ada.user_id)))
        .await
        .expect("delete");
    assert!(!deleted.is_active);
    assert!(deleted.deleted_at.is_some());
    let row = audit_of(db, bob.user_id).await.pop().expect("delete row");
    assert_eq!(row.event_type, "user_deleted");
    assert_eq!(row.user_id, Some(ada.user_id));
    assert_eq!(
        row.old_values.clone().expect("old").into_inner(),
        json!({"deleted_at": null, "is_active": true})
    );
    let active: Vec<String> = repo
        .list_active(Page::first(10))
        .await
        .expect("active")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(active, ["ada"]);
    // A deleted user neither logs in nor is deleted twice; the row is still there.
    assert!(matches!(
        repo.record_login(id(bob.user_id), AuditContext::system())
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        repo.soft_delete(id(bob.user_id), AuditContext::system())
            .await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(repo.get(id(bob.user_id)).await.expect("kept"), deleted);
    assert_eq!(audit_of(db, bob.user_id).await.len(), 2);
}

db_tests!(
    create_and_look_up,
    bad_input_is_refused_before_sql,
    updates_are_audited_field_by_field,
    logins_listing_and_soft_delete,
);
