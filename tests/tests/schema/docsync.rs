//! Seed schema tests for docsync (being written).
