//! The PostgreSQL part of a backup set: `pg_dump -Fc` of the current database, taken from the
//! snapshot of a transaction in which the rows are counted, so the counts are the dump's.
//!
//! The password reaches `pg_dump` in its environment (`PGPASSWORD`), never on its command line
//! (which other users of the machine can read).

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
async fn run(mut command: Command, program: &str) -> Result<()> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = match command.output().await {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
            "{program} not found: install the PostgreSQL client tools \
             (Debian/Ubuntu: apt-get install postgresql-client)"
        ),
        Err(err) => return Err(err).with_context(|| format!("running {program}")),
    };
    if !output.status.success() {
        bail!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
