#![doc = include_str!("../README.md")]

pub mod config;
pub mod error;
pub mod manager;

pub use config::{DbConfig, redact_url};
pub use error::{Error, Result};
pub use manager::{DatabaseManager, Query, begin_write};
