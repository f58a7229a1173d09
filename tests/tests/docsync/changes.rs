//! `FileMetadataRepository`: the seed's `has_file_changed` and `update_file_metadata`, times
//! compared at the stored precision, 64-bit sizes, batched scan writes.

use repository::DatabaseConnection;
use repository::chrono::{Duration, TimeZone, Utc};
use repository::docsync::{
    FileCheck, FileMetadataRepository, FileMetadataStore, FileRecord, ScanBatch,
};
use repository::{Error, Md5Digest};
use tests::{TestDb, db_tests, now};

use super::{doc, documents, md5, path};
use repository::docsync::DocumentRepository;

fn files(db: &TestDb) -> FileMetadataStore<DatabaseConnection> {
    FileMetadataStore::new(db.conn.clone())
}

fn record(p: &str, at: repository::chrono::DateTime<Utc>, size: i64, digest: &str) -> FileRecord {
    FileRecord {
        path: path(p),
        language: Some("rust".to_owned()),
        last_modified: at,
        size,
        md5_digest: md5(digest),
    }
}

const D1: &str = "d41d8cd98f00b204e9800998ecf8427e";
const D2: &str = "9e107d9d372bb6826bd81d3542a419d6";

async fn quick_check_by_time_and_size(db: &TestDb) {
    let repo = files(db);
    // A file system time with nanoseconds: stored and compared to the microsecond.
    let at = Utc
        .timestamp_opt(1_764_000_000, 123_456_789)
        .single()
        .expect("time");
    let p = path("/src/lib.rs");
    assert_eq!(
        repo.has_file_changed(&p, at, 10).await.expect("check"),
        FileCheck::New,
        "a path never seen is new"
    );
    let row = repo
        .update_file_metadata(record("/src/lib.rs", at, 10, D1))
        .await
        .expect("record");
    assert_eq!(row.size, 10);
    assert_eq!(row.md5_digest.as_deref(), Some(D1));
    assert_eq!(row.language.as_deref(), Some("rust"));
    assert_eq!(row.last_modified.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(
        repo.has_file_changed(&p, at, 10).await.expect("check"),
        FileCheck::Unchanged,
        "the same nanosecond time compares equal once both are at the stored precision"
    );
    assert_eq!(
        repo.has_file_changed(&p, at + Duration::microseconds(1), 10)
            .await
            .expect("check"),
        FileCheck::Changed
    );
    assert_eq!(
        repo.has_file_changed(&p, at, 11).await.expect("check"),
        FileCheck::Changed
    );
    // Sizes are 64-bit: a 6 GiB file.
    let huge = 6 * 1024 * 1024 * 1024_i64;
    let row = repo
        .update_file_metadata(record("/src/lib.rs", at, huge, D2))
        .await
        .expect("update");
    assert_eq!(row.size, huge);
    assert_eq!(row.md5_digest.as_deref(), Some(D2));
    assert_eq!(
        repo.has_file_changed(&p, at, huge).await.expect("check"),
        FileCheck::Unchanged
    );
    assert_eq!(repo.count().await.expect("count"), 1);
    assert!(matches!(
        repo.has_file_changed(&p, at, -1).await,
        Err(Error::Validation { .. })
    ));
    let err = repo
        .update_file_metadata(record("/src/x.rs", at, -3, D1))
        .await
        .expect_err("negative size");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "size"),
        "{err}"
    );
    assert!("XYZ".parse::<Md5Digest>().is_err());
}

async fn scan_batches_update_documents_and_delete_in_one_transaction(db: &TestDb) {
    let repo = files(db);
    let at = now();
    let tracked = doc(db, "/tree/README.md").await;
    repo.update_file_metadata(record("/tree/old.rs", at, 1, D1))
        .await
        .expect("old");
    let write = repo
        .apply_scan(ScanBatch {
            files: vec![
                record("/tree/README.md", at, 77, D2),
                record("/tree/new.rs", at, 5, D1),
            ],
            deleted: vec![path("/tree/old.rs")],
        })
        .await
        .expect("apply");
    assert_eq!((write.files, write.documents, write.deleted), (2, 1, 1));
    let readme = documents(db)
        .get(tracked.id)
        .await
        .expect("tracked document");
    assert_eq!(readme.size, 77);
    assert_eq!(readme.md5_digest.as_deref(), Some(D2));
    assert_eq!(readme.last_modified, at);
    assert!(
        repo.get(&path("/tree/old.rs"))
            .await
            .expect("get")
            .is_none()
    );
    let mut known: Vec<String> = repo
        .known_under("/tree/".to_owned())
        .await
        .expect("known")
        .into_iter()
        .map(|k| k.path)
        .collect();
    known.sort();
    assert_eq!(known, vec!["/tree/README.md", "/tree/new.rs"]);
    // The prefix is exact: LIKE wildcards in it match only themselves.
    repo.update_file_metadata(record("/tr_e/x.rs", at, 1, D1))
        .await
        .expect("other tree");
    assert!(
        repo.known_under("/tr_e/".to_owned())
            .await
            .expect("known")
            .iter()
            .all(|k| k.path.starts_with("/tr_e/"))
    );
    assert_eq!(
        repo.known_under("/TREE/".to_owned())
            .await
            .expect("case")
            .len(),
        0,
        "paths compare with their case"
    );
    // A bad record anywhere in the batch: nothing is written.
    let before = repo.count().await.expect("count");
    let err = repo
        .apply_scan(ScanBatch {
            files: vec![
                record("/tree/a.rs", at, 1, D1),
                record("/tree/b.rs", at, -1, D1),
            ],
            deleted: vec![path("/tree/new.rs")],
        })
        .await
        .expect_err("bad batch");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "files[1].size"),
        "{err}"
    );
    assert_eq!(repo.count().await.expect("count"), before);
}

db_tests!(
    quick_check_by_time_and_size,
    scan_batches_update_documents_and_delete_in_one_transaction
);
