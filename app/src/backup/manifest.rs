//! A backup set's `manifest.json`.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's file name in a set.
pub const MANIFEST: &str = "manifest.json";

/// The manifest format this tool writes and reads.
pub const FORMAT: u32 = 1;

/// What a backup set holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// When the set was taken (RFC 3339, UTC).
    pub created_at: String,
    /// The `dal` version that wrote it.
    pub tool_version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The last migration applied to the database copied.
    pub schema_version: Option<String>,
    /// Every migration applied, in order.
    pub migrations: Vec<String>,
    /// Rows per table in the copy.
    pub tables: BTreeMap<String, i64>,
    /// The files of the set.
    pub files: Vec<FileEntry>,
}

/// One file of a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its name in the set's directory.
    pub name: String,
    /// What it is: `sqlite+gzip` or `pg_dump-custom`.
    pub content: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

impl FileEntry {
    /// The entry of the file `name` in `dir`, holding `content`.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn of(dir: &Path, name: &str, content: &str) -> Result<Self> {
        let path = dir.join(name);
        let (bytes, sha256) = sha256_file(&path)?;
        Ok(Self {
            name: name.to_owned(),
            content: content.to_owned(),
            bytes,
            sha256,
        })
    }

    /// `Ok` when the file is in `set` with its size and digest; else what is wrong.
    pub(super) fn check(&self, set: &Path) -> Result<(), String> {
        let path = set.join(&self.name);
        if !path.is_file() {
            return Err(format!("{}: missing", self.name));
        }
        match sha256_file(&path) {
            Err(err) => Err(format!("{}: {err:#}", self.name)),
            Ok((bytes, _)) if bytes != self.bytes => Err(format!(
                "{}: {} bytes, the manifest says {}",
                self.name, bytes, self.bytes
            )),
            Ok((_, digest)) if digest != self.sha256 => Err(format!(
                "{}: SHA-256 differs from the manifest's",
                self.name
            )),
            Ok(_) => Ok(()),
        }
    }
}

impl Manifest {
    /// Write `manifest.json` into `dir`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST);
        std::fs::write(&path, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Read the manifest of the set `dir`.
    ///
    /// # Errors
    /// When it is missing, does not parse, or has a format this tool does not know.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Self = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a backup manifest", path.display()))?;
        if manifest.format != FORMAT {
            bail!(
                "{}: manifest format {} (this tool reads {FORMAT})",
                path.display(),
                manifest.format
            );
        }
        Ok(manifest)
    }
}

/// The size and SHA-256 (hex) of the file at `path`, read in 64 KiB blocks.
///
/// # Errors
/// When the file cannot be read.
pub fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}
