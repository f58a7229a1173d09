#![doc = include_str!("../README.md")]
//!
//! # Crates this API speaks in
//!
//! The repository API takes and returns types of a few other crates; they are re-exported here
//! so that a crate depending on `repository` alone can name every one of them:
//! [`entity`] (the models, their active enums, [`entity::DbUuid`]), [`sea_orm`] (connections,
//! transactions, bound values, JSON), [`chrono`] (timestamps), [`uuid`], and
//! [`async_trait`](macro@async_trait) (to implement a repository trait).

pub mod bulk;
pub mod config;
pub mod error;
pub mod knowledge;
pub mod manager;
pub mod page;
mod sqlite_tuning;
pub mod store;
pub mod types;
pub mod validate;

pub use async_trait::async_trait;
pub use chrono;
pub use config::{DbConfig, redact_url};
pub use entity;
pub use error::{Error, Result};
pub use manager::{DatabaseManager, Query, begin_write};
#[cfg(feature = "mock")]
pub use mockall;
pub use page::Page;
pub use sea_orm;
pub use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, JsonValue, Value};
pub use types::{ContentHash, HttpUrl, QueryHash, UuidText};
pub use uuid;
