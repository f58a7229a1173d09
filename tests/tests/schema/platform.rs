//! Seed schema tests for platform (being written).
