//! The assistant system (placeholder: being written).

pub mod prelude;
