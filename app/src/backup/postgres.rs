//! The PostgreSQL part of a backup set: `pg_dump -Fc` of the current database, taken from the
//! snapshot of a transaction in which the rows are counted, so the counts are the dump's.
//!
//! The password reaches `pg_dump` in its environment (`PGPASSWORD`), never on its command line
//! (which other users of the machine can read). Both tools run under a watchdog ([`WATCHDOG`])
//! that stops them when `dal` dies before they end, so a killed `dal restore` leaves no
//! `pg_restore` behind to commit the restore (and race a rerun) on its own.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, IsolationLevel, Statement,
    TransactionTrait,
};
use tokio::process::Command;

use super::manifest::FileEntry;

/// The content type of the dump in a set.
pub const CONTENT: &str = "pg_dump-custom";

/// The dump's name in a set.
const FILE: &str = "database.pgdump";

/// Dump the database behind `conn` into `dir`; returns the set's file entry and the row counts
/// of the dump's snapshot.
pub(super) async fn dump(
    conn: &DatabaseConnection,
    config: &repository::DbConfig,
    dir: &Path,
) -> Result<(Vec<FileEntry>, BTreeMap<String, i64>)> {
    let txn = conn
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let snapshot: String = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_export_snapshot() AS s",
        ))
        .await?
        .context("pg_export_snapshot")?
        .try_get("", "s")?;
    let tables = super::table_counts(&txn).await?;
    let path = dir.join(FILE);
    let mut command = tool("pg_dump", &config.url)?;
    command
        .arg("--format=custom")
        .arg("--no-owner")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(&path);
    run(command, "pg_dump").await?;
    // The snapshot had to stay open while pg_dump read it.
    txn.commit().await?;
    Ok((vec![FileEntry::of(dir, FILE, CONTENT)?], tables))
}

/// Restore the archive `path` into the database of `url` in one transaction (`--clean`: drop
/// what the archive holds first, for a database that has data).
pub(super) async fn restore(path: &Path, url: &str, clean: bool) -> Result<()> {
    let mut command = tool("pg_restore", url)?;
    let database = url::Url::parse(url)
        .ok()
        .map(|u| u.path().trim_start_matches('/').to_owned())
        .filter(|d| !d.is_empty())
        .context("the database URL names no database")?;
    command
        .arg("--single-transaction")
        .arg("--exit-on-error")
        .arg("--no-owner")
        .arg("--dbname")
        .arg(
            percent_encoding::percent_decode_str(&database)
                .decode_utf8_lossy()
                .as_ref(),
        );
    if clean {
        command.arg("--clean").arg("--if-exists");
    }
    command.arg(path);
    run(command, "pg_restore").await
}

/// `pg_restore --list`: the archive's table of contents reads whole.
pub(super) async fn check(path: &Path) -> Result<()> {
    let mut command = Command::new("pg_restore");
    command.arg("--list").arg(path);
    run(command, "pg_restore").await
}

/// `program` with the connection of `url` in its environment (`PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE` when the URL names one).
fn tool(program: &str, url: &str) -> Result<Command> {
    let parsed = url::Url::parse(url).context("the database URL")?;
    let mut command = Command::new(program);
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    if let Some(host) = parsed.host_str() {
        command.env("PGHOST", host.trim_start_matches('[').trim_end_matches(']'));
    }
    if let Some(port) = parsed.port() {
        command.env("PGPORT", port.to_string());
    }
    if !parsed.username().is_empty() {
        command.env("PGUSER", decode(parsed.username()));
    }
    if let Some(password) = parsed.password() {
        command.env("PGPASSWORD", decode(password));
    }
    let database = parsed.path().trim_start_matches('/');
    if !database.is_empty() {
        command.env("PGDATABASE", decode(database));
    }
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "sslmode" => {
                command.env("PGSSLMODE", value.as_ref());
            }
            "host" => {
                command.env("PGHOST", value.as_ref());
            }
            _ => {}
        }
    }
    Ok(command)
}

/// Run `command`; a failure names the program and carries its standard error.
async fn run(command: Command, program: &str) -> Result<()> {
    let mut command = under_watchdog(&command);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .with_context(|| format!("running {program} (through sh)"))?;
    // Held open until the tool has ended: when this process dies first, the pipe closes and the
    // watchdog stops the tool.
    let lifeline = child.stdin.take();
    let output = child
        .wait_with_output()
        .await
        .with_context(|| format!("running {program}"))?;
    drop(lifeline);
    if output.status.code() == Some(127) {
        bail!(
            "{program} not found: install the PostgreSQL client tools \
             (Debian/Ubuntu: apt-get install postgresql-client)"
        );
    }
    if !output.status.success() {
        bail!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Runs a tool (`"$@"`) in the background, and a reader of the shell's standard input — a pipe
/// `dal` holds open until the tool has ended — that stops the tool when the pipe reaches its end
/// before the tool did: `dal` died without waiting for it (SIGKILL, which no handler sees). Its
/// exit status is the tool's.
const WATCHDOG: &str = r#"exec 3<&0
"$@" </dev/null 3<&- &
tool=$!
{ cat <&3 >/dev/null 2>&1; kill -TERM "$tool" 2>/dev/null; } 2>/dev/null &
watchdog=$!
exec 3<&-
wait "$tool"
status=$?
kill "$watchdog" 2>/dev/null
exit "$status""#;

/// `command` run by `sh` under [`WATCHDOG`], with the same environment.
///
/// Without it a `dal` killed during `dal restore` leaves `pg_restore` running: its transaction
/// goes on and commits after `dal` is gone, and a rerun races it. Under the watchdog the tool is
/// stopped, its connection closes, and the server rolls its transaction back.
fn under_watchdog(command: &Command) -> Command {
    let inner = command.as_std();
    let mut outer = Command::new("sh");
    outer
        .arg("-c")
        .arg(WATCHDOG)
        .arg("sh")
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => outer.env(key, value),
            None => outer.env_remove(key),
        };
    }
    outer
}
