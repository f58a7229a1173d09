//! The logging sink of the assistant system (seed 003: structured logs land in `system_logs`):
//! a [`tracing_subscriber::Layer`] that turns every event at or above a minimum level (WARN by
//! default) into a [`NewLog`] and hands it to a bounded channel; a background task writes the
//! channel's records in batches through a [`SystemLogRepository`].
//!
//! The caller is never blocked: when the channel is full (the database is slower than the
//! events), the record is dropped and counted ([`LogSinkHandle::dropped`]). Opt-in by config
//! (`[assistant] log_sink = true`, `log_sink_level`, `log_sink_capacity`).
//!
//! Events emitted by the writer task itself (and by the SQL driver, `sqlx`) are not captured, so
//! that a failing write cannot feed itself. A field `request_id` (at most 64 characters) fills
//! the column of that name; every other field goes into `context`; the event's target is the
//! logger. Sessions stay in `context` (the column is a foreign key the sink cannot check).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use repository::assistant::logs::{MAX_LOGGER_LEN, MAX_MESSAGE_LEN, MAX_REQUEST_ID_LEN};
use repository::assistant::{LogLevel, NewLog, SystemLogRepository};
use repository::chrono::Utc;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;

/// Records the writer takes from the channel per database write, at most.
pub const DEFAULT_BATCH: usize = 500;
/// Records the channel holds by default before the sink drops.
pub const DEFAULT_CAPACITY: usize = 10_000;

tokio::task_local! {
    /// Set while the writer task runs: its own events are not captured.
    static IN_WRITER: ();
}

/// The sink's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSinkSettings {
    /// The least severe level written (WARN by default).
    pub min_level: Level,
    /// Records the channel holds before the sink drops (at least 1).
    pub capacity: usize,
    /// Records per database write, at most (at least 1).
    pub batch: usize,
}

impl Default for LogSinkSettings {
    fn default() -> Self {
        Self {
            min_level: Level::WARN,
            capacity: DEFAULT_CAPACITY,
            batch: DEFAULT_BATCH,
        }
    }
}

/// The counters of a running sink.
#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    dropped: AtomicU64,
    written: AtomicU64,
    failed: AtomicU64,
}

/// The layer: add it to a subscriber (`tracing_subscriber::registry().with(layer)`).
pub struct LogSinkLayer {
    tx: mpsc::Sender<NewLog>,
    min_level: Level,
    counters: Arc<Counters>,
}

impl fmt::Debug for LogSinkLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogSinkLayer")
            .field("min_level", &self.min_level)
            .finish_non_exhaustive()
    }
}

/// The running writer's counters and task.
#[derive(Debug)]
pub struct LogSinkHandle {
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl LogSinkHandle {
    /// Records dropped because the channel was full (or the writer gone).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Records written to `system_logs`.
    #[must_use]
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// Records whose batch the database refused (lost).
    #[must_use]
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }

    /// Whether the writer has stopped (every layer dropped and the channel drained).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Wait until every record queued so far is written (or refused), at most `timeout`;
    /// whether it was. For a process about to exit.
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let c = &self.counters;
            let done = c.written.load(Ordering::Relaxed) + c.failed.load(Ordering::Relaxed);
            if done >= c.queued.load(Ordering::Relaxed) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline || self.task.is_finished() {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Stop the writer now (records still queued are lost).
    pub fn abort(&self) {
        self.task.abort();
    }
}

/// Start a sink writing through `repo`: the layer to install and the writer's handle. Must be
/// called inside a Tokio runtime (the writer is a task of it).
pub fn spawn(
    repo: Arc<dyn SystemLogRepository>,
    settings: LogSinkSettings,
) -> (LogSinkLayer, LogSinkHandle) {
    let (tx, rx) = mpsc::channel(settings.capacity.max(1));
    let counters = Arc::new(Counters::default());
    let task = tokio::spawn(IN_WRITER.scope(
        (),
        write_batches(rx, repo, settings.batch.max(1), Arc::clone(&counters)),
    ));
    (
        LogSinkLayer {
            tx,
            min_level: settings.min_level,
            counters: Arc::clone(&counters),
        },
        LogSinkHandle { counters, task },
    )
}

/// The writer: wait for a record, take up to `batch` queued ones, write them in one call.
async fn write_batches(
    mut rx: mpsc::Receiver<NewLog>,
    repo: Arc<dyn SystemLogRepository>,
    batch: usize,
    counters: Arc<Counters>,
) {
    let mut records = Vec::with_capacity(batch);
    while rx.recv_many(&mut records, batch).await > 0 {
        let n = records.len() as u64;
        match repo.append_many(std::mem::take(&mut records)).await {
            Ok(written) => {
                counters.written.fetch_add(written, Ordering::Relaxed);
            }
            Err(err) => {
                counters.failed.fetch_add(n, Ordering::Relaxed);
                tracing::warn!(error = %err, log.records = n, "the log sink could not write a batch");
            }
        }
    }
}

/// The stored level of a tracing level.
#[must_use]
pub const fn level_of(level: Level) -> LogLevel {
    match level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warning,
        Level::INFO => LogLevel::Info,
        _ => LogLevel::Debug,
    }
}

/// Collects an event's message, request id and other fields.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    request_id: Option<String>,
    context: Map<String, Value>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        match (field.name(), value) {
            ("message", Value::String(s)) => self.message = Some(s),
            ("request_id", Value::String(s))
                if !s.trim().is_empty() && s.chars().count() <= MAX_REQUEST_ID_LEN =>
            {
                self.request_id = Some(s);
            }
            (name, value) => {
                self.context.insert(name.to_owned(), value);
            }
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for LogSinkLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        // tracing orders levels by verbosity: ERROR < WARN < INFO < …
        if *meta.level() > self.min_level
            || IN_WRITER.try_with(|()| ()).is_ok()
            || meta.target().starts_with("sqlx")
        {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let logger = if meta.target().trim().is_empty() {
            "unknown".to_owned()
        } else {
            truncate(meta.target(), MAX_LOGGER_LEN)
        };
        let record = NewLog {
            level: level_of(*meta.level()),
            logger,
            message: truncate(&fields.message.unwrap_or_default(), MAX_MESSAGE_LEN),
            context: (!fields.context.is_empty()).then_some(Value::Object(fields.context)),
            exception: None,
            user_session_id: None,
            request_id: fields.request_id,
            created_at: Some(Utc::now()),
        };
        // Never wait: a full (or closed) channel drops the record, counted.
        if self.tx.try_send(record).is_ok() {
            self.counters.queued.fetch_add(1, Ordering::Relaxed);
        } else {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use repository::assistant::{LogFilter, LogRecord, MockSystemLogRepository};
    use repository::async_trait;
    use repository::chrono::DateTime;
    use tokio::sync::Semaphore;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// A repository whose writes wait until the test opens the gate: a stalled database.
    struct Stalled {
        gate: Arc<Semaphore>,
        written: Mutex<Vec<NewLog>>,
    }

    #[async_trait]
    impl SystemLogRepository for Stalled {
        async fn append(&self, _new: NewLog) -> repository::Result<LogRecord> {
            unreachable!("the sink writes batches")
        }

        async fn append_many(&self, news: Vec<NewLog>) -> repository::Result<u64> {
            let permit = self.gate.acquire().await.expect("gate");
            permit.forget();
            let n = news.len() as u64;
            self.written.lock().expect("lock").extend(news);
            Ok(n)
        }

        async fn list(
            &self,
            _filter: LogFilter,
            _page: repository::Page,
        ) -> repository::Result<Vec<LogRecord>> {
            Ok(Vec::new())
        }

        async fn delete_older_than(
            &self,
            _cutoff: DateTime<Utc>,
            _chunk: u64,
        ) -> repository::Result<u64> {
            Ok(0)
        }
    }

    async fn until(what: &str, done: impl Fn() -> bool) {
        for _ in 0..6_000 {
            if done() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{what} did not happen");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_writer_never_blocks_the_caller() {
        let gate = Arc::new(Semaphore::new(0));
        let repo = Arc::new(Stalled {
            gate: Arc::clone(&gate),
            written: Mutex::new(Vec::new()),
        });
        let settings = LogSinkSettings {
            capacity: 100,
            batch: 10,
            ..LogSinkSettings::default()
        };
        let (layer, handle) = spawn(Arc::clone(&repo) as Arc<dyn SystemLogRepository>, settings);
        let subscriber = tracing_subscriber::registry().with(layer);
        let emitted = 5_000_u64;
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..emitted {
                tracing::warn!(n = i, "burst");
                tracing::info!("below the minimum level: never queued");
            }
        });
        // The loop is done while the writer is still stalled on its first batch.
        assert_eq!(handle.written(), 0, "the writer is stalled");
        let dropped = handle.dropped();
        assert!(
            dropped >= emitted - 100 - 10,
            "dropped {dropped}: at most the channel and one batch are held"
        );
        gate.add_permits(1_000);
        let held = emitted - dropped;
        until("the held records are written", || handle.written() == held).await;
        let written = repo.written.lock().expect("lock");
        assert!(written.iter().all(|r| r.level == LogLevel::Warning));
        assert_eq!(written[0].context, Some(serde_json::json!({"n": 0})));
        assert_eq!(written[0].message, "burst");
    }

    #[tokio::test]
    async fn a_refused_batch_is_counted_as_failed() {
        let mut repo = MockSystemLogRepository::new();
        repo.expect_append_many()
            .returning(|_| Err(repository::Error::Conflict("refused".into())));
        let (layer, handle) = spawn(Arc::new(repo), LogSinkSettings::default());
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(request_id = "req-9", "one");
        });
        until("the batch is refused", || handle.failed() == 1).await;
        assert_eq!((handle.written(), handle.dropped()), (0, 0));
    }

    #[test]
    fn levels_map_to_the_stored_names() {
        assert_eq!(level_of(Level::ERROR), LogLevel::Error);
        assert_eq!(level_of(Level::WARN), LogLevel::Warning);
        assert_eq!(level_of(Level::TRACE), LogLevel::Debug);
        assert_eq!(truncate("héllo", 2), "hé");
    }
}
