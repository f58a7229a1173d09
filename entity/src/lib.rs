#![doc = include_str!("../README.md")]

pub mod behavior;
// Entity files are generator-shaped: the macros emit items (`Column`, `ActiveModel`, …) that
// cannot carry docs, and each column is documented by its seed.
#[allow(missing_docs)]
pub mod assistant;
#[allow(missing_docs)]
pub mod chat;
#[allow(missing_docs)]
pub mod docsync;
#[allow(missing_docs)]
pub mod knowledge;
#[allow(missing_docs)]
pub mod platform;
pub mod prelude;
pub mod types;
#[allow(missing_docs)]
pub mod vector;

pub use types::{DbDateTime, DbJson, DbUuid};
