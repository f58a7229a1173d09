//! Seed schema tests for assistant (being written).
