//! `dal copy`: SQLite → PostgreSQL → SQLite (and SQLite → SQLite) round trips that compare every
//! table's content with the original, and the refusals and failures that must leave the target
//! as it was.

mod content;
mod failures;
mod fixture;
mod round_trip;

use std::collections::HashMap;
use std::path::Path;

use crate::cli::dal_output;

/// Run `dal copy --from from --to to --json` in `dir`; the report, or the error.
pub async fn copy(dir: &Path, from: &str, to: &str) -> anyhow::Result<serde_json::Value> {
    copy_with(dir, from, to, &[]).await
}

/// As [`copy`], with more arguments.
pub async fn copy_with(
    dir: &Path,
    from: &str,
    to: &str,
    more: &[&str],
) -> anyhow::Result<serde_json::Value> {
    let mut args = vec!["copy", "--from", from, "--to", to, "--json"];
    args.extend_from_slice(more);
    let (out, result) = dal_output(dir, &HashMap::new(), &args).await;
    result?;
    Ok(serde_json::from_str(out.trim()).expect("one JSON object"))
}

/// A SQLite URL for a file `name` in `dir` (which need not exist).
pub fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}
