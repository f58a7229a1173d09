//! The docsync repositories (seed 002): every method on SQLite and PostgreSQL, the closure
//! against a breadth-first search, the tree scan on real trees (this repository's included), the
//! review lifecycle, the purge and concurrent use.

mod changes;
mod concurrency;
mod graph;
mod lifecycle;
mod purge;
mod references;
mod scan;

use repository::DatabaseConnection;
use repository::chrono::{DateTime, Utc};
use repository::docsync::{Document, DocumentRepository, DocumentStore, DocumentType, NewDocument};
use repository::{DocPath, Md5Digest};
use tests::TestDb;

/// A valid path.
pub fn path(text: &str) -> DocPath {
    text.parse().expect("a valid path")
}

/// A valid digest.
pub fn md5(text: &str) -> Md5Digest {
    text.parse().expect("a valid digest")
}

/// The document store of `db`.
pub fn documents(db: &TestDb) -> DocumentStore<DatabaseConnection> {
    DocumentStore::new(db.conn.clone())
}

/// Save a Markdown document at `p` modified at `at`.
pub async fn doc_at(db: &TestDb, p: &str, at: DateTime<Utc>) -> Document {
    documents(db)
        .save(NewDocument::new(path(p), DocumentType::Markdown, at, 100))
        .await
        .expect("save document")
}

/// Save a Markdown document at `p`, modified now.
pub async fn doc(db: &TestDb, p: &str) -> Document {
    doc_at(db, p, tests::now()).await
}
