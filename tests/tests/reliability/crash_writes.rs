//! SIGKILL in the middle of writes: a bulk insert, and one multi-statement transaction of each
//! system, on SQLite and PostgreSQL.
//!
//! The child ([`child_main`]) does a job of [`Work::total`] units, each one transaction, skipping
//! the units already done, and prints `COMMITTED k` after each commit. The parent kills it with
//! SIGKILL after a few commits plus a short delay (so the kill lands at varied points of the
//! next transaction), three times, checking after each kill that the database is whole
//! (SQLite's `integrity_check`), that every unit is wholly present or wholly absent, and that
//! every unit the child reported committed is there; then it reruns the job to its end.

use std::time::Duration;

use repository::{DatabaseConnection, DbConfig};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tests::{Backend, TestDb};

use super::Child;

/// The units of work the crash tests interrupt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// `ContentRepository::create_many` of [`BULK_ROWS`] rows (the knowledge bulk insert).
    Bulk,
    /// Platform: `UserRepository::create` (the user and its audit row).
    Platform,
    /// Knowledge: `FeedbackRepository::record_interaction` (feedback, signal, access count).
    Knowledge,
    /// Chat: `ChunkRepository::store_many` of [`BATCH`] chunks.
    Chat,
    /// Assistant: `SystemLogRepository::append_many` of [`BATCH`] log lines.
    Assistant,
    /// Docsync: `DocumentRepository::save_many` of [`BATCH`] documents.
    Docsync,
}

/// Rows per bulk insert.
const BULK_ROWS: u32 = 1_000;
/// Rows per batch of the chat, assistant and docsync units.
const BATCH: u32 = 20;
/// The content row the knowledge units record interactions on.
const CONTENT: &str = "c00000000";

impl Work {
    /// Every kind.
    pub const ALL: [Self; 6] = [
        Self::Bulk,
        Self::Platform,
        Self::Knowledge,
        Self::Chat,
        Self::Assistant,
        Self::Docsync,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Bulk => "bulk",
            Self::Platform => "platform",
            Self::Knowledge => "knowledge",
            Self::Chat => "chat",
            Self::Assistant => "assistant",
            Self::Docsync => "docsync",
        }
    }

    fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|w| w.name() == name)
            .unwrap_or_else(|| panic!("unknown work {name}"))
    }

    /// Units in the job.
    fn total(self) -> u32 {
        match self {
            Self::Bulk => 24,
            _ => 40,
        }
    }

    /// Rows written by one unit, in the tables [`Work::unit_rows`] counts.
    fn rows_per_unit(self) -> i64 {
        match self {
            Self::Bulk => i64::from(BULK_ROWS),
            // The user and its audit row.
            Self::Platform => 2,
            // The feedback and the signal (the access count is checked against them).
            Self::Knowledge => 2,
            Self::Chat | Self::Assistant | Self::Docsync => i64::from(BATCH),
        }
    }

    /// What must exist before the first unit (idempotent).
    async fn prepare(self, conn: &DatabaseConnection) {
        use repository::knowledge::{ContentRepository, ContentStore};
        if self == Self::Knowledge
            && count(
                conn,
                "SELECT count(*) FROM content_metadata WHERE content_id = $1",
                &[CONTENT.to_owned()],
            )
            .await
                == 0
        {
            ContentStore::new(conn.clone())
                .create(crate::knowledge::doc(0, "rust", 0.5))
                .await
                .expect("the content the interactions are recorded on");
        }
    }

    /// Write unit `k`, in one transaction.
    async fn write(self, conn: &DatabaseConnection, k: u32) {
        use repository::assistant::{LogLevel, NewLog, SystemLogRepository, SystemLogStore};
        use repository::chat::{ChunkRepository, ChunkStore, DocType, NewChunk};
        use repository::docsync::{DocumentRepository, DocumentStore, DocumentType, NewDocument};
        use repository::knowledge::{
            ContentRepository, ContentStore, FeedbackRepository, FeedbackStore, NewFeedback,
            NewSignal,
        };
        use repository::platform::{AuditContext, NewUser, UserRepository, UserRole, UserStore};

        match self {
            Self::Bulk => {
                let docs = (0..BULK_ROWS)
                    .map(|i| {
                        let mut doc =
                            crate::knowledge::doc(1_000_000 + k * BULK_ROWS + i, "rust", 0.5);
                        doc.content_id = format!("b{k:04}n{i:05}");
                        doc
                    })
                    .collect();
                ContentStore::new(conn.clone())
                    .create_many(docs)
                    .await
                    .expect("bulk insert");
            }
            Self::Platform => {
                UserStore::new(conn.clone())
                    .create(
                        NewUser::new(
                            format!("crash{k}"),
                            format!("crash{k}@example.com"),
                            UserRole::User,
                        ),
                        AuditContext::system(),
                    )
                    .await
                    .expect("create user");
            }
            Self::Knowledge => {
                FeedbackStore::new(conn.clone())
                    .record_interaction(
                        NewFeedback::new(
                            CONTENT,
                            entity::knowledge::sea_orm_active_enums::FeedbackType::Helpful,
                        )
                        .with_comment(format!("unit {k}")),
                        NewSignal::click(CONTENT),
                    )
                    .await
                    .expect("record interaction");
            }
            Self::Chat => {
                let chunks = (0..BATCH)
                    .map(|i| {
                        NewChunk::new(
                            crate::chat::url(&format!("https://docs.example.org/crash/{k}")),
                            DocType::React,
                            i32::try_from(i).expect("small"),
                            format!("Chunk {i} of unit {k}"),
                        )
                    })
                    .collect();
                ChunkStore::new(conn.clone())
                    .store_many(chunks)
                    .await
                    .expect("store chunks");
            }
            Self::Assistant => {
                let logs = (0..BATCH)
                    .map(|i| NewLog::new(LogLevel::Info, "crash", format!("u{k:04} m{i}")))
                    .collect();
                SystemLogStore::new(conn.clone())
                    .append_many(logs)
                    .await
                    .expect("append logs");
            }
            Self::Docsync => {
                let docs = (0..BATCH)
                    .map(|i| {
                        NewDocument::new(
                            crate::docsync::path(&format!("crash/u{k:04}/doc{i}.md")),
                            DocumentType::Markdown,
                            tests::now(),
                            i64::from(i),
                        )
                    })
                    .collect();
                DocumentStore::new(conn.clone())
                    .save_many(docs)
                    .await
                    .expect("save documents");
            }
        }
    }

    /// The rows of unit `k` found.
    async fn unit_rows(self, conn: &DatabaseConnection, k: u32) -> i64 {
        match self {
            Self::Bulk => {
                count(
                    conn,
                    "SELECT count(*) FROM content_metadata WHERE content_id LIKE $1",
                    &[format!("b{k:04}n%")],
                )
                .await
            }
            Self::Platform => {
                let users = count(
                    conn,
                    "SELECT count(*) FROM users WHERE username = $1",
                    &[format!("crash{k}")],
                )
                .await;
                let audits = count(
                    conn,
                    "SELECT count(*) FROM audit_logs a JOIN users u \
                     ON a.resource_id = CAST(u.user_id AS TEXT) \
                     WHERE a.event_type = 'user_created' AND u.username = $1",
                    &[format!("crash{k}")],
                )
                .await;
                users + audits
            }
            Self::Knowledge => {
                let feedback = count(
                    conn,
                    "SELECT count(*) FROM feedback_events WHERE comment = $1",
                    &[format!("unit {k}")],
                )
                .await;
                // Signals carry no unit number: unit k has its signal when there are more
                // than k of them (checked against the feedback and access counts in `done`).
                let signals = count(conn, "SELECT count(*) FROM usage_signals", &[]).await;
                feedback + i64::from(signals > i64::from(k))
            }
            Self::Chat => {
                count(
                    conn,
                    "SELECT count(*) FROM document_chunk WHERE source_url = $1",
                    &[format!("https://docs.example.org/crash/{k}")],
                )
                .await
            }
            Self::Assistant => {
                count(
                    conn,
                    "SELECT count(*) FROM system_logs WHERE logger = 'crash' AND message LIKE $1",
                    &[format!("u{k:04} %")],
                )
                .await
            }
            Self::Docsync => {
                count(
                    conn,
                    "SELECT count(*) FROM document_references WHERE path LIKE $1",
                    &[format!("crash/u{k:04}/%")],
                )
                .await
            }
        }
    }

    /// How many units are done: units `0..n` wholly present, the rest wholly absent.
    ///
    /// # Errors
    /// A unit partly present, or present after an absent one, or (platform, knowledge) rows
    /// that belong to no whole unit.
    async fn done(self, conn: &DatabaseConnection) -> Result<u32, String> {
        let mut done = None;
        for k in 0..self.total() {
            let rows = self.unit_rows(conn, k).await;
            match (rows, done) {
                (0, None) => done = Some(k),
                (0, Some(_)) => {}
                (n, None) if n == self.rows_per_unit() => {}
                (n, _) => {
                    return Err(format!(
                        "{}: unit {k} has {n} of its {} rows",
                        self.name(),
                        self.rows_per_unit()
                    ));
                }
            }
        }
        let done = done.unwrap_or(self.total());
        let whole = |table: &str, found: i64, expected: i64| {
            if found == expected {
                Ok(())
            } else {
                Err(format!(
                    "{}: {found} rows of {table} for {done} whole units",
                    self.name()
                ))
            }
        };
        match self {
            Self::Platform => {
                let users = count(conn, "SELECT count(*) FROM users", &[]).await;
                let audits = count(conn, "SELECT count(*) FROM audit_logs", &[]).await;
                whole("users", users, i64::from(done))?;
                whole("audit_logs", audits, i64::from(done))?;
            }
            Self::Knowledge => {
                let signals = count(conn, "SELECT count(*) FROM usage_signals", &[]).await;
                let feedback = count(conn, "SELECT count(*) FROM feedback_events", &[]).await;
                let accesses = count(
                    conn,
                    "SELECT access_count FROM content_metadata WHERE content_id = $1",
                    &[CONTENT.to_owned()],
                )
                .await;
                whole("usage_signals", signals, i64::from(done))?;
                whole("feedback_events", feedback, i64::from(done))?;
                whole("the access count", accesses, i64::from(done))?;
            }
            _ => {}
        }
        Ok(done)
    }
}

/// The first column of the one row `sql` returns, as a number. `sql` numbers its parameters
/// `$1`, `$2`… (turned into `?` on SQLite).
pub async fn count(conn: &DatabaseConnection, sql: &str, params: &[String]) -> i64 {
    let backend = conn.get_database_backend();
    let mut text = sql.to_owned();
    if backend == DbBackend::Sqlite {
        for i in (1..=params.len()).rev() {
            text = text.replace(&format!("${i}"), "?");
        }
    }
    let values: Vec<sea_orm::Value> = params.iter().map(|p| p.clone().into()).collect();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, text, values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("one row");
    row.try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .expect("a number")
}

/// The child's side: do the job of `DAL_RELIABILITY_WORK` on `DAL_RELIABILITY_URL`, skipping
/// the units already done, printing `COMMITTED k` after each commit and `DONE n` at the end.
pub async fn child_main() {
    let work = Work::parse(&std::env::var("DAL_RELIABILITY_WORK").expect("work"));
    let url = std::env::var("DAL_RELIABILITY_URL").expect("url");
    let manager = repository::DatabaseManager::connect_with(DbConfig::new(url))
        .await
        .expect("connect");
    let conn = manager.connection().await.expect("connection");
    work.prepare(&conn).await;
    let start = work.done(&conn).await.expect("a consistent start");
    println!("STARTED {start}");
    for k in start..work.total() {
        work.write(&conn, k).await;
        println!("COMMITTED {k}");
    }
    println!("DONE {}", work.total());
}

/// Kill the job three times (after 2, 3 and 4 commits of each run, plus a jitter), checking the
/// database after each kill, then rerun it to its end. Returns the kills that interrupted it.
async fn crash_and_rerun(db: &TestDb, work: Work) -> usize {
    let env = || {
        vec![
            ("DAL_RELIABILITY_WORK", work.name().to_owned()),
            ("DAL_RELIABILITY_URL", db.url.clone()),
        ]
    };
    let mut kills = 0;
    let mut committed: Option<u32> = None;
    for (run, after) in [2_usize, 3, 4].into_iter().enumerate() {
        let mut child = Child::spawn("writes", &env());
        for _ in 0..after {
            let line = child
                .wait_for("COMMITTED ", Duration::from_secs(60))
                .unwrap_or_else(|| panic!("{work:?}: the child stopped: {:?}", child.seen));
            let k: u32 = line["COMMITTED ".len()..].parse().expect("unit number");
            committed = Some(committed.map_or(k, |c| c.max(k)));
        }
        std::thread::sleep(Duration::from_millis(super::JITTER_MS[run % 4]));
        if child.kill() {
            kills += 1;
        }
        check(db, work, committed).await;
    }
    let (status, lines) = Child::spawn("writes", &env()).finish(Duration::from_secs(120));
    assert!(status.success(), "{work:?}: the rerun failed: {lines:?}");
    assert!(
        lines.iter().any(|l| *l == format!("DONE {}", work.total())),
        "{lines:?}"
    );
    let done = check(db, work, committed).await;
    assert_eq!(done, work.total(), "{work:?}: the rerun finished the job");
    kills
}

/// The database is whole, every unit whole or absent, every reported commit present.
async fn check(db: &TestDb, work: Work, committed: Option<u32>) -> u32 {
    if db.backend == Backend::Sqlite {
        assert_eq!(super::sqlite_integrity(&db.url).await, "ok", "{work:?}");
    }
    let done = work
        .done(&db.conn)
        .await
        .unwrap_or_else(|e| panic!("{:?}: {e}", db.backend));
    if let Some(k) = committed {
        assert!(
            done > k,
            "{:?} {work:?}: unit {k} was reported committed, {done} units are there",
            db.backend
        );
    }
    done
}

async fn every_kind_survives_sigkill(db: &TestDb) {
    let mut kills = 0;
    for work in Work::ALL {
        kills += crash_and_rerun(db, work).await;
    }
    // Each of the 18 kills lands while the child still runs (it has units left).
    assert_eq!(kills, 18, "kills that interrupted a running child");
    println!("{:?}: {kills} SIGKILLs mid-job, nothing lost", db.backend);
}

tests::db_tests!(every_kind_survives_sigkill);
