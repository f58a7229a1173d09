#![doc = include_str!("../README.md")]

pub mod behavior;
// Entity files are generator-shaped: the macros emit items (`Column`, `ActiveModel`, …) that
// cannot carry docs, and each column is documented by its seed.
#[allow(missing_docs)]
pub mod knowledge;
pub mod prelude;
pub mod types;

pub use types::DbUuid;
