//! The platform system (placeholder: being written).

pub mod prelude;
