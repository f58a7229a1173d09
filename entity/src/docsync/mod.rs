//! The docsync system (placeholder: being written).

pub mod prelude;
