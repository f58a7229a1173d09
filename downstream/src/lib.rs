//! The examples of the READMEs (this workspace's and `repository`'s), compiled as doc tests of a
//! crate whose only dependency is `repository` (with its `mock` feature for tests), as a crate
//! using the layer meets them: an example that needs a type `repository` does not re-export, or
//! that no longer matches the API, fails `cargo test`.
#![doc = include_str!("../../README.md")]

#[doc = include_str!("../../repository/README.md")]
mod repository_readme {}
