//! `dal bench`: the workload of `BENCHMARK.md`, run through the layer's public API (the knowledge
//! repositories, the vector store, `CacheManager` and its rate limiter), never raw SQL or a raw Redis client, so that
//! its figures are what users get. Figures and their history: `bench/README.md`.
//!
//! Private to the tool: [`crate::cli`] is the one way in.
//!
//! - [`workload`]: the data and the ops, in the order they run;
//! - [`vectors`]: the vector ops;
//! - [`runner`]: options, setup (database, cache), and the concurrent timing loop;
//! - [`replica`]: with `--replica-url`, listings on the primary alone and through one replica;
//! - [`report`]: per-op figures, as JSON lines or a table.

mod replica;
mod report;
mod runner;
mod vectors;
mod workload;

pub(crate) use runner::{BenchOptions, run};
