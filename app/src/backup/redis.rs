//! The Redis part of a backup set: every key under the cache's prefix as `DUMP` serialised it,
//! with its remaining time to live, one JSON line per key, gzipped. Restored with `RESTORE …
//! REPLACE` and the time each key had left when it was backed up, less the time since; a key
//! that would have expired meanwhile is not restored.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine as _;
use cache::{CacheManager, DumpedKey};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::manifest::FileEntry;

/// The content type of the keys file in a set.
pub const CONTENT: &str = "redis-dump+jsonl+gzip";

/// The keys file's name in a set.
const FILE: &str = "redis.jsonl.gz";

/// One line of the keys file.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    key: String,
    pttl_ms: Option<i64>,
    dump: String,
}

/// Write the keys of `cache` into `dir`; returns the file's entry and how many keys.
pub(super) async fn dump(cache: &CacheManager, dir: &Path) -> Result<(FileEntry, u64)> {
    let keys = cache
        .dump_keys()
        .await
        .context("reading the cache's keys")?;
    let path = dir.join(FILE);
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = GzEncoder::new(std::io::BufWriter::new(file), Compression::fast());
    for key in &keys {
        let line = Line {
            key: key.key.clone(),
            pttl_ms: key.pttl_ms,
            dump: base64::engine::general_purpose::STANDARD.encode(&key.value),
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.finish()?
        .into_inner()
        .map_err(|err| err.into_error())?
        .sync_all()?;
    Ok((FileEntry::of(dir, FILE, CONTENT)?, keys.len() as u64))
}

/// Every key of the keys file at `path`.
pub(super) fn read(path: &Path) -> Result<Vec<DumpedKey>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut keys = Vec::new();
    for (n, line) in BufReader::new(GzDecoder::new(file)).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        let line: Line =
            serde_json::from_str(&line).with_context(|| format!("line {} of {FILE}", n + 1))?;
        let value = base64::engine::general_purpose::STANDARD
            .decode(&line.dump)
            .with_context(|| format!("line {} of {FILE}", n + 1))?;
        keys.push(DumpedKey {
            key: line.key,
            value: value.into(),
            pttl_ms: line.pttl_ms,
        });
    }
    Ok(keys)
}

/// The keys file reads whole.
pub(super) fn check(path: &Path) -> Result<()> {
    read(path).map(drop)
}

/// Restore the keys file at `path` into `cache`, each with its time left less `elapsed_ms`.
/// Returns the keys restored and the keys left out because they would have expired.
pub(super) async fn restore(
    path: &Path,
    cache: &CacheManager,
    elapsed_ms: i64,
) -> Result<(u64, u64)> {
    let mut live = Vec::new();
    let mut expired = 0;
    for mut key in read(path)? {
        match key.pttl_ms {
            Some(left) if left - elapsed_ms <= 0 => expired += 1,
            Some(left) => {
                key.pttl_ms = Some(left - elapsed_ms);
                live.push(key);
            }
            None => live.push(key),
        }
    }
    let restored = cache
        .restore_keys(&live)
        .await
        .context("restoring the cache's keys")?;
    Ok((restored, expired))
}
