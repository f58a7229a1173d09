#![doc = include_str!("../README.md")]
//!
//! # Crates this API speaks in
//!
//! The repository API takes and returns types of a few other crates; they are re-exported here
//! so that a crate depending on `repository` alone can name every one of them:
//! [`entity`] (the models, their active enums, [`entity::DbUuid`]), [`sea_orm`] (connections,
//! transactions, bound values, JSON), [`chrono`] (timestamps), [`uuid`], and
//! [`async_trait`](macro@async_trait) (to implement a repository trait).

pub mod assistant;
pub mod bulk;
pub mod chat;
pub mod config;
pub mod docsync;
pub mod error;
pub mod health;
pub mod knowledge;
pub mod manager;
pub mod page;
pub mod platform;
pub mod replica;
mod sqlite_tuning;
pub mod store;
pub mod types;
pub mod validate;
pub mod vector;

pub use async_trait::async_trait;
pub use chrono;
pub use config::{DbConfig, redact_url};
pub use entity;
pub use error::{Error, Result};
pub use manager::{DatabaseManager, Query, begin_write};
#[cfg(feature = "mock")]
pub use mockall;
pub use page::Page;
pub use replica::{DbRouter, ReadRoute, Reader};
pub use sea_orm;
pub use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, JsonValue, Value};
pub use types::{ContentHash, DocPath, HttpUrl, Md5Digest, QueryHash, UuidText};
pub use uuid;

#[cfg(test)]
mod readme_tests {
    /// The README examples (compiled as doc tests of `app`, whose tests have the `mock` feature)
    /// use the types through `repository`'s re-exports, never `entity::`,
    /// `sea_orm::` or `chrono::` directly, so a downstream crate with `repository` as its only
    /// dependency can write them.
    #[test]
    fn readme_examples_use_only_reexports() {
        for (name, text) in [
            ("README.md", include_str!("../../README.md")),
            ("repository/README.md", include_str!("../README.md")),
        ] {
            let mut in_rust = false;
            for line in text.lines() {
                if line.starts_with("```") {
                    in_rust = line.starts_with("```rust");
                    continue;
                }
                if !in_rust {
                    continue;
                }
                for direct in [
                    "use entity",
                    "use sea_orm",
                    "use chrono",
                    " entity::",
                    " sea_orm::",
                    "(entity::",
                    "(sea_orm::",
                ] {
                    assert!(
                        !line.contains(direct),
                        "{name}: `{line}` names a crate other than repository"
                    );
                }
            }
        }
    }
}
