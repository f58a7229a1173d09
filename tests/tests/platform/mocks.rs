//! The platform repositories are mockable from another crate (`repository` with the `mock`
//! feature): code that uses them takes `Arc<dyn …Repository>`.

use std::sync::Arc;

use repository::platform::{
    AuditContext, MockActivityPublisher, MockTaskRepository, TaskRepository, TaskStatus,
};
use repository::{Error, UuidText};

/// Code under test: closes a task, answering whether it was found.
async fn close(repo: Arc<dyn TaskRepository>, task_id: UuidText) -> Result<bool, Error> {
    match repo
        .set_status(task_id, TaskStatus::Closed, AuditContext::system())
        .await
    {
        Ok(_) => Ok(true),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

#[tokio::test]
async fn a_mocked_task_repository_drives_calling_code() {
    let wanted = UuidText::new_v4();
    let mut mock = MockTaskRepository::new();
    mock.expect_set_status()
        .withf(move |id, status, ctx| {
            *id == wanted && *status == TaskStatus::Closed && *ctx == AuditContext::system()
        })
        .times(1)
        .returning(|id, _, _| {
            Err(Error::NotFound {
                entity: "task",
                key: id.to_string(),
            })
        });
    assert!(!close(Arc::new(mock), wanted).await.expect("answer"));

    let mut publisher = MockActivityPublisher::new();
    publisher.expect_publish().times(0);
    let _unused: Arc<dyn repository::platform::ActivityPublisher> = Arc::new(publisher);
}
