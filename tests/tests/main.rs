//! The one integration-test binary: SQLite always, PostgreSQL with `DAL_TEST_DATABASE_URL`,
//! Redis with `DAL_TEST_REDIS_URL`.

mod assistant;
mod backup;
mod cache;
mod chat;
mod chroma;
mod cli;
mod copy;
mod database_manager;
mod docsync;
mod knowledge;
mod maintain;
mod migrations;
mod platform;
mod postgres_tls;
mod reliability;
mod replica;
mod schema;
mod sqlite_files;
mod types;
mod vector;
