//! `dal maintain` and `dal cleanup` over the one registry of retention jobs: each job removes
//! exactly what is past its window (SQLite and PostgreSQL), a failing job does not stop the
//! others, and two schedulers never run the same job at once (in-process cache and Redis).

mod locks;
mod windows;

use std::collections::HashMap;

use tests::TestDb;

/// The `dal` environment of `db`: its database, the in-process cache.
pub fn env_of(db: &TestDb) -> HashMap<String, String> {
    HashMap::from([("DATABASE_URL".to_owned(), db.url.clone())])
}

/// The JSON objects `dal maintain --json` printed, one per line, by job name.
pub fn runs_of(out: &str) -> HashMap<String, serde_json::Value> {
    out.lines()
        .map(|line| {
            let run: serde_json::Value =
                serde_json::from_str(line).expect("one JSON object a line");
            (run["job"].as_str().expect("job").to_owned(), run)
        })
        .collect()
}
