#![doc = include_str!("../README.md")]

pub mod bulk;
pub mod config;
pub mod error;
pub mod knowledge;
pub mod manager;
pub mod page;
mod sqlite_tuning;
pub mod validate;
pub mod vector;

pub use config::{DbConfig, redact_url};
pub use error::{Error, Result};
pub use manager::{DatabaseManager, Query, begin_write};
pub use page::Page;
