//! `DocumentRepository`: get by id and path, save (insert or update by path), save many, delete,
//! find by type, list in pages, validation before SQL, 64-bit sizes.

use repository::chrono::Duration;
use repository::docsync::{DocumentRepository, DocumentType, NewDocument};
use repository::{Error, Page};
use serde_json::json;
use tests::{TestDb, db_tests, now};

use super::{documents, md5, path};

async fn save_get_update_delete(db: &TestDb) {
    let repo = documents(db);
    let at = now() - Duration::hours(1);
    let saved = repo
        .save(
            NewDocument::new(path("docs/DESIGN.md"), DocumentType::Markdown, at, 4096)
                .with_digest(md5("9e107d9d372bb6826bd81d3542a419d6"))
                .with_header_sections(json!({"intent": "Explain the design"})),
        )
        .await
        .expect("insert");
    assert!(saved.id > 0);
    assert_eq!(saved.path, "docs/DESIGN.md");
    assert_eq!(saved.last_modified, at);
    assert_eq!(saved.size, 4096);
    assert_eq!(repo.get(saved.id).await.expect("get"), saved);
    assert_eq!(
        repo.get_by_path(&path("docs/DESIGN.md"))
            .await
            .expect("by path"),
        Some(saved.clone())
    );
    assert_eq!(
        repo.get_by_path(&path("nope.md")).await.expect("none"),
        None
    );
    assert!(matches!(
        repo.get(saved.id + 1000).await,
        Err(Error::NotFound {
            entity: "document",
            ..
        })
    ));

    // Saving the same path updates the row in place: same id, new values; a size over 2 GiB
    // fits (the column is 64-bit on both backends).
    let big = 5 * 1024 * 1024 * 1024_i64;
    let later = now();
    let updated = repo
        .save(NewDocument::new(
            path("docs/DESIGN.md"),
            DocumentType::Header,
            later,
            big,
        ))
        .await
        .expect("update");
    assert_eq!(updated.id, saved.id);
    assert_eq!(updated.r#type, DocumentType::Header);
    assert_eq!(updated.size, big);
    assert_eq!(updated.md5_digest, None);
    assert_eq!(updated.header_sections, None);
    assert_eq!(updated.last_modified, later);
    assert_eq!(repo.count().await.expect("count"), 1);

    repo.delete(&path("docs/DESIGN.md")).await.expect("delete");
    assert!(matches!(
        repo.delete(&path("docs/DESIGN.md")).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(repo.count().await.expect("count"), 0);
}

async fn find_by_type_and_list_in_pages(db: &TestDb) {
    let repo = documents(db);
    let at = now();
    let docs: Vec<NewDocument> = (0..30)
        .map(|i| {
            let kind = if i % 3 == 0 {
                DocumentType::Code
            } else {
                DocumentType::Markdown
            };
            NewDocument::new(path(&format!("doc{i:03}")), kind, at, i)
        })
        .collect();
    assert_eq!(repo.save_many(docs).await.expect("save many"), 30);
    let code = repo
        .find_by_type(DocumentType::Code, Page::first(100))
        .await
        .expect("code");
    let names: Vec<String> = code.iter().map(|d| d.path.clone()).collect();
    let expected: Vec<String> = (0..30)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("doc{i:03}"))
        .collect();
    assert_eq!(names, expected);
    assert!(
        repo.find_by_type(DocumentType::Config, Page::first(10))
            .await
            .expect("none")
            .is_empty()
    );
    let second = repo.list(Page::nth(1, 10)).await.expect("page 2");
    let names: Vec<String> = second.iter().map(|d| d.path.clone()).collect();
    let expected: Vec<String> = (10..20).map(|i| format!("doc{i:03}")).collect();
    assert_eq!(names, expected);
    // save_many updates by path as save does.
    repo.save_many(vec![NewDocument::new(
        path("doc000"),
        DocumentType::Config,
        at,
        1,
    )])
    .await
    .expect("update one");
    assert_eq!(repo.count().await.expect("count"), 30);
    assert_eq!(
        repo.get_by_path(&path("doc000"))
            .await
            .expect("get")
            .map(|d| d.r#type),
        Some(DocumentType::Config)
    );
}

async fn bad_input_is_refused_before_sql(db: &TestDb) {
    let repo = documents(db);
    let at = now();
    let err = repo
        .save(NewDocument::new(
            path("a.md"),
            DocumentType::Markdown,
            at,
            -1,
        ))
        .await
        .expect_err("negative size");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "size"),
        "{err}"
    );
    let err = repo
        .save(
            NewDocument::new(path("a.md"), DocumentType::Markdown, at, 1)
                .with_header_sections(json!("text")),
        )
        .await
        .expect_err("not an object");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "header_sections"),
        "{err}"
    );
    let err = repo
        .save_many(vec![
            NewDocument::new(path("a.md"), DocumentType::Markdown, at, 1),
            NewDocument::new(path("b.md"), DocumentType::Markdown, at, -5),
        ])
        .await
        .expect_err("second bad");
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "docs[1].size"),
        "{err}"
    );
    assert_eq!(repo.count().await.expect("count"), 0, "nothing written");
    assert!(" a.md".parse::<repository::DocPath>().is_err());
    assert!("".parse::<repository::DocPath>().is_err());
    assert!("a\0b".parse::<repository::DocPath>().is_err());
    assert!("ABCDEF".parse::<repository::Md5Digest>().is_err());
    assert!(
        repo.list(Page::first(0)).await.is_err(),
        "a page of 0 rows is refused"
    );
}

db_tests!(
    save_get_update_delete,
    find_by_type_and_list_in_pages,
    bad_input_is_refused_before_sql
);
