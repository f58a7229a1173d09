//! `dal seed --only platform` and `dal audit export` against the test database.

use std::collections::HashMap;

use clap::Parser;
use repository::Page;
use repository::platform::{AuditContext, AuditFilter, AuditRepository, NewAuditLog};
use sha2::{Digest, Sha256};
use tests::{TestDb, db_tests, now};

use super::audit;

async fn dal(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> anyhow::Result<String> {
    let env = HashMap::from([("DATABASE_URL".to_owned(), db.url.clone())]);
    let cli = app::cli::Cli::try_parse_from(std::iter::once("dal").chain(args.iter().copied()))?;
    let mut out = Vec::new();
    app::cli::run(cli, dir, Some(&env), &mut out).await?;
    Ok(String::from_utf8(out)?)
}

async fn seed_twice_through_the_tool(db: &TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    let first: serde_json::Value = serde_json::from_str(
        dal(db, dir.path(), &["seed", "--only", "platform", "--json"])
            .await
            .expect("seed")
            .trim(),
    )
    .expect("json");
    assert_eq!(first["platform"]["inserted"], 15, "{first}");
    assert!(first.get("knowledge").is_none(), "{first}");
    let second = dal(db, dir.path(), &["seed", "--only", "platform"])
        .await
        .expect("seed again");
    assert_eq!(second.trim(), "platform: 0 inserted, 15 unchanged");
    assert_eq!(db.count("users").await, 3);
}

async fn audit_export_writes_lines_and_a_checksummed_manifest(db: &TestDb) {
    let repo = audit(db);
    for i in 0..5 {
        repo.append(
            NewAuditLog::new(AuditContext::system(), format!("event_{i}"))
                .on("thing", i.to_string()),
        )
        .await
        .expect("append");
    }
    let cutoff = now() + chrono::Duration::milliseconds(1);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    repo.append(NewAuditLog::new(AuditContext::system(), "after_cutoff"))
        .await
        .expect("append");

    let dir = tempfile::tempdir().expect("dir");
    let before = cutoff.to_rfc3339();
    let manifest: serde_json::Value = serde_json::from_str(
        dal(
            db,
            dir.path(),
            &[
                "audit", "export", "--before", &before, "--out", "exports", "--json",
            ],
        )
        .await
        .expect("export")
        .trim(),
    )
    .expect("json");
    assert_eq!(manifest["rows"], 5, "{manifest}");
    let file = &manifest["files"][0];
    let name = file["name"].as_str().expect("name");
    let bytes = std::fs::read(dir.path().join("exports").join(name)).expect("data file");
    assert_eq!(
        hex(&Sha256::digest(&bytes)),
        file["sha256"].as_str().expect("sha")
    );
    assert_eq!(file["bytes"], bytes.len());
    let exports = dir.path().join("exports");
    assert_eq!(
        crate::backup::mode_of(&exports.join(name)),
        0o600,
        "owner-only export"
    );
    assert_eq!(
        crate::backup::mode_of(&exports.join(manifest["manifest"].as_str().expect("manifest"))),
        0o600,
        "owner-only manifest"
    );
    let on_disk: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join("exports")
                .join(manifest["manifest"].as_str().expect("manifest")),
        )
        .expect("manifest file"),
    )
    .expect("manifest json");
    assert_eq!(on_disk, manifest);

    // Every line is a row, oldest first, equal to the row in the database; nothing deleted.
    let rows = repo
        .query(
            AuditFilter {
                before: Some(cutoff),
                oldest_first: true,
                ..AuditFilter::default()
            },
            Page::first(100),
        )
        .await
        .expect("rows");
    let lines: Vec<serde_json::Value> = String::from_utf8(bytes)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(lines.len(), 5);
    for (line, row) in lines.iter().zip(&rows) {
        assert_eq!(line, &serde_json::to_value(row).expect("row"));
    }
    assert_eq!(lines[0]["event_type"], "event_0");
    assert_eq!(
        manifest["first_created_at"],
        serde_json::to_value(rows[0].created_at).expect("ts")
    );
    assert_eq!(
        manifest["last_created_at"],
        serde_json::to_value(rows[4].created_at).expect("ts")
    );
    assert_eq!(db.count("audit_logs").await, 6);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

db_tests!(
    seed_twice_through_the_tool,
    audit_export_writes_lines_and_a_checksummed_manifest
);
