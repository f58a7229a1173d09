//! The chat system (placeholder: being written).

pub mod prelude;
