//! Reliability (issue 17): faults survived, crashes recovered, resources exhausted.
//!
//! - `crash_writes`: a child process doing a bulk insert or one multi-statement transaction of
//!   each system in a loop is killed with SIGKILL after N commits, at several points; afterwards
//!   the database passes its integrity check, every transaction is wholly present or wholly
//!   absent, and rerunning the job finishes it (SQLite and PostgreSQL).
//! - `crash_cli`: the same for `dal migrate up`, `dal restore` and `dal docsync scan`.
//! - `disk_full`: SQLite under a file-size limit: a typed error, a valid file, writes again.
//! - `pool`: a pool exhausted by long transactions: the acquire-timeout error, never a hang.
//! - `redis_fault`, `chroma_fault`, `postgres_fault`: private servers killed under load and
//!   restarted.
//!
//! The killable children are this very test binary, run again with `--exact` on
//! [`child::run`](child) and told what to do through environment variables ([`Child`]).

mod child;
mod chroma_fault;
mod crash_cli;
mod crash_writes;
mod disk_full;
mod pool;
mod postgres_fault;
mod redis_fault;

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The full name of the child test, as `--exact` wants it.
const CHILD_TEST: &str = "reliability::child::run";
/// The environment variable naming what the child does.
pub const ROLE: &str = "DAL_RELIABILITY_CHILD";

/// A child process running [`child::run`], its standard output read line by line.
pub struct Child {
    process: std::process::Child,
    lines: Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Child {
    /// Start the child with `role` and the extra environment `env`.
    ///
    /// # Panics
    /// When the test binary cannot be started again.
    pub fn spawn(role: &str, env: &[(&str, String)]) -> Self {
        Self::spawn_command(Self::command(role, env))
    }

    /// The command that runs the child with `role` and `env` (to wrap it, e.g. in `sh -c`).
    pub fn command(role: &str, env: &[(&str, String)]) -> Command {
        let exe = std::env::current_exe().expect("the test binary");
        let mut command = Command::new(exe);
        command
            .args(["--exact", CHILD_TEST, "--ignored", "--nocapture", "-q"])
            .env(ROLE, role)
            .env_remove("TEST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// Start `command` (from [`Child::command`], possibly wrapped).
    ///
    /// # Panics
    /// When it cannot be started.
    pub fn spawn_command(mut command: Command) -> Self {
        let mut process = command.spawn().expect("start the child process");
        let stdout = process.stdout.take().expect("piped stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        // The child's standard error (a panic's message) arrives as lines `stderr: …`.
        if let Some(stderr) = process.stderr.take() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(format!("stderr: {line}")).is_err() {
                        break;
                    }
                }
            });
        }
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            process,
            lines,
            seen: Vec::new(),
        }
    }

    /// Wait (up to `within`) for the next line starting with `prefix`; `None` when the child
    /// ended or the time ran out first.
    pub fn wait_for(&mut self, prefix: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return Some(line);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Kill the child with SIGKILL; whether it was still running (so the kill interrupted it).
    pub fn kill(&mut self) -> bool {
        let running = matches!(self.process.try_wait(), Ok(None));
        // `Child::kill` sends SIGKILL on Unix.
        let _ = self.process.kill();
        let _ = self.process.wait();
        self.drain();
        running
    }

    /// Wait (up to `within`) for the child to end by itself; its status and every line.
    ///
    /// # Panics
    /// When it is still running after `within` (it is killed first).
    pub fn finish(mut self, within: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.process.try_wait() {
                self.drain_until_closed();
                return (status, std::mem::take(&mut self.seen));
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "the child did not finish within {within:?}: {:?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }

    fn drain_until_closed(&mut self) {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// `PRAGMA integrity_check` of the SQLite file at `url`, from a fresh connection: `ok` or the
/// problems.
pub async fn sqlite_integrity(url: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(url).await.expect("open SQLite");
    let rows = conn
        .query_all_raw(Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .expect("integrity_check");
    let _ = conn.close().await;
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("text"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One database read through `conn` (what the loaded tasks of the fault tests do): whether it
/// answered.
pub async fn db_read(conn: &repository::DatabaseConnection) -> bool {
    use sea_orm::{ConnectionTrait, Statement};
    conn.query_one_raw(Statement::from_string(
        conn.get_database_backend(),
        "SELECT count(*) AS n FROM content_metadata",
    ))
    .await
    .is_ok_and(|row| row.is_some())
}

/// The kill delays used after a trigger, so that the kill lands at varied points of the next
/// unit of work (mid-statement, mid-commit, between statements).
pub const JITTER_MS: [u64; 4] = [0, 3, 9, 20];
