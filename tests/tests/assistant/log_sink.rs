//! The logging sink of `app` on a real database: a burst of 10,000 WARN events returns without
//! waiting for the database and, with a channel that holds them, every one becomes a row.
//! (The stalled-writer case, where records are dropped and counted, is a unit test of `app`.)

use std::sync::Arc;

use app::log_sink::{self, LogSinkSettings};
use repository::Page;
use repository::assistant::{LogFilter, LogLevel, SystemLogRepository, SystemLogStore};
use tests::{TestDb, db_tests};
use tracing_subscriber::layer::SubscriberExt;

const BURST: u64 = 10_000;

async fn a_burst_is_written_whole(db: &TestDb) {
    let repo = Arc::new(SystemLogStore::new(db.conn.clone()));
    let settings = LogSinkSettings {
        capacity: usize::try_from(BURST).expect("fits"),
        ..LogSinkSettings::default()
    };
    let (layer, handle) = log_sink::spawn(repo.clone(), settings);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..BURST {
            tracing::warn!(target: "assistant.burst", n = i, request_id = "req-burst", "burst event");
            tracing::debug!("below WARN: not written");
        }
    });
    // The subscriber (and its sender) is gone: the writer drains the channel, then stops.
    for _ in 0..12_000 {
        if handle.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(handle.is_finished(), "the writer drained the channel");
    assert_eq!(
        handle.dropped(),
        0,
        "nothing dropped while the database keeps up"
    );
    assert_eq!(handle.failed(), 0);
    assert_eq!(handle.written(), BURST);
    assert_eq!(
        db.count("system_logs").await,
        i64::try_from(BURST).expect("fits")
    );
    let newest = repo
        .list(
            LogFilter {
                request_id: Some("req-burst".into()),
                ..LogFilter::default()
            },
            Page::first(1),
        )
        .await
        .expect("list");
    assert_eq!(newest[0].level, LogLevel::Warning);
    assert_eq!(newest[0].logger, "assistant.burst");
    assert_eq!(newest[0].message, "burst event");
    assert!(newest[0].context.as_ref().is_some_and(|c| c["n"].is_u64()));
}

db_tests!(a_burst_is_written_whole);
