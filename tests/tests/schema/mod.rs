//! Schema tests: each system's migrated schema against its seed, plus invariants over all of them.

mod assistant;
mod chat;
mod docsync;
mod invariants;
mod knowledge;
mod platform;
mod vector;
