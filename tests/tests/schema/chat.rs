//! Seed schema tests for chat (being written).
